package drill

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/content"
)

func pool(t *testing.T) []Question {
	t.Helper()
	b, err := content.Drill()
	require.NoError(t, err)
	p := Pool(b)
	require.NotEmpty(t, p)
	return p
}

func TestTheSameSeedAsksTheSameQuestions(t *testing.T) {
	p := pool(t)
	a, b := Pick(p, 42, 8), Pick(p, 42, 8)
	require.Len(t, a, 8)
	assert.Equal(t, a, b)
	c := Pick(p, 43, 8)
	assert.NotEqual(t, a, c, "another seed, other questions or another order")
}

func TestEveryQuestionHasOneRightChoiceAmongFour(t *testing.T) {
	p := pool(t)
	ids := map[string]bool{}
	for _, q := range Pick(p, 7, 0) {
		assert.False(t, ids[q.ID], "question %s is asked once", q.ID)
		ids[q.ID] = true
		require.GreaterOrEqual(t, len(q.Choices), 3, q.ID)
		assert.LessOrEqual(t, len(q.Choices), 4, q.ID)
		require.Less(t, q.Right, len(q.Choices), q.ID)
		assert.Len(t, q.Forms, len(q.Choices), q.ID)
		seen := map[string]bool{}
		for _, c := range q.Choices {
			assert.False(t, seen[c], "%s: choice %q twice", q.ID, c)
			seen[c] = true
		}
		assert.NotEmpty(t, q.Source, q.ID)
		assert.True(t, q.Choose(q.Right))
		right, chose := q.Judge(Letter(q.Right))
		assert.True(t, right, q.ID)
		assert.Equal(t, q.Right, chose)
	}
	assert.Len(t, ids, len(p), "count 0 asks everything")
}

// Where runtimes differ the question names the runtime; the generated
// exit-code questions never offer two codes that both fit on some runtime.
func TestRuntimesAreStatedWhereTheyDiffer(t *testing.T) {
	byID := map[string]Question{}
	for _, q := range pool(t) {
		byID[q.ID] = q
	}
	for _, id := range []string{"exit-128-means", "exit-128-which", "exit-255-means", "exit-255-which", "never-started"} {
		q, ok := byID[id]
		require.True(t, ok, id)
		assert.Contains(t, q.Runtime, "containerd 2.x", id)
	}
	assert.Contains(t, byID["exit-255-which"].Runtime, "containerd 1.6 with runc 1.1 is documented to report 1")
	assert.NotContains(t, byID["exit-255-which"].Choices, "1", "1 also fits an exec format error on containerd 1.6")
	assert.NotContains(t, byID["exit-1-which"].Choices, "255")
	assert.Contains(t, byID["liveness-exit"].Choices[0], "137 when SIGTERM is ignored")
	assert.Contains(t, byID["liveness-exit"].Choices[0], "143 when it exits on SIGTERM")
	assert.True(t, strings.HasPrefix(byID["exit-137-means"].Source, "observed on kind v0.33.0, Kubernetes v1.34.4, containerd 2.3.4"))
}

func TestTypedAnswers(t *testing.T) {
	q := Question{
		Choices: []string{"143", "137", "128", "1"},
		Forms:   [][]string{{"143"}, {"137"}, {"128"}, {"1"}},
		Right:   1,
	}
	for answer, want := range map[string]bool{
		"137": true, " 137 ": true, "`137`": true, "b": true, "B": true,
		"1370": false, "143": false, "a": false, "137 or 143": false, "": false, "z": false,
	} {
		got, _ := q.Judge(answer)
		assert.Equal(t, want, got, "%q", answer)
	}

	cmd := Question{
		Choices: []string{"kubectl describe pod <pod>", "kubectl logs <pod> --previous"},
		Forms:   [][]string{{"describe pod"}, {"logs --previous", "logs -p"}},
		Right:   1,
	}
	for answer, want := range map[string]bool{
		"kubectl logs orders-api-7d4f --previous": true,
		"kubectl logs -p orders-api-7d4f":         true,
		"kubectl logs <pod> --previous":           true,
		"kubectl logs orders-api-7d4f":            false,
		"kubectl describe pod x":                  false,
	} {
		got, _ := cmd.Judge(answer)
		assert.Equal(t, want, got, "%q", answer)
	}

	reason := Question{Choices: []string{"Error", "StartError"}, Forms: [][]string{{"Error"}, {"StartError"}}, Right: 1}
	got, chose := reason.Judge("StartError")
	assert.True(t, got)
	assert.Equal(t, 1, chose, `"error" is not a word of "starterror"`)
}

func TestScore(t *testing.T) {
	right, total := Score([]Result{{Right: true}, {Right: false, TimedOut: true}, {Right: true}})
	assert.Equal(t, 2, right)
	assert.Equal(t, 3, total)
}
