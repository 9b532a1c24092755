package app

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/drill"
	"github.com/crashlab/crashlab/internal/syncbuf"
)

func drillQuestions(t *testing.T, seed uint64, count int) []drill.Question {
	t.Helper()
	b, err := content.Drill()
	require.NoError(t, err)
	return drill.Pick(drill.Pool(b), seed, count)
}

type drillJSON struct {
	Seed    uint64 `json:"seed"`
	Score   int    `json:"score"`
	Total   int    `json:"total"`
	Results []struct {
		Question struct {
			ID string `json:"id"`
		} `json:"question"`
		Right bool `json:"right"`
	} `json:"results"`
}

func TestDrillWithASeedIsTheSameEveryTime(t *testing.T) {
	args := []string{"-o", "json", "drill", "--seed", "11", "--count", "5", "--answers", "a,b,c,d,a"}
	code, first, _ := run(t, args...)
	require.Equal(t, 0, code)
	code, second, _ := run(t, args...)
	require.Equal(t, 0, code)
	assert.JSONEq(t, first, second)
	var res drillJSON
	require.NoError(t, json.Unmarshal([]byte(first), &res))
	assert.Equal(t, uint64(11), res.Seed)
	assert.Equal(t, 5, res.Total)
	want := drillQuestions(t, 11, 5)
	for i, r := range res.Results {
		assert.Equal(t, want[i].ID, r.Question.ID)
	}
}

func TestDrillScoresTheAnswers(t *testing.T) {
	qs := drillQuestions(t, 5, 4)
	answers := []string{drill.Letter(qs[0].Right), drill.Letter(qs[1].Right), drill.Letter((qs[2].Right + 1) % len(qs[2].Choices))}
	// The fourth is typed when it can be, else its letter.
	if qs[3].Free() {
		answers = append(answers, qs[3].Forms[qs[3].Right][0])
	} else {
		answers = append(answers, drill.Letter(qs[3].Right))
	}
	code, out, _ := run(t, "drill", "--seed", "5", "--count", "4", "--answers", strings.Join(answers, ","))
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Score: 3/4 (75%)")
	assert.Contains(t, out, "`crashlab drill --seed 5` asks the same questions again")
	assert.Equal(t, 3, strings.Count(out, "\nRight.\n"), out)
	assert.Contains(t, out, "Not quite. The answer: "+drill.Letter(qs[2].Right)+")")
	for _, q := range qs {
		assert.Contains(t, out, q.Prompt)
		if q.Runtime != "" {
			assert.Contains(t, out, "Runtime: "+q.Runtime, "the runtime is stated where runtimes differ")
		}
	}
	assert.NotContains(t, out, "\x1b", "no escape codes without a terminal")
}

func TestDrillWithoutATerminalNamesTheFlag(t *testing.T) {
	code, _, stderr := run(t, "drill", "--seed", "1")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--answers")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
}

func TestDrillAsksWithAListAndTimesOutAQuestion(t *testing.T) {
	qs := drillQuestions(t, 9, 3)
	// The first question is answered right from the list, the second gets
	// no key in time, the third is answered wrong.
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncbuf.Buffer{}
	d := &driller{p: newPrompter(Streams{In: pr, Out: out}), out: out, seed: 9, perQuestion: time.Second}
	go func() {
		_, _ = pw.Write([]byte(strings.Repeat(keyDown, qs[0].Right) + keyEnter))
		// No key for the second question: its time runs out. The keys for
		// the third are typed once it is asked.
		for !strings.Contains(out.String(), "Question 3 of 3") {
			time.Sleep(10 * time.Millisecond)
		}
		wrong := (qs[2].Right + 1) % len(qs[2].Choices)
		_, _ = pw.Write([]byte(strings.Repeat(keyDown, wrong) + keyEnter))
	}()
	results, err := d.ask(context.Background(), qs)
	require.NoError(t, err)
	require.Len(t, results, 3)
	assert.True(t, results[0].Right)
	assert.True(t, results[1].TimedOut)
	assert.False(t, results[1].Right)
	assert.False(t, results[2].Right)
	assert.False(t, results[2].TimedOut)
	d.score(results)
	assert.Contains(t, out.String(), "Time's up.")
	assert.Contains(t, out.String(), "Score: 1/3 (33%), 1 out of time")
	assert.NotContains(t, out.String(), "\a")
}

func TestDrillTypedAnswers(t *testing.T) {
	var free drill.Question
	for _, q := range drillQuestions(t, 3, 0) {
		if q.Free() {
			free = q
			break
		}
	}
	require.NotEmpty(t, free.ID)
	typed := free.Forms[free.Right][0]
	out := &syncbuf.Buffer{}
	d := &driller{p: newPrompter(Streams{In: strings.NewReader(typed + keyEnter), Out: out}), out: out, perQuestion: 5 * time.Second, typed: true}
	results, err := d.ask(context.Background(), []drill.Question{free})
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.True(t, results[0].Right, "typed %q", typed)
	for _, c := range free.Choices {
		assert.NotContains(t, out.String(), "  a) "+c, "free recall: the choices are not shown")
	}
}

func TestDrillCtrlCStopsWithTheScoreSoFar(t *testing.T) {
	qs := drillQuestions(t, 2, 3)
	out := &syncbuf.Buffer{}
	d := &driller{p: newPrompter(Streams{In: strings.NewReader(strings.Repeat(keyDown, qs[0].Right) + keyEnter + keyCtrlC), Out: out}), out: out, perQuestion: 5 * time.Second}
	results, err := d.ask(context.Background(), qs)
	require.ErrorIs(t, err, errPromptInterrupted)
	require.Len(t, results, 1)
	assert.True(t, results[0].Right)
}
