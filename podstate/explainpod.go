package podstate

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// PodReport is `crashlab explain POD`: what the pod's own status and events
// say, with the cause named (not the waiting reason repeated) and quoted
// evidence, for any pod the user may read.
type PodReport struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Phase     string `json:"phase"`
	Family    string `json:"family"`
	Healthy   bool   `json:"healthy"`
	// Container is the container the cause is about ("" for a pod-wide one).
	Container string `json:"container,omitempty"`
	Cause     string `json:"cause"`
	// LastExitCode and LastReason are the last termination of Container.
	LastExitCode *int32   `json:"lastExitCode,omitempty"`
	LastReason   string   `json:"lastReason,omitempty"`
	Evidence     []Quote  `json:"evidence"`
	Next         []string `json:"next"`
	Restarts     int32    `json:"restarts"`
	// BackOff is the delay the kubelet now waits, from its own message.
	BackOff string `json:"backOff,omitempty"`
	// Unreadable lists what the user may not read (and so was not used).
	Unreadable []string `json:"unreadable,omitempty"`
	// Unmet is what a pod that waits for a node asks and no node offers.
	Unmet []Unmet `json:"unmet,omitempty"`
	// MissingConfig is what a pod's volumes name and the namespace lacks.
	MissingConfig []MissingConfig `json:"missingConfig,omitempty"`
}

// Quote is one piece of evidence: where it was read and what it says.
type Quote struct {
	Source string `json:"source"`
	Text   string `json:"text"`
}

var backOffDelay = regexp.MustCompile(`back-off (\S+) restarting`)

// ExplainPod names the cause of a pod's trouble from its facts (one pod),
// its spec, and the events about it. Every report's Next ends with the
// command that shows the evidence the cause rests on.
func ExplainPod(f Facts, pod *corev1.Pod) PodReport {
	r := PodReport{Namespace: pod.Namespace, Pod: pod.Name, Phase: string(pod.Status.Phase)}
	if len(f.Pods) == 0 {
		r.Family, r.Cause = familyUnknownFallback, "the pod has no status yet"
		r.Next = []string{fmt.Sprintf("kubectl -n %s get pod %s -o yaml", pod.Namespace, pod.Name)}
		return r
	}
	pf := f.Pods[0]
	r.Family = pf.Family()
	for _, c := range pf.Containers {
		r.Restarts += c.RestartCount
	}
	x := &explainer{r: &r, f: f, pf: pf, pod: pod, quoted: map[string]bool{},
		describe: fmt.Sprintf("kubectl -n %s describe pod %s", pod.Namespace, pod.Name)}
	x.explain()
	return r
}

// explainer builds one report: the cause, the quoted evidence, and the
// commands to run next.
type explainer struct {
	r        *PodReport
	f        Facts
	pf       PodFacts
	pod      *corev1.Pod
	quoted   map[string]bool
	describe string
}

func (x *explainer) add(source, format string, a ...any) {
	x.r.Evidence = append(x.r.Evidence, Quote{Source: source, Text: fmt.Sprintf(format, a...)})
}

// events quotes up to four distinct events whose reason is one of match, or
// whose message contains a match written "~text".
func (x *explainer) events(match ...string) {
	for _, e := range x.f.Events {
		if x.quoted[e.Message] || len(x.quoted) >= 4 {
			continue
		}
		for _, m := range match {
			if e.Reason == m || (strings.HasPrefix(m, "~") && strings.Contains(strings.ToLower(e.Message), m[1:])) {
				count := ""
				if e.Count > 1 {
					count = fmt.Sprintf(" (x%d)", e.Count)
				}
				x.add("event "+e.Reason+count, "%s", e.Message)
				x.quoted[e.Message] = true
				break
			}
		}
	}
}

