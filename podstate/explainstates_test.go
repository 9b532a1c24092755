package podstate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// The pods here are written the way other projects write them (a Job's
// migration in a shell, a bare pod, a PVC, affinity, probes): the states a
// lab incident does not make.

const statesNS = "shop"

// explainStates reads pod name of the clientset as `explain POD` does, with
// log as every container's log ("" when there is none), and checks that
// nothing was written.
func explainStates(t *testing.T, c *fake.Clientset, name, log string) PodReport {
	t.Helper()
	ctx := context.Background()
	s, unreadable, err := ReadPod(ctx, c, statesNS, name)
	require.NoError(t, err)
	o := &Observer{Client: c, Logs: func(context.Context, string, string, string) (string, error) {
		if log == "" {
			return "", errors.New("no log")
		}
		return log, nil
	}}
	r := ExplainPod(o.FactsOf(ctx, s), &s.Pods[0])
	r.Unreadable = unreadable
	for _, a := range c.Actions() {
		assert.Contains(t, []string{"get", "list"}, a.GetVerb(), "explain must never write: %v", a)
	}
	require.NotEmpty(t, r.Next, "%+v", r)
	return r
}

// lastNext is the command a report ends with: the one that shows the
// evidence.
func lastNext(t *testing.T, r PodReport) string {
	t.Helper()
	last := r.Next[len(r.Next)-1]
	assert.True(t, strings.HasPrefix(last, "kubectl "), "Next ends with a command: %q", last)
	return last
}

func evidenceText(r PodReport) string {
	var b strings.Builder
	for _, q := range r.Evidence {
		b.WriteString(q.Source + ": " + q.Text + "\n")
	}
	return b.String()
}

func statesPod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: statesNS, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyAlways, NodeName: "n1",
			Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36", Command: []string{"sh", "-c", "run"}}}}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func ownedByJob(job string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job, UID: types.UID("uid-job-" + job), Controller: &yes}}
	}
}

func restartPolicy(rp corev1.RestartPolicy) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Spec.RestartPolicy = rp }
}

