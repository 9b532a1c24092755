package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
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