func (x *explainer) explain() {
	r, pf, pod, ns := x.r, x.pf, x.pod, x.pod.Namespace
	switch r.Family {
	case FamilyPending:
		x.pending()
		return
	case FamilyEvicted, FamilyFailed:
		if c := failedContainer(pf); c != nil && r.Family == FamilyFailed {
			x.failed(c)
			return
		}
		r.Cause = "the pod failed as a whole: " + quoted(pod.Status.Message)
		if r.Family == FamilyEvicted {
			r.Cause = "the kubelet evicted the pod: " + quoted(pod.Status.Message)
		} else if pod.Status.Reason != "" {
			r.Cause = fmt.Sprintf("the kubelet on the node refused to run the pod (%s): %s", pod.Status.Reason, quoted(pod.Status.Message))
		}
		x.add("status.reason", "%s: %s", pod.Status.Reason, pod.Status.Message)
		r.Next = []string{"kubectl describe node " + pod.Spec.NodeName, x.describe}
		return
	case FamilyCompleted:
		r.Healthy = true
		r.Cause = "the pod ran to completion (every container exited 0); nothing to fix"
		r.Next = []string{fmt.Sprintf("kubectl -n %s get pod %s", ns, pod.Name)}
		return
	}

	c := troubled(pf)
	if c == nil {
		r.Healthy = r.Family == FamilyHealthy
		r.Cause = healthyCause(pf, r.Family)
		r.Next = []string{fmt.Sprintf("kubectl -n %s get pod %s", ns, pod.Name)}
		switch r.Family {
		case FamilyNotReady:
			x.notReady()
		case FamilyStarting:
			if len(pf.MissingConfig) > 0 {
				x.missingConfig()
				break
			}
			for _, c := range pf.Containers {
				if c.WaitingReason != "" {
					x.add(fmt.Sprintf("status.containerStatuses[%s].state.waiting", c.Name), "%s", c.WaitingReason)
				}
			}
			x.events("Pulling", "Pulled", "Created", "FailedMount")
			r.Next = []string{x.describe + "   # again in a few seconds: it has not started or failed yet"}
		}
		if r.Restarts > 0 {
			for _, c := range pf.Containers {
				if c.Last != nil {
					r.Container = c.Name
					r.LastReason, r.LastExitCode = c.Last.Reason, &c.Last.ExitCode
					x.add(fmt.Sprintf("status.containerStatuses[%s].lastState.terminated", c.Name), "reason=%s exitCode=%d", c.Last.Reason, c.Last.ExitCode)
				}
			}
		}
		return
	}
	r.Container = c.Name
	kind := statusKind(c)
	if c.WaitingReason != "" {
		msg := c.WaitingReason
		if c.WaitingMessage != "" {
			msg += ": " + c.WaitingMessage
		}
		x.add(fmt.Sprintf("status.%s[%s].state.waiting", kind, c.Name), "%s", msg)
	}
	spec := containerSpec(pod, c.Name)
	switch r.Family {
	case FamilyImagePull:
		r.Cause = fmt.Sprintf("the node cannot pull image %s, so the container never started (the tag or name is wrong, the registry is unreachable, or it needs credentials)", c.Image)
		x.events("Failed", "~pull")
		r.Next = []string{fmt.Sprintf("kubectl -n %s get pod %s -o jsonpath='{.spec.containers[*].image}'   # compare with the tags your registry holds", ns, pod.Name), x.describe}
	case FamilyImageNeverPull:
		r.Cause = fmt.Sprintf("imagePullPolicy is Never and image %s is not on the node, so the kubelet will not even try to pull it", c.Image)
		x.events("ErrImageNeverPull", "~never")
		r.Next = []string{"load the image onto the node, or use an image it holds (or a pull policy that may pull)", x.describe}
	case FamilyConfigError:
		r.Cause = "the kubelet cannot build the container's environment or files: " + quoted(c.WaitingMessage)
		if len(c.MissingSecretKeys) > 0 {
			x.add("spec.containers["+c.Name+"].env", "secretKeyRef of %s names a Secret or key that does not exist", strings.Join(c.MissingSecretKeys, ", "))
		}
		x.events("Failed")
		r.Next = []string{x.describe, fmt.Sprintf("kubectl -n %s get configmaps,secrets   # the name or key the message gives must exist", ns)}
	case FamilyRunError:
		r.Cause = "the runtime could not create or start the container process: " + quoted(runtimeDetail(c.WaitingMessage))
		// A container that ran before and now fails to start again may be a
		// runtime hiccup on a loaded node (runc's "unable to freeze" was seen
		// so): its last run is evidence of its own.
		if t := c.Last; t != nil {
			r.Cause += fmt.Sprintf("; it ran before, and its last run ended with exit %d (%s)", t.ExitCode, t.Reason)
			x.termination(c, kind)
		}
		x.events("Failed")
		r.Next = []string{x.describe}
	default:
		r.Cause = crashCause(c, spec, x.f.Events, r)
		if m := backOffDelay.FindStringSubmatch(c.WaitingMessage); m != nil {
			r.BackOff = m[1]
		}
		x.termination(c, kind)
		x.events("Killing", "Unhealthy", "BackOff")
		r.Next = []string{fmt.Sprintf("kubectl -n %s logs %s -c %s --previous", ns, pod.Name, c.Name)}
		if job := x.jobContext(); job != "" {
			r.Cause += "; " + job
		}
		r.Next = append(r.Next, x.describe)
	}
}

