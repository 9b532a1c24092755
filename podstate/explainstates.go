package podstate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The states a crash loop does not cover: a pod that ran once and failed,
// one no node takes, one whose probes keep it out of service, and one whose
// volumes cannot be mounted. Each names what is wrong from the objects, and
// ends its Next with the command that shows it.

// failed explains a pod whose containers ended for good: a Job's pod with
// restartPolicy Never, or a bare pod that ran once.
func (x *explainer) failed(c *ContainerFacts) {
	r, ns := x.r, x.pod.Namespace
	t := c.Last
	r.Container = c.Name
	r.LastReason, r.LastExitCode = t.Reason, &t.ExitCode
	what := exitCause(c, containerSpec(x.pod, c.Name), t)
	who := "container " + c.Name
	if c.Init {
		who = "init container " + c.Name + " (so the app's containers never started)"
	}
	policy := x.pf.RestartPolicy
	if policy == "" {
		policy = string(corev1.RestartPolicyAlways)
	}
	r.Cause = fmt.Sprintf("%s failed and the pod is over: restartPolicy %s does not run it again in this pod. It failed because %s", who, policy, what)
	x.termination(c, statusKind(c))
	if x.pod.Status.Message != "" {
		x.add("status.message", "%s", x.pod.Status.Message)
	}
	x.events("Failed")
	if job := x.jobContext(); job != "" {
		r.Cause += ". " + upperFirst(job)
	}
	r.Next = append(r.Next, x.describe)
	if c.PreviousLog != "" {
		r.Next = append(r.Next, fmt.Sprintf("kubectl -n %s logs %s -c %s   # the failed run's own output", ns, x.pod.Name, c.Name))
	}
}

// jobContext says what a container's failure means for the pod's owner: a
// Job counts it toward its backoffLimit; nothing recreates a bare pod. It
// adds the Job's counts to the evidence and `get job` to Next.
func (x *explainer) jobContext() string {
	pf, ns := x.pf, x.pod.Namespace
	name, isJob := strings.CutPrefix(pf.Owner, KindJob+"/")
	switch {
	case pf.Owner == "" && x.r.Family == FamilyFailed:
		return "nothing creates a bare pod again: after the fix, delete it and create it anew"
	case !isJob:
		return ""
	}
	x.r.Next = append(x.r.Next, fmt.Sprintf("kubectl -n %s get job %s   # its STATUS and COMPLETIONS: whether it tries again or gave up", ns, name))
	j := pf.Job
	if j == nil {
		return fmt.Sprintf("the pod belongs to Job %s, which could not be read", name)
	}
	x.add("job "+name, "backoffLimit=%d failed=%d active=%d succeeded=%d%s", j.BackoffLimit, j.Failed, j.Active, j.Succeeded, condText(j))
	switch {
	case j.FailedReason != "":
		return fmt.Sprintf("Job %s has given up (%s: %s): %d of its pods failed and its backoffLimit is %d, so it starts no new pod; after the fix, delete the Job and create it again", name, j.FailedReason, j.FailedMessage, j.Failed, j.BackoffLimit)
	case pf.RestartPolicy == string(corev1.RestartPolicyOnFailure):
		return fmt.Sprintf("Job %s uses restartPolicy OnFailure: the kubelet restarts the container in this pod, and the Job counts each failure toward its backoffLimit of %d; at the limit the Job fails and deletes its pods", name, j.BackoffLimit)
	}
	return fmt.Sprintf("Job %s counts the pod as failed (%d so far) and starts a new pod each time, until more than backoffLimit (%d) have failed; then the Job itself fails", name, j.Failed, j.BackoffLimit)
}

