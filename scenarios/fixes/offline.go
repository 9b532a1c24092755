package fixes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/internal/fakekube"
	"github.com/crashlab/crashlab/scenarios"
)

// LiveCheckNames are the checks the grader runs on the live workload once
// every static check passed. No kubelet runs offline, so a shortcut only a
// live check refuses must get through every static check there (on the
// cluster the live check would otherwise never run), and is refused for
// real only by a live replay (`crashlab author test`, the e2e suite).
// attempt-record is the record checks' name in progress.
var LiveCheckNames = []string{"pods-ready", "stays-up", "survives-restart", "job-completed", "job-ran-task", "attempt-record"}

// Outcome is what an offline replay of one fixes/ file found.
type Outcome struct {
	Fix       string `json:"fix"`
	Expect    Expect `json:"expect"`
	RefusedBy string `json:"refusedBy,omitempty"`
	// Approach is the approach the checks named (accepted fixes).
	Approach string `json:"approach,omitempty"`
	// Failed are the static checks that refused it, in order.
	Failed []string `json:"failed,omitempty"`
	// Live is set for a shortcut a live check is to refuse: the static
	// checks let it through, as they must.
	Live bool `json:"live,omitempty"`
	// Problem says how the outcome differs from what the file expects;
	// empty when it is as expected.
	Problem string `json:"problem,omitempty"`
}

// ReplayOffline deploys base (as blind variant seed, 0 for the incident
// itself) on a fake cluster once per file of folder, applies the fix and
// grades it with the incident's static checks, as `crashlab check` does
// before its live wait: an accepted fix passes them all with its approach,
// a shortcut is refused first by the check its file names. A refusedBy
// that names no check of the incident is a problem too. It needs no
// cluster and takes well under a second per fix.
func ReplayOffline(ctx context.Context, base scenarios.Scenario, folder Folder, vals scenarios.Values, seed uint64) ([]Outcome, error) {
	s, err := base.Variant(seed)
	if err != nil {
		return nil, err
	}
	baseline, err := s.Render(vals)
	if err != nil {
		return nil, err
	}
	static := map[string]bool{}
	var names []string
	for _, c := range s.FixChecks(baseline) {
		static[c.Name] = true
		names = append(names, c.Name)
	}
	var out []Outcome
	for _, fx := range folder.Fixes {
		fx := Vary(fx, s.Draw())
		o := Outcome{Fix: fx.Name, Expect: fx.Expect, RefusedBy: fx.RefusedBy}
		if err := replayOne(ctx, base, s, fx, vals, static, &o); err != nil {
			o.Problem = err.Error()
		}
		if o.Problem == "" && fx.Expect == ExpectRefuse && !static[fx.RefusedBy] && !o.Live {
			o.Problem = fmt.Sprintf("refusedBy %q is neither a check of %s (%s) nor a live one (%s)", fx.RefusedBy, s.ID, strings.Join(names, ", "), strings.Join(append(LiveCheckNames, s.LiveCheckNames()...), ", "))
		}
		out = append(out, o)
	}
	return out, nil
}

// FakeCluster is a fake API server with the garbage collector's part in
// deleting a Deployment (see fakekube), holding objs.
func FakeCluster(objs ...runtime.Object) *fake.Clientset {
	return fakekube.WithDeploymentGC(fakekube.New(objs...))
}

// DeployOffline deploys s with scenarios.Deploy, as `crashlab start` does,
// on a fake cluster with one lab node, and lets the Deployment controller's
// stand-in start the broken pods. It returns the client and the namespace.
func DeployOffline(ctx context.Context, s scenarios.Scenario, learner string, vals scenarios.Values) (*fake.Clientset, string, error) {
	c := FakeCluster(LabNode(vals))
	ns, err := cluster.NamespaceFor(learner, s.ID)
	if err != nil {
		return nil, "", fmt.Errorf("%q cannot be a learner's name: %w", learner, err)
	}
	if err := scenarios.Deploy(ctx, c, s, ns, learner, vals); err != nil {
		return nil, "", fmt.Errorf("deploy: %w", err)
	}
	if err := RunBrokenPods(ctx, c, ns); err != nil {
		return nil, "", fmt.Errorf("deploy: %w", err)
	}
	return c, ns, nil
}

