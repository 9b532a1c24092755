package app

import "fmt"

// renamed tells the learner, once per run and old id, that an incident was
// given by its earlier name (an alias in scenario.yaml). The old ids named
// causes; they go in the next release.
func (g *globals) renamed(oldID, newID string) {
	if g.renamedIDs == nil {
		g.renamedIDs = map[string]bool{}
	}
	if g.renamedIDs[oldID] {
		return
	}
	g.renamedIDs[oldID] = true
	fmt.Fprintf(g.streams.Err, "crashlab: %s is now %s; the old name goes in the next release\n", oldID, newID)
}
