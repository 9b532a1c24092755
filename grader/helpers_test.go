package grader

import (
	"github.com/crashlab/crashlab/internal/podtest"
	"testing"

	"github.com/crashlab/crashlab/podstate"
)

var target = podstate.Target{Namespace: testNS, Kind: "Deployment", Name: "web", Container: "app"}

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

// liveOpts returns opt wired to signal the simulated kubelet on each look
// of the live judge.
func liveOpts(s *sim, opt LiveOptions) LiveOptions {
	s.SignalOnEval()
	opt.evaluated = s.Evaluated
	return opt
}

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

func checkByName(t *testing.T, checks []CheckResult, name string) CheckResult {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, checks)
	return CheckResult{}
}

func checkNames(checks []CheckResult) []string {
	var out []string
	for _, c := range checks {
		out = append(out, c.Name)
	}
	return out
}
