package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// oldID is scenarioID's earlier name, kept as an alias for a release.
const oldID = "missing-secret-key"

// save writes a learner's progress of a scenario as earlier verbs would have.
func (f *fixture) save(learner, id string, fn func(*progress.Entry)) {
	f.t.Helper()
	st, err := progress.Open(f.dir, "workshop", learner)
	require.NoError(f.t, err)
	require.NoError(f.t, st.Update(id, fn))
}

func choiceOrder(qs []grader.Question) map[string][]string {
	out := map[string][]string{}
	for _, q := range qs {
		for _, c := range q.Choices {
			out[q.ID] = append(out[q.ID], c.ID)
		}
	}
	return out
}

func TestShuffleChoicesIsDeterministicPerSeed(t *testing.T) {
	sc, err := catalog.Get(scenarioID)
	require.NoError(t, err)
	before := choiceOrder(sc.Questions)

	a := lab.ShuffleChoices(sc.Questions, 42)
	assert.Equal(t, choiceOrder(a), choiceOrder(lab.ShuffleChoices(sc.Questions, 42)), "the same seed replays the same order")
	assert.Equal(t, before, choiceOrder(sc.Questions), "the catalogue's questions are left as they are")
	for i, q := range a {
		assert.Equal(t, sc.Questions[i].ID, q.ID, "questions keep their order")
		assert.ElementsMatch(t, sc.Questions[i].Choices, q.Choices, "the same choices, evidence and all")
	}

	orders := map[string]bool{}
	for seed := uint64(0); seed < 20; seed++ {
		orders[strings.Join(choiceOrder(lab.ShuffleChoices(sc.Questions, seed))["cause"], ",")] = true
	}
	assert.Greater(t, len(orders), 5, "seeds give different orders: %v", orders)
}

func TestAttemptSeed(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	seed := lab.AttemptSeed("ann", scenarioID, t0)
	assert.Equal(t, seed, lab.AttemptSeed("ann", scenarioID, t0.In(time.FixedZone("x", 3600))), "the same instant in another zone")
	assert.NotEqual(t, seed, lab.AttemptSeed("bob", scenarioID, t0), "per learner")
	assert.NotEqual(t, seed, lab.AttemptSeed("ann", "other", t0), "per scenario")
	assert.NotEqual(t, seed, lab.AttemptSeed("ann", scenarioID, t0.Add(time.Nanosecond)), "per attempt")
	assert.Equal(t, lab.AttemptSeed("ann", scenarioID, time.Time{}), lab.AttemptSeed("ann", scenarioID, time.Time{}), "no start yet is a seed too")
}

// The intended answer was always the first choice in scenario.yaml; across
// attempts it must turn up anywhere.
func TestIntendedChoiceIsNotAlwaysFirst(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	const attempts = 200
	for _, sc := range catalog.All() {
		d, err := fixes.LoadDiagnosis(fixes.Dir(root, sc.ID) + "/" + fixes.DiagnosisFile)
		require.NoError(t, err, sc.ID)
		for _, q := range sc.Questions {
			if q.Fact != "" {
				continue
			}
			intended := d.Correct[q.ID]
			positions := map[int]int{}
			for seed := uint64(0); seed < attempts; seed++ {
				order := choiceOrder(lab.ShuffleChoices(sc.Questions, seed))[q.ID]
				positions[slices.Index(order, intended)]++
			}
			assert.NotContains(t, positions, -1, "%s/%s: the intended choice is always offered", sc.ID, q.ID)
			assert.Len(t, positions, len(q.Choices), "%s/%s: the intended choice %s turns up in every position: %v", sc.ID, q.ID, intended, positions)
			assert.Less(t, positions[0], attempts*2/len(q.Choices), "%s/%s: the intended choice is first about 1 in %d attempts: %v", sc.ID, q.ID, len(q.Choices), positions)
		}
	}
}

// Questions shows the attempt's order, and that order is replayed from the
// learner, the scenario and the attempt's start in progress.
func TestQuestionsFollowTheAttempt(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	ctx := context.Background()
	sc, err := svc.Scenario(scenarioID)
	require.NoError(t, err)
	replay := func(started time.Time) map[string][]string {
		return choiceOrder(lab.ShuffleChoices(sc.Questions, lab.AttemptSeed("ann", scenarioID, started)))
	}

	qs, err := svc.Questions(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, replay(time.Time{}), choiceOrder(qs), "before any start")

	started, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	first := f.entry("ann", scenarioID).Started
	qs, err = svc.Questions(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, replay(first), choiceOrder(qs))
	again, err := f.service("ann").Questions(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, choiceOrder(qs), choiceOrder(again), "the same attempt shows the same order every time")

	// The attempt ends (solved); a new start is a new attempt with its own order.
	f.save("ann", scenarioID, func(e *progress.Entry) { e.Fixed = time.Now() })
	require.NoError(t, cluster.DeleteNamespace(ctx, f.cs, started.Namespace, 0))
	time.Sleep(time.Millisecond)
	_, err = svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	second := f.entry("ann", scenarioID).Started
	require.True(t, second.After(first), "a new attempt")
	qs, err = svc.Questions(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, replay(second), choiceOrder(qs))
}

