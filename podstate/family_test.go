package podstate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFamilyOfAPod(t *testing.T) {
	tests := []struct {
		name string
		pod  PodFacts
		want string
	}{
		{"crash loop", PodFacts{Phase: "Running", Node: "n", Containers: []ContainerFacts{{Name: "app", WaitingReason: "CrashLoopBackOff"}}}, FamilyCrashLoop},
		{"pull retried", PodFacts{Phase: "Pending", Node: "n", Containers: []ContainerFacts{{Name: "app", WaitingReason: "ErrImagePull"}}}, FamilyImagePull},
		{"config error", PodFacts{Phase: "Pending", Node: "n", Containers: []ContainerFacts{{Name: "app", WaitingReason: "CreateContainerConfigError"}}}, FamilyConfigError},
		{"init container decides before the app", PodFacts{Phase: "Pending", Node: "n", Containers: []ContainerFacts{
			{Name: "wait", Init: true, WaitingReason: "CrashLoopBackOff"}, {Name: "app", WaitingReason: "PodInitializing"}}}, FamilyCrashLoop},
		{"unscheduled", PodFacts{Phase: "Pending", Unschedulable: "0/1 nodes are available: 1 Insufficient memory."}, FamilyPending},
		{"ready", PodFacts{Phase: "Running", Node: "n", Ready: true, Containers: []ContainerFacts{{Name: "app", Running: true, Ready: true}}}, FamilyHealthy},
		{"running, not ready", PodFacts{Phase: "Running", Node: "n", Containers: []ContainerFacts{{Name: "app", Running: true}}}, FamilyNotReady},
		{"evicted", PodFacts{Phase: "Failed", Reason: "Evicted"}, FamilyEvicted},
		{"job pod done", PodFacts{Phase: "Succeeded", Node: "n"}, FamilyCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.pod.Family())
		})
	}
}

func TestWorkloadFamilyPrefersTheStuckPods(t *testing.T) {
	healthy := PodFacts{Phase: "Running", Node: "n", Ready: true}
	crashing := PodFacts{Phase: "Running", Node: "n", Containers: []ContainerFacts{{Name: "app", WaitingReason: "CrashLoopBackOff"}}}
	assert.Equal(t, FamilyCrashLoop, Facts{Pods: []PodFacts{healthy, crashing}}.Family(), "a tie goes to the trouble")
	assert.Equal(t, FamilyCrashLoop, Facts{Pods: []PodFacts{crashing, healthy}}.Family())
	assert.Equal(t, FamilyHealthy, Facts{Pods: []PodFacts{healthy, healthy, crashing}}.Family())
}

func TestFamilyOfAFirstExit(t *testing.T) {
	first := PodFacts{Phase: "Running", Node: "n", Containers: []ContainerFacts{{Name: "app", Last: &Termination{Reason: "Error", ExitCode: 255}}}}
	assert.Equal(t, FamilyCrashLoop, first.Family(), "ended once, about to be restarted")
	failed := PodFacts{Phase: "Failed", Node: "n", Containers: []ContainerFacts{{Name: "app", Last: &Termination{Reason: "Error", ExitCode: 1}}}}
	assert.Equal(t, FamilyFailed, failed.Family(), "a pod that will not restart is not a loop")
}

func TestARecoveredContainerIsHealthyOnceItHasRunAWhile(t *testing.T) {
	last := &Termination{Reason: "Error", ExitCode: 139, FinishedAt: time.Now().Add(-40 * time.Second)}
	recovered := PodFacts{Phase: "Running", Node: "n", Ready: true, Containers: []ContainerFacts{{Name: "app", Ready: true, Running: true, RestartCount: 3, Last: last, RunningSince: time.Now().Add(-30 * time.Second)}}}
	assert.Equal(t, FamilyHealthy, recovered.Family())
	task := PodFacts{Phase: "Running", Node: "n", Ready: true, Containers: []ContainerFacts{{Name: "app", Ready: true, Running: true, RestartCount: 3, Last: last, RunningSince: time.Now().Add(-time.Second)}}}
	assert.Equal(t, FamilyCrashLoop, task.Family(), "ready for a second between exits")
}

func TestFamiliesALearnerMayHaveSeen(t *testing.T) {
	neverRan := Facts{Pods: []PodFacts{{Phase: "Running", Node: "n", Containers: []ContainerFacts{{Name: "app", RestartCount: 3, WaitingReason: "RunContainerError",
		Last: &Termination{Reason: "StartError", ExitCode: 128}}}}}}
	assert.ElementsMatch(t, []string{FamilyRunError, FamilyRunError, FamilyCrashLoop}, neverRan.Families())
	helperLoops := Facts{Pods: []PodFacts{{Phase: "Running", Node: "n", Containers: []ContainerFacts{
		{Name: "app", Running: true, Ready: true}, {Name: "warm", RestartCount: 2, Last: &Termination{Reason: "Completed", StartedAt: time.Now().Add(-3 * time.Second), FinishedAt: time.Now()}}}}}}
	assert.ElementsMatch(t, []string{FamilyCrashLoop, FamilyNotReady}, helperLoops.Families())
}

func TestNodeTroubleIsNotACrashLoop(t *testing.T) {
	cut := &Termination{Reason: "StartError", ExitCode: 128, NodeTrouble: "the runtime could not set up the container's cgroup (node under load)", FinishedAt: time.Now()}
	p := PodFacts{Phase: "Running", Node: "n", Ready: true, Containers: []ContainerFacts{{Name: "app", Ready: true, Running: true, RestartCount: 1, Last: cut, RunningSince: time.Now()}}}
	assert.Equal(t, FamilyHealthy, p.Family())
}
