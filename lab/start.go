package lab

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

// Started is a scenario deployed in the learner's namespace.
type Started struct {
	Scenario  scenarios.Scenario
	Namespace string
}

// Start deploys the scenario into the learner's namespace and records the
// start in the learner's progress. A start that was interrupted is completed.
// When the scenario is already completely deployed, nothing is changed and
// the error wraps scenarios.ErrAlreadyStarted; Started is filled in then too,
// because the caller usually carries on with it (briefing, WaitForFailure).
//
// The wait for the failure is WaitForFailure, not part of Start, so that the
// caller can show the briefing while the pods start failing.
func (s *Service) Start(ctx context.Context, id string) (Started, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return Started{}, err
	}
	started := Started{Scenario: sc, Namespace: ns}
	// A namespace already completely deployed needs no images and no
	// deploy: asked first, so that a workshop learner (whose trainer
	// deployed it, and who may not list what the nodes hold) just begins.
	c, err := s.cluster()
	if err != nil {
		return Started{}, err
	}
	if err := s.waitTerminating(ctx, ns); err != nil {
		return Started{}, err
	}
	if deployed, err := scenarios.Deployed(ctx, c, ns); err != nil {
		return Started{}, err
	} else if deployed {
		if s.workshopNS == "" && entryOf(s.entries(), sc).AttemptOver() {
			// The last attempt ended (solved or given up): starting again is
			// a new attempt, and it begins from the broken incident, not from
			// the namespace the last one left fixed or half fixed. A workshop
			// learner's trainer deploys, so theirs just begins.
			again, err := s.Reset(ctx, id)
			if err != nil {
				return Started{}, err
			}
			s.record(sc, func(e *progress.Entry) { now := time.Now(); e.Begin(now); e.Note("start", now) })
			return again, nil
		}
		s.beginIfNew(sc)
		started.Scenario = s.played(ctx, sc, ns)
		return started, fmt.Errorf("%w in namespace %s", scenarios.ErrAlreadyStarted, ns)
	}
	if sc, err = sc.Variant(s.variant); err != nil {
		return Started{}, err
	}
	started.Scenario = sc
	vals, err := s.prepare(ctx, sc)
	if err != nil {
		return Started{}, err
	}
	// The briefing names what is deployed (a registry's image, say).
	started.Scenario = sc.WithValues(vals)
	if err := s.deploy(ctx, sc, ns, vals); err != nil {
		if errors.Is(err, scenarios.ErrAlreadyStarted) {
			s.beginIfNew(sc)
			started.Scenario = s.played(ctx, sc, ns)
			return started, err
		}
		return Started{}, err
	}
	// A new attempt, or the open one carried on (progress.Entry.Begin).
	s.record(sc, func(e *progress.Entry) { now := time.Now(); e.Begin(now); e.Note("start", now) })
	return started, nil
}

// terminatingWait bounds the wait for a namespace that is being deleted: as
// long as Reset waits for its own deletion.
const terminatingWait = 3 * time.Minute

// waitTerminating waits until the learner's namespace, when it is being
// deleted (a start right after `down` or a `kubectl delete ns`), is gone, so
// that the start deploys afresh instead of reading the dying namespace's
// record as a deployed incident.
func (s *Service) waitTerminating(ctx context.Context, ns string) error {
	existing, err := s.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil || existing.DeletionTimestamp == nil {
		return nil // absent, or not going: Deployed and deploy read it again
	}
	if err := cluster.CheckOwned(existing); err != nil {
		return err
	}
	s.onProgress(fmt.Sprintf("waiting for the old namespace %s to be deleted", ns))
	return cluster.WaitNamespaceGone(ctx, s.client, ns, terminatingWait)
}

// ErrTrainerResets is a workshop learner's reset: only the trainer's
// identity may delete and deploy a namespace.
var ErrTrainerResets = errors.New("in a workshop your trainer resets incidents")

