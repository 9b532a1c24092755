package author

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/scenarios/fixes"
)

// Jobs lay out a live test without a cluster: per incident, its diagnosis
// run, then one job per fixes/ file in the folder's order.
func TestJobsAreTheDiagnosisRunThenEveryFix(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	pack := filepath.Join(root, "examples", "starter-pack")
	_, list, err := Load(pack, "dev")
	require.NoError(t, err)
	jobs, err := Jobs(pack, TestOptions{LabVersion: "dev"})
	require.NoError(t, err)
	var want []string
	for _, s := range list {
		folder, err := fixes.LoadFolder(filepath.Join(pack, s.ID, "fixes"), s)
		require.NoError(t, err)
		want = append(want, s.ID+"/"+DiagnosisJob)
		for _, fx := range folder.Fixes {
			want = append(want, s.ID+"/"+fx.Name)
		}
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.Incident+"/"+j.Name)
		assert.Equal(t, j.Name == DiagnosisJob, j.Fix == nil, "only a fix job carries its fix")
	}
	assert.Equal(t, want, got)

	only, err := Jobs(pack, TestOptions{LabVersion: "dev", Only: []string{list[1].ID}})
	require.NoError(t, err)
	for _, j := range only {
		assert.Equal(t, list[1].ID, j.Incident)
	}
	assert.Less(t, len(only), len(jobs))
}

// An incident whose fixes/ folder does not load is one job, which reports
// it as a failed row without touching a cluster (no client, no service).
func TestJobsReportAnIncompleteFixesFolder(t *testing.T) {
	dir, err := New(t.TempDir(), "ratings-api")
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, "fixes", fixes.DiagnosisFile)))
	jobs, err := Jobs(dir, TestOptions{LabVersion: "dev"})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	rows := jobs[0].Run(context.Background(), Hooks{})
	require.Len(t, rows, 1)
	assert.False(t, rows[0].Passed)
	assert.Equal(t, "ratings-api", rows[0].Incident)
	assert.Contains(t, rows[0].Detail, "fixes/")
	assert.Contains(t, rows[0].Detail, "crashlab author validate")

	rows, err = Test(context.Background(), dir, TestOptions{LabVersion: "dev"})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.False(t, rows[0].Passed, "Test reports the same row")
}

// A folder that is neither a pack nor an incident gives no jobs.
func TestJobsRefuseAFolderThatIsNotAuthored(t *testing.T) {
	_, err := Jobs(t.TempDir(), TestOptions{LabVersion: "dev"})
	assert.ErrorIs(t, err, ErrNotAuthored)
}
