package podstate

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Target is the workload a scenario deployed.
type Target struct {
	Namespace string
	Kind      string // Deployment
	Name      string
	Container string // the container the scenario is about
}

// Facts is what the lab sees, as plain data. Everything that reads pod status
// (diagnosis, fix checks, status) reads it from here.
type Facts struct {
	Namespace  string      `json:"namespace"`
	Workload   string      `json:"workload"`
	Found      bool        `json:"found"`
	Pods       []PodFacts  `json:"pods"`
	Events     []EventFact `json:"events,omitempty"`
	NodeArch   string      `json:"nodeArch,omitempty"`
	ObservedAt time.Time   `json:"observedAt"`
}

// PodFacts describes one pod of the workload's current ReplicaSet.
type PodFacts struct {
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Ready    bool   `json:"ready"`
	Node     string `json:"node,omitempty"`
	NodeArch string `json:"nodeArch,omitempty"`
	// Reason is the pod's own status reason (Evicted, ...), not a container's.
	Reason string `json:"reason,omitempty"`
	// Unschedulable is the scheduler's message while the pod waits for a
	// node (PodScheduled=False), empty once it is bound.
	Unschedulable string `json:"unschedulable,omitempty"`
	// Containers holds the init containers first (Init set), then the app's.
	Containers []ContainerFacts `json:"containers"`
	// RestartPolicy and Owner ("Job/name", "" for a bare pod) say what
	// happens after a container ends: run again, or counted by a Job.
	RestartPolicy string `json:"restartPolicy,omitempty"`
	Owner         string `json:"owner,omitempty"`
	// Job is the Job that owns the pod, when it was read.
	Job *JobFacts `json:"job,omitempty"`
	// Unmet names what the pod asks for that no node offers, while it
	// waits for a node; empty when the nodes could not be read.
	Unmet []Unmet `json:"unmet,omitempty"`
	// MissingConfig lists the ConfigMaps, Secrets and keys the pod's
	// volumes name that do not exist: the kubelet cannot mount them.
	MissingConfig []MissingConfig `json:"missingConfig,omitempty"`
}

// JobFacts is the Job a pod belongs to: how many of its pods failed and
// how many failures it allows before it gives up.
type JobFacts struct {
	Name         string `json:"name"`
	BackoffLimit int32  `json:"backoffLimit"`
	Failed       int32  `json:"failed"`
	Succeeded    int32  `json:"succeeded"`
	Active       int32  `json:"active"`
	// FailedReason and FailedMessage are its Failed condition's, once it
	// has given up (BackoffLimitExceeded, DeadlineExceeded).
	FailedReason  string `json:"failedReason,omitempty"`
	FailedMessage string `json:"failedMessage,omitempty"`
}

// Unmet is one thing a pod that waits for a node asks for and the cluster
// does not offer.
type Unmet struct {
	// Kind is nodeSelector, nodeAffinity, taint, resource, claim (unbound)
	// or missingClaim.
	Kind string `json:"kind"`
	// Name is what the pod asks: "disktype=ssd", "cpu", a claim's name.
	Name string `json:"name"`
	// Why says what the cluster has instead.
	Why string `json:"why"`
	// Short is, for a resource, how much the closest node lacks.
	Short string `json:"short,omitempty"`
	// Node is the node Short is measured on.
	Node string `json:"node,omitempty"`
	// Labels are the node label keys a selector or affinity term asks for.
	Labels []string `json:"labels,omitempty"`
}

