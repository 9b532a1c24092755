package scenarios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
)

// The attempt record is what a fix is judged against, written once at start:
// the manifests exactly as deployed (images and values filled in), the UIDs
// the objects were created with, and when. It lives in the cluster, in a
// ConfigMap of the lab namespace, so that a trainer's board and a second
// machine judge against the same record, and it goes away with the attempt
// (reset, down). Its digest is kept on the namespace: an edited or deleted
// record is detected, and check then fails closed instead of skipping rules.
// Because check reads the baseline from the record and not from the binary,
// upgrading crashlab between start and check does not move the goalposts.
const (
	AttemptRecordName       = "crashlab-attempt"
	AnnotationAttemptDigest = "crashlab.dev/attempt-digest"
	LabelRecord             = cluster.LabelRecord
	// AnnotationRecordAt, on a lab namespace, names where its attempt record
	// was moved ("namespace/name"): in a workshop the records live in the
	// workshop's namespace, where a learner may read their own and change
	// none. Only an identity that may change namespaces (the trainer) can
	// set it, like the digest beside it.
	AnnotationRecordAt = "crashlab.dev/record-at"
)

// Errors of a record that cannot be trusted; the CLI tells the learner to reset.
var (
	ErrNoRecord      = errors.New("the lab's record of this attempt is missing")
	ErrRecordAltered = errors.New("the lab's record of this attempt was changed")
)

// Attempt is the record of one start.
type Attempt struct {
	Scenario string
	// Variant is the scenario as this attempt deployed it: the variant of
	// the recorded seed, or the base incident. Every verb judges, shows and
	// hints from it, never from a seed given again on the command line.
	Variant   Scenario
	Baseline  Baseline
	UIDs      map[string]string
	StartedAt time.Time
}

const (
	keyScenario  = "scenario"
	keyManifests = "manifests.yaml"
	keyValues    = "values.json"
	keyUIDs      = "uids.json"
	keyStarted   = "startedAt"
	// keyVariant is the seed of a blind variant (Scenario.Variant), written
	// only for one: a base incident's record is what it always was.
	keyVariant = "variant"
)

func attemptData(scenario, manifests string, v Values, uids map[string]string, started time.Time, seed uint64) (map[string]string, error) {
	vb, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	ub, err := json.Marshal(uids)
	if err != nil {
		return nil, err
	}
	data := map[string]string{keyScenario: scenario, keyManifests: manifests, keyValues: string(vb), keyUIDs: string(ub), keyStarted: started.UTC().Format(time.RFC3339)}
	if seed != 0 {
		data[keyVariant] = strconv.FormatUint(seed, 10)
	}
	return data, nil
}

// Digest is the digest the lab keeps of a record's data.
func Digest(data map[string]string) string { return digest(data) }

// digest covers every key and value, in a fixed order.
func digest(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(data[k]), data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeAttempt creates (or, after an interrupted start, replaces) the record
// ConfigMap and returns its digest.
func writeAttempt(ctx context.Context, c kubernetes.Interface, ns, name string, data, lbls map[string]string) (string, error) {
	l := map[string]string{LabelRecord: "attempt"}
	for k, v := range lbls {
		l[k] = v
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l}, Data: data}
	_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = c.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	}
	if err != nil {
		return "", fmt.Errorf("write the attempt record in %s: %w", ns, err)
	}
	return digest(data), nil
}

// recordName is the record ConfigMap of a slot: "" is a lab namespace's one
// scenario, a scenario id one of a triage round's.
func recordName(slot string) string {
	if slot == "" {
		return AttemptRecordName
	}
	return AttemptRecordName + "-" + slot
}

// digestAnnotation is the namespace annotation holding a slot's digest.
func digestAnnotation(slot string) string {
	if slot == "" {
		return AnnotationAttemptDigest
	}
	return AnnotationAttemptDigest + "-" + slot
}

// LoadAttempt reads and verifies the record of the scenario's attempt in ns.
func LoadAttempt(ctx context.Context, c kubernetes.Interface, s Scenario, ns string) (Attempt, error) {
	return loadAttempt(ctx, c, s, ns, "")
}

// LoadTriageAttempt reads and verifies the record of one scenario of a
// triage round.
func LoadTriageAttempt(ctx context.Context, c kubernetes.Interface, s Scenario, ns string) (Attempt, error) {
	return loadAttempt(ctx, c, s, ns, s.ID)
}

// LoadAttemptOf is LoadAttempt for a caller that has just read the lab's
// namespace (and checked it is the lab's): one request fewer per command.
func LoadAttemptOf(ctx context.Context, c kubernetes.Interface, s Scenario, nsObj *corev1.Namespace) (Attempt, error) {
	return loadAttemptFrom(ctx, c, s, nsObj, "")
}

func loadAttempt(ctx context.Context, c kubernetes.Interface, s Scenario, ns, slot string) (Attempt, error) {
	nsObj, err := cluster.GetOwned(ctx, c, ns)
	if err != nil {
		return Attempt{Scenario: s.ID, Variant: s}, err
	}
	return loadAttemptFrom(ctx, c, s, nsObj, slot)
}

