// Package attempts is the learner's side of an Attempt: it writes requests
// into the Attempt's spec and waits, on a watch, for the lab's controller to
// answer them in status. It implements lab.Remote, so a workshop learner's
// crashlab runs the same commands and shows the same results, while the
// judging and the record stay with the controller's identity.
package attempts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
)

// Name is the Attempt of a learner's incident: a dot cannot be part of a
// learner name or an incident id, so no two pairs share a name.
func Name(learner, id string) string { return learner + "." + id }

// ErrNoAnswer is a request the controller did not answer in time: the
// controller is not running, or cannot reach the incident.
var ErrNoAnswer = errors.New("the lab's controller did not answer")

// ErrCheckInterrupted is a check the cluster ended before its verdict (the
// controller running it stopped, or a newer check replaced it): never a
// pass; the error's text says why.
var ErrCheckInterrupted = errors.New("the check was interrupted in the cluster")

// ErrNotJudged is a request the controller could not judge; the error's
// text says why.
var ErrNotJudged = errors.New("not judged")

// AnswerTimeout bounds the wait for an answer to a request other than a
// check (a check reports its steps and has its own bound).
const AnswerTimeout = 2 * time.Minute

// checkTimeout bounds a check: the longest live judge (pods replaced, a
// stable window, the as-deployed rules again) with room to spare.
const checkTimeout = 15 * time.Minute

// Client reads and writes one learner's Attempts in a workshop namespace.
type Client struct {
	c         client.WithWatch
	namespace string
	learner   string
}

// Scheme knows the lab's API.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = v1alpha1.AddToScheme(s)
	return s
}

// New returns the learner's client.
func New(cfg *rest.Config, namespace, learner string) (*Client, error) {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, err
	}
	return &Client{c: c, namespace: namespace, learner: learner}, nil
}

// NewFromClient wraps a client (a fake one in tests).
func NewFromClient(c client.WithWatch, namespace, learner string) *Client {
	return &Client{c: c, namespace: namespace, learner: learner}
}

func (c *Client) key(id string) types.NamespacedName {
	return types.NamespacedName{Namespace: c.namespace, Name: Name(c.learner, id)}
}

// Get reads the learner's Attempt of an incident.
func (c *Client) Get(ctx context.Context, id string) (*v1alpha1.Attempt, error) {
	var a v1alpha1.Attempt
	if err := c.c.Get(ctx, c.key(id), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ask merge-patches the spec and waits until the controller answered that
// generation of it; a failed answer is ErrNotJudged with its reason.
func (c *Client) ask(ctx context.Context, id string, spec map[string]any) (*v1alpha1.Attempt, error) {
	b, err := json.Marshal(map[string]any{"spec": spec})
	if err != nil {
		return nil, err
	}
	a := &v1alpha1.Attempt{}
	a.Namespace, a.Name = c.namespace, Name(c.learner, id)
	if err := c.c.Patch(ctx, a, client.RawPatch(types.MergePatchType, b)); err != nil {
		return nil, err
	}
	gen := a.Generation
	ctx, cancel := context.WithTimeout(ctx, AnswerTimeout)
	defer cancel()
	got, err := c.waitFor(ctx, id, a, func(a *v1alpha1.Attempt) bool { return a.Status.ObservedGeneration >= gen })
	if err != nil {
		return nil, err
	}
	if cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionRequestFailed); cond != nil && cond.Status == "True" {
		return got, fmt.Errorf("%w: %s", ErrNotJudged, cond.Message)
	}
	return got, nil
}

// waitFor watches the Attempt (by name: the learner's RBAC names their own)
// from the version last read until done holds.
func (c *Client) waitFor(ctx context.Context, id string, last *v1alpha1.Attempt, done func(*v1alpha1.Attempt) bool) (*v1alpha1.Attempt, error) {
	for {
		if done(last) {
			return last, nil
		}
		w, err := c.c.Watch(ctx, &v1alpha1.AttemptList{}, client.InNamespace(c.namespace),
			&client.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", Name(c.learner, id)), Raw: nil},
			resourceVersion(last.ResourceVersion))
		if err != nil {
			return nil, err
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break
			}
			if a, ok := ev.Object.(*v1alpha1.Attempt); ok && (ev.Type == watch.Modified || ev.Type == watch.Added) {
				last = a
				if done(a) {
					w.Stop()
					return a, nil
				}
			}
		}
		w.Stop()
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, ErrNoAnswer
			}
			return nil, err
		}
		// The watch ended (a timeout, a compaction): read again and go on.
		if last, err = c.Get(ctx, id); err != nil {
			return nil, err
		}
	}
}