// beginIfNew begins the learner's first attempt at a scenario someone else
// deployed (a workshop's trainer); an attempt already begun is left alone.
func (s *Service) beginIfNew(sc scenarios.Scenario) {
	if s.remote != nil {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		defer cancel()
		if err := s.remote.Begin(ctx, sc.ID); err != nil {
			s.onWarning(fmt.Sprintf("the lab's controller did not record your start: %v", err))
		}
		return
	}
	if entryOf(s.entries(), sc).Started.IsZero() {
		s.record(sc, func(e *progress.Entry) { now := time.Now(); e.Begin(now); e.Note("start", now) })
	}
}

// Reset deletes the scenario's namespace, waits until it is gone and deploys
// the scenario again, so the broken state comes back exactly. The learner's
// progress is left as it is: a reset is a retry, not a new start.
func (s *Service) Reset(ctx context.Context, id string) (Started, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return Started{}, err
	}
	if s.workshopNS != "" {
		// A learner may not delete namespaces; their trainer deploys.
		return Started{}, ErrTrainerResets
	}
	// The same variant comes back, unless the service deals another.
	seed := s.variant
	if seed == 0 {
		seed = s.played(ctx, sc, ns).Seed()
	}
	if sc, err = sc.Variant(seed); err != nil {
		return Started{}, err
	}
	vals, err := s.prepare(ctx, sc)
	if err != nil {
		return Started{}, err
	}
	if err := scenarios.Reset(ctx, s.client, sc, ns, s.learner, vals); err != nil {
		return Started{}, err
	}
	return Started{Scenario: sc.WithValues(vals), Namespace: ns}, nil
}

// prepare gets the images onto the nodes and returns the values the
// scenario's manifests are rendered with.
func (s *Service) prepare(ctx context.Context, sc scenarios.Scenario) (scenarios.Values, error) {
	if _, err := s.cluster(); err != nil {
		return scenarios.Values{}, err
	}
	imgs, vals, err := s.deployImages(ctx)
	if err != nil {
		return vals, err
	}
	if err := s.ensureImages(ctx, imgs); err != nil {
		return vals, err
	}
	// A scenario's preflight reads this machine's kernel, which is the node's
	// only on the lab's own kind cluster.
	if s.contextName == cluster.ContextName {
		if w := sc.Preflight(vals.NodeArch); w != "" {
			s.onWarning(w)
		}
	}
	return vals, nil
}

// WaitForFailure watches the scenario's pods until its failure signature
// shows, at most timeout, and returns the facts that show it.
func (s *Service) WaitForFailure(ctx context.Context, id string, timeout time.Duration) (podstate.Facts, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return podstate.Facts{}, err
	}
	if _, err := s.cluster(); err != nil {
		return podstate.Facts{}, err
	}
	sc = s.played(ctx, sc, ns)
	// No progress callback: the grader reports on every pod event, far too
	// often for a terminal while pods crash-loop.
	return s.observer().WaitForSignature(ctx, sc.Target(ns), sc.Signature, timeout, nil)
}

// Manifests renders the objects Start deploys, with the lab's labels, as YAML.
func (s *Service) Manifests(ctx context.Context, id string) ([]byte, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	if sc, err = sc.Variant(s.variant); err != nil {
		return nil, err
	}
	_, vals, err := s.deployImages(ctx)
	if err != nil {
		return nil, err
	}
	return sc.RenderYAML(vals, cluster.LabLabels(sc.ID, s.learner))
}

// Begin begins the learner's attempt at a scenario that someone else
// deployed (for a workshop learner, the trainer; the lab's controller calls
// it when the learner opens the page) and returns the scenario as it was
// deployed, whose briefing is the page. An attempt already begun is left as
// it is; a scenario not deployed is ErrNotStarted.
func (s *Service) Begin(ctx context.Context, id string) (scenarios.Scenario, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return scenarios.Scenario{}, err
	}
	nsObj, err := s.startedNamespace(ctx, sc.ID, ns)
	if err != nil {
		return scenarios.Scenario{}, err
	}
	s.beginIfNew(sc)
	return s.playedIn(ctx, sc, nsObj), nil
}