// ended puts the container in a terminated state that is final: the pod
// failed (phase) and nothing runs the container again.
func ended(phase corev1.PodPhase, code int32, reason string, init bool) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		started := metav1.NewTime(time.Now().Add(-3 * time.Second))
		message := ""
		if reason == "StartError" {
			// As containerd words it for `command: ["sh", ...]` in an
			// image without sh on its PATH (seen on the lab's kind node).
			started = metav1.NewTime(time.Unix(0, 0))
			message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "sh": executable file not found in $PATH`
		}
		st := corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: reason, Message: message, StartedAt: started, FinishedAt: metav1.NewTime(time.Now())}}}
		p.Status.Phase = phase
		if init {
			p.Spec.InitContainers = []corev1.Container{{Name: "app", Image: "busybox:1.36"}}
			p.Spec.Containers = []corev1.Container{{Name: "main", Image: "busybox:1.36"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{st}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}}
			return
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{st}
	}
}

func job(name string, backoffLimit, failed, active int32, gaveUp bool) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: statesNS, UID: types.UID("uid-job-" + name)},
		Spec:   batchv1.JobSpec{BackoffLimit: &backoffLimit},
		Status: batchv1.JobStatus{Failed: failed, Active: active}}
	if gaveUp {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}
	}
	return j
}

func TestExplainFailedPods(t *testing.T) {
	const log = "connecting to db\nfatal: relation \"users\" does not exist"
	tests := []struct {
		name string
		pod  *corev1.Pod
		objs []runtime.Object
		log  string
		// wantCause are the specific things the cause must name.
		wantCause  []string
		wantFamily string
		wantCode   int32
		wantNext   []string
		wantLast   string
	}{
		{name: "Job with restartPolicy Never that gave up",
			pod:  statesPod("migrate-x1", ownedByJob("migrate"), restartPolicy(corev1.RestartPolicyNever), ended(corev1.PodFailed, 1, "Error", false)),
			objs: []runtime.Object{job("migrate", 2, 3, 0, true)}, log: log,
			wantCause:  []string{`relation "users" does not exist`, "exit 1", "migrate", "BackoffLimitExceeded", "backoffLimit is 2", "Never"},
			wantFamily: FamilyFailed, wantCode: 1, wantNext: []string{"get job migrate"}, wantLast: "logs migrate-x1 -c app"},
		{name: "Job with restartPolicy Never still retrying, read before the phase turns Failed",
			pod:  statesPod("migrate-x2", ownedByJob("migrate"), restartPolicy(corev1.RestartPolicyNever), ended(corev1.PodRunning, 3, "Error", false)),
			objs: []runtime.Object{job("migrate", 4, 1, 1, false)}, log: log,
			wantCause:  []string{"exit 3", "1 so far", "backoffLimit (4)"},
			wantFamily: FamilyFailed, wantCode: 3, wantNext: []string{"get job migrate"}, wantLast: "logs migrate-x2 -c app"},
		{name: "bare pod that ran once",
			pod:       statesPod("once", restartPolicy(corev1.RestartPolicyNever), ended(corev1.PodFailed, 2, "Error", false)),
			log:       "cannot open /data/input.csv",
			wantCause: []string{"/data/input.csv", "exit 2", "bare pod"}, wantFamily: FamilyFailed, wantCode: 2, wantLast: "logs once -c app"},
		{name: "init container of a bare pod",
			pod:       statesPod("init-fails", restartPolicy(corev1.RestartPolicyNever), ended(corev1.PodFailed, 1, "Error", true)),
			log:       "waiting for db: timeout",
			wantCause: []string{"init container app", "waiting for db: timeout"}, wantFamily: FamilyFailed, wantCode: 1, wantLast: "logs init-fails -c app"},
		{name: "command not in the image: no log, so describe shows the evidence",
			pod:       statesPod("nosh", restartPolicy(corev1.RestartPolicyNever), ended(corev1.PodFailed, 128, "StartError", false)),
			wantCause: []string{"does not exist in the image", "128"}, wantFamily: FamilyFailed, wantCode: 128, wantLast: "describe pod nosh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewSimpleClientset(append([]runtime.Object{tt.pod}, tt.objs...)...)
			r := explainStates(t, c, tt.pod.Name, tt.log)
			assert.Equal(t, tt.wantFamily, r.Family)
			assert.False(t, r.Healthy)
			for _, w := range tt.wantCause {
				assert.Contains(t, r.Cause, w)
			}
			assert.NotContains(t, r.Cause, `failed as a whole: ""`)
			require.NotNil(t, r.LastExitCode)
			assert.Equal(t, tt.wantCode, *r.LastExitCode)
			for _, w := range tt.wantNext {
				assert.Contains(t, strings.Join(r.Next, "\n"), w)
			}
			assert.Contains(t, lastNext(t, r), tt.wantLast)
			if tt.log != "" {
				assert.Contains(t, evidenceText(r), lastLines(tt.log, 1), "the log's last line is quoted")
			}
		})
	}
}

// A Job's pod with restartPolicy OnFailure is restarted in place: a crash
// loop, whose restarts the Job counts.
func TestExplainJobOnFailureCrashLoop(t *testing.T) {
	p := statesPod("report-7k", ownedByJob("report"), restartPolicy(corev1.RestartPolicyOnFailure), func(p *corev1.Pod) {
		p.Status = crashed("Error", 3, "")
	})
	c := fake.NewSimpleClientset(p, job("report", 6, 0, 1, false))
	r := explainStates(t, c, p.Name, "fetching report\nupstream returned 503")
	assert.Equal(t, FamilyCrashLoop, r.Family)
	assert.Contains(t, r.Cause, "upstream returned 503")
	assert.Contains(t, r.Cause, "OnFailure")
	assert.Contains(t, r.Cause, "backoffLimit of 6")
	assert.Contains(t, evidenceText(r), "backoffLimit=6")
	assert.Contains(t, strings.Join(r.Next, "\n"), "get job report")
	assert.Contains(t, lastNext(t, r), "describe pod report-7k")
}

func node(name string, labels map[string]string, cpu, memory string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory), corev1.ResourcePods: resource.MustParse("110")}}}
}

// unscheduled is a pod the scheduler has not placed, with its message.
func unscheduled(message string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := statesPod("web-0", mutate...)
	p.Spec.NodeName = ""
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: message}}}
	return p
}

func requests(cpu, memory string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		rl := corev1.ResourceList{}
		if cpu != "" {
			rl[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if memory != "" {
			rl[corev1.ResourceMemory] = resource.MustParse(memory)
		}
		p.Spec.Containers[0].Resources.Requests = rl
	}
}

func withClaim(claim string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	}
}

func pvc(name string, class *string, size string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: statesNS},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
}

func storageClass(name, provisioner string) *storagev1.StorageClass {
	return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: provisioner}
}

func str(s string) *string { return &s }

// running is a pod of another namespace that already takes room on n1.
func running(name, cpu, memory string) *corev1.Pod {
	p := statesPod(name, requests(cpu, memory))
	p.Namespace = "kube-system"
	p.Status.Phase = corev1.PodRunning
	return p
}

func TestExplainPendingNamesWhatDoesNotMatch(t *testing.T) {
	const selectorMsg = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
	zone := func(values ...string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: values}}}}}}}
		}
	}
	n1 := node("n1", map[string]string{"kubernetes.io/hostname": "n1", "disktype": "hdd", "topology.kubernetes.io/zone": "us-east-1a"}, "2", "4Gi")
	n2 := node("n2", map[string]string{"kubernetes.io/hostname": "n2", "topology.kubernetes.io/zone": "us-east-1b"}, "2", "4Gi")
	pvEvent := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "pvc-ev", Namespace: statesNS}, Type: corev1.EventTypeWarning, Reason: "ProvisioningFailed",
		Message: `storageclass.storage.k8s.io "fast-ssd" not found`, InvolvedObject: corev1.ObjectReference{Kind: "PersistentVolumeClaim", Name: "data", Namespace: statesNS}}
	tooSmall := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"}, Spec: corev1.PersistentVolumeSpec{StorageClassName: "local",
		Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}, Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable}}
	tests := []struct {
		name     string
		pod      *corev1.Pod
		objs     []runtime.Object
		wantKind string
		// wantName is what the pod asks that is named; want are what the
		// cluster has instead.
		wantName  string
		want      []string
		wantShort string
		wantLast  string
	}{
		{name: "nodeSelector value no node has", pod: unscheduled(selectorMsg, func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disktype": "ssd"} }),
			objs: []runtime.Object{n1, n2}, wantKind: "nodeSelector", wantName: "disktype=ssd", want: []string{"disktype=hdd on n1"}, wantLast: "kubectl get nodes -L disktype"},
		{name: "nodeSelector label no node has", pod: unscheduled(selectorMsg, func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"gpu": "true"} }),
			objs: []runtime.Object{n1, n2}, wantKind: "nodeSelector", wantName: "gpu=true", want: []string{"no node has a label gpu", "topology.kubernetes.io/zone=us-east-1b"}, wantLast: "kubectl get nodes -L gpu"},
		{name: "required node affinity", pod: unscheduled(selectorMsg, zone("eu-west-1a", "eu-west-1b")),
			objs: []runtime.Object{n1, n2}, wantKind: "nodeAffinity", wantName: "topology.kubernetes.io/zone In [eu-west-1a, eu-west-1b]", want: []string{"us-east-1a on n1", "us-east-1b on n2"}, wantLast: "kubectl get nodes -L topology.kubernetes.io/zone"},
		{name: "untolerated taint", pod: unscheduled("0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}."),
			objs:     []runtime.Object{node("n1", nil, "2", "4Gi", corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule})},
			wantKind: "taint", wantName: "dedicated=gpu:NoSchedule", want: []string{"n1"}, wantLast: "TAINTS:.spec.taints"},
		{name: "claim whose StorageClass does not exist", pod: unscheduled("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found", withClaim("data")),
			objs:     []runtime.Object{n1, n2, pvc("data", str("fast-ssd"), "5Gi"), storageClass("standard", "rancher.io/local-path"), pvEvent},
			wantKind: "claim", wantName: "data", want: []string{"fast-ssd", "does not exist", "standard", `\"fast-ssd\" not found`}, wantLast: "describe pvc data"},
		{name: "claim whose class has no provisioner and no volume", pod: unscheduled("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.", withClaim("data")),
			objs:     []runtime.Object{n1, n2, pvc("data", str("local"), "5Gi"), storageClass("local", "kubernetes.io/no-provisioner"), tooSmall},
			wantKind: "claim", wantName: "data", want: []string{"kubernetes.io/no-provisioner", `class "local"`, "5Gi"}, wantLast: "describe pvc data"},
		{name: "claim with no class and no volume", pod: unscheduled("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.", withClaim("data")),
			objs:     []runtime.Object{n1, n2, pvc("data", str(""), "10Gi"), storageClass("standard", "rancher.io/local-path")},
			wantKind: "claim", wantName: "data", want: []string{"names no StorageClass", `class ""`, "10Gi"}, wantLast: "describe pvc data"},
		{name: "claim that does not exist", pod: unscheduled(`0/2 nodes are available: persistentvolumeclaim "data-web-0" not found. not found`, withClaim("data-web-0")),
			objs: []runtime.Object{n1, n2}, wantKind: "missingClaim", wantName: "data-web-0", want: []string{"does not exist"}, wantLast: "get pvc"},
		{name: "cpu short after what other pods request", pod: unscheduled("0/1 nodes are available: 1 Insufficient cpu.", requests("4", "")),
			objs:     []runtime.Object{node("n1", nil, "2", "4Gi"), running("coredns", "500m", "")},
			wantKind: "resource", wantName: "cpu", wantShort: "2500m", want: []string{"500m", "1 other pods"}, wantLast: "describe node n1"},
		{name: "memory short", pod: unscheduled("0/1 nodes are available: 1 Insufficient memory.", requests("", "6Gi")),
			objs:     []runtime.Object{node("n1", nil, "2", "4Gi"), running("db", "", "1Gi")},
			wantKind: "resource", wantName: "memory", wantShort: "3Gi", want: []string{"4Gi allocatable"}, wantLast: "describe node n1"},
		{name: "memory short on the closest of two nodes", pod: unscheduled("0/2 nodes are available: 2 Insufficient memory.", requests("", "8Gi")),
			objs:     []runtime.Object{node("n1", nil, "2", "4Gi"), node("n2", nil, "2", "6Gi")},
			wantKind: "resource", wantName: "memory", wantShort: "2Gi", want: []string{"n2"}, wantLast: "describe node n2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewSimpleClientset(append([]runtime.Object{tt.pod}, tt.objs...)...)
			r := explainStates(t, c, tt.pod.Name, "")
			assert.Equal(t, FamilyPending, r.Family)
			require.NotEmpty(t, r.Unmet, "%+v", r)
			u := r.Unmet[0]
			assert.Equal(t, tt.wantKind, u.Kind)
			assert.Equal(t, tt.wantName, u.Name)
			assert.Contains(t, r.Cause, tt.wantName)
			for _, w := range tt.want {
				assert.Contains(t, r.Cause, w)
			}
			assert.Equal(t, tt.wantShort, u.Short)
			assert.Contains(t, lastNext(t, r), tt.wantLast)
			assert.Contains(t, evidenceText(r), tt.pod.Status.Conditions[0].Message, "the scheduler is still quoted")
		})
	}
}