// The verdict lists choices in the attempt's order, and an answer by choice
// id is graded whatever the order.
func TestDiagnoseByChoiceIDWhateverTheOrder(t *testing.T) {
	f := newFixture(t)
	svc, _ := startCrashLooping(t, f)
	ctx := context.Background()
	qs, err := svc.Questions(scenarioID)
	require.NoError(t, err)

	v, err := svc.Diagnose(ctx, scenarioID, map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "nope"})
	require.NoError(t, err)
	require.False(t, v.Passed)
	for _, c := range v.Checks {
		if c.Name == "cause" {
			assert.Contains(t, c.Message, strings.Join(choiceOrder(qs)["cause"], ", "), "choices as the learner was shown them")
		}
	}

	v, err = svc.Diagnose(ctx, scenarioID, map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "missing-variable"})
	require.NoError(t, err)
	assert.True(t, v.Passed, "%+v", v.Checks)
}

func TestDiagnoseRecordsWrongAnswersAndTheTimeToDiagnosis(t *testing.T) {
	f := newFixture(t)
	svc, _ := startCrashLooping(t, f)
	ctx := context.Background()
	steps := []struct {
		name      string
		answers   map[string]string
		wantWrong int
	}{
		{"three wrong answers", map[string]string{"last-reason": "OOMKilled", "exit-code": "137", "cause": "out-of-memory"}, 3},
		{"a typo names no choice and an empty answer is none: not wrong", map[string]string{"last-reason": "Error", "exit-code": " ", "cause": "missing-variabl"}, 3},
		{"one wrong answer", map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "probe-kill"}, 4},
		{"right", map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "missing-variable"}, 4},
		{"wrong after the diagnosis passed is practice", map[string]string{"last-reason": "OOMKilled", "exit-code": "1", "cause": "missing-variable"}, 4},
	}
	for _, st := range steps {
		_, err := svc.Diagnose(ctx, scenarioID, st.answers)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.wantWrong, f.entry("ann", scenarioID).WrongAnswers, st.name)
	}
	e := f.entry("ann", scenarioID)
	assert.False(t, e.Diagnosed.IsZero())
	assert.Positive(t, e.DiagnosedAfter, "time from the start to the correct diagnosis")
	assert.Equal(t, e.Diagnosed.Sub(e.Started), e.DiagnosedAfter)
}

func TestRandomUnsolved(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	all := svc.Scenarios()
	byLevel := map[int][]string{}
	for _, sc := range all {
		byLevel[sc.Level] = append(byLevel[sc.Level], sc.ID)
	}
	require.GreaterOrEqual(t, len(byLevel[2]), 2)
	// Solve every level-1 incident and all but one of level 2.
	keep := byLevel[2][len(byLevel[2])-1]
	for _, sc := range all {
		if sc.ID != keep {
			f.save("ann", sc.ID, func(e *progress.Entry) { e.Fixed = time.Now() })
		}
	}
	// A level-2 incident given up but never solved is still there to solve.
	f.save("ann", keep, func(e *progress.Entry) { e.GivenUp = time.Now() })

	for i := 0; i < 20; i++ {
		sc, err := svc.RandomUnsolved(0)
		require.NoError(t, err)
		assert.Equal(t, keep, sc.ID, "only the unsolved one")
		sc, err = svc.RandomUnsolved(2)
		require.NoError(t, err)
		assert.Equal(t, keep, sc.ID)
	}
	_, err := svc.RandomUnsolved(1)
	require.ErrorIs(t, err, lab.ErrNoneLeft)
	assert.ErrorContains(t, err, "level 1")
	_, err = svc.RandomUnsolved(9)
	require.Error(t, err)
	assert.NotErrorIs(t, err, lab.ErrNoneLeft)
	assert.ErrorContains(t, err, "no incident has level 9 (levels: 1, 2", "it names the levels there are")

	f.save("ann", keep, func(e *progress.Entry) { e.Fixed = time.Now() })
	_, err = svc.RandomUnsolved(0)
	require.ErrorIs(t, err, lab.ErrNoneLeft)

	// Another learner has everything left, and a level keeps to its level.
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		sc, err := f.service("bob").RandomUnsolved(1)
		require.NoError(t, err)
		assert.Equal(t, 1, sc.Level)
		seen[sc.ID] = true
	}
	assert.Len(t, seen, len(byLevel[1]), "at random among them all")
}

