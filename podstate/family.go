package podstate

import "time"

// flappingWindow is how long a Ready container that has restarted must have
// been running before it counts as recovered: a task that exits 0 after two
// seconds is Ready for those two seconds of every loop. A fix that lets the
// container recover in place (a ConfigMap corrected) is past it by the time
// a check's stability window ends.
const flappingWindow = 15 * time.Second

// Status families: what `kubectl get pods` shows, grouped by where to look
// next. The first question on call is which of these a pod is in, because it
// says whether the container ever ran.
const (
	FamilyHealthy         = "Healthy"
	FamilyCompleted       = "Completed"
	FamilyCrashLoop       = "CrashLoopBackOff"
	FamilyImagePull       = "ImagePullBackOff"
	FamilyImageNeverPull  = "ErrImageNeverPull"
	FamilyConfigError     = "CreateContainerConfigError"
	FamilyRunError        = "RunContainerError"
	FamilyPending         = "Pending"
	FamilyStarting        = "Starting"
	FamilyNotReady        = "NotReady"
	FamilyEvicted         = "Evicted"
	FamilyFailed          = "Failed"
	familyUnknownFallback = "Unknown"
)

// Families lists every family a learner may name, in the order a triage
// page shows them.
var Families = []string{FamilyCrashLoop, FamilyImagePull, FamilyImageNeverPull, FamilyConfigError, FamilyRunError, FamilyPending, FamilyNotReady, FamilyHealthy}

// waitingFamilies maps the kubelet's waiting reasons to their family.
// ErrImagePull and ImagePullBackOff alternate while the kubelet retries a
// pull; CreateContainerError and RunContainerError are both the runtime
// refusing to create or start the process.
var waitingFamilies = map[string]string{
	"CrashLoopBackOff":           FamilyCrashLoop,
	"ImagePullBackOff":           FamilyImagePull,
	"ErrImagePull":               FamilyImagePull,
	"InvalidImageName":           FamilyImagePull,
	"ErrImageNeverPull":          FamilyImageNeverPull,
	"CreateContainerConfigError": FamilyConfigError,
	"CreateContainerError":       FamilyRunError,
	"RunContainerError":          FamilyRunError,
}

// Family is the pod's status family: the first container (init containers
// first, as the kubelet runs them) that is stuck decides it.
func (p PodFacts) Family() string {
	switch {
	case p.Reason == "Evicted":
		return FamilyEvicted
	case p.Unschedulable != "":
		return FamilyPending
	case p.Phase == "Succeeded":
		return FamilyCompleted
	case p.Phase == "Failed":
		// Every container has ended for good (restartPolicy Never or
		// OnFailure used up, or the kubelet rejected the pod): no loop.
		return FamilyFailed
	case p.RestartPolicy == "Never" && failedContainer(p) != nil:
		// The container has failed and nothing runs it again; the pod's
		// phase turns Failed a moment later.
		return FamilyFailed
	}
	for _, c := range p.Containers {
		if f := c.Family(); f != "" {
			return f
		}
	}
	switch {
	case p.Ready:
		return FamilyHealthy
	case p.Phase == "Pending" || p.Node == "":
		return FamilyStarting
	}
	return FamilyNotReady
}

// Family is the container's own family when it is stuck, "" otherwise.
func (c ContainerFacts) Family() string {
	if f, ok := waitingFamilies[c.WaitingReason]; ok {
		return f
	}
	// Between two back-offs a crash-looping container runs (or has just
	// ended) and shows no waiting reason; it has restarted and is not
	// Ready, or has been Ready only for a moment (a task that exits 0
	// after two seconds): still the same crash loop.
	// A run the node cut short (a cgroup it could not set up under load)
	// says nothing about the workload.
	if c.RestartCount > 0 && c.IncidentLast() != nil && (!c.Ready || (c.Running && time.Since(c.RunningSince) < flappingWindow)) {
		return FamilyCrashLoop
	}
	// The first exit, before the kubelet's first restart: the container
	// ran and ended, and a pod that is not Failed restarts it.
	if c.IncidentLast() != nil && !c.Running && !c.Ready && c.WaitingReason == "" && !c.Init {
		return FamilyCrashLoop
	}
	return ""
}

// Family is the workload's family: the one most of its current pods show,
// a stuck family winning a tie over a healthy one.
func (f Facts) Family() string {
	if len(f.Pods) == 0 {
		return familyUnknownFallback
	}
	count := map[string]int{}
	best := ""
	for _, p := range f.Pods {
		fam := p.Family()
		count[fam]++
		if best == "" || count[fam] > count[best] || (count[fam] == count[best] && best == FamilyHealthy) {
			best = fam
		}
	}
	return best
}

// Families are the families a learner may have seen on the workload's
// pods: each pod's own, both of a start that keeps failing, and NotReady for a pod of several containers that
// runs some but is not Ready, which is what `kubectl get pods` shows most of
// the time when one of them crash-loops (it shows CrashLoopBackOff only in
// the moments the kubelet waits).
func (f Facts) Families() []string {
	var out []string
	for _, p := range f.Pods {
		out = append(out, p.Family())
		running := 0
		for _, c := range p.Containers {
			if c.Running && !c.Init {
				running++
			}
		}
		if !p.Ready && running > 0 && len(p.Containers) > 1 {
			out = append(out, FamilyNotReady)
		}
		// A process that never starts (StartError) is retried at once and
		// then backed off: the waiting reason flips between
		// RunContainerError and CrashLoopBackOff, and both are right.
		for _, c := range p.Containers {
			if t := c.IncidentLast(); t != nil && t.StartedAt.IsZero() && c.RestartCount > 0 {
				out = append(out, FamilyRunError, FamilyCrashLoop)
				break
			}
		}
	}
	return out
}

// failedContainer is the container that made a Failed pod fail: the first
// (init containers first) that ended with an error or never started.
func failedContainer(pf PodFacts) *ContainerFacts {
	for i := range pf.Containers {
		c := &pf.Containers[i]
		if t := c.IncidentLast(); t != nil && !c.Running && (t.ExitCode != 0 || neverRan(t)) {
			return c
		}
	}
	return nil
}