// What does not keep a pod off is not named: a tolerated taint, a claim
// that waits for its pod to get a node, a request that fits.
func TestExplainPendingBlamesOnlyWhatBlocks(t *testing.T) {
	wait := storagev1.VolumeBindingWaitForFirstConsumer
	sc := storageClass("standard", "rancher.io/local-path")
	sc.VolumeBindingMode = &wait
	p := unscheduled("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.", withClaim("data"), requests("100m", "64Mi"), func(p *corev1.Pod) {
		p.Spec.NodeSelector = map[string]string{"disktype": "ssd"}
		p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}
	})
	n := node("n1", map[string]string{"disktype": "hdd"}, "2", "4Gi", corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule})
	c := fake.NewSimpleClientset(p, n, pvc("data", str("standard"), "1Gi"), sc)
	r := explainStates(t, c, p.Name, "")
	require.Len(t, r.Unmet, 1, "%+v", r.Unmet)
	assert.Equal(t, "disktype=ssd", r.Unmet[0].Name)
}

// Without the pods of other namespaces, only a request above a node's whole
// allocatable is certainly short; the forbidden read is listed.
func TestExplainPendingWithoutOtherPods(t *testing.T) {
	p := unscheduled("0/1 nodes are available: 1 Insufficient cpu.", requests("64", ""))
	c := fake.NewSimpleClientset(p, node("n1", nil, "2", "4Gi"))
	c.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return a.GetNamespace() == "", nil, forbidden("pods")
	})
	r := explainStates(t, c, p.Name, "")
	require.Len(t, r.Unmet, 1)
	assert.Equal(t, "62", r.Unmet[0].Short)
	assert.Contains(t, r.Cause, "could not be read")
	assert.Contains(t, strings.Join(r.Unreadable, "\n"), "pods of every namespace")

	// Nodes forbidden: the scheduler's words, and the generic next steps.
	c = fake.NewSimpleClientset(p)
	c.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, forbidden("nodes") })
	r = explainStates(t, c, p.Name, "")
	assert.Empty(t, r.Unmet)
	assert.Contains(t, r.Cause, "Insufficient cpu")
	assert.Contains(t, r.Unreadable, "nodes (forbidden)")
	assert.Contains(t, lastNext(t, r), "describe pod web-0")
}

