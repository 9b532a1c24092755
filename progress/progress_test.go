package progress

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreRoundTripsAndKeepsLearnersApart(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, a.Update("oom", func(e *Entry) { e.Fixed = now; e.Approach = "limit-raised" }))

	again, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.True(t, again.Entries["oom"].Done())
	assert.Equal(t, "limit-raised", again.Entries["oom"].Approach)

	bob, err := Open(dir, "kind-crashlab", "bob")
	require.NoError(t, err)
	assert.False(t, bob.Entries["oom"].Done())
}

func TestSaveLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "ctx/with:odd chars", "")
	require.NoError(t, err)
	require.NoError(t, s.Update("x", func(e *Entry) { e.Hints = 2 }))
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.Equal(t, "progress-ctx_with_odd_chars.json", files[0].Name())
}

func TestDamagedFileIsReportedNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "progress-c.json")
	require.NoError(t, os.WriteFile(path, []byte("{half"), 0o644))
	_, err := Open(dir, "c", "")
	require.ErrorContains(t, err, "damaged")
	b, _ := os.ReadFile(path)
	assert.Equal(t, "{half", string(b))
}
