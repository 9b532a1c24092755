package scenarios_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/scenarios"
)

// A pack mounted from a ConfigMap is folders of symbolic links into a
// hidden ..data folder, as the kubelet writes it: the pack still loads.
func TestPackLoadsThroughConfigMapLinks(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("..", "examples", "starter-pack"))
	require.NoError(t, err)
	_, want, err := scenarios.LoadPack(src, "dev")
	require.NoError(t, err)

	mount := t.TempDir()
	data := filepath.Join(mount, "..2026_12_07_01_00_00.123")
	require.NoError(t, os.CopyFS(data, os.DirFS(src)))
	require.NoError(t, os.Symlink(filepath.Base(data), filepath.Join(mount, "..data")))
	entries, err := os.ReadDir(data)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.Symlink(filepath.Join("..data", e.Name()), filepath.Join(mount, e.Name())))
	}
	p, got, err := scenarios.LoadPack(mount, "dev")
	require.NoError(t, err)
	assert.Equal(t, "starter-pack", p.Name)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].ID, got[i].ID)
		assert.Equal(t, "pack starter-pack@1.0.0", got[i].Source())
	}
}

func TestReadPackRefusesWhatCannotRun(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "name: a\nversion: 1.0.0\nowner: x\n", "pack.yaml:3"},
		{"bad name", "name: A_B\nversion: 1.0.0\n", "lower case"},
		{"bad version", "name: a\nversion: one\n", "semantic version"},
		{"bad range", "name: a\nversion: 1.0.0\ncrashlab: soon\n", "version range"},
		{"newer crashlab", "name: a\nversion: 1.0.0\ncrashlab: \">=99.0.0\"\n", "needs crashlab >=99.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, scenarios.PackFile), []byte(tt.yaml), 0o644))
			_, err := scenarios.ReadPack(dir, "1.2.3")
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err := scenarios.ReadPack(t.TempDir(), "1.2.3")
	assert.ErrorIs(t, err, scenarios.ErrNotAPack)
}
