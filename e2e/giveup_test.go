//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// giveUpRow is what `progress -o json` and `list -o json` say of an
// incident about a give-up.
type giveUpRow struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	BestScore   *int   `json:"bestScore"`
	AfterGiveUp bool   `json:"afterGiveUp"`
	ScoreCap    int    `json:"scoreCap"`
}

// giveUpThenSolve gives up on an incident, starts it afresh and fixes it
// with an accepted fix from its fixes/ folder, as a learner would after
// reading the explanation: the give-up stays on the record and the solve
// scores at most lab.MaxScoreAfterGiveUp, which `progress` and `list` say.
func giveUpThenSolve(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, spec scenarioSpec) {
	ctx := context.Background()
	s := spec.s
	const learner = "gave-up"
	ns := namespaceOf(t, learner, s.ID)
	t.Cleanup(func() { _ = cluster.DeleteNamespace(context.Background(), c, ns, 0) })
	passing := spec.folder.Passing()
	require.NotEmpty(t, passing, "%s has an accepted fix in its fixes/ folder", s.ID)
	fx := passing[0]

	r := crashlab(t, kubeconfig, "--learner", learner, "start", s.ID, "--wait")
	require.Equal(t, 0, r.code)
	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "give-up", s.ID)
	require.Equal(t, 0, r.code)
	p := giveUpProgress(t, kubeconfig, learner, s.ID)
	assert.Equal(t, "given up", p.Status)
	assert.True(t, p.AfterGiveUp)
	assert.Equal(t, lab.MaxScoreAfterGiveUp, p.ScoreCap)
	require.NotNil(t, p.BestScore)
	assert.Zero(t, *p.BestScore, "giving up scores 0")

	// A fresh start: the namespace goes (as `down` would take it) and the
	// next start begins a new attempt; a start while it still runs would
	// carry the given-up attempt on.
	require.NoError(t, cluster.DeleteNamespace(ctx, c, ns, 3*time.Minute))
	r = crashlab(t, kubeconfig, "--learner", learner, "start", s.ID, "--wait")
	require.Equal(t, 0, r.code)
	p = giveUpProgress(t, kubeconfig, learner, s.ID)
	assert.Equal(t, "started", p.Status, "a new attempt")
	assert.True(t, p.AfterGiveUp, "the give-up stays on the record")
	assert.Equal(t, lab.MaxScoreAfterGiveUp, p.ScoreCap)

	// No hint and no wrong answer: the attempt would score 100 without the cap.
	require.NoError(t, fixes.Apply(ctx, c, ns, vals, fx), "apply %s", fx.File)
	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "check", s.ID, "--timeout", "3m")
	v := verdictOf(t, r)
	require.True(t, v.Passed, "accepted fix %s must pass: %+v", fx.Name, v.Checks)
	assert.Equal(t, fx.Approach, v.Approach)

	p = giveUpProgress(t, kubeconfig, learner, s.ID)
	assert.Equal(t, "solved", p.Status)
	assert.True(t, p.AfterGiveUp)
	assert.Equal(t, lab.MaxScoreAfterGiveUp, p.ScoreCap)
	require.NotNil(t, p.BestScore)
	assert.Equal(t, lab.MaxScoreAfterGiveUp, *p.BestScore, "a clean solve after a give-up is capped")

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "list")
	require.Equal(t, 0, r.code)
	var rows []giveUpRow
	require.NoError(t, json.Unmarshal([]byte(r.out), &rows))
	found := false
	for _, row := range rows {
		if row.ID == s.ID {
			found = true
			assert.Equal(t, p, row, "list says what progress says")
		}
	}
	assert.True(t, found, "list has %s", s.ID)
}

// giveUpProgress runs `crashlab progress -o json` for learner and returns
// the incident's row.
func giveUpProgress(t *testing.T, kubeconfig, learner, id string) giveUpRow {
	t.Helper()
	r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "progress")
	require.Equal(t, 0, r.code)
	var report struct {
		Incidents []giveUpRow `json:"incidents"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &report))
	for _, p := range report.Incidents {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("progress has no %s: %s", id, r.out)
	return giveUpRow{}
}
