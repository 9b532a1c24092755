package lab

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// A triage round puts several broken workloads into one namespace, as an
// on-call engineer meets them: the learner labels each with its status
// family and root cause, each label judged against that workload's live
// state, then fixes the one the page says matters most.
const (
	// TriageRecordName is the round's record: seed, scenarios, priority.
	TriageRecordName = "crashlab-triage"
	// annotationTriageDigest keeps the record's digest on the namespace.
	annotationTriageDigest = "crashlab.dev/triage-digest"
	// DefaultTriageCount is how many workloads a round breaks by default.
	DefaultTriageCount = 3
)

// ErrNoTriage means no triage round runs for this learner.
var ErrNoTriage = errors.New("no triage round is running")

// ErrTooFewIncidents is a round asked with more workloads than the catalogue
// has incidents that fit in one namespace together; see TooFewIncidentsError.
var ErrTooFewIncidents = errors.New("too few incidents fit in one namespace together")

// TooFewIncidentsError says how many incidents do fit together.
type TooFewIncidentsError struct{ Fit int }

func (e *TooFewIncidentsError) Error() string {
	return fmt.Sprintf("the catalogue has only %d incidents that fit in one namespace together", e.Fit)
}

func (e *TooFewIncidentsError) Unwrap() error { return ErrTooFewIncidents }

// TriageOptions choose a round: Count workloads, drawn with Seed (0: a new
// seed, printed so that a trainer can give the whole room the same round).
type TriageOptions struct {
	Count int
	Seed  uint64
}

// Triage is a running round.
type Triage struct {
	Namespace string
	Seed      uint64
	// Workloads are the broken workloads ("Deployment/orders-api"), in the
	// round's order; Priority is the one to fix first.
	Workloads []string
	Priority  string
	StartedAt time.Time
	// scenarios maps each workload to the scenario that broke it; it is
	// never shown, since ids would name the incidents.
	scenarios map[string]scenarios.Scenario
}

// TriageLabel is the learner's label of one workload.
type TriageLabel struct {
	Family string
	// Cause is a cause choice's key (TriageCause.Key).
	Cause string
}

// TriageCause is one cause a learner may pick in a round: every cause
// choice of the round's scenarios, so that telling them apart is the task.
type TriageCause struct {
	Key  string `json:"key"`
	Text string `json:"text"`
	// evidence and container judge the choice on a workload's facts.
	evidence []string
}

// TriageNamespace is the learner's triage namespace.
func (s *Service) TriageNamespace() (string, error) {
	return cluster.NamespaceFor(s.learner, scenarios.TriageLabel)
}

// StartTriage draws and deploys a round. A round already running is an
// error wrapping scenarios.ErrAlreadyStarted: end it first.
func (s *Service) StartTriage(ctx context.Context, opts TriageOptions) (Triage, error) {
	ns, err := s.TriageNamespace()
	if err != nil {
		return Triage{}, err
	}
	if opts.Count == 0 {
		opts.Count = DefaultTriageCount
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	if _, err := s.cluster(); err != nil {
		return Triage{}, err
	}
	if existing, err := s.loadTriage(ctx, ns); err == nil {
		return existing, fmt.Errorf("%w: a triage round (seed %d) in namespace %s", scenarios.ErrAlreadyStarted, existing.Seed, ns)
	} else if !errors.Is(err, ErrNoTriage) {
		return Triage{}, err
	}
	imgs, vals, err := s.deployImages(ctx)
	if err != nil {
		return Triage{}, err
	}
	if err := s.ensureImages(ctx, imgs); err != nil {
		return Triage{}, err
	}
	picked, priority, err := DrawTriage(s.catalog.All(), vals, opts)
	if err != nil {
		return Triage{}, err
	}
	if err := scenarios.DeployTriage(ctx, s.client, picked, ns, s.learner, vals); err != nil {
		return Triage{}, err
	}
	ids := make([]string, len(picked))
	for i, sc := range picked {
		ids[i] = sc.ID
	}
	data := map[string]string{"seed": strconv.FormatUint(opts.Seed, 10), "scenarios": strings.Join(ids, ","), "priority": priority.ID, "startedAt": time.Now().UTC().Format(time.RFC3339)}
	if err := s.writeTriageRecord(ctx, ns, data); err != nil {
		return Triage{}, err
	}
	return s.loadTriage(ctx, ns)
}

// DrawTriage picks count scenarios whose objects do not share names (they
// go into one namespace), and the priority among those whose fix the shared
// judge can grade there (a Deployment, no live hook of their own). The same
// catalogue, values and seed always give the same round.
func DrawTriage(all []scenarios.Scenario, vals scenarios.Values, opts TriageOptions) ([]scenarios.Scenario, scenarios.Scenario, error) {
	if opts.Count < 2 {
		return nil, scenarios.Scenario{}, fmt.Errorf("a triage round needs at least 2 workloads, not %d", opts.Count)
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x7269616765))
	order := slices.Clone(all)
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	prioritizable := func(sc scenarios.Scenario) bool {
		return sc.Workload.Kind == podstate.KindDeployment && !sc.HasLiveHook()
	}
	// The priority first, so that every round has one.
	if i := slices.IndexFunc(order, prioritizable); i > 0 {
		order[0], order[i] = order[i], order[0]
	}
	used := map[string]bool{}
	var picked []scenarios.Scenario
	for _, sc := range order {
		if len(picked) == opts.Count {
			break
		}
		names, err := sc.ObjectNames(vals)
		if err != nil {
			return nil, scenarios.Scenario{}, err
		}
		if slices.ContainsFunc(names, func(n string) bool { return used[n] }) {
			continue
		}
		for _, n := range names {
			used[n] = true
		}
		picked = append(picked, sc)
	}
	if len(picked) < opts.Count {
		return nil, scenarios.Scenario{}, &TooFewIncidentsError{Fit: len(picked)}
	}
	if len(picked) == 0 || !prioritizable(picked[0]) {
		return nil, scenarios.Scenario{}, errors.New("no incident of the catalogue can be the round's priority")
	}
	priority := picked[0]
	// The page should not always list the priority first.
	r.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	return picked, priority, nil
}

