package app

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/replay"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

const (
	ordersID  = "orders-api-down-after-config"
	ordersWas = "missing-secret-key"
)

// stateDir gives the test its own progress directory and returns it.
func stateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CRASHLAB_STATE_DIR", dir)
	t.Setenv("CRASHLAB_LEARNER", "")
	return dir
}

// saveProgress writes a learner's progress on the lab's own context, where
// the CLI reads it without --context.
func saveProgress(t *testing.T, dir, learner, id string, fn func(*progress.Entry)) {
	t.Helper()
	st, err := progress.Open(dir, cluster.ContextName, learner)
	require.NoError(t, err)
	require.NoError(t, st.Update(id, fn))
}

func aliases() []string {
	var out []string
	for _, s := range catalog.All() {
		out = append(out, s.Aliases...)
	}
	return out
}

// An old id named the cause: it is refused like any unknown id, with the
// same words and exit code, so taking one confirms nothing.
func TestAnOldIDIsRefusedLikeAnUnknownOne(t *testing.T) {
	stateDir(t)
	code, out, stderr := run(t, "hint", ordersWas)
	ucode, uout, ustderr := run(t, "hint", "no-such-incident")
	assert.NotEqual(t, 0, code)
	assert.Equal(t, ucode, code)
	assert.Equal(t, uout, out)
	assert.Equal(t, strings.ReplaceAll(ustderr, "no-such-incident", ordersWas), stderr)
	assert.NotContains(t, stderr, "is now")
}

// Old ids named causes: nothing that lists incidents may show them.
func TestAliasesAreNeverListed(t *testing.T) {
	stateDir(t)
	require.NotEmpty(t, aliases())
	for _, args := range [][]string{
		{"list"}, {"-o", "json", "list"}, {"progress"}, {"-o", "json", "progress"},
		{"--help"}, {"start", "--help"}, {"diagnose", "--help"}, {"diagnose", ordersID, "--help"},
		{"__complete", "start", ""}, {"__complete", "explain", ""}, {"__complete", "give-up", ""},
		{"explain", "no-such-incident"},
	} {
		_, out, stderr := run(t, args...)
		for _, a := range aliases() {
			assert.NotRegexp(t, `\b`+regexp.QuoteMeta(a)+`\b`, out+stderr, "%v names %s", args, a)
		}
	}
	_, out, _ := run(t, "__complete", "start", "")
	for _, s := range catalog.All() {
		assert.Contains(t, out, s.ID, "completion offers the ids")
	}
}

func TestListShowsTheCauseOnlyOnceSolvedOrGivenUp(t *testing.T) {
	dir := stateDir(t)
	type row struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		BestScore *int   `json:"bestScore"`
		Cause     string `json:"cause"`
	}
	list := func() map[string]row {
		code, out, _ := run(t, "-o", "json", "list")
		require.Equal(t, 0, code)
		var rows []row
		require.NoError(t, json.Unmarshal([]byte(out), &rows))
		m := map[string]row{}
		for _, r := range rows {
			m[r.ID] = r
		}
		return m
	}
	for id, r := range list() {
		assert.Equal(t, "not started", r.Status, id)
		assert.Empty(t, r.Cause, id)
		assert.Nil(t, r.BestScore, id)
	}
	solved := "thumbnailer-keeps-restarting"
	saveProgress(t, dir, "", solved, func(e *progress.Entry) {
		e.Started, e.Fixed, e.Hints, e.BestScore = time.Now().Add(-time.Hour), time.Now(), 1, lab.Score(1, 0)
	})
	code, out, _ := run(t, "give-up", ordersID)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "You gave up on this one: it scores 0,")

	rows := list()
	for id, r := range rows {
		s, err := catalog.Get(id)
		require.NoError(t, err)
		switch id {
		case solved:
			assert.Equal(t, "solved", r.Status)
			assert.Equal(t, s.Cause, r.Cause)
			require.NotNil(t, r.BestScore)
			assert.Equal(t, lab.Score(1, 0), *r.BestScore)
		case ordersID:
			assert.Equal(t, "given up", r.Status)
			assert.Equal(t, s.Cause, r.Cause)
			require.NotNil(t, r.BestScore)
			assert.Zero(t, *r.BestScore)
		default:
			assert.Empty(t, r.Cause, id)
		}
	}

	code, out, _ = run(t, "list")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "ID  ")
	for _, col := range []string{"LEVEL", "STATUS", "BEST", "TITLE", "CAUSE"} {
		assert.Contains(t, strings.SplitN(out, "\n", 2)[0], col)
	}
	s, err := catalog.Get(solved)
	require.NoError(t, err)
	assert.Contains(t, out, s.Cause)
	for _, sc := range catalog.All() {
		if sc.ID != solved && sc.ID != ordersID {
			assert.NotContains(t, out, sc.Cause)
		}
	}
}

