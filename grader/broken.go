package grader

import (
	"fmt"
	"slices"

	"github.com/crashlab/crashlab/podstate"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// BrokenPodsGone is the shared rule that no pod in the namespace still runs
// the broken pod template the lab deployed, whoever owns it: a Deployment
// deleted with --cascade=orphan leaves its ReplicaSet running the broken pods,
// and a copy of the template in another workload runs them too. Pods of the
// judged workload's current ReplicaSet are judged by the live checks instead,
// and while the first read is taken, pods of the target's older ReplicaSets
// are spared too: a rollout in progress replaces them by itself. After the
// live checks (State.Final) nothing is spared.
func BrokenPodsGone(broken corev1.PodSpec) Check {
	want := podFingerprint(&broken)
	return Check{Name: "broken-pods-gone", Run: func(s *podstate.State) Result {
		current := map[string]bool{}
		for _, p := range s.Current {
			current[string(p.UID)] = true
		}
		for i := range s.Pods {
			p := &s.Pods[i]
			if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || current[string(p.UID)] {
				continue
			}
			if (!s.Final && ownedByTargetReplicaSet(s, p)) || beingCollected(s, p) {
				continue
			}
			if equality.Semantic.DeepEqual(podFingerprint(&p.Spec), want) {
				return Fail("pod %s still runs the broken pod template (%s): whatever keeps it alive must go too; `kubectl get rs,pods --show-labels` shows who owns it", p.Name, ownerText(p))
			}
		}
		return Pass("no pod in the namespace runs the broken template any more")
	}}
}

// ownedByTargetReplicaSet tells whether the pod belongs to a ReplicaSet the
// target Deployment still controls (its current or an older revision).
func ownedByTargetReplicaSet(s *podstate.State, p *corev1.Pod) bool {
	if s.Deployment == nil {
		return false
	}
	for _, rs := range s.ReplicaSets {
		if podstate.OwnedBy(rs.OwnerReferences, s.Deployment.UID) && podstate.OwnedBy(p.OwnerReferences, rs.UID) {
			return true
		}
	}
	return false
}

// beingCollected tells whether the garbage collector is removing the pod: its
// ReplicaSet is gone, or belongs to a Deployment that is gone (deleted with
// the default cascade, the GC works down the chain). A ReplicaSet orphaned on
// purpose has no owner left, so its pods are not spared.
func beingCollected(s *podstate.State, p *corev1.Pod) bool {
	for _, ref := range p.OwnerReferences {
		if ref.Kind != "ReplicaSet" {
			continue
		}
		i := slices.IndexFunc(s.ReplicaSets, func(rs appsv1.ReplicaSet) bool { return rs.UID == ref.UID })
		if i < 0 {
			return true
		}
		for _, up := range s.ReplicaSets[i].OwnerReferences {
			if up.Kind == "Deployment" && !slices.ContainsFunc(s.Deployments, func(d appsv1.Deployment) bool { return d.UID == up.UID }) {
				return true
			}
		}
	}
	return false
}

func ownerText(p *corev1.Pod) string {
	for _, r := range p.OwnerReferences {
		return fmt.Sprintf("owned by %s %s", r.Kind, r.Name)
	}
	return "no owner"
}

// fingerprint is what makes a pod behave as it does: per container the
// program, its environment, its memory and CPU limits and its probes (with the
// API server's defaults applied, so a template and a pod made from it match),
// and the pod's restart policy.
type fingerprint struct {
	RestartPolicy corev1.RestartPolicy
	Containers    []containerFingerprint
}

type containerFingerprint struct {
	// Init marks an init container: a pod whose only broken part is its
	// init step is still the broken template.
	Init                   bool
	Name, Image            string
	Command, Args          []string
	Env                    []corev1.EnvVar
	EnvFrom                []corev1.EnvFromSource
	Limits                 corev1.ResourceList
	Liveness, Startup, Rdy *corev1.Probe
}

func podFingerprint(spec *corev1.PodSpec) fingerprint {
	f := fingerprint{RestartPolicy: spec.RestartPolicy}
	if f.RestartPolicy == "" {
		f.RestartPolicy = corev1.RestartPolicyAlways
	}
	for i, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		f.Containers = append(f.Containers, containerFingerprint{
			Init: i < len(spec.InitContainers),
			Name: c.Name, Image: c.Image, Command: emptyNil(c.Command), Args: emptyNil(c.Args),
			Env: c.Env, EnvFrom: c.EnvFrom, Limits: c.Resources.Limits,
			Liveness: defaultedProbe(c.LivenessProbe), Startup: defaultedProbe(c.StartupProbe), Rdy: defaultedProbe(c.ReadinessProbe),
		})
	}
	slices.SortFunc(f.Containers, func(a, b containerFingerprint) int {
		switch {
		case a.Init != b.Init:
			if a.Init {
				return -1
			}
			return 1
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return f
}

func emptyNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// defaultedProbe applies the defaults the API server fills in, so a probe
// from a manifest compares equal to the same probe read back from a pod.
func defaultedProbe(p *corev1.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	q := p.DeepCopy()
	if q.PeriodSeconds == 0 {
		q.PeriodSeconds = 10
	}
	if q.TimeoutSeconds == 0 {
		q.TimeoutSeconds = 1
	}
	if q.SuccessThreshold == 0 {
		q.SuccessThreshold = 1
	}
	if q.FailureThreshold == 0 {
		q.FailureThreshold = 3
	}
	if h := q.HTTPGet; h != nil && h.Scheme == "" {
		h.Scheme = corev1.URISchemeHTTP
	}
	return q
}
