package grader

import (
	"testing"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// missingKeyFacts looks like the missing-secret-key incident on container app,
// plus an OOM-killed sidecar so that container filtering matters.
func missingKeyFacts() podstate.Facts {
	return podstate.Facts{
		Namespace: testNS, Workload: "Deployment/web", Found: true,
		Pods: []podstate.PodFacts{{
			Name: "web-a", NodeArch: "arm64",
			Containers: []podstate.ContainerFacts{
				{
					Name: "app", RestartCount: 3,
					WaitingReason: "CrashLoopBackOff", WaitingMessage: "back-off 20s restarting failed container=app",
					Last:              &podstate.Termination{Reason: "Error", ExitCode: 1, Message: "Config Check Failed", StartedAt: t0, FinishedAt: t0.Add(1)},
					PreviousLog:       "fatal: DATABASE_URL is not set",
					MissingSecretKeys: []string{"DATABASE_URL"},
				},
				{
					Name: "sidecar",
					Last: &podstate.Termination{Reason: "OOMKilled", ExitCode: 137, StartedAt: t0, FinishedAt: t0.Add(1)},
				},
			},
		}},
		Events: []podstate.EventFact{{Pod: "web-a", Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container app"}},
	}
}

func TestQuestionValidate(t *testing.T) {
	twoChoices := []Choice{{ID: "a", Evidence: []string{"missingSecretKey"}}, {ID: "b", Evidence: []string{"lastReason=OOMKilled"}}}
	tests := []struct {
		name    string
		q       Question
		wantErr string // "" means valid
	}{
		{name: "fact question", q: Question{ID: "q", Prompt: "p", Fact: FactLastReason}},
		{name: "every known fact", q: Question{ID: "q", Prompt: "p", Fact: FactNodeArch}},
		{name: "choice question", q: Question{ID: "q", Prompt: "p", Choices: twoChoices}},
		{name: "missing id", q: Question{Prompt: "p", Fact: FactLastReason}, wantErr: "id"},
		{name: "missing prompt", q: Question{ID: "q", Fact: FactLastReason}, wantErr: "prompt"},
		{name: "fact and choices", q: Question{ID: "q", Prompt: "p", Fact: FactLastReason, Choices: twoChoices}, wantErr: "not both"},
		{name: "unknown fact", q: Question{ID: "q", Prompt: "p", Fact: "lastColour"}, wantErr: "lastColour"},
		{name: "neither fact nor choices", q: Question{ID: "q", Prompt: "p"}, wantErr: "at least two choices"},
		{name: "a single choice", q: Question{ID: "q", Prompt: "p", Choices: twoChoices[:1]}, wantErr: "at least two choices"},
		{name: "choice without id", q: Question{ID: "q", Prompt: "p", Choices: []Choice{twoChoices[0], {Evidence: []string{"missingSecretKey"}}}}, wantErr: "id and evidence"},
		{name: "choice without evidence", q: Question{ID: "q", Prompt: "p", Choices: []Choice{twoChoices[0], {ID: "c"}}}, wantErr: "id and evidence"},
		{name: "choice with unknown evidence", q: Question{ID: "q", Prompt: "p", Choices: []Choice{twoChoices[0], {ID: "c", Evidence: []string{"lastReasn=Error"}}}}, wantErr: "choice c"},
		{name: "choice with non-numeric exit code", q: Question{ID: "q", Prompt: "p", Choices: []Choice{twoChoices[0], {ID: "c", Evidence: []string{"lastExitCode=x"}}}}, wantErr: "number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	for _, fact := range []string{FactLastReason, FactLastExitCode, FactWaitingReason, FactNodeArch} {
		assert.NoError(t, Question{ID: "q", Prompt: "p", Fact: fact}.Validate(), fact)
	}
}

var diagnosisQuestions = []Question{
	{ID: "last-reason", Prompt: "p", Fact: FactLastReason},
	{ID: "exit-code", Prompt: "p", Fact: FactLastExitCode},
	{ID: "waiting", Prompt: "p", Fact: FactWaitingReason},
	{ID: "arch", Prompt: "p", Fact: FactNodeArch},
	{ID: "cause", Prompt: "p", Choices: []Choice{
		{ID: "missing-variable", Evidence: []string{"log~DATABASE_URL", "missingSecretKey"}},
		{ID: "out-of-memory", Evidence: []string{"lastReason=OOMKilled"}},
		{ID: "probe-kill", Evidence: []string{"event=Killing", "eventMessage~liveness probe"}},
	}},
}

func rightAnswers() map[string]string {
	return map[string]string{"last-reason": "Error", "exit-code": "1", "waiting": "CrashLoopBackOff", "arch": "arm64", "cause": "missing-variable"}
}

func TestJudgeDiagnosis(t *testing.T) {
	noTermination := missingKeyFacts()
	noTermination.Pods[0].Containers[0].Last = nil
	// Two pods of the workload flip: one shows Error/1, the other OOMKilled/137.
	flipping := missingKeyFacts()
	flipping.Pods = append(flipping.Pods, podstate.PodFacts{Name: "web-b", NodeArch: "amd64", Containers: []podstate.ContainerFacts{{
		Name: "app", WaitingReason: "ContainerCreating", Last: &podstate.Termination{Reason: "OOMKilled", ExitCode: 137},
	}}})

	with := func(changes map[string]string) map[string]string {
		a := rightAnswers()
		for k, v := range changes {
			if v == "<unset>" {
				delete(a, k)
			} else {
				a[k] = v
			}
		}
		return a
	}
	tests := []struct {
		name       string
		facts      podstate.Facts
		answers    map[string]string
		wantFailed []string // questions expected to fail; all others pass
		wantMsg    map[string]string
	}{
		{name: "all right", answers: rightAnswers()},
		{name: "fact answer compared case-insensitively", answers: with(map[string]string{"last-reason": "error", "waiting": "crashloopbackoff"})},
		{name: "surrounding whitespace ignored", answers: with(map[string]string{"exit-code": " 1 \n"})},
		{name: "choice id compared case-insensitively", answers: with(map[string]string{"cause": "Missing-Variable"})},
		{name: "wrong fact value", answers: with(map[string]string{"last-reason": "OOMKilled"}), wantFailed: []string{"last-reason"}, wantMsg: map[string]string{"last-reason": "OOMKilled is not what the pod shows"}},
		{name: "another container's value is not accepted", answers: with(map[string]string{"exit-code": "137"}), wantFailed: []string{"exit-code"}},
		{name: "wrong node arch", answers: with(map[string]string{"arch": "amd64"}), wantFailed: []string{"arch"}},
		{name: "fact with no value yet", facts: noTermination, answers: rightAnswers(), wantFailed: []string{"last-reason", "exit-code"}, wantMsg: map[string]string{"last-reason": "no value"}},
		{name: "flipping pods: first pod's value accepted", facts: flipping, answers: rightAnswers()},
		{name: "flipping pods: second pod's value accepted", facts: flipping, answers: with(map[string]string{"last-reason": "OOMKilled", "exit-code": "137", "waiting": "ContainerCreating", "arch": "amd64"})},
		{name: "flipping pods: a value no pod shows is wrong", facts: flipping, answers: with(map[string]string{"last-reason": "Completed", "exit-code": "0"}), wantFailed: []string{"last-reason", "exit-code"}},
		{name: "choice whose evidence does not hold", answers: with(map[string]string{"cause": "out-of-memory"}), wantFailed: []string{"cause"}, wantMsg: map[string]string{"cause": "lastReason=OOMKilled"}},
		{name: "choice whose second piece of evidence does not hold", answers: with(map[string]string{"cause": "probe-kill"}), wantFailed: []string{"cause"}, wantMsg: map[string]string{"cause": "event=Killing"}},
		{name: "unknown choice id lists the choices", answers: with(map[string]string{"cause": "gremlins"}), wantFailed: []string{"cause"}, wantMsg: map[string]string{"cause": "missing-variable, out-of-memory, probe-kill"}},
		{name: "unanswered question", answers: with(map[string]string{"cause": "<unset>"}), wantFailed: []string{"cause"}, wantMsg: map[string]string{"cause": "not answered"}},
		{name: "blank answer counts as unanswered", answers: with(map[string]string{"arch": "   "}), wantFailed: []string{"arch"}, wantMsg: map[string]string{"arch": "not answered"}},
		{name: "no answers at all", answers: nil, wantFailed: []string{"last-reason", "exit-code", "waiting", "arch", "cause"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			if f.Pods == nil {
				f = missingKeyFacts()
			}
			v := JudgeDiagnosis("missing-secret-key", "app", diagnosisQuestions, tt.answers, f)
			assert.Equal(t, "diagnosis", v.Kind)
			assert.Equal(t, "missing-secret-key", v.Scenario)
			require.Len(t, v.Checks, len(diagnosisQuestions), "one check per question")
			failed := map[string]bool{}
			for _, id := range tt.wantFailed {
				failed[id] = true
			}
			for i, c := range v.Checks {
				assert.Equal(t, diagnosisQuestions[i].ID, c.Name, "checks in question order")
				assert.Equal(t, !failed[c.Name], c.Passed, "question %s: %s", c.Name, c.Message)
				assert.NotEmpty(t, c.Message)
				if want, ok := tt.wantMsg[c.Name]; ok {
					assert.Contains(t, c.Message, want)
				}
			}
			assert.Equal(t, len(tt.wantFailed) == 0, v.Passed)
		})
	}
}

func TestJudgeDiagnosisWithoutPodsFailsWithOneWorkloadCheck(t *testing.T) {
	tests := []struct {
		name  string
		facts podstate.Facts
	}{
		{name: "workload not found", facts: podstate.Facts{Namespace: testNS, Workload: "Deployment/web"}},
		{name: "workload found but no pods", facts: podstate.Facts{Namespace: testNS, Workload: "Deployment/web", Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeDiagnosis("missing-secret-key", "app", diagnosisQuestions, rightAnswers(), tt.facts)
			assert.False(t, v.Passed)
			require.Len(t, v.Checks, 1)
			assert.Equal(t, "workload", v.Checks[0].Name)
			assert.False(t, v.Checks[0].Passed)
			assert.Contains(t, v.Checks[0].Message, "missing-secret-key is not running there")
			assert.Contains(t, v.Checks[0].Message, testNS)
		})
	}
}

func TestJudgeDiagnosisWithNoQuestionsDoesNotPass(t *testing.T) {
	v := JudgeDiagnosis("s", "app", nil, nil, missingKeyFacts())
	assert.False(t, v.Passed, "a verdict with no checks is not a pass")
	assert.Empty(t, v.Checks)
}

func TestJudgeDiagnosisFactQuestionWithUnknownFactFails(t *testing.T) {
	qs := []Question{{ID: "q", Prompt: "p", Fact: "lastColour"}}
	v := JudgeDiagnosis("s", "app", qs, map[string]string{"q": "blue"}, missingKeyFacts())
	assert.False(t, v.Passed)
	require.Len(t, v.Checks, 1)
	assert.Contains(t, v.Checks[0].Message, "lastColour")
}

func TestVerdictFinish(t *testing.T) {
	tests := []struct {
		name   string
		checks []bool
		want   bool
	}{
		{name: "no checks", want: false},
		{name: "all pass", checks: []bool{true, true}, want: true},
		{name: "one fails", checks: []bool{true, false, true}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Verdict{Passed: true}
			for _, c := range tt.checks {
				v.add("c", c, "m")
			}
			v.finish()
			assert.Equal(t, tt.want, v.Passed)
		})
	}
}

func TestPodWidePredicatesNeedNoContainer(t *testing.T) {
	f := podstate.Facts{Found: true, Pods: []podstate.PodFacts{{Phase: "Pending", Unschedulable: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}}}
	ok, missing := ChoiceHolds(f, "app", []string{"family=Pending", "unschedulable~node affinity/selector"})
	assert.True(t, ok, missing)
	ok, _ = ChoiceHolds(f, "app", []string{"family=Pending", "unschedulable~Insufficient memory"})
	assert.False(t, ok)
	vals, err := FactValues(f, "app", FactFamily)
	assert.NoError(t, err)
	assert.Equal(t, []string{podstate.FamilyPending}, vals)
}