func TestExplainRefusesBeforeSolvedOrGivenUp(t *testing.T) {
	dir := stateDir(t)
	code, out, stderr := run(t, "explain", ordersID)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.Contains(t, stderr, "not solved yet")
	assert.Contains(t, stderr, "`crashlab give-up "+ordersID+"`")

	code, out, _ = run(t, "explain", "--give-up", ordersID)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "what happened")
	st, err := progress.Open(dir, cluster.ContextName, "")
	require.NoError(t, err)
	assert.True(t, st.Entries[ordersID].GaveUp(), "giving up is recorded")

	code, out, _ = run(t, "explain", ordersID)
	require.Equal(t, 0, code, "once given up, explain explains")
	assert.Contains(t, out, "Accepted fixes:")
}

func TestExplainAfterASolveNamesYourFixAndTheOthers(t *testing.T) {
	dir := stateDir(t)
	saveProgress(t, dir, "", ordersID, func(e *progress.Entry) { e.Fixed, e.Approach = time.Now(), "secret-key-added" })
	code, out, _ := run(t, "explain", ordersID)
	require.Equal(t, 0, code)
	assert.Regexp(t, `Your fix: .*\(secret-key-added\)\.`, out)
	assert.Contains(t, out, "Other accepted fixes:")
	assert.Contains(t, out, "(reference-fixed)")
	assert.Contains(t, out, "(reference-repointed)")
	assert.NotContains(t, out, "gave up")

	code, out, _ = run(t, "-o", "json", "explain", ordersID)
	require.Equal(t, 0, code)
	var e struct {
		Scenario   string `json:"scenario"`
		Cause      string `json:"cause"`
		GaveUp     bool   `json:"gaveUp"`
		Approach   string `json:"approach"`
		Approaches []struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"approaches"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	assert.Equal(t, ordersID, e.Scenario)
	assert.NotEmpty(t, e.Cause)
	assert.False(t, e.GaveUp)
	assert.Equal(t, "secret-key-added", e.Approach)
	assert.Len(t, e.Approaches, 3)
}

func TestProgressCommand(t *testing.T) {
	dir := stateDir(t)
	t0 := time.Now().Add(-time.Hour)
	saveProgress(t, dir, "", ordersID, func(e *progress.Entry) {
		*e = progress.Entry{Started: t0, Diagnosed: t0.Add(90 * time.Second), DiagnosedAfter: 90 * time.Second,
			Fixed: t0.Add(12 * time.Minute), FixedAfter: 12 * time.Minute, Approach: "reference-fixed",
			Hints: 1, WrongAnswers: 2, BestScore: lab.Score(1, 2)}
	})
	saveProgress(t, dir, "", "search-api-restarting", func(e *progress.Entry) { e.Started, e.Hints = t0, 2 })

	code, out, _ := run(t, "progress")
	require.Equal(t, 0, code)
	lines := strings.Split(out, "\n")
	for _, col := range []string{"ID", "LEVEL", "STATUS", "BEST", "DIAGNOSED AFTER", "FIXED AFTER", "HINTS", "WRONG", "FIX USED"} {
		assert.Contains(t, lines[0], col)
	}
	assert.Regexp(t, ordersID+`\s+1\s+solved\s+`+`65`+`\s+1m30s\s+12m0s\s+1\s+2\s+reference-fixed`, out)
	assert.Regexp(t, `search-api-restarting\s+2\s+started\s+-\s+-\s+-\s+2\s+0\s+-`, out)
	n := len(catalog.All())
	assert.Contains(t, out, fmt.Sprintf("Solved 1 of %d; score 65 of %d.", n, 100*n))

	code, out, _ = run(t, "-o", "json", "progress")
	require.Equal(t, 0, code)
	var report struct {
		Incidents []map[string]any `json:"incidents"`
		Score     int              `json:"score"`
		MaxScore  int              `json:"maxScore"`
		Solved    int              `json:"solved"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &report))
	assert.Equal(t, 65, report.Score)
	assert.Equal(t, 100*n, report.MaxScore)
	assert.Equal(t, 1, report.Solved)
	require.Len(t, report.Incidents, len(catalog.All()))
	byID := map[string]map[string]any{}
	for _, r := range report.Incidents {
		byID[r["id"].(string)] = r
	}
	o := byID[ordersID]
	assert.Equal(t, "solved", o["status"])
	assert.Equal(t, float64(65), o["bestScore"])
	assert.Equal(t, float64(90), o["diagnosedAfterSeconds"])
	assert.Equal(t, float64(720), o["fixedAfterSeconds"])
	assert.Equal(t, float64(1), o["hints"])
	assert.Equal(t, float64(2), o["wrongAnswers"])
	assert.Equal(t, "reference-fixed", o["approach"])
	assert.NotEmpty(t, o["cause"])
	s := byID["search-api-restarting"]
	assert.Equal(t, "started", s["status"])
	for _, k := range []string{"bestScore", "cause", "approach", "diagnosedAfterSeconds", "fixedAfterSeconds"} {
		assert.NotContains(t, s, k, "not solved: no %s", k)
	}
}

func TestStartRandom(t *testing.T) {
	dir := stateDir(t)
	kc := emptyKubeconfig(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"an id and --random", []string{"start", "--random", ordersID}, 2, "not both"},
		{"--level without --random", []string{"start", "--level", "1", ordersID}, 2, "--level"},
		{"neither", []string{"start"}, 2, "accepts 1 arg"},
		{"a level no incident has", []string{"--kubeconfig", kc, "start", "--random", "--level", "9"}, 2, "--level 9: must be a whole number from 0 to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			assert.Equal(t, tt.wantCode, code)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}

	for _, s := range catalog.All() {
		if s.Level == 1 {
			saveProgress(t, dir, "", s.ID, func(e *progress.Entry) { e.Fixed = time.Now() })
		}
	}
	code, _, stderr := run(t, "--kubeconfig", kc, "start", "--random", "--level", "1")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "every incident is solved at level 1")
	// With level-2 incidents left, the pick goes on to the cluster, which
	// this kubeconfig refuses: the pick itself needed none.
	code, _, stderr = run(t, "--kubeconfig", kc, "start", "--random")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--context")

	for _, s := range catalog.All() {
		saveProgress(t, dir, "", s.ID, func(e *progress.Entry) { e.Fixed = time.Now() })
	}
	code, _, stderr = run(t, "--kubeconfig", kc, "start", "--random")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "every incident is solved")
	assert.Contains(t, stderr, "crashlab list")
}

// The choices of a question are listed in the attempt's order wherever the
// CLI lists them: the prompt, `diagnose <id> --help` and its usage errors.
func TestDiagnoseListsChoicesInTheAttemptsOrder(t *testing.T) {
	dir := stateDir(t)
	started := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	saveProgress(t, dir, "ann", ordersID, func(e *progress.Entry) { e.Started = started })
	s, err := catalog.Get(ordersID)
	require.NoError(t, err)
	var want []string
	for _, q := range lab.ShuffleChoices(s.Questions, lab.AttemptSeed("ann", ordersID, started)) {
		if q.ID == "cause" {
			for _, c := range q.Choices {
				want = append(want, c.ID)
			}
		}
	}
	require.Len(t, want, 4)

	code, out, _ := run(t, "--learner", "ann", "diagnose", ordersID, "--help")
	require.Equal(t, 0, code)
	var got []int
	for _, id := range want {
		i := strings.Index(out, "      "+id+" ")
		require.GreaterOrEqual(t, i, 0, "the help lists choice %s:\n%s", id, out)
		got = append(got, i)
	}
	assert.IsIncreasing(t, got, "in the attempt's order %v:\n%s", want, out)

	code, _, stderr := run(t, "--learner", "ann", "diagnose", ordersID, "--answer", "cause=nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "("+strings.Join(want, ", ")+")")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
}

// A give-up stays on the record: a later attempt shows "after give-up" in
// list and progress, and its score is capped, in text and JSON alike.
func TestListAndProgressShowAttemptsAfterAGiveUp(t *testing.T) {
	dir := stateDir(t)
	type row struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		BestScore   *int   `json:"bestScore"`
		AfterGiveUp bool   `json:"afterGiveUp"`
		ScoreCap    int    `json:"scoreCap"`
	}
	var report struct {
		Incidents []row `json:"incidents"`
		Score     int   `json:"score"`
	}
	rowOf := func(rows []row, id string) row {
		for _, r := range rows {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no row %s", id)
		return row{}
	}
	other := "thumbnailer-keeps-restarting"

	code, _, _ := run(t, "give-up", ordersID)
	require.Equal(t, 0, code)
	time.Sleep(time.Millisecond)
	saveProgress(t, dir, "", ordersID, func(e *progress.Entry) { e.Begin(time.Now()) })

	tests := []struct {
		name       string
		then       func()
		wantStatus string
		wantBest   int
		wantText   []string
	}{
		{"started again", func() {}, "started", 0, []string{"started, after give-up", "0 (max 50)"}},
		{"solved in the new attempt", func() {
			// The score a crashlab without the cap recorded: it reads capped.
			saveProgress(t, dir, "", ordersID, func(e *progress.Entry) { e.Fixed, e.BestScore = time.Now(), lab.Score(0, 0) })
		}, "solved", lab.MaxScoreAfterGiveUp, []string{"solved, after give-up", "50 (max 50)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.then()
			code, out, _ := run(t, "-o", "json", "list")
			require.Equal(t, 0, code)
			var rows []row
			require.NoError(t, json.Unmarshal([]byte(out), &rows))
			for _, rows := range [][]row{rows, nil} {
				if rows == nil {
					code, out, _ = run(t, "-o", "json", "progress")
					require.Equal(t, 0, code)
					require.NoError(t, json.Unmarshal([]byte(out), &report))
					rows = report.Incidents
					assert.Equal(t, tt.wantBest, report.Score, "the capped score counts")
				}
				r := rowOf(rows, ordersID)
				assert.Equal(t, tt.wantStatus, r.Status)
				assert.True(t, r.AfterGiveUp)
				assert.Equal(t, lab.MaxScoreAfterGiveUp, r.ScoreCap)
				require.NotNil(t, r.BestScore)
				assert.Equal(t, tt.wantBest, *r.BestScore)
				o := rowOf(rows, other)
				assert.False(t, o.AfterGiveUp)
				assert.Equal(t, lab.MaxScore, o.ScoreCap)
			}
			for _, cmd := range []string{"list", "progress"} {
				code, out, _ := run(t, cmd)
				require.Equal(t, 0, code)
				for _, want := range tt.wantText {
					assert.Contains(t, out, want, cmd)
				}
				assert.Contains(t, out, "After a give-up, an incident scores at most 50", cmd)
			}
		})
	}
}

// The investigation in progress -o json counts what the replay shows, and
// names where the evidence was only once the attempt is over.
func TestInvestigationOf(t *testing.T) {
	page := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	entries := []replay.Entry{
		{Source: replay.SourceLab, Command: "crashlab start"},
		{Source: replay.SourceKubectl, Command: "kubectl get pods"},
		{Source: replay.SourceKubectl, Command: "kubectl logs x --previous"},
		{Source: replay.SourceClient, Command: "PATCH deployments/x", Write: true},
		{Source: replay.SourceLab, Command: "crashlab check"},
	}
	summary := replay.Summary{
		Steps:        []replay.StepResult{{Taken: true}, {Taken: false}, {Taken: true}},
		EvidenceSeen: true, EvidenceAfter: 95 * time.Second, EvidenceEntry: 2, WritesBefore: []int{3},
	}
	tests := []struct {
		name     string
		revealed bool
	}{
		{name: "open attempt", revealed: false},
		{name: "ended attempt", revealed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lab.Replay{Scenario: ordersID, Page: page, Timeline: replay.Timeline{Page: page, Entries: entries}, Summary: summary, Revealed: tt.revealed}
			got := investigationOf(r)
			assert.Equal(t, 2, got.Looks)
			assert.Equal(t, 1, got.Writes)
			assert.Equal(t, 2, got.LabCommands)
			assert.Equal(t, 1, got.WritesBeforeDiagnosis)
			assert.Equal(t, "crashlab replay "+ordersID, got.Command)
			b, err := json.Marshal(got)
			require.NoError(t, err)
			if !tt.revealed {
				for _, key := range []string{"evidenceSeen", "evidenceAfterSeconds", "stepsTaken", "steps"} {
					assert.NotContains(t, string(b), `"`+key+`"`, "an open attempt is not told where the evidence is")
				}
				return
			}
			require.NotNil(t, got.EvidenceSeen)
			assert.True(t, *got.EvidenceSeen)
			require.NotNil(t, got.EvidenceAfterSeconds)
			assert.InDelta(t, 95, *got.EvidenceAfterSeconds, 0.001)
			assert.Equal(t, 2, *got.StepsTaken)
			assert.Equal(t, 3, *got.Steps)
		})
	}
}
