package podstate

import (
	"github.com/crashlab/crashlab/internal/podtest"
)

var target = Target{Namespace: testNS, Kind: "Deployment", Name: "web", Container: "app"}

// The objects both podstate's and grader's tests run against.
const (
	testNS        = podtest.Namespace
	revAnnotation = podtest.RevisionAnnotation
	depUID        = podtest.DeploymentUID
)

var t0 = podtest.T0

type (
	podOpt      = podtest.PodOpt
	sim         = podtest.Sim
	watchSignal = podtest.WatchSignal
)

var (
	int32p        = podtest.Int32p
	newDeployment = podtest.NewDeployment
	owner         = podtest.Owner
	newReplicaSet = podtest.NewReplicaSet
	newPod        = podtest.NewPod
	setReady      = podtest.SetReady
	ready         = podtest.Ready
	notReady      = podtest.NotReady
	waiting       = podtest.Waiting
	restarts      = podtest.Restarts
	lastTerm      = podtest.LastTerm
	onNode        = podtest.OnNode
	crashLooping  = podtest.CrashLooping

	newRolloutFixture = podtest.NewRolloutFixture

	// The simulated cluster and kubelet both packages' tests drive.
	newSim      = podtest.NewSim
	liveCluster = podtest.LiveCluster
	curPod      = podtest.CurPod
	onWatch     = podtest.OnWatch
	podNamesOf  = podtest.PodNames
)

// missingKeyFacts looks like the missing-secret-key incident on container app,
// plus an OOM-killed sidecar so that container filtering matters.
func missingKeyFacts() Facts {
	return Facts{
		Namespace: testNS, Workload: "Deployment/web", Found: true,
		Pods: []PodFacts{{
			Name: "web-a", NodeArch: "arm64",
			Containers: []ContainerFacts{
				{
					Name: "app", RestartCount: 3,
					WaitingReason: "CrashLoopBackOff", WaitingMessage: "back-off 20s restarting failed container=app",
					Last:              &Termination{Reason: "Error", ExitCode: 1, Message: "Config Check Failed", StartedAt: t0, FinishedAt: t0.Add(1)},
					PreviousLog:       "fatal: DATABASE_URL is not set",
					MissingSecretKeys: []string{"DATABASE_URL"},
				},
				{
					Name: "sidecar",
					Last: &Termination{Reason: "OOMKilled", ExitCode: 137, StartedAt: t0, FinishedAt: t0.Add(1)},
				},
			},
		}},
		Events: []EventFact{{Pod: "web-a", Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container app"}},
	}
}