func probeEvent(pod, container, message string) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: pod + "-" + container + "-unhealthy", Namespace: statesNS}, Type: corev1.EventTypeWarning, Reason: "Unhealthy", Count: 12,
		Message: message, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, UID: types.UID("uid-" + pod), FieldPath: "spec.containers{" + container + "}"}}
}

// runningUnready is a pod whose containers all run; notReady are not Ready,
// and the startup probe of those in notStarted has not passed.
func runningUnready(name string, containers []corev1.Container, notReady, notStarted []string) *corev1.Pod {
	p := statesPod(name, func(p *corev1.Pod) { p.Spec.Containers = containers })
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}
	for _, c := range containers {
		started := !contains(notStarted, c.Name)
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: !contains(notReady, c.Name), Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(time.Now().Add(-time.Minute))}}})
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestExplainNotReadyNamesTheFailingProbe(t *testing.T) {
	httpProbe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 5}
	tcpProbe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9090)}}, FailureThreshold: 30}
	execProbe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/healthy"}}}}
	tests := []struct {
		name          string
		pod           *corev1.Pod
		events        []runtime.Object
		wantContainer string
		want          []string
	}{
		{name: "readiness probe answers 503",
			pod:    runningUnready("api", []corev1.Container{{Name: "app", ReadinessProbe: httpProbe}}, []string{"app"}, nil),
			events: []runtime.Object{probeEvent("api", "app", "Readiness probe failed: HTTP probe failed with statuscode: 503")}, wantContainer: "app",
			want: []string{"readiness probe", "/ready", "8080", "Readiness probe failed: HTTP probe failed with statuscode: 503"}},
		{name: "startup probe refused",
			pod:    runningUnready("slow", []corev1.Container{{Name: "app", StartupProbe: tcpProbe, ReadinessProbe: httpProbe}}, []string{"app"}, []string{"app"}),
			events: []runtime.Object{probeEvent("slow", "app", "Startup probe failed: dial tcp 10.244.0.9:9090: connect: connection refused")}, wantContainer: "app",
			want: []string{"startup probe", "9090", "connection refused", "30 failures"}},
		{name: "the unready one of two containers",
			pod: runningUnready("two", []corev1.Container{{Name: "proxy", ReadinessProbe: httpProbe}, {Name: "app", ReadinessProbe: execProbe}}, []string{"app"}, nil),
			events: []runtime.Object{probeEvent("two", "app", "Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory"),
				probeEvent("two", "proxy", "Readiness probe failed: HTTP probe failed with statuscode: 500")}, wantContainer: "app",
			want: []string{"exec cat /tmp/healthy", "can't open '/tmp/healthy'"}},
		{name: "no failure in the events yet",
			pod:           runningUnready("fresh", []corev1.Container{{Name: "app", ReadinessProbe: execProbe}}, []string{"app"}, nil),
			wantContainer: "app", want: []string{"readiness probe (exec cat /tmp/healthy) has not passed yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewSimpleClientset(append([]runtime.Object{tt.pod}, tt.events...)...)
			r := explainStates(t, c, tt.pod.Name, "")
			assert.Equal(t, FamilyNotReady, r.Family)
			assert.Equal(t, tt.wantContainer, r.Container)
			for _, w := range tt.want {
				assert.Contains(t, r.Cause, w)
			}
			if len(tt.events) > 0 {
				assert.NotContains(t, r.Cause, "statuscode: 500", "the other container's probe is not blamed")
				assert.Contains(t, lastNext(t, r), "involvedObject.name="+tt.pod.Name+",reason=Unhealthy")
			} else {
				assert.Contains(t, lastNext(t, r), "describe pod "+tt.pod.Name)
			}
		})
	}
}