// Triage returns the learner's running round.
func (s *Service) Triage(ctx context.Context) (Triage, error) {
	ns, err := s.TriageNamespace()
	if err != nil {
		return Triage{}, err
	}
	if _, err := s.cluster(); err != nil {
		return Triage{}, err
	}
	return s.loadTriage(ctx, ns)
}

// TriageCauses are the causes a learner may pick, in an order of the round's
// own (the intended cause of a workload is never at a fixed place).
func (t Triage) TriageCauses() []TriageCause {
	var out []TriageCause
	seen := map[string]bool{}
	for _, w := range t.Workloads {
		sc := t.scenarios[w]
		for _, q := range sc.Questions {
			if len(q.Choices) == 0 || q.ID != CauseQuestion(sc) {
				continue
			}
			for _, c := range q.Choices {
				if seen[c.Text] {
					continue
				}
				seen[c.Text] = true
				out = append(out, TriageCause{Text: c.Text, evidence: c.Evidence})
			}
		}
	}
	r := rand.New(rand.NewPCG(t.Seed, 0x636175736573))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	// Keys are positions in the round's order: a key must not say which
	// scenario (and so which workload) a cause came from.
	for i := range out {
		out[i].Key = "c" + strconv.Itoa(i+1)
	}
	return out
}

// TriageFamilies are the families a learner may pick, shuffled per round.
func (t Triage) TriageFamilies() []string {
	out := slices.Clone(podstate.Families)
	r := rand.New(rand.NewPCG(t.Seed, 0x66616d696c79))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// CauseQuestion is the scenario's choice question about the cause, the one
// a triage round asks: the one with id "cause", else its first choice
// question.
func CauseQuestion(sc scenarios.Scenario) string {
	first := ""
	for _, q := range sc.Questions {
		if len(q.Choices) == 0 {
			continue
		}
		if q.ID == "cause" {
			return q.ID
		}
		if first == "" {
			first = q.ID
		}
	}
	return first
}

// JudgeTriage grades each workload's label against that workload's live
// facts: the family the lab's reader sees on its pods, and the cause
// choice's evidence on its container. An unlabelled workload fails.
func (s *Service) JudgeTriage(ctx context.Context, labels map[string]TriageLabel) (grader.Verdict, error) {
	t, err := s.Triage(ctx)
	if err != nil {
		return grader.Verdict{}, err
	}
	causes := map[string]TriageCause{}
	for _, c := range t.TriageCauses() {
		causes[c.Key] = c
	}
	for w := range labels {
		if _, ok := t.scenarios[w]; !ok {
			return grader.Verdict{}, fmt.Errorf("%s is not one of this round's workloads (%s)", w, strings.Join(t.Workloads, ", "))
		}
	}
	v := grader.Verdict{Kind: "triage", Scenario: scenarios.TriageLabel}
	for _, w := range t.Workloads {
		sc := t.scenarios[w]
		f, err := s.observer().Observe(ctx, sc.Target(t.Namespace))
		if err != nil {
			return grader.Verdict{}, err
		}
		l, ok := labels[w]
		if !ok {
			v.Checks = append(v.Checks, grader.CheckResult{Name: w + " family", Message: "not labelled"}, grader.CheckResult{Name: w + " cause", Message: "not labelled"})
			continue
		}
		live := f.Family()
		famOK := slices.ContainsFunc(f.Families(), func(v string) bool { return strings.EqualFold(v, l.Family) })
		famMsg := fmt.Sprintf("%s: its pods show %s", l.Family, live)
		if !famOK {
			famMsg = fmt.Sprintf("%s is not what its pods show: look at `kubectl -n %s get pods` and describe one", l.Family, t.Namespace)
		}
		v.Checks = append(v.Checks, grader.CheckResult{Name: w + " family", Passed: famOK, Message: famMsg})
		c, known := causes[l.Cause]
		switch {
		case !known:
			v.Checks = append(v.Checks, grader.CheckResult{Name: w + " cause", Message: fmt.Sprintf("%q is not one of the round's causes", l.Cause)})
		default:
			ok, missing := grader.ChoiceHolds(f, sc.Workload.Container, c.evidence)
			msg := c.Text + ": the workload shows it"
			if !ok {
				msg = fmt.Sprintf("%s: the workload does not show it (no %s)", c.Text, missing)
			}
			v.Checks = append(v.Checks, grader.CheckResult{Name: w + " cause", Passed: ok, Message: msg})
		}
	}
	v.Passed = len(v.Checks) > 0
	for _, c := range v.Checks {
		v.Passed = v.Passed && c.Passed
	}
	return v, ctx.Err()
}

// CheckTriage judges the fix of the round's priority workload the way
// `check` judges an incident, against that workload's own attempt record in
// the round's namespace; the other broken workloads stay as they are.
func (s *Service) CheckTriage(ctx context.Context, opts CheckOptions) (grader.Verdict, error) {
	t, err := s.Triage(ctx)
	if err != nil {
		return grader.Verdict{}, err
	}
	sc := t.scenarios[t.Priority]
	attempt, err := scenarios.LoadTriageAttempt(ctx, s.client, sc, t.Namespace)
	if err != nil {
		return grader.Verdict{}, err
	}
	// The other workloads of the round are the lab's too, not stand-ins
	// the learner added: every record's objects count as recorded.
	uids := map[string]string{}
	for _, w := range t.Workloads {
		other, err := scenarios.LoadTriageAttempt(ctx, s.client, t.scenarios[w], t.Namespace)
		if err != nil {
			return grader.Verdict{}, err
		}
		for k, u := range other.UIDs {
			uids[k] = u
		}
	}
	attempt.UIDs = uids
	return s.judgeFix(ctx, sc, t.Namespace, attempt, opts, false)
}

// EndTriage deletes the round's namespace.
func (s *Service) EndTriage(ctx context.Context) error {
	ns, err := s.TriageNamespace()
	if err != nil {
		return err
	}
	if _, err := s.cluster(); err != nil {
		return err
	}
	return cluster.DeleteNamespace(ctx, s.client, ns, 3*time.Minute)
}

func (s *Service) writeTriageRecord(ctx context.Context, ns string, data map[string]string) error {
	lbls := cluster.LabLabels(scenarios.TriageLabel, s.learner)
	lbls[scenarios.LabelRecord] = "triage"
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: TriageRecordName, Namespace: ns, Labels: lbls}, Data: data}
	if _, err := s.client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("write the triage record in %s: %w", ns, err)
	}
	return cluster.RecordObjectsMore(ctx, s.client, ns, map[string]string{annotationTriageDigest: scenarios.Digest(data)})
}

