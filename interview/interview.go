// Package interview runs crashlab for a hiring interview: the interviewer's
// identity deploys an incident into a neutral namespace and keeps its
// attempt record, digest and the interview's record where the candidate's
// ServiceAccount cannot reach them, and judges the candidate's requests,
// relayed through ConfigMaps, with its own lab service; the candidate's
// crashlab only asks and prints, so neither the answer nor the score is ever
// in the candidate's hands.
package interview

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/workshop"
)

const (
	// SystemNamespace holds every interview's attempt record and interview
	// record. No candidate is bound to anything in it.
	SystemNamespace = "crashlab-interviews"
	// NamespacePrefix starts an interview's incident namespace, followed by
	// the interview's token: nothing in the name says which incident it is.
	NamespacePrefix = "crashlab-interview-"
	// ContextPrefix starts the context name of a candidate's kubeconfig; the
	// candidate's crashlab then relays instead of judging.
	ContextPrefix = "crashlab-interview-"
	// LabelInterview carries the token on the interview's objects.
	LabelInterview = "crashlab.dev/interview"
	// candidateRole is the ClusterRole a candidate is bound to in their
	// incident namespace (a workshop learner's rights).
	candidateRole = "crashlab-interview-candidate"
	// nodesRole lets a candidate read the nodes.
	nodesRole = "crashlab-interview-nodes"
	// CandidateAccount is the candidate's ServiceAccount, in the incident
	// namespace: it goes with the namespace, and its name is the same in
	// every interview, so it tells nothing either.
	CandidateAccount = "candidate"
	recordKey        = "record.json"
)

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// NewToken is an interview's opaque name: ten random hex digits.
func NewToken() (string, error) {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("draw an interview token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Namespace is the interview's incident namespace.
func Namespace(token string) string { return NamespacePrefix + token }

// CandidateUser is the user name the API server gives the candidate's
// requests (their ServiceAccount's), as its audit log records it.
func CandidateUser(token string) string {
	return serviceaccount.MakeUsername(Namespace(token), CandidateAccount)
}

// Context is the context name of the candidate's kubeconfig.
func Context(token string) string { return ContextPrefix + token }

// TokenOf reads the token from a candidate's context name.
func TokenOf(contextName string) (string, bool) {
	t, ok := strings.CutPrefix(contextName, ContextPrefix)
	return t, ok && dnsLabel.MatchString(t)
}

// attemptRecordName is the attempt record's ConfigMap in SystemNamespace.
func attemptRecordName(token string) string { return "attempt-" + token }

// recordName is the interview record's ConfigMap in SystemNamespace.
func recordName(token string) string { return "interview-" + token }

// ErrNoCandidate is an interview started without the candidate's name.
var ErrNoCandidate = errors.New("the candidate's name is required, for the report")

// ErrBadCandidate is a candidate name the records cannot hold; see
// CandidateError.
var ErrBadCandidate = errors.New("candidate name is not usable")

// CandidateRule is what a candidate name must be.
const CandidateRule = "use at most 63 lower-case letters, digits and '-'"

// CandidateError is a candidate name the records cannot hold.
type CandidateError struct{ Name string }

func (e *CandidateError) Error() string {
	return fmt.Sprintf("candidate name %q is not usable: %s", e.Name, CandidateRule)
}

func (e *CandidateError) Unwrap() error { return ErrBadCandidate }

// ValidateCandidate refuses a candidate name the records cannot hold.
func ValidateCandidate(name string) error {
	if name == "" {
		return ErrNoCandidate
	}
	if len(name) > 63 || !dnsLabel.MatchString(name) {
		return &CandidateError{Name: name}
	}
	return nil
}

// Labels go on the incident namespace and every object in it: the lab's
// own (so that reset and down know it as the lab's) with the token where
// the scenario's id would be.
func Labels(token string) map[string]string {
	return map[string]string{cluster.LabelManagedBy: cluster.ManagedBy, cluster.LabelScenario: token, LabelInterview: token}
}

// systemLabels are the system namespace's labels.
func systemLabels() map[string]string {
	return map[string]string{cluster.LabelManagedBy: cluster.ManagedBy, workshop.LabelRole: "interviews"}
}

// EnsureSystemNamespace creates SystemNamespace, or checks it is the lab's.
func EnsureSystemNamespace(ctx context.Context, c kubernetes.Interface) error {
	_, err := cluster.CreateNamespace(ctx, c, SystemNamespace, systemLabels())
	return err
}

// LockDown runs once the incident is deployed in the interview's
// namespace, before the candidate has a token: it moves the attempt record
// into SystemNamespace (the digest stays on the incident namespace, which
// the candidate cannot change, or even read) and gives the candidate's
// ServiceAccount a learner's rights in the incident namespace and the
// right to read nodes, nothing else.
func LockDown(ctx context.Context, c kubernetes.Interface, token string) error {
	ns := Namespace(token)
	if err := scenarios.MoveRecord(ctx, c, ns, SystemNamespace, attemptRecordName(token)); err != nil {
		return err
	}
	for _, o := range candidateRBAC(token) {
		if err := workshop.Apply(ctx, c, o); err != nil {
			return err
		}
	}
	return nil
}

// candidateRBAC is every object that gives the candidate their rights: the
// ServiceAccount and a RoleBinding in the incident namespace (to a shared
// ClusterRole of a workshop learner's rules), and a ClusterRoleBinding to
// read nodes. No namespace rights at all: the incident namespace carries
// the record's digest and place, which the candidate may neither change
// nor read.
func candidateRBAC(token string) []runtime.Object {
	ns := Namespace(token)
	l := Labels(token)
	shared := map[string]string{cluster.LabelManagedBy: cluster.ManagedBy, workshop.LabelRole: "interview"}
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: CandidateAccount, Namespace: ns}}
	return []runtime.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: CandidateAccount, Namespace: ns, Labels: l}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: candidateRole, Labels: shared}, Rules: workshop.LearnerRules()},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: nodesRole, Labels: shared}, Rules: []rbacv1.PolicyRule{workshop.NodeReader()}},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "crashlab-candidate", Namespace: ns, Labels: l},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: candidateRole},
			Subjects:   subject,
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: NamespacePrefix + token, Labels: l},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: nodesRole},
			Subjects:   subject,
		},
	}
}