// MissingConfig is a ConfigMap or Secret a volume names (Key empty), or a
// key of its items, that does not exist.
type MissingConfig struct {
	Volume string `json:"volume"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Key    string `json:"key,omitempty"`
	// Has lists the keys the object has, when a key is missing.
	Has []string `json:"has,omitempty"`
}

// ContainerFacts is one container's state, last termination and previous log.
type ContainerFacts struct {
	Name string `json:"name"`
	// Init marks an init container (a native sidecar is one too).
	Init    bool   `json:"init,omitempty"`
	Image   string `json:"image"`
	Ready   bool   `json:"ready"`
	Running bool   `json:"running"`
	// Started is false until the startup probe (if any) has passed.
	Started bool `json:"started"`
	// RunningSince is when the current run started (zero when not running).
	RunningSince   time.Time    `json:"runningSince,omitempty"`
	RestartCount   int32        `json:"restartCount"`
	WaitingReason  string       `json:"waitingReason,omitempty"`
	WaitingMessage string       `json:"waitingMessage,omitempty"`
	Last           *Termination `json:"lastTermination,omitempty"`
	PreviousLog    string       `json:"previousLog,omitempty"`
	// MissingSecretKeys lists env variables whose secretKeyRef names a key (or a
	// Secret) that does not exist.
	MissingSecretKeys []string `json:"missingSecretKeys,omitempty"`
}

// Termination is a container's last terminated state. StartedAt is the zero
// time for a StartError: the process never ran.
type Termination struct {
	Reason     string    `json:"reason"`
	ExitCode   int32     `json:"exitCode"`
	Signal     int32     `json:"signal,omitempty"`
	Message    string    `json:"message,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// NodeTrouble is set when the message shows the node's own trouble (the
	// runtime could not set up the container's cgroup, the disk is full), not
	// the incident's: such a termination is shown, but is never evidence.
	NodeTrouble string `json:"nodeTrouble,omitempty"`
}

// nodeTroubleSigns are runtime messages that come from the node, whatever the
// workload: seen on a loaded cgroup v1 node, a StartError/128 "error setting
// cgroup config for procHooks process: unable to freeze".
var nodeTroubleSigns = []struct{ text, means string }{
	{"error setting cgroup config", "the runtime could not set up the container's cgroup (node under load)"},
	{"unable to freeze", "the runtime could not freeze the container's cgroup (node under load)"},
	{"no space left on device", "the node's disk is full"},
	{"resource temporarily unavailable", "the node ran out of a kernel resource (threads, PIDs)"},
	{"context deadline exceeded", "the runtime did not answer the kubelet in time (node under load)"},
}

func NodeTrouble(message string) string {
	m := strings.ToLower(message)
	for _, s := range nodeTroubleSigns {
		if strings.Contains(m, s.text) {
			return s.means
		}
	}
	return ""
}

// IncidentLast is the last termination when it tells about the workload, nil
// when there is none or it came from the node's own trouble.
func (c ContainerFacts) IncidentLast() *Termination {
	if c.Last == nil || c.Last.NodeTrouble != "" {
		return nil
	}
	return c.Last
}