// loadTriage reads and verifies the round's record: a missing namespace or
// record is ErrNoTriage, an edited one is scenarios.ErrRecordAltered.
func (s *Service) loadTriage(ctx context.Context, ns string) (Triage, error) {
	nsObj, err := cluster.GetOwned(ctx, s.client, ns)
	if apierrors.IsNotFound(err) {
		return Triage{}, fmt.Errorf("%w (namespace %s)", ErrNoTriage, ns)
	}
	if err != nil {
		return Triage{}, err
	}
	cm, err := s.client.CoreV1().ConfigMaps(ns).Get(ctx, TriageRecordName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) && nsObj.Annotations[annotationTriageDigest] == "":
		return Triage{}, fmt.Errorf("%w (namespace %s has no round record; an interrupted start: end it and start again)", ErrNoTriage, ns)
	case apierrors.IsNotFound(err):
		return Triage{}, fmt.Errorf("%w (ConfigMap %s/%s)", scenarios.ErrNoRecord, ns, TriageRecordName)
	case err != nil:
		return Triage{}, fmt.Errorf("read the triage record in %s: %w", ns, err)
	case scenarios.Digest(cm.Data) != nsObj.Annotations[annotationTriageDigest]:
		return Triage{}, fmt.Errorf("%w (ConfigMap %s/%s no longer matches its digest)", scenarios.ErrRecordAltered, ns, TriageRecordName)
	}
	seed, _ := strconv.ParseUint(cm.Data["seed"], 10, 64)
	t := Triage{Namespace: ns, Seed: seed, scenarios: map[string]scenarios.Scenario{}}
	t.StartedAt, _ = time.Parse(time.RFC3339, cm.Data["startedAt"])
	for _, id := range strings.Split(cm.Data["scenarios"], ",") {
		sc, err := s.catalog.Get(id)
		if err != nil {
			return Triage{}, fmt.Errorf("%w: the round names %q, which this crashlab does not know", scenarios.ErrRecordAltered, id)
		}
		w := sc.Workload.Kind + "/" + sc.Workload.Name
		t.Workloads = append(t.Workloads, w)
		t.scenarios[w] = sc
		if id == cm.Data["priority"] {
			t.Priority = w
		}
	}
	if t.Priority == "" {
		return Triage{}, fmt.Errorf("%w: the round's priority is not one of its workloads", scenarios.ErrRecordAltered)
	}
	return t, nil
}