func replayOne(ctx context.Context, base, s scenarios.Scenario, fx Fix, vals scenarios.Values, static map[string]bool, o *Outcome) error {
	c, ns, err := DeployOffline(ctx, s, fx.Name, vals)
	if err != nil {
		return err
	}
	if attempt, err := scenarios.LoadAttempt(ctx, c, base, ns); err == nil && attempt.Variant.Seed() != s.Draw().Seed {
		return fmt.Errorf("the attempt record names variant %d, not %d", attempt.Variant.Seed(), s.Draw().Seed)
	}
	if err := Apply(ctx, c, ns, vals, fx); err != nil {
		return err
	}
	if err := AcceptedByAPIServer(ctx, c, ns); err != nil {
		return err
	}
	attempt, err := scenarios.LoadAttempt(ctx, c, base, ns)
	if err != nil {
		return fmt.Errorf("the fix must leave the lab's attempt record alone: %w", err)
	}
	judged := attempt.Variant
	v, err := grader.JudgeFixWith(ctx, c, judged.ID, judged.Target(ns), attempt.UIDs, judged.FixChecks(attempt.Baseline), nil)
	if err != nil {
		return err
	}
	for _, ch := range v.Checks {
		if !ch.Passed {
			o.Failed = append(o.Failed, ch.Name)
		}
	}
	o.Approach = v.Approach
	first := func() string {
		for _, ch := range v.Checks {
			if !ch.Passed {
				return ch.Name + ": " + ch.Message
			}
		}
		return ""
	}
	switch {
	case fx.Expect == ExpectPass && len(o.Failed) > 0:
		return fmt.Errorf("an accepted fix must pass every static check; refused by %s", first())
	case fx.Expect == ExpectPass && v.Approach != fx.Approach:
		return fmt.Errorf("passes with approach %q, the file says %q", v.Approach, fx.Approach)
	case fx.Expect == ExpectPass:
		return nil
	case static[fx.RefusedBy] && len(o.Failed) == 0:
		return fmt.Errorf("a shortcut must be refused by %s, but every static check lets it through", fx.RefusedBy)
	case static[fx.RefusedBy] && o.Failed[0] != fx.RefusedBy:
		return fmt.Errorf("refused first by %s, the file says %s", first(), fx.RefusedBy)
	case static[fx.RefusedBy]:
		return nil
	case slices.Contains(LiveCheckNames, fx.RefusedBy) || slices.Contains(s.LiveCheckNames(), fx.RefusedBy):
		o.Live = true
		if len(o.Failed) > 0 {
			return fmt.Errorf("a shortcut for the live check %s must get through every static check, but %s refuses it: on a cluster the live check would never run", fx.RefusedBy, first())
		}
	}
	return nil
}

// RunBrokenPods does what the Deployment controller does right after the
// lab deployed: each Deployment gets a ReplicaSet and its pods, running the
// broken template. Later edits roll nothing out (the checks judge
// templates); only deletion changes the pods, through the fake's garbage
// collection.
func RunBrokenPods(ctx context.Context, c kubernetes.Interface, ns string) error {
	deps, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		ctrl := true
		rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-1", Namespace: ns, Labels: d.Spec.Template.Labels,
				Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &ctrl}}},
			Spec: appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector, Template: d.Spec.Template},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		for n := int32(0); n < replicas; n++ {
			_, err := c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, n), Namespace: ns, Labels: d.Spec.Template.Labels,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &ctrl}}},
				Spec:   d.Spec.Template.Spec,
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
		}
		// The controller records the revision it rolled out.
		d.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
		if _, err := c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// LabNode is a kind node as the lab's checks read it: its architecture, its
// memory, its runtime and the images it holds.
func LabNode(vals scenarios.Values) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "crashlab-control-plane", Labels: map[string]string{"kubernetes.io/arch": vals.NodeArch}},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")},
			NodeInfo:    corev1.NodeSystemInfo{Architecture: vals.NodeArch, ContainerRuntimeVersion: "containerd://2.1.1"},
			Images: []corev1.ContainerImage{
				{Names: []string{"registry.k8s.io/pause:3.10"}},
				{Names: []string{vals.Image}},
				{Names: []string{vals.ForeignImage}},
			},
		},
	}
}

// AcceptedByAPIServer catches what the fake clientset lets through but a
// real API server would reject, so a fix that only works offline is named:
// e.g. a strategic merge patch naming a container that does not exist adds
// a container without an image.
func AcceptedByAPIServer(ctx context.Context, c kubernetes.Interface, ns string) error {
	var specs []corev1.PodSpec
	var errs []error
	deps, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, d := range deps.Items {
		specs = append(specs, d.Spec.Template.Spec)
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		specs = append(specs, p.Spec)
	}
	jobs, err := c.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, j := range jobs.Items {
		specs = append(specs, j.Spec.Template.Spec)
		if j.Spec.Template.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			errs = append(errs, fmt.Errorf("job %s: a Job's pods may not restart Always", j.Name))
		}
	}
	cjs, err := c.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, cj := range cjs.Items {
		specs = append(specs, cj.Spec.JobTemplate.Spec.Template.Spec)
		if cj.Spec.Schedule == "" {
			errs = append(errs, fmt.Errorf("CronJob %s needs a schedule", cj.Name))
		}
	}
	for _, spec := range specs {
		for _, ct := range spec.Containers {
			if ct.Image == "" {
				errs = append(errs, fmt.Errorf("container %q has no image: a patch named a container that does not exist?", ct.Name))
			}
			for _, p := range []*corev1.Probe{ct.LivenessProbe, ct.ReadinessProbe, ct.StartupProbe} {
				if p != nil && count(p.HTTPGet != nil, p.TCPSocket != nil, p.Exec != nil, p.GRPC != nil) != 1 {
					errs = append(errs, fmt.Errorf("container %q: a probe has exactly one handler", ct.Name))
				}
			}
			for _, e := range ct.Env {
				if e.ValueFrom == nil {
					continue
				}
				if e.Value != "" {
					errs = append(errs, fmt.Errorf("env %s: value and valueFrom exclude each other", e.Name))
				}
				vf := e.ValueFrom
				if count(vf.SecretKeyRef != nil, vf.ConfigMapKeyRef != nil, vf.FieldRef != nil, vf.ResourceFieldRef != nil) != 1 {
					errs = append(errs, fmt.Errorf("env %s: valueFrom has exactly one source", e.Name))
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("a real API server would refuse the result: %w", err)
	}
	return nil
}

func count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}