// creating is a scheduled pod whose container waits in ContainerCreating,
// with the given volumes.
func creating(name string, volumes ...corev1.Volume) *corev1.Pod {
	p := statesPod(name, func(p *corev1.Pod) { p.Spec.Volumes = volumes })
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}
	return p
}

func mountEvent(pod, message string) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: pod + "-mount", Namespace: statesNS}, Type: corev1.EventTypeWarning, Reason: "FailedMount", Count: 7,
		Message: message, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, UID: types.UID("uid-" + pod)}}
}

func TestExplainMissingConfigVolumes(t *testing.T) {
	cmVol := func(name string, items ...corev1.KeyToPath) corev1.Volume {
		return corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: items}}}
	}
	settings := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-settings", Namespace: statesNS}, Data: map[string]string{"log-level": "debug"}}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-creds", Namespace: statesNS}, Data: map[string][]byte{"password": []byte("x")}}
	projected := corev1.Volume{Name: "all", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
		{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "db-creds"}}},
		{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "feature-flags"}}}}}}}
	tests := []struct {
		name string
		pod  *corev1.Pod
		objs []runtime.Object
		want MissingConfig
		last string
	}{
		{name: "missing ConfigMap volume", pod: creating("cm", cmVol("app-config")),
			objs: []runtime.Object{mountEvent("cm", `MountVolume.SetUp failed for volume "config" : configmap "app-config" not found`)},
			want: MissingConfig{Volume: "config", Kind: "ConfigMap", Name: "app-config"}, last: "get configmap app-config"},
		{name: "missing Secret volume", pod: creating("sec", corev1.Volume{Name: "certs", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls-certs"}}}),
			objs: []runtime.Object{mountEvent("sec", `MountVolume.SetUp failed for volume "certs" : secret "tls-certs" not found`)},
			want: MissingConfig{Volume: "certs", Kind: "Secret", Name: "tls-certs"}, last: "get secret tls-certs"},
		{name: "missing key in items", pod: creating("key", cmVol("app-settings", corev1.KeyToPath{Key: "settings.yaml", Path: "settings.yaml"})),
			objs: []runtime.Object{settings, mountEvent("key", "MountVolume.SetUp failed for volume \"config\" : configmap references non-existent config key: settings.yaml")},
			want: MissingConfig{Volume: "config", Kind: "ConfigMap", Name: "app-settings", Key: "settings.yaml", Has: []string{"log-level"}}, last: "describe configmap app-settings"},
		{name: "projected volume with one source missing", pod: creating("proj", projected),
			objs: []runtime.Object{creds, mountEvent("proj", `MountVolume.SetUp failed for volume "all" : configmap "feature-flags" not found`)},
			want: MissingConfig{Volume: "all", Kind: "ConfigMap", Name: "feature-flags"}, last: "get configmap feature-flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewSimpleClientset(append([]runtime.Object{tt.pod}, tt.objs...)...)
			r := explainStates(t, c, tt.pod.Name, "")
			assert.Equal(t, FamilyStarting, r.Family)
			assert.False(t, r.Healthy)
			assert.Equal(t, []MissingConfig{tt.want}, r.MissingConfig)
			assert.Contains(t, r.Cause, tt.want.Name)
			assert.Contains(t, r.Cause, tt.want.Volume)
			if tt.want.Key != "" {
				assert.Contains(t, r.Cause, tt.want.Key)
				assert.Contains(t, r.Cause, "log-level", "and the keys it has")
			}
			assert.Contains(t, evidenceText(r), "MountVolume.SetUp failed", "the kubelet's event is quoted")
			assert.Contains(t, lastNext(t, r), tt.last)
		})
	}
}