// termination quotes a container's last end: reason, exit code, message and
// the last lines of its log.
func (x *explainer) termination(c *ContainerFacts, kind string) {
	if t := c.Last; t != nil {
		state := "lastState"
		if !c.Running && c.WaitingReason == "" {
			state = "state"
		}
		x.add(fmt.Sprintf("status.%s[%s].%s.terminated", kind, c.Name, state), "reason=%s exitCode=%d%s", t.Reason, t.ExitCode, startedText(t))
		if t.Message != "" {
			x.add(fmt.Sprintf("status.%s[%s].%s.terminated.message", kind, c.Name, state), "%s", strings.TrimSpace(t.Message))
		}
	}
	if tail := lastLines(c.PreviousLog, 3); tail != "" {
		source := "logs --previous -c " + c.Name
		if !c.Running && c.WaitingReason == "" {
			source = "logs -c " + c.Name
		}
		x.add(source, "%s", tail)
	}
}

func statusKind(c *ContainerFacts) string {
	if c.Init {
		return "initContainerStatuses"
	}
	return "containerStatuses"
}

// troubled is the container that decides the pod's family: the first stuck
// one, init containers first, or else the first that has restarted.
func troubled(pf PodFacts) *ContainerFacts {
	for i := range pf.Containers {
		if pf.Containers[i].Family() != "" {
			return &pf.Containers[i]
		}
	}
	return nil
}

func healthyCause(pf PodFacts, family string) string {
	switch family {
	case FamilyHealthy:
		restarts := int32(0)
		for _, c := range pf.Containers {
			restarts += c.RestartCount
		}
		if restarts > 0 {
			return fmt.Sprintf("the pod is healthy now: every container runs and is ready (it restarted %d times before; the last termination is below)", restarts)
		}
		return "the pod is healthy: every container runs and is ready"
	case FamilyNotReady:
		return "the containers run but the pod is not Ready: a readiness (or startup) probe does not pass yet"
	case FamilyStarting:
		return "the pod is starting: it has a node and its containers are being created"
	}
	return "the pod is in phase " + pf.Phase
}

// crashCause names why the container keeps ending, from its last
// termination, its previous log and the events: the cause, not the status.
func crashCause(c *ContainerFacts, spec *corev1.Container, events []EventFact, r *PodReport) string {
	t := c.IncidentLast()
	if t == nil {
		if c.Last != nil && c.Last.NodeTrouble != "" {
			return "the last start failed because of the node, not the app: " + c.Last.NodeTrouble
		}
		return "the container is waiting to be restarted; it has not ended yet in a way the kubelet recorded"
	}
	r.LastReason, r.LastExitCode = t.Reason, &t.ExitCode
	probeKill := ""
	for _, e := range events {
		m := strings.ToLower(e.Message)
		if strings.Contains(m, "failed liveness probe") || strings.Contains(m, "failed startup probe") {
			probeKill = "liveness"
			if strings.Contains(m, "startup") {
				probeKill = "startup"
			}
		}
	}
	switch {
	case t.Reason != "OOMKilled" && probeKill != "":
		return fmt.Sprintf("the kubelet kills the container because its %s probe fails (exit %d after the stop signal); the app itself did not crash", probeKill, t.ExitCode)
	case t.ExitCode == 0 && !neverRan(t):
		return "the process exits successfully (exit 0), and with restartPolicy Always the kubelet starts it again and again: a one-shot task in a long-running workload"
	}
	return exitCause(c, spec, t)
}