func TestListHidesCausesUntilSolvedOrGivenUp(t *testing.T) {
	f := newFixture(t)
	all := f.service("ann").Scenarios()
	require.GreaterOrEqual(t, len(all), 5)
	now := time.Now()
	want := map[string]lab.Status{}
	progressOf := []struct {
		status lab.Status
		fn     func(*progress.Entry)
	}{
		{lab.StatusNotStarted, nil},
		{lab.StatusStarted, func(e *progress.Entry) { e.Started = now }},
		{lab.StatusDiagnosed, func(e *progress.Entry) { e.Started, e.Diagnosed = now, now.Add(time.Minute) }},
		{lab.StatusSolved, func(e *progress.Entry) {
			e.Started, e.Fixed, e.Hints, e.BestScore = now, now.Add(time.Minute), 1, lab.Score(1, 0)
		}},
		{lab.StatusGivenUp, func(e *progress.Entry) { e.Started, e.GivenUp = now, now.Add(time.Minute) }},
	}
	for i, p := range progressOf {
		want[all[i].ID] = p.status
		if p.fn != nil {
			f.save("ann", all[i].ID, p.fn)
		}
	}

	rows := f.service("ann").List()
	require.Len(t, rows, len(all))
	for _, r := range rows {
		sc, err := catalog.Get(r.ID)
		require.NoError(t, err)
		status, ok := want[r.ID]
		if !ok {
			status = lab.StatusNotStarted
		}
		assert.Equal(t, status, r.Status, r.ID)
		switch status {
		case lab.StatusSolved:
			assert.Equal(t, sc.Cause, r.Cause)
			require.NotNil(t, r.BestScore)
			assert.Equal(t, lab.Score(1, 0), *r.BestScore)
		case lab.StatusGivenUp:
			assert.Equal(t, sc.Cause, r.Cause)
			require.NotNil(t, r.BestScore)
			assert.Zero(t, *r.BestScore)
		default:
			assert.Empty(t, r.Cause, "%s: no cause before it is solved or given up", r.ID)
			assert.Nil(t, r.BestScore)
		}
	}
	raw, err := json.Marshal(rows)
	require.NoError(t, err)
	for _, sc := range all {
		for _, a := range sc.Aliases {
			assert.NotContains(t, string(raw), `"`+a+`"`, "earlier ids name causes and are never listed")
		}
		if want[sc.ID] != lab.StatusSolved && want[sc.ID] != lab.StatusGivenUp {
			assert.NotContains(t, string(raw), sc.Cause)
		}
	}
}

func TestExplainRefusesBeforeSolvedOrGivenUp(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	ctx := context.Background()
	_, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	f.save("ann", scenarioID, func(e *progress.Entry) { e.Diagnosed = time.Now() })

	_, err = svc.Explain(scenarioID)
	require.ErrorIs(t, err, lab.ErrNotSolved, "diagnosed is not solved")
	assert.NotContains(t, err.Error(), "give-up", "the CLI words the advice")

	e, err := svc.GiveUp(scenarioID)
	require.NoError(t, err)
	assert.True(t, e.GaveUp)
	assert.Empty(t, e.Approach)
	assert.NotEmpty(t, e.Cause)
	assert.NotEmpty(t, e.Approaches)
	entry := f.entry("ann", scenarioID)
	assert.False(t, entry.GivenUp.IsZero(), "giving up is recorded")
	assert.Equal(t, lab.StatusGivenUp, lab.StatusOf(entry))

	again, err := svc.Explain(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, e, again)
	_, err = svc.GiveUp(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, entry.GivenUp, f.entry("ann", scenarioID).GivenUp, "giving up twice keeps the first time")
}