func loadAttemptFrom(ctx context.Context, c kubernetes.Interface, s Scenario, nsObj *corev1.Namespace, slot string) (Attempt, error) {
	a := Attempt{Scenario: s.ID, Variant: s}
	ns := nsObj.Name
	recordNS, AttemptRecordName := ns, recordName(slot)
	if at := nsObj.Annotations[AnnotationRecordAt]; at != "" && slot == "" {
		var ok bool
		if recordNS, AttemptRecordName, ok = strings.Cut(at, "/"); !ok {
			return a, fmt.Errorf("%w: the namespace names its record as %q", ErrRecordAltered, at)
		}
	}
	want := nsObj.Annotations[digestAnnotation(slot)]
	cm, err := c.CoreV1().ConfigMaps(recordNS).Get(ctx, AttemptRecordName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) || (err == nil && want == ""):
		return a, fmt.Errorf("%w (ConfigMap %s/%s)", ErrNoRecord, recordNS, AttemptRecordName)
	case err != nil:
		return a, fmt.Errorf("read the attempt record in %s: %w", recordNS, err)
	case digest(cm.Data) != want:
		return a, fmt.Errorf("%w (ConfigMap %s/%s no longer matches its digest)", ErrRecordAltered, recordNS, AttemptRecordName)
	case cm.Data[keyScenario] != s.ID:
		return a, fmt.Errorf("%w: it is for scenario %q, not %q", ErrRecordAltered, cm.Data[keyScenario], s.ID)
	}
	recorded, err := cluster.RecordedObjects(nsObj)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(cm.Data[keyUIDs]), &a.UIDs); err != nil {
		return a, fmt.Errorf("%w: unreadable UIDs: %v", ErrRecordAltered, err)
	}
	// Every object of this record must be on the namespace with the same
	// UID; in a lab namespace (one slot) nothing else may be there either.
	for k, uid := range a.UIDs {
		if recorded[k] != uid {
			return a, fmt.Errorf("%w: the namespace's record of %s differs", ErrRecordAltered, k)
		}
	}
	if slot == "" && len(recorded) != len(a.UIDs) {
		return a, fmt.Errorf("%w: the namespace records objects the attempt does not", ErrRecordAltered)
	}
	seed, err := recordedSeed(cm.Data)
	if err != nil {
		return a, err
	}
	if a.Variant, err = s.Variant(seed); err != nil {
		return a, fmt.Errorf("%w: %v", ErrRecordAltered, err)
	}
	var v Values
	if err := json.Unmarshal([]byte(cm.Data[keyValues]), &v); err != nil {
		return a, fmt.Errorf("%w: unreadable values: %v", ErrRecordAltered, err)
	}
	if a.Baseline, err = decodeBaseline(s.ID, cm.Data[keyManifests], v); err != nil {
		return a, fmt.Errorf("%w: %v", ErrRecordAltered, err)
	}
	a.Baseline.Workload, a.Baseline.Draw = a.Variant.Workload, a.Variant.draw
	// Its texts name what was deployed (a registry's image, say).
	a.Variant = a.Variant.WithValues(v)
	a.StartedAt, _ = time.Parse(time.RFC3339, cm.Data[keyStarted])
	return a, nil
}

// recordedSeed is the variant seed of a record's data; 0 (the base
// incident) when it has none.
func recordedSeed(data map[string]string) (uint64, error) {
	raw, ok := data[keyVariant]
	if !ok {
		return 0, nil
	}
	seed, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || seed == 0 {
		return 0, fmt.Errorf("%w: unreadable variant seed %q", ErrRecordAltered, raw)
	}
	return seed, nil
}

// MoveRecord moves the attempt record of lab namespace ns to ConfigMap
// toNS/toName and notes the new place on ns. The digest on ns does not change:
// the record's data is the same. Running it again after an interruption
// finishes the move.
func MoveRecord(ctx context.Context, c kubernetes.Interface, ns, toNS, toName string) error {
	nsObj, err := cluster.GetOwned(ctx, c, ns)
	if err != nil {
		return err
	}
	at := toNS + "/" + toName
	if nsObj.Annotations[AnnotationRecordAt] == at {
		return nil
	}
	cm, err := c.CoreV1().ConfigMaps(ns).Get(ctx, AttemptRecordName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read the attempt record in %s: %w", ns, err)
	}
	moved := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: toName, Namespace: toNS, Labels: cm.Labels}, Data: cm.Data}
	if _, err := c.CoreV1().ConfigMaps(toNS).Create(ctx, moved, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = c.CoreV1().ConfigMaps(toNS).Update(ctx, moved, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("move the attempt record of %s: %w", ns, err)
		}
	} else if err != nil {
		return fmt.Errorf("move the attempt record of %s: %w", ns, err)
	}
	if nsObj.Annotations == nil {
		nsObj.Annotations = map[string]string{}
	}
	nsObj.Annotations[AnnotationRecordAt] = at
	if _, err := c.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("note the record's place on %s: %w", ns, err)
	}
	if err := c.CoreV1().ConfigMaps(ns).Delete(ctx, AttemptRecordName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove the moved record from %s: %w", ns, err)
	}
	return nil
}

// IsRecordProblem tells whether err means the record cannot be trusted.
func IsRecordProblem(err error) bool {
	return errors.Is(err, ErrNoRecord) || errors.Is(err, ErrRecordAltered)
}

func trimDocs(s string) []string {
	var out []string
	for _, d := range strings.Split(s, "\n---") {
		if strings.TrimSpace(d) != "" {
			out = append(out, d)
		}
	}
	return out
}