// resourceVersion starts a watch after the version already read.
type resourceVersion string

func (rv resourceVersion) ApplyToList(o *client.ListOptions) {
	if o.Raw == nil {
		o.Raw = &metav1.ListOptions{}
	}
	o.Raw.ResourceVersion = string(rv)
}

// Begin opens the page.
func (c *Client) Begin(ctx context.Context, id string) error {
	_, err := c.ask(ctx, id, map[string]any{"started": true})
	return err
}

// Hints asks for at least n hints.
func (c *Client) Hints(ctx context.Context, id string, n int) (int, error) {
	a, err := c.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	if n <= int(a.Spec.Hints) && len(a.Status.Hints) >= n {
		return len(a.Status.Hints), nil
	}
	got, err := c.ask(ctx, id, map[string]any{"started": true, "hints": max(n, int(a.Spec.Hints))})
	if err != nil {
		return 0, err
	}
	return len(got.Status.Hints), nil
}

// Questions are the attempt's questions as the controller wrote them.
func (c *Client) Questions(ctx context.Context, id string) ([]grader.Question, error) {
	a, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(a.Status.Questions) == 0 {
		if a, err = c.ask(ctx, id, map[string]any{"started": true}); err != nil {
			return nil, err
		}
	}
	out := make([]grader.Question, len(a.Status.Questions))
	for i, q := range a.Status.Questions {
		out[i] = grader.Question{ID: q.ID, Prompt: q.Prompt, Fact: q.Fact}
		for _, ch := range q.Choices {
			out[i].Choices = append(out[i].Choices, grader.Choice{ID: ch.ID, Text: ch.Text})
		}
	}
	return out, nil
}

// Diagnose submits answers and returns the controller's verdict.
func (c *Client) Diagnose(ctx context.Context, id string, answers map[string]string) (grader.Verdict, error) {
	a, err := c.Get(ctx, id)
	if err != nil {
		return grader.Verdict{}, err
	}
	n := int64(1)
	if a.Spec.Diagnosis != nil {
		n = a.Spec.Diagnosis.Request + 1
	}
	if a.Status.Diagnosis != nil {
		n = max(n, a.Status.Diagnosis.Request+1)
	}
	got, err := c.ask(ctx, id, map[string]any{"started": true, "diagnosis": map[string]any{"request": n, "answers": answers}})
	if err != nil {
		return grader.Verdict{}, err
	}
	d := got.Status.Diagnosis
	if d == nil || d.Request != n {
		return grader.Verdict{}, fmt.Errorf("%w: answers %d are not the ones judged", ErrNotJudged, n)
	}
	if d.Error != "" {
		return grader.Verdict{}, fmt.Errorf("%w: %s", ErrNotJudged, d.Error)
	}
	return verdictOf("diagnosis", id, d), nil
}