// Event is one thing the candidate did, as the interviewer judged it.
type Event struct {
	At time.Time `json:"at"`
	// After is the time from the page, as a Go duration ("4m12s").
	After string `json:"after"`
	// Kind is questions, answer, diagnosis, hint, check or status.
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
	// Passed is the verdict of an answer, a diagnosis or a check.
	Passed *bool `json:"passed,omitempty"`
}

// Record is the interview record, kept in SystemNamespace by the
// interviewer's identity only.
type Record struct {
	Token     string    `json:"token"`
	Candidate string    `json:"candidate"`
	Incident  string    `json:"incident"`
	Namespace string    `json:"namespace"`
	Seed      uint64    `json:"seed"`
	Started   time.Time `json:"started"`
	Limit     string    `json:"limit"`
	Events    []Event   `json:"events"`
	Outcome   string    `json:"outcome,omitempty"`
	Score     *int      `json:"score,omitempty"`
}

// Recorder keeps the interview record: every event is appended in memory
// and saved to the record's ConfigMap, and the waiting interviewer hears of
// it. Only the interviewer's process has one.
type Recorder struct {
	c       kubernetes.Interface
	mu      sync.Mutex
	rec     Record
	changed chan struct{}
	onEvent func(Event)
	onError func(error)
	now     func() time.Time
}

// NewRecorder writes the record's first version and returns its keeper;
// onEvent hears each event as it is added, onError a save that failed (the
// event is kept in memory and in the report all the same).
func NewRecorder(ctx context.Context, c kubernetes.Interface, rec Record, onEvent func(Event), onError func(error)) (*Recorder, error) {
	r := &Recorder{c: c, rec: rec, changed: make(chan struct{}, 1), onEvent: onEvent, onError: onError, now: time.Now}
	if err := r.save(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Changed is signalled after each event.
func (r *Recorder) Changed() <-chan struct{} { return r.changed }

// Add appends an event, timed now.
func (r *Recorder) Add(ctx context.Context, kind, detail string, passed *bool) {
	r.mu.Lock()
	now := r.now()
	e := Event{At: now, After: now.Sub(r.rec.Started).Round(time.Second).String(), Kind: kind, Detail: detail, Passed: passed}
	r.rec.Events = append(r.rec.Events, e)
	r.mu.Unlock()
	if err := r.save(ctx); err != nil {
		r.onError(err)
	}
	r.onEvent(e)
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Finish sets the outcome and score and saves the record one last time.
func (r *Recorder) Finish(ctx context.Context, outcome string, score *int) (Record, error) {
	r.mu.Lock()
	r.rec.Outcome, r.rec.Score = outcome, score
	r.mu.Unlock()
	return r.Record(), r.save(ctx)
}

// Record is a copy of the record so far.
func (r *Recorder) Record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.rec
	out.Events = append([]Event(nil), r.rec.Events...)
	return out
}

func (r *Recorder) save(ctx context.Context) error {
	rec := r.Record()
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: recordName(rec.Token), Namespace: SystemNamespace, Labels: map[string]string{
			cluster.LabelManagedBy: cluster.ManagedBy, LabelInterview: rec.Token, scenarios.LabelRecord: "interview"}},
		Data: map[string]string{recordKey: string(b)},
	}
	// The last word must land even after Ctrl-C cancelled the interview.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err = r.c.CoreV1().ConfigMaps(SystemNamespace).Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		_, err = r.c.CoreV1().ConfigMaps(SystemNamespace).Create(ctx, cm, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("save the interview record %s/%s: %w", SystemNamespace, cm.Name, err)
	}
	return nil
}

// LoadRecord reads an interview record (the interviewer's identity).
func LoadRecord(ctx context.Context, c kubernetes.Interface, token string) (Record, error) {
	cm, err := c.CoreV1().ConfigMaps(SystemNamespace).Get(ctx, recordName(token), metav1.GetOptions{})
	if err != nil {
		return Record{}, fmt.Errorf("read the interview record of %s: %w", token, err)
	}
	var rec Record
	if err := json.Unmarshal([]byte(cm.Data[recordKey]), &rec); err != nil {
		return Record{}, fmt.Errorf("interview record of %s is unreadable: %w", token, err)
	}
	return rec, nil
}

// CurrentContext returns the current context of the kubeconfig when it is
// a candidate's (else ""). It reads only the local file.
func CurrentContext(kubeconfig string) string {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	raw, err := rules.Load()
	if err != nil {
		return ""
	}
	if _, ok := TokenOf(raw.CurrentContext); !ok {
		return ""
	}
	return raw.CurrentContext
}
