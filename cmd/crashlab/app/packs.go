package app

import (
	"errors"
	"fmt"
	"os"
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
