package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/workshop"
)

// packDirs are the pack folders in use: $CRASHLAB_INCIDENTS, then
// --incidents.
func (g *globals) packDirs() []string {
	return append(scenarios.PackDirs(os.Getenv("CRASHLAB_INCIDENTS")), g.incidents...)
}

// usePacks loads the packs before any command runs. A folder that is not
// there, or a pack with mistakes, is a usage error naming the flag (or the
// variable) and the first mistake; `crashlab author validate DIR` lists
// them all.
func (g *globals) usePacks(cmd *cobra.Command) error {
	dirs := g.packDirs()
	if len(dirs) == 0 {
		return catalog.UsePacks(Version)
	}
	from := "--incidents"
	if !cmd.Flags().Changed("incidents") {
		from = "CRASHLAB_INCIDENTS"
	}
	for _, d := range dirs {
		st, err := os.Stat(d)
		switch {
		case err != nil:
			return usageError{fmt.Errorf("%s %s: no such folder: name a pack's folder (the one with pack.yaml)", from, d)}
		case !st.IsDir():
			return usageError{fmt.Errorf("%s %s is a file: name a pack's folder (the one with pack.yaml)", from, d)}
		}
	}
	err := catalog.UsePacks(Version, dirs...)
	if err == nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	first, more := lines[len(lines)-1], ""
	if len(lines) >= 2 {
		first = lines[1]
		if n := len(lines) - 2; n > 0 {
			more = fmt.Sprintf(" (and %d more: `crashlab author validate DIR` lists them all)", n)
		}
	}
	if errors.Is(err, catalog.ErrBadCatalogue) {
		return err
	}
	return usageError{fmt.Errorf("%s: %s%s", from, first, more)}
}

// expandPacks replaces each entry of a list of incident ids that is a
// pack's folder (one with a pack.yaml) by that pack's incident ids, and
// adds the pack to the catalogue.
func (g *globals) expandPacks(entries []string) ([]string, error) {
	var out, added []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if _, err := os.Stat(filepath.Join(e, scenarios.PackFile)); err != nil {
			out = append(out, e)
			continue
		}
		added = append(added, e)
	}
	if len(added) == 0 {
		return out, nil
	}
	if err := catalog.UsePacks(Version, append(g.packDirs(), added...)...); err != nil {
		lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
		return nil, usageError{fmt.Errorf("--incidents: %s", lines[len(lines)-1])}
	}
	for _, d := range added {
		_, list, err := scenarios.LoadPack(d, Version)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			out = append(out, s.ID)
		}
	}
	return out, nil
}

// noRoomPacks are the commands that never read a room's packs: they do not
// meet an incident.
var noRoomPacks = map[string]bool{"help": true, "completion": true, "version": true, "__complete": true, "__completeNoDesc": true}

// useRoomPacks adds the packs of a workshop learner's room to the packs in
// use: the room keeps them in the cluster (workshop.RoomPacksName), so a
// learner needs no copy of the pack the trainer ran the room with. They are
// written under the state folder, replaced on every command. A pack the
// learner named locally under the same name is kept instead. A room's
// packs that cannot be read or loaded here are a warning: the learner's
// commands go on with the rest of the catalogue.
func (g *globals) useRoomPacks(cmd *cobra.Command) error {
	ws, _, ok := cluster.ParseWorkshopContext(g.contextName())
	if !ok || noRoomPacks[cmd.Name()] || workshop.ValidateName(ws) != nil {
		// A context with a name no room has is the command's to refuse.
		return nil
	}
	ctx := cmd.Context()
	conn, err := g.dial(ctx)
	if err != nil {
		// The command says what is wrong when it connects itself.
		return nil
	}
	packs, err := workshop.ReadRoomPacks(ctx, conn.Client, ws)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		g.warn(fmt.Sprintf("the room's incident packs could not be read (%v): only the built-in incidents and your own packs are known", err))
		return nil
	}
	if len(packs) == 0 {
		return nil
	}
	// usePacks loaded the learner's own packs already.
	local := g.packDirs()
	mine := map[string]bool{}
	for _, p := range catalog.Packs() {
		mine[p.Name] = true
	}
	state, err := progress.DefaultDir()
	if err != nil {
		return err
	}
	root := filepath.Join(state, "rooms", ws, "packs")
	if err := os.RemoveAll(root); err != nil {
		return fmt.Errorf("replace the room's packs in %s: %w", root, err)
	}
	dirs := slices.Clone(local)
	for _, p := range packs {
		if mine[p.Name] {
			continue
		}
		dir := filepath.Join(root, p.Name)
		if err := writePack(dir, p.Files); err != nil {
			return fmt.Errorf("keep the room's pack %s in %s: %w", p.Name, dir, err)
		}
		dirs = append(dirs, dir)
	}
	if err := catalog.UsePacks(Version, dirs...); err != nil {
		g.warn(fmt.Sprintf("the room's incident packs do not load in this crashlab (%s): ask your trainer which crashlab version the room needs", firstLine(err.Error())))
		return catalog.UsePacks(Version, local...)
	}
	return nil
}

// writePack writes a pack's files under dir; the paths were checked to
// stay inside it when the room's packs were read.
func writePack(dir string, files map[string][]byte) error {
	for rel, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
