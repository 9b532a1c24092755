package catalog_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/scenarios"
)

// Every folder with a scenario.yaml on disk is in the catalogue: the embed
// finds them all, with no list to keep.
func TestEveryFolderIsInTheCatalogue(t *testing.T) {
	dirs, err := filepath.Glob("../*/scenario.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	all, err := scenarios.Discover()
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, s := range all {
		ids[s.ID] = true
	}
	for _, y := range dirs {
		assert.True(t, ids[filepath.Base(filepath.Dir(y))], "%s is not in the catalogue", y)
	}
	assert.Len(t, all, len(dirs))
}