func TestExplainAfterSolvingNamesTheLearnersApproachAndTheOthers(t *testing.T) {
	f := newFixture(t)
	f.save("ann", scenarioID, func(e *progress.Entry) { e.Fixed, e.Approach = time.Now(), "secret-key-added" })
	svc := f.service("ann")
	e, err := svc.Explain(scenarioID)
	require.NoError(t, err)
	assert.False(t, e.GaveUp)
	assert.Equal(t, "secret-key-added", e.Approach)
	var others []string
	for _, a := range e.Others() {
		others = append(others, a.ID)
	}
	assert.ElementsMatch(t, []string{"reference-fixed", "reference-repointed"}, others)

	// Giving up on a solved incident records nothing.
	_, err = svc.GiveUp(scenarioID)
	require.NoError(t, err)
	assert.True(t, f.entry("ann", scenarioID).GivenUp.IsZero())
}

// An old id named the cause: taking it, or saying what it is now, would
// confirm a guess at no cost, so it is refused like any unknown id, and the
// error does not name it among the ids.
func TestAnOldIDIsRefusedLikeAnyUnknownID(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	ctx := context.Background()
	for _, call := range []func() error{
		func() error { _, err := svc.Start(ctx, oldID); return err },
		func() error { _, err := svc.Hint(oldID); return err },
		func() error { _, err := svc.Explain(oldID); return err },
		func() error { _, err := svc.Scenario(oldID); return err },
	} {
		err := call()
		require.ErrorIs(t, err, catalog.ErrUnknownScenario)
		_, other := svc.Scenario("no-such-incident")
		assert.Equal(t, strings.ReplaceAll(other.Error(), "no-such-incident", oldID), err.Error(), "the same words as for any unknown id")
	}
	assert.Zero(t, f.entry("ann", scenarioID).Hints)
}

// Progress saved under an old id carries over to the new one.
func TestProgressUnderAnOldIDCarriesOver(t *testing.T) {
	f := newFixture(t)
	f.save("ann", oldID, func(e *progress.Entry) { e.Fixed, e.Approach, e.Hints = time.Now(), "reference-fixed", 1 })

	for _, r := range f.service("ann").List() {
		assert.Equal(t, r.ID == scenarioID, r.Done, r.ID)
	}
	e, err := f.service("ann").Explain(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, "reference-fixed", e.Approach)

	_, err = f.service("ann").Hint(scenarioID)
	require.NoError(t, err)
	st, err := progress.Open(f.dir, "workshop", "ann")
	require.NoError(t, err)
	assert.NotContains(t, st.Entries, oldID, "moved to the new id on the next save")
	assert.True(t, st.Entries[scenarioID].Done())
	assert.Equal(t, "reference-fixed", st.Entries[scenarioID].Approach)
}

func TestProgressReport(t *testing.T) {
	f := newFixture(t)
	t0 := time.Now().Add(-time.Hour)
	f.save("ann", scenarioID, func(e *progress.Entry) {
		*e = progress.Entry{Started: t0, Diagnosed: t0.Add(3 * time.Minute), DiagnosedAfter: 3 * time.Minute,
			Fixed: t0.Add(10 * time.Minute), FixedAfter: 10 * time.Minute, Approach: "reference-fixed", Hints: 1, WrongAnswers: 2, BestScore: lab.Score(1, 2)}
	})
	rows := f.service("ann").Progress()
	require.Len(t, rows, len(catalog.All()))
	var got *lab.IncidentProgress
	for i := range rows {
		if rows[i].ID == scenarioID {
			got = &rows[i]
		} else {
			assert.Equal(t, lab.StatusNotStarted, rows[i].Status)
		}
	}
	require.NotNil(t, got)
	assert.Equal(t, lab.StatusSolved, got.Status)
	assert.Equal(t, lab.Score(1, 2), *got.BestScore)
	assert.Equal(t, 3*time.Minute, got.DiagnosedAfter)
	assert.Equal(t, 10*time.Minute, got.FixedAfter)
	assert.Equal(t, 1, got.Hints)
	assert.Equal(t, 2, got.WrongAnswers)
	assert.Equal(t, "reference-fixed", got.Approach)
}

// What the attempt record and the start write never hold an alias.
func TestNothingDeployedNamesAnAlias(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	started, err := f.service("ann").Start(ctx, scenarioID)
	require.NoError(t, err)
	attempt, err := scenarios.LoadAttempt(ctx, f.cs, started.Scenario, started.Namespace)
	require.NoError(t, err)
	assert.NotContains(t, fmt.Sprint(attempt.UIDs), oldID)
	rec, err := f.cs.CoreV1().ConfigMaps(started.Namespace).Get(ctx, scenarios.AttemptRecordName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotContains(t, fmt.Sprint(rec.Data), oldID, "the record names no old id")
	ns, err := f.cs.CoreV1().Namespaces().Get(ctx, started.Namespace, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, scenarioID, ns.Labels[cluster.LabelScenario])
}
