package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// PodExplanation is `crashlab explain POD`: the report on the pod, and the
// back-off its kubelet applies when it may be read.
type PodExplanation struct {
	podstate.PodReport
	// BackOffCap is the kubelet's crashLoopBackOff.maxContainerRestartPeriod
	// on the pod's node ("" when not read); BackOffCapSource says where it
	// came from or why it could not be read.
	BackOffCap       string `json:"backOffCap,omitempty"`
	BackOffCapSource string `json:"backOffCapSource,omitempty"`
}

// ExplainPod reads one pod of any namespace through the one reader of live
// state and names its trouble. It only reads: a GET of the pod, the events
// about it, its node, the Secrets its env names, the ConfigMaps and Secrets
// its volumes name, its Job, its logs and the kubelet's /configz, and for a
// Pending pod what the scheduler weighs (podstate.ReadPod), each skipped when
// forbidden.
func ExplainPod(ctx context.Context, c kubernetes.Interface, namespace, name string) (PodExplanation, error) {
	s, unreadable, err := podstate.ReadPod(ctx, c, namespace, name)
	if err != nil {
		return PodExplanation{}, err
	}
	facts := podstate.NewObserver(c).FactsOf(ctx, s)
	e := PodExplanation{PodReport: podstate.ExplainPod(facts, &s.Pods[0])}
	e.Unreadable = unreadable
	if node := s.Pods[0].Spec.NodeName; node != "" {
		cfg, err := cluster.KubeletConfigz(ctx, c, node)
		switch {
		case err != nil:
			e.BackOffCapSource = fmt.Sprintf("the kubelet's configuration could not be read (%v): Kubernetes' default is 10s doubling to 5m", shortErr(err))
		case cfg.MaxContainerRestartPeriod > 0:
			e.BackOffCap = cfg.MaxContainerRestartPeriod.String()
			e.BackOffCapSource = "crashLoopBackOff.maxContainerRestartPeriod of the kubelet on " + node + " (its /configz)"
		default:
			e.BackOffCap = "5m0s"
			e.BackOffCapSource = "the kubelet on " + node + " sets no crashLoopBackOff.maxContainerRestartPeriod: the default cap (its /configz)"
		}
	}
	return e, ctx.Err()
}

// ErrIncidentUnsolved is `explain POD` on a pod of a lab incident the
// learner has neither solved nor given up: the report names the cause, which
// would answer the diagnosis without the investigation it is there to test.
var ErrIncidentUnsolved = errors.New("this pod belongs to a lab incident you have not solved")

// LabIncident says which lab incident a pod of namespace belongs to: the
// pod's or the namespace's lab labels, or a lab namespace's name. The id is
// "" when the pod is the lab's but the incident cannot be told (a triage
// round, an interview's neutral namespace, a namespace this identity may not
// read): such a pod counts as unsolved, so the gate fails closed.
func LabIncident(ctx context.Context, c kubernetes.Interface, namespace string, podLabels map[string]string) (id string, isLab bool) {
	if podLabels[cluster.LabelManagedBy] == cluster.ManagedBy {
		isLab, id = true, podLabels[cluster.LabelScenario]
	}
	if strings.HasPrefix(namespace, "crashlab-") {
		isLab = true
	}
	if ns, err := c.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{}); err == nil && ns.Labels[cluster.LabelManagedBy] == cluster.ManagedBy {
		isLab = true
		if id == "" {
			id = ns.Labels[cluster.LabelScenario]
		}
	}
	return id, isLab
}

// ExplainPod is the package's ExplainPod for this learner: a pod of a lab
// incident is explained only once the learner solved it or gave it up
// (ErrIncidentUnsolved, wrapped with the incident's id when known, before
// anything else of the pod is read); every other pod is explained as for
// anyone.
func (s *Service) ExplainPod(ctx context.Context, namespace, name string) (PodExplanation, error) {
	c, err := s.cluster()
	if err != nil {
		return PodExplanation{}, err
	}
	pod, err := c.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// Any HTTP server answers 404 to a pod's path: only a Kubernetes
		// API's 404 means the pod does not exist. One request, and only here.
		if verr := kubernetesAPI(c); verr != nil {
			return PodExplanation{}, &NotKubernetesAPIError{Err: verr}
		}
	}
	if err != nil {
		return PodExplanation{}, err
	}
	if id, isLab := LabIncident(ctx, c, namespace, pod.Labels); isLab {
		sc, err := s.catalog.Get(id)
		if err != nil || !revealed(entryOf(s.entries(), sc)) {
			return PodExplanation{}, &UnsolvedError{ID: knownID(sc, err)}
		}
	}
	return ExplainPod(ctx, c, namespace, name)
}

// ErrNotKubernetesAPI means the server a context names answers, but not as a
// Kubernetes API server does.
var ErrNotKubernetesAPI = errors.New("the server does not answer like a Kubernetes API server")

// NotKubernetesAPIError is ErrNotKubernetesAPI with what the server answered.
type NotKubernetesAPIError struct{ Err error }

func (e *NotKubernetesAPIError) Error() string {
	return ErrNotKubernetesAPI.Error() + ": " + e.Err.Error()
}
func (e *NotKubernetesAPIError) Unwrap() []error { return []error{ErrNotKubernetesAPI, e.Err} }

// kubernetesAPI checks that c's server is a Kubernetes API: every one serves
// GET /version as JSON with a gitVersion.
func kubernetesAPI(c kubernetes.Interface) error {
	v, err := c.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("GET /version: %w", err)
	}
	if v.GitVersion == "" {
		return errors.New("GET /version has no gitVersion")
	}
	return nil
}

// UnsolvedError is ErrIncidentUnsolved with the incident's id, "" when the
// pod's incident cannot be told.
type UnsolvedError struct{ ID string }

func (e *UnsolvedError) Error() string { return ErrIncidentUnsolved.Error() }
func (e *UnsolvedError) Unwrap() error { return ErrIncidentUnsolved }

func knownID(sc scenarios.Scenario, err error) string {
	if err != nil {
		return ""
	}
	return sc.ID
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
