package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/internal/syncbuf"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
)

// incidentDrill runs an incident drill on the fixture's fake cluster, with
// what the candidate does meanwhile in act (run once the incident started).
func (f *playFixture) incidentDrill(t *testing.T, ctx context.Context, output, id string, limit time.Duration, act func(started time.Time)) (string, string, error) {
	t.Helper()
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	g := &globals{output: output, streams: Streams{In: strings.NewReader(""), Out: out, Err: errb}}
	d := &incidentDrill{g: g, svc: f.svc, limit: limit, poll: 5 * time.Millisecond}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if a, err := f.svc.Attempt(id); err == nil && !a.Started.IsZero() {
				act(a.Started)
				return
			}
		}
	}()
	err := d.run(ctx, id)
	<-done
	return out.String(), errb.String(), err
}

// update saves a step of the candidate's progress, as their own crashlab
// commands in another terminal would.
func (f *playFixture) update(t *testing.T, id string, fn func(*progress.Entry)) {
	st, err := progress.Open(f.dir, "workshop", "")
	if assert.NoError(t, err) {
		assert.NoError(t, st.Update(id, fn))
	}
}

func TestIncidentDrillReportsADiagnosisAndAFix(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	sc, err := f.svc.Scenario(id)
	require.NoError(t, err)
	require.NotEmpty(t, sc.Approaches)
	approach := sc.Approaches[0]

	out, _, err := f.incidentDrill(t, context.Background(), "text", id, time.Minute, func(started time.Time) {
		_, herr := f.svc.Hint(id) // through the service, as `crashlab hint` does
		assert.NoError(t, herr)
		f.update(t, id, func(e *progress.Entry) { e.WrongAnswers++ })
		f.update(t, id, func(e *progress.Entry) {
			e.Diagnosed, e.DiagnosedAfter = started.Add(4*time.Minute+12*time.Second), 4*time.Minute+12*time.Second
		})
		f.update(t, id, func(e *progress.Entry) {
			e.Fixed, e.FixedAfter, e.Approach = started.Add(9*time.Minute), 9*time.Minute, approach.ID
		})
	})
	require.NoError(t, err)
	page, report, ok := strings.Cut(out, "== Drill report")
	require.True(t, ok, out)
	assert.Contains(t, page, sc.Title, "the page is shown")
	assert.Contains(t, page, "crashlab diagnose "+id)
	assert.Contains(t, page, "crashlab check "+id)
	assert.NotContains(t, page, sc.Cause, "the cause stays hidden until the end")
	assert.Contains(t, page, "diagnosis correct after 4m12s")
	for _, want := range []string{
		id, "Outcome:       solved", "Cause:         " + sc.Cause,
		"Diagnosis:     4m12s after the page", "Fix:           9m0s after the page",
		"Hints used:    1", "Wrong answers: 1", "Fix approach:  " + approach.ID,
		"Score:         75/100",
	} {
		assert.Contains(t, report, want)
	}
	assert.NotContains(t, out, "\x1b", "plain lines without a terminal")
}

func TestIncidentDrillCtrlCGivesThePartialReport(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _, err := f.incidentDrill(t, ctx, "text", id, time.Minute, func(started time.Time) {
		f.update(t, id, func(e *progress.Entry) {
			e.Diagnosed, e.DiagnosedAfter = started.Add(time.Minute), time.Minute
		})
		time.Sleep(50 * time.Millisecond)
		cancel() // Ctrl-C
	})
	var ee ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.Code)
	assert.Contains(t, out, "stopped early (Ctrl-C)")
	assert.Contains(t, out, "Diagnosis:     1m0s after the page")
	assert.Contains(t, out, "Fix:           not yet")
	assert.Contains(t, out, "Score:         none")
}

func TestIncidentDrillJSON(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	sc, err := f.svc.Scenario(id)
	require.NoError(t, err)
	out, stderr, err := f.incidentDrill(t, context.Background(), "json", id, 200*time.Millisecond, func(time.Time) {})
	require.NoError(t, err)
	assert.Contains(t, stderr, sc.Title, "the page goes to stderr with -o json")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, map[string]any{
		"incident": id, "title": sc.Title, "namespace": "crashlab-" + id, "outcome": "time limit", "limit": "200ms",
		"cause": sc.Cause, "diagnosed": false, "fixed": false, "hints": 0.0, "wrongAnswers": 0.0, "score": nil,
		"afterGiveUp": false, "scoreCap": float64(lab.MaxScore),
	}, got)
}

func TestIncidentDrillWithNothingLeftIsOneLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CRASHLAB_STATE_DIR", dir)
	svc, err := lab.New(nil)
	require.NoError(t, err)
	st, err := progress.Open(dir, cluster.ContextName, "cand1")
	require.NoError(t, err)
	for _, sc := range svc.Scenarios() {
		require.NoError(t, st.Update(sc.ID, func(e *progress.Entry) { e.Fixed = time.Now() }))
	}
	code, _, stderr := run(t, "--learner", "cand1", "drill", "--incident")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "every incident is solved")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)

	code, _, stderr = run(t, "drill", "--incident", "--seed", "3")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--seed is for the question drill")
}

// The interviewer learns that the candidate gave up on this incident
// before, and so has read how it is fixed, and that the score is capped.
func TestIncidentDrillAfterAGiveUpSaysSoAndCapsTheScore(t *testing.T) {
	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			f := newPlayFixture(t)
			id := f.svc.List()[0].ID
			_, err := f.svc.GiveUp(id)
			require.NoError(t, err)
			time.Sleep(time.Millisecond) // the drill's attempt starts after the give-up
			out, _, err := f.incidentDrill(t, context.Background(), output, id, 10*time.Second, func(time.Time) {
				// The give-up's attempt has a start too: wait for the drill's.
				var started time.Time
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
					if a, err := f.svc.Attempt(id); err == nil && a.AfterGiveUp {
						started = a.Started
						break
					}
				}
				if !assert.False(t, started.IsZero(), "the drill started a new attempt") {
					return
				}
				f.update(t, id, func(e *progress.Entry) {
					e.Diagnosed, e.DiagnosedAfter = started.Add(time.Minute), time.Minute
					e.Fixed, e.FixedAfter = started.Add(2*time.Minute), 2*time.Minute
				})
			})
			require.NoError(t, err)
			if output == "text" {
				_, report, ok := strings.Cut(out, "== Drill report")
				require.True(t, ok, out)
				assert.Contains(t, report, "Outcome:       solved")
				assert.Contains(t, report, "After give-up: this learner gave up on it before")
				assert.Contains(t, report, "Score:         50/100 (at most 50 after a give-up)")
				return
			}
			var got incidentReport
			require.NoError(t, json.Unmarshal([]byte(out), &got), out)
			assert.True(t, got.AfterGiveUp)
			assert.Equal(t, lab.MaxScoreAfterGiveUp, got.ScoreCap)
			require.NotNil(t, got.Score)
			assert.Equal(t, lab.MaxScoreAfterGiveUp, *got.Score)
		})
	}
}
