package workshop_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/workshop"
)

// A give-up stays on a learner's incident: the trainer sees every later
// attempt marked, and its score capped.
func TestBoardShowsAttemptsAfterAGiveUp(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	gaveUp, started := now.Add(-20*time.Minute), now.Add(-10*time.Minute)
	tests := []struct {
		name        string
		entry       progress.Entry
		ready       bool
		state       string
		afterGiveUp bool
		score       int
	}{
		{"never given up", progress.Entry{Started: started, Fixed: now, FixedAfter: 10 * time.Minute, BestScore: 85}, true, workshop.StateFixed, false, 85},
		{"given up in this attempt", progress.Entry{Started: started, GivenUp: now}, false, workshop.StateGivenUp, false, 0},
		{"started again after a give-up", progress.Entry{Started: started, GivenUp: gaveUp}, false, workshop.StateCrashing, true, 0},
		{"fixed after a give-up", progress.Entry{Started: started, GivenUp: gaveUp, Fixed: now, FixedAfter: 10 * time.Minute, BestScore: lab.MaxScoreAfterGiveUp}, true, workshop.StateFixed, true, lab.MaxScoreAfterGiveUp},
		{"a mirror written before the cap", progress.Entry{Started: started, GivenUp: gaveUp, Fixed: now, BestScore: 100}, true, workshop.StateFixed, true, lab.MaxScoreAfterGiveUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-ana-" + incident, Labels: map[string]string{cluster.LabelLearner: "ana", cluster.LabelScenario: incident}}}
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: progress.MirrorName("ana"), Labels: map[string]string{cluster.LabelLearner: "ana"}}}
			require.NoError(t, progress.MirrorInto(cm, incident, tt.entry))
			waiting := "CrashLoopBackOff"
			if tt.ready {
				waiting = ""
			}
			b := workshop.Compute("room", []*corev1.Namespace{n}, []*corev1.Pod{pod(n.Name, "a", tt.ready, waiting)}, []*corev1.ConfigMap{cm}, now)
			c, ok := b.Cell("ana", incident)
			require.True(t, ok)
			assert.Equal(t, tt.state, c.State)
			assert.Equal(t, tt.afterGiveUp, c.AfterGiveUp)
			require.NotNil(t, c.Score)
			assert.Equal(t, tt.score, *c.Score)

			text := workshop.Text(b)
			if tt.afterGiveUp {
				assert.Equal(t, lab.MaxScoreAfterGiveUp, c.ScoreCap)
				assert.Contains(t, text, tt.state+"*", "the cell is marked")
				assert.Contains(t, text, "* after give-up", "and the mark explained")
			} else {
				assert.Zero(t, c.ScoreCap)
				assert.NotContains(t, text, "after give-up")
			}
		})
	}
}