func condText(j *JobFacts) string {
	if j.FailedReason == "" {
		return ""
	}
	return fmt.Sprintf(" Failed=%s (%s)", j.FailedReason, j.FailedMessage)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pending explains a pod no node takes, with what it asks and no node
// offers when the nodes could be read, and the scheduler's own words.
func (x *explainer) pending() {
	r, pf := x.r, x.pf
	r.Unmet = pf.Unmet
	x.add("status.conditions[PodScheduled]", "%s", pf.Unschedulable)
	x.events("FailedScheduling")
	if len(pf.Unmet) == 0 {
		r.Cause = "no node can run the pod, so it was never scheduled: the scheduler says " + quoted(pf.Unschedulable)
		r.Next = []string{"kubectl get nodes -o wide   # then compare the pod's requests, nodeSelector, affinity and tolerations with what the nodes offer", x.describe}
		return
	}
	var named []string
	next := []string{x.describe}
	for _, u := range pf.Unmet {
		named = append(named, unmetText(u))
		for _, cmd := range unmetCommands(u, x.pod.Namespace) {
			if !slices.Contains(next, cmd) {
				next = append(next, cmd)
			}
		}
	}
	r.Cause = "no node can run the pod, so it was never scheduled: " + strings.Join(named, "; ")
	r.Next = next
}

func unmetText(u Unmet) string {
	switch u.Kind {
	case "nodeSelector":
		return fmt.Sprintf("its nodeSelector asks for %s, and %s", u.Name, u.Why)
	case "nodeAffinity":
		return fmt.Sprintf("its required node affinity asks for %s, and %s", u.Name, u.Why)
	case "taint":
		return fmt.Sprintf("taint %s keeps it off: %s", u.Name, u.Why)
	case "resource":
		return fmt.Sprintf("not enough %s: %s", u.Name, u.Why)
	}
	return u.Why
}

// unmetCommands are the commands that show one unmet need; the last shows
// its evidence.
func unmetCommands(u Unmet, ns string) []string {
	switch u.Kind {
	case "nodeSelector", "nodeAffinity":
		return []string{fmt.Sprintf("kubectl get nodes -L %s   # each node's value of the label the pod asks for (empty: the node lacks it)", strings.Join(u.Labels, ","))}
	case "taint":
		return []string{"kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints   # then add a toleration, or use a node without the taint"}
	case "resource":
		return []string{fmt.Sprintf("kubectl describe node %s   # Allocatable, and under Allocated resources what its pods already request", u.Node)}
	case "claim":
		return []string{"kubectl get storageclass", fmt.Sprintf("kubectl -n %s describe pvc %s   # its Status, StorageClass and events", ns, u.Name)}
	case "missingClaim":
		return []string{fmt.Sprintf("kubectl -n %s get pvc   # the claims that exist: %s is not one of them", ns, u.Name)}
	}
	return nil
}

// notReady explains a pod whose containers run but that is not Ready: the
// probe that fails, with the kubelet's own failure message.
func (x *explainer) notReady() {
	r, ns := x.r, x.pod.Namespace
	r.Next = []string{x.describe}
	var c *ContainerFacts
	for i := range x.pf.Containers {
		if cc := &x.pf.Containers[i]; !cc.Init && cc.Running && !cc.Ready {
			c = cc
			break
		}
	}
	if c == nil {
		x.events("~readiness probe", "~startup probe")
		return
	}
	spec := containerSpec(x.pod, c.Name)
	// A startup probe runs first; the readiness probe only once it passed.
	kind := "readiness"
	if !c.Started && spec != nil && spec.StartupProbe != nil {
		kind = "startup"
	}
	msg := probeFailure(x.f.Events, c.Name, kind)
	if msg == "" {
		for _, k := range []string{"startup", "readiness"} {
			if m := probeFailure(x.f.Events, c.Name, k); m != "" {
				kind, msg = k, m
				break
			}
		}
	}
	probe := probeOf(spec, kind)
	if probe == nil && msg == "" {
		x.events("~readiness probe", "~startup probe")
		return
	}
	r.Container = c.Name
	what := kind + " probe"
	if probe != nil {
		what += " (" + probeText(probe) + ")"
		x.add(fmt.Sprintf("spec.containers[%s].%sProbe", c.Name, kind), "%s, every %ds, failureThreshold %d", probeText(probe), probeDefault(probe.PeriodSeconds, 10), probeDefault(probe.FailureThreshold, 3))
	}
	switch {
	case msg == "":
		r.Cause = fmt.Sprintf("container %s runs, but its %s has not passed yet, and no failure is in the events (they expire, or the first check is still to come)", c.Name, what)
	case kind == "startup":
		threshold := int32(3)
		if probe != nil {
			threshold = probeDefault(probe.FailureThreshold, 3)
		}
		r.Cause = fmt.Sprintf("container %s runs, but its %s fails: %s. Until it passes, the pod is not Ready and the other probes wait; after %d failures in a row the kubelet kills the container and starts it again", c.Name, what, quoted(msg), threshold)
	default:
		r.Cause = fmt.Sprintf("container %s runs, but its %s fails: %s. A pod that is not Ready gets no traffic from its Services; the kubelet does not restart it for that", c.Name, what, quoted(msg))
	}
	x.events("Unhealthy")
	if msg == "" {
		return
	}
	r.Next = append(r.Next, fmt.Sprintf("kubectl -n %s get events --field-selector involvedObject.name=%s,reason=Unhealthy   # each probe failure, as the kubelet reports it", ns, x.pod.Name))
}

// probeFailure is the last "<Kind> probe failed: ..." event about the
// container, as the kubelet words it (reason Unhealthy).
func probeFailure(events []EventFact, container, kind string) string {
	msg := ""
	for _, e := range events {
		if e.Reason == "Unhealthy" && (e.Container == "" || e.Container == container) && strings.HasPrefix(strings.ToLower(e.Message), kind+" probe") {
			msg = e.Message
		}
	}
	return msg
}

func probeOf(spec *corev1.Container, kind string) *corev1.Probe {
	switch {
	case spec == nil:
		return nil
	case kind == "startup":
		return spec.StartupProbe
	case kind == "liveness":
		return spec.LivenessProbe
	}
	return spec.ReadinessProbe
}

// probeText is a probe's check in one line: what it calls, and where.
func probeText(p *corev1.Probe) string {
	switch h := p.ProbeHandler; {
	case h.HTTPGet != nil:
		return fmt.Sprintf("httpGet %s on port %s", orString(h.HTTPGet.Path, "/"), h.HTTPGet.Port.String())
	case h.TCPSocket != nil:
		return "tcpSocket on port " + h.TCPSocket.Port.String()
	case h.Exec != nil:
		return "exec " + strings.Join(h.Exec.Command, " ")
	case h.GRPC != nil:
		return fmt.Sprintf("grpc on port %d", h.GRPC.Port)
	}
	return "no handler"
}

func probeDefault(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// missingConfig explains a pod stuck in ContainerCreating because a volume
// names a ConfigMap, Secret or key that does not exist.
func (x *explainer) missingConfig() {
	r, ns := x.r, x.pod.Namespace
	r.MissingConfig = x.pf.MissingConfig
	var parts []string
	next := []string{x.describe}
	for _, m := range x.pf.MissingConfig {
		var cmd string
		if m.Key == "" {
			parts = append(parts, fmt.Sprintf("volume %q needs %s %s, which does not exist in namespace %s", m.Volume, m.Kind, m.Name, ns))
			cmd = fmt.Sprintf("kubectl -n %s get %s %s   # NotFound: create it, or fix the name in the pod's volumes", ns, strings.ToLower(m.Kind), m.Name)
		} else {
			has := "has no keys"
			if len(m.Has) > 0 {
				has = "has only " + strings.Join(m.Has, ", ")
			}
			parts = append(parts, fmt.Sprintf("volume %q lists key %s of %s %s in its items, and %s %s", m.Volume, m.Key, m.Kind, m.Name, m.Name, has))
			cmd = fmt.Sprintf("kubectl -n %s describe %s %s   # the keys it has", ns, strings.ToLower(m.Kind), m.Name)
		}
		if !slices.Contains(next, cmd) {
			next = append(next, cmd)
		}
	}
	r.Cause = "the kubelet cannot mount the pod's volumes, so its containers are never created (ContainerCreating): " + strings.Join(parts, "; ")
	x.events("FailedMount")
	r.Next = next
}