// Check asks for a check and follows it to its end, reporting each step.
// An ended ctx withdraws the check (the controller records it as
// interrupted) and returns podstate.ErrInterrupted.
func (c *Client) Check(ctx context.Context, id string, readyTimeout time.Duration, step func(string)) (grader.Verdict, error) {
	a, err := c.Get(ctx, id)
	if err != nil {
		return grader.Verdict{}, err
	}
	n := int64(1)
	if a.Spec.Check != nil {
		n = a.Spec.Check.Request + 1
	}
	if a.Status.Check != nil {
		n = max(n, a.Status.Check.Request+1)
	}
	check := map[string]any{"request": n, "withdrawn": false}
	if s := int64(readyTimeout / time.Second); s > 0 {
		check["readyTimeoutSeconds"] = s
	}
	got, err := c.ask(ctx, id, map[string]any{"started": true, "check": check})
	if err != nil {
		return grader.Verdict{}, c.interrupted(ctx, id, n, err)
	}
	wctx, cancel := context.WithTimeout(ctx, checkTimeout+readyTimeout)
	defer cancel()
	last := ""
	got, err = c.waitFor(wctx, id, got, func(a *v1alpha1.Attempt) bool {
		cs := a.Status.Check
		if cs == nil || cs.Request != n {
			return false
		}
		if cs.Step != "" && cs.Step != last && step != nil {
			last = cs.Step
			step(cs.Step)
		}
		return cs.Result != v1alpha1.CheckRunning
	})
	if err != nil {
		return grader.Verdict{}, c.interrupted(ctx, id, n, err)
	}
	cs := got.Status.Check
	switch cs.Result {
	case v1alpha1.CheckPassed, v1alpha1.CheckFailed:
		if cs.Verdict == nil {
			return grader.Verdict{}, fmt.Errorf("%w: the check ended without a verdict", ErrNotJudged)
		}
		v := verdictOf("fix", id, cs.Verdict)
		// Passed only as the controller said, and only with its checks.
		v.Passed = cs.Result == v1alpha1.CheckPassed && v.Passed
		return v, nil
	case v1alpha1.CheckInterrupted:
		return grader.Verdict{}, fmt.Errorf("%w: %s", ErrCheckInterrupted, cs.Reason)
	default:
		return grader.Verdict{}, fmt.Errorf("%w: %s", ErrNotJudged, cs.Reason)
	}
}

// interrupted withdraws check n when the learner stopped waiting, and
// returns the error the wait ended with, as an interruption when it was.
func (c *Client) interrupted(ctx context.Context, id string, n int64, err error) error {
	if ctx.Err() == nil {
		return err
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(map[string]any{"spec": map[string]any{"check": map[string]any{"request": n, "withdrawn": true}}})
	a := &v1alpha1.Attempt{}
	a.Namespace, a.Name = c.namespace, Name(c.learner, id)
	_ = c.c.Patch(wctx, a, client.RawPatch(types.MergePatchType, b))
	return fmt.Errorf("%w: %w", podstate.ErrInterrupted, ctx.Err())
}

// GiveUp gives the attempt up.
func (c *Client) GiveUp(ctx context.Context, id string) error {
	_, err := c.ask(ctx, id, map[string]any{"started": true, "giveUp": true})
	return err
}

// Entry is the attempt's record.
func (c *Client) Entry(ctx context.Context, id string) (progress.Entry, error) {
	a, err := c.Get(ctx, id)
	if err != nil {
		return progress.Entry{}, err
	}
	return EntryOf(a.Status.Progress), nil
}

func verdictOf(kind, id string, v *v1alpha1.Verdict) grader.Verdict {
	out := grader.Verdict{Kind: kind, Scenario: id, Passed: v.Passed, Approach: v.Approach}
	for _, ch := range v.Checks {
		out.Checks = append(out.Checks, grader.CheckResult{Name: ch.Name, Passed: ch.Passed, Message: ch.Message})
	}
	return out
}

// ReplayJSON is the replay the controller keeps in the attempt's status
// (lab.RemoteReplayer), "" when it keeps none: it reads no audit log, or
// has not read it since the attempt began.
func (c *Client) ReplayJSON(ctx context.Context, id string) (string, error) {
	a, err := c.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if a.Status.Investigation == nil {
		return "", nil
	}
	return a.Status.Investigation.Replay, nil
}