// EventFact is one event about a pod of the workload.
type EventFact struct {
	Pod string `json:"pod"`
	// Container is the container the event is about ("" for the pod).
	Container string `json:"container,omitempty"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
	Count     int32  `json:"count"`
}

// LogReader fetches a container's previous log; the fake clientset cannot serve
// logs, so tests substitute it.
type LogReader func(ctx context.Context, namespace, pod, container string) (string, error)

// KubeLogs reads `logs --previous` through the API.
func KubeLogs(c kubernetes.Interface) LogReader { return kubeLogs(c, true) }

// KubeCurrentLogs reads `logs` (the current instance) through the API.
func KubeCurrentLogs(c kubernetes.Interface) LogReader { return kubeLogs(c, false) }

func kubeLogs(c kubernetes.Interface, previous bool) LogReader {
	return func(ctx context.Context, ns, pod, container string) (string, error) {
		tail := int64(40)
		rc, err := c.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &tail}).Stream(ctx)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, 16<<10))
		// When the previous container's log is gone the kubelet answers 200
		// with this sentence as the body; it is not the app's output.
		if strings.HasPrefix(string(b), "unable to retrieve container logs for ") {
			return "", fmt.Errorf("no previous log: %s", strings.TrimSpace(string(b)))
		}
		return string(b), err
	}
}

// Observer reads facts from one cluster.
type Observer struct {
	Client kubernetes.Interface
	Logs   LogReader
	// CurrentLogs reads the log of a container that has ended and not yet
	// been restarted: its state is Terminated, so that instance is the
	// current one, and `--previous` names the one before it, which the
	// kubelet has usually removed already ("unable to retrieve container
	// logs", seen on the lab node between an exit and the back-off). Nil:
	// Logs is used.
	CurrentLogs LogReader
}

// NewObserver reads logs through the same client.
func NewObserver(c kubernetes.Interface) *Observer {
	return &Observer{Client: c, Logs: KubeLogs(c), CurrentLogs: KubeCurrentLogs(c)}
}

// Observe reads the facts of the target's current pods, from one Read.
func (o *Observer) Observe(ctx context.Context, t Target) (Facts, error) {
	s, err := Read(ctx, o.Client, t, nil)
	if err != nil {
		return Facts{Namespace: t.Namespace, Workload: t.Kind + "/" + t.Name, ObservedAt: time.Now()}, err
	}
	return o.FactsOf(ctx, s), nil
}

// FactsOf turns a snapshot into facts: per current pod and container its
// state, last termination and previous log, and the events about those pods.
// Only the previous logs are read here; everything else comes from the
// snapshot.
func (o *Observer) FactsOf(ctx context.Context, s *State) Facts {
	t := s.Target
	f := Facts{Namespace: t.Namespace, Workload: t.Kind + "/" + t.Name, ObservedAt: time.Now(), Found: s.WorkloadFound()}
	if !f.Found {
		return f
	}
	nodeArch := map[string]string{}
	for _, n := range s.Nodes {
		nodeArch[n.Name] = n.Status.NodeInfo.Architecture
	}
	for _, p := range s.Current {
		pf := PodFacts{Name: p.Name, Phase: string(p.Status.Phase), Ready: PodReady(&p), Node: p.Spec.NodeName, NodeArch: nodeArch[p.Spec.NodeName]}
		if f.NodeArch == "" {
			f.NodeArch = pf.NodeArch
		}
		pf.Reason = p.Status.Reason
		pf.Unschedulable = unschedulable(&p)
		pf.RestartPolicy = string(p.Spec.RestartPolicy)
		pf.Owner, pf.Job = ownerOf(&p, s.Jobs)
		if s.ForPod {
			if pf.Unschedulable != "" {
				pf.Unmet = unmetOf(&p, s)
			}
			pf.MissingConfig = missingConfig(&p, s)
		}
		for _, spec := range p.Spec.InitContainers {
			pf.Containers = append(pf.Containers, o.containerFacts(ctx, &p, spec, true, s))
		}
		for _, spec := range p.Spec.Containers {
			pf.Containers = append(pf.Containers, o.containerFacts(ctx, &p, spec, false, s))
		}
		f.Pods = append(f.Pods, pf)
	}
	names := map[string]bool{}
	for _, p := range s.Current {
		names[p.Name] = true
	}
	for _, e := range s.Events {
		if e.InvolvedObject.Kind == "Pod" && names[e.InvolvedObject.Name] {
			f.Events = append(f.Events, EventFact{Pod: e.InvolvedObject.Name, Container: fieldContainer(e.InvolvedObject.FieldPath), Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count})
		}
	}
	return f
}

// containerFacts reads one container's status and, once it has ended at
// least once, its previous log.
func (o *Observer) containerFacts(ctx context.Context, p *corev1.Pod, spec corev1.Container, init bool, s *State) ContainerFacts {
	cf := ContainerFacts{Name: spec.Name, Init: init, Image: spec.Image, MissingSecretKeys: missingSecretKeys(spec, s.Secrets, s.Unread)}
	st := containerStatus(p, spec.Name)
	if st == nil {
		return cf
	}
	cf.Ready, cf.RestartCount = st.Ready, st.RestartCount
	cf.Started = st.Started != nil && *st.Started
	cf.Running = st.State.Running != nil
	if r := st.State.Running; r != nil {
		cf.RunningSince = r.StartedAt.Time
	}
	if w := st.State.Waiting; w != nil {
		cf.WaitingReason, cf.WaitingMessage = w.Reason, w.Message
	}
	if lt := LastTermination(st); lt != nil {
		cf.Last = termination(lt)
	}
	read := o.Logs
	if st.State.Terminated != nil && o.CurrentLogs != nil {
		read = o.CurrentLogs
	}
	if cf.Last != nil && read != nil {
		if log, err := read(ctx, p.Namespace, p.Name, spec.Name); err == nil {
			cf.PreviousLog = log
		}
	}
	return cf
}

// unschedulable is the scheduler's reason a pod has no node yet.
func unschedulable(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return ""
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			if c.Message != "" {
				return c.Message
			}
			return c.Reason
		}
	}
	return ""
}

// termination copies a terminated state. A process that never ran (StartError)
// has started_at 0 in the CRI, which the kubelet reports as the Unix epoch, not
// as an empty time; both mean "never started" here.
func termination(t *corev1.ContainerStateTerminated) *Termination {
	started := t.StartedAt.Time
	if !started.After(time.Unix(0, 0)) {
		started = time.Time{}
	}
	return &Termination{Reason: t.Reason, ExitCode: t.ExitCode, Signal: t.Signal, Message: t.Message, StartedAt: started, FinishedAt: t.FinishedAt.Time, NodeTrouble: NodeTrouble(t.Message)}
}

// CurrentPods returns the target's current pods (see currentPods). A
// missing workload is a NotFound error.
func CurrentPods(ctx context.Context, c kubernetes.Interface, t Target) ([]corev1.Pod, error) {
	pods, _, _, err := workloadPods(ctx, c, t)
	return pods, err
}

// CurrentReplicaSet finds the ReplicaSet of the Deployment's current revision.
func CurrentReplicaSet(ctx context.Context, c kubernetes.Interface, d *appsv1.Deployment) (*appsv1.ReplicaSet, error) {
	list, err := c.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: metav1.FormatLabelSelector(d.Spec.Selector)})
	if err != nil {
		return nil, fmt.Errorf("list replicasets in %s: %w", d.Namespace, err)
	}
	return currentReplicaSetOf(d, list.Items), nil
}

func OwnedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// PodReady is the pod's Ready condition.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func containerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// missingSecretKeys lists env variables whose secretKeyRef names a Secret or
// a key that does not exist (by the kubelet's rule, the last entry of a name).
// A Secret that could not be read is unknown, not missing.
func missingSecretKeys(spec corev1.Container, secrets map[string]*corev1.Secret, unread map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for i := len(spec.Env) - 1; i >= 0; i-- {
		e := spec.Env[i]
		if seen[e.Name] {
			continue
		}
		seen[e.Name] = true
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		s := secrets[ref.Name]
		if s == nil && unread["Secret/"+ref.Name] {
			continue
		}
		if s == nil {
			out = append(out, e.Name)
			continue
		}
		if _, ok := s.Data[ref.Key]; !ok {
			if _, ok := s.StringData[ref.Key]; !ok {
				out = append(out, e.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Containers returns the named container of every pod (all containers if name is "").
func (f Facts) Containers(name string) []ContainerFacts {
	var out []ContainerFacts
	for _, p := range f.Pods {
		for _, c := range p.Containers {
			if name == "" || c.Name == name {
				out = append(out, c)
			}
		}
	}
	return out
}

// Summary is one line per pod, as `status` prints it.
func (p PodFacts) Summary() string {
	var parts []string
	for _, c := range p.Containers {
		s := fmt.Sprintf("%s: restarts=%d", c.Name, c.RestartCount)
		if c.WaitingReason != "" {
			s += " waiting=" + c.WaitingReason
		}
		if c.Last != nil {
			s += fmt.Sprintf(" last=%s/%d", c.Last.Reason, c.Last.ExitCode)
			if c.Last.NodeTrouble != "" {
				s += " (node trouble, not the incident: " + c.Last.NodeTrouble + ")"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