// An optional source may be missing, and a Secret that may not be read is
// unknown: neither is called missing.
func TestExplainConfigVolumesOptionalOrUnreadable(t *testing.T) {
	yes := true
	p := creating("quiet",
		corev1.Volume{Name: "opt", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "maybe"}, Optional: &yes}}},
		corev1.Volume{Name: "certs", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}})
	c := fake.NewSimpleClientset(p)
	c.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, forbidden("secrets") })
	r := explainStates(t, c, p.Name, "")
	assert.Empty(t, r.MissingConfig)
	assert.Contains(t, r.Unreadable, "secret tls (forbidden)")
	assert.Contains(t, lastNext(t, r), "describe pod quiet")
}

// A lab incident's facts never carry what explain names: `status` shows
// them, and they would answer the diagnosis.
func TestLabFactsLeaveOutWhatThePodLacks(t *testing.T) {
	p := unscheduled("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.", func(p *corev1.Pod) {
		p.Spec.NodeSelector = map[string]string{"disktype": "ssd"}
		p.Spec.Volumes = []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}}}}}
	})
	s := &State{Target: Target{Namespace: statesNS, Kind: KindPod, Name: p.Name}, Pods: []corev1.Pod{*p}, Current: []corev1.Pod{*p},
		Nodes: []corev1.Node{*node("n1", nil, "2", "4Gi")}, ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	f := (&Observer{}).FactsOf(context.Background(), s)
	require.Len(t, f.Pods, 1)
	assert.Empty(t, f.Pods[0].Unmet)
	assert.Empty(t, f.Pods[0].MissingConfig)
}