// neverRan is a termination whose process was never started.
func neverRan(t *Termination) bool {
	return t.StartedAt.IsZero() || t.Reason == "StartError" || t.Reason == "ContainerCannotRun"
}

// exitCause says what one end of a container means, from its reason, exit
// code, message and log: the same for a crash loop and a task that ran once.
func exitCause(c *ContainerFacts, spec *corev1.Container, t *Termination) string {
	msg := strings.ToLower(t.Message)
	switch {
	case t.Reason == "OOMKilled":
		limit := "its memory limit"
		if spec != nil {
			if l, ok := spec.Resources.Limits[corev1.ResourceMemory]; ok {
				limit = "its memory limit (" + l.String() + ")"
			}
		}
		return fmt.Sprintf("the kernel killed the process for using more memory than %s: OOMKilled, exit %d (128+9, SIGKILL)", limit, t.ExitCode)
	case neverRan(t):
		what := "the runtime could not start the process"
		switch {
		case strings.Contains(msg, "exec format error"):
			what = "the binary is built for another CPU architecture than the node's (exec format error)"
		case strings.Contains(msg, "permission denied"):
			what = "the entrypoint exists but may not be executed (permission denied)"
		case strings.Contains(msg, "no such file") || strings.Contains(msg, "not found"):
			what = "the entrypoint or command does not exist in the image"
		}
		return fmt.Sprintf("%s: %s, exit %d; the process never ran, so there is no log", what, t.Reason, t.ExitCode)
	case t.ExitCode == 139:
		return "the process died of a segmentation fault (exit 139 = 128+11, SIGSEGV): native code read or wrote invalid memory"
	case t.ExitCode == 137:
		return "the process was killed with SIGKILL (exit 137 = 128+9) but not by the OOM killer: a stop that outlasted the grace period, or a kill from outside"
	case t.ExitCode == 143:
		return "the process ended on SIGTERM (exit 143 = 128+15): something asked it to stop"
	case t.ExitCode == 127:
		return "a command was not found (exit 127), usually in a shell wrapper"
	case t.ExitCode == 126:
		return "a command could not be executed (exit 126, permission denied), usually in a shell wrapper"
	}
	why := ""
	if line := lastLines(c.PreviousLog, 1); line != "" {
		why = ": its last log line is " + quoted(line)
	}
	if len(c.MissingSecretKeys) > 0 {
		why += fmt.Sprintf("; env %s refers to a Secret key that does not exist", strings.Join(c.MissingSecretKeys, ", "))
	}
	return fmt.Sprintf("the app exits with an error of its own (exit %d)%s", t.ExitCode, why)
}

// runtimeDetail keeps the part of a runtime error that names the problem:
// what runc says after the layers of "failed to create ..." around it.
func runtimeDetail(msg string) string {
	for _, marker := range []string{"error during container init: ", "unable to start container process: "} {
		if i := strings.LastIndex(msg, marker); i >= 0 {
			return msg[i+len(marker):]
		}
	}
	return msg
}

func startedText(t *Termination) string {
	if t.StartedAt.IsZero() {
		return " (never started)"
	}
	return fmt.Sprintf(" (ran %s)", t.FinishedAt.Sub(t.StartedAt).Round(100_000_000))
}

func containerSpec(p *corev1.Pod, name string) *corev1.Container {
	return ContainerOf(&p.Spec, name)
}

func quoted(s string) string {
	return "\"" + strings.TrimSpace(s) + "\""
}

// lastLines is the last n non-empty lines of a log.
func lastLines(log string, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
