// Package workshop runs crashlab for a room: one shared cluster, per learner
// their incident namespaces and a ServiceAccount whose rights Kubernetes'
// own RBAC limits to those namespaces, and a kubeconfig with a token of that
// ServiceAccount. The trainer's identity deploys every incident and keeps
// the attempt records in the workshop's namespace, where a learner may read
// their own and change none; what a learner is judged against is therefore
// never in their hands.
package workshop

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

const (
	// namespacePrefix is the workshop's own namespace: crashlab-workshop-<name>.
	namespacePrefix = "crashlab-workshop-"
	// ContextPrefix starts the context name of a learner's kubeconfig; the
	// lab takes such a context as its own without --context.
	ContextPrefix = cluster.WorkshopContextPrefix
	// LabelRole says what a workshop object is for (workshop, learner).
	LabelRole = "crashlab.dev/role"
	// learnerRole is the ClusterRole bound in each learner namespace.
	learnerRoleSuffix = "-learner"
	// DefaultName is the workshop name when none is given.
	DefaultName = "room"
	// MaxNamespaces is the most namespaces a cluster is tested to hold
	// (Kubernetes' scalability thresholds, sig-scalability: 10,000). A
	// workshop gives each learner a namespace per incident, so the room's
	// learners times incidents must stay within it.
	MaxNamespaces = 10000
)

// ErrTooManyNamespaces is a plan whose learners and incidents need more
// namespaces than a cluster holds; errors wrapping it are TooBigError.
var ErrTooManyNamespaces = errors.New("more namespaces than a cluster holds")

// TooBigError says how many learners the plan's incidents leave room for.
type TooBigError struct {
	Learners, Incidents int
	// MaxLearners is the most learners with this many incidents.
	MaxLearners int
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("%d learners × %d incidents need %d namespaces: %v (%d)", e.Learners, e.Incidents, e.Learners*e.Incidents, ErrTooManyNamespaces, MaxNamespaces)
}

func (e *TooBigError) Unwrap() error { return ErrTooManyNamespaces }

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Namespace is the workshop's own namespace.
func Namespace(name string) string { return namespacePrefix + name }

// ValidateName refuses a workshop name that cannot be part of its names.
func ValidateName(name string) error {
	if !dnsLabel.MatchString(name) || len(Namespace(name)) > 63 {
		return fmt.Errorf("workshop name %q is not usable: use at most %d lower-case letters, digits and '-'", name, 63-len(namespacePrefix))
	}
	return nil
}

// LearnerNames returns learner-01 … learner-N.
func LearnerNames(n int) []string {
	width := len(fmt.Sprint(n))
	if width < 2 {
		width = 2
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("learner-%0*d", width, i+1)
	}
	return out
}

// ParseNames reads one learner name per line; blank lines and lines
// starting with # are skipped. Names must be unique namespace-safe labels.
func ParseNames(text string) ([]string, error) {
	var out []string
	seen := map[string]int{}
	for i, line := range strings.Split(text, "\n") {
		name := strings.TrimSpace(line)
		if name == "" || strings.HasPrefix(name, "#") {
			continue
		}
		if !dnsLabel.MatchString(name) {
			return nil, fmt.Errorf("line %d: learner name %q is not usable: use lower-case letters, digits and '-'", i+1, name)
		}
		if name == "workshop" {
			return nil, fmt.Errorf("line %d: the learner name %q is the lab's own: choose another", i+1, name)
		}
		if first, dup := seen[name]; dup {
			return nil, fmt.Errorf("line %d: learner %q is already on line %d: names must be unique", i+1, name, first)
		}
		seen[name] = i + 1
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no learner names in the file: write one name per line")
	}
	return out, nil
}

// Plan is what a workshop is made of.
type Plan struct {
	Name      string
	Learners  []string
	Incidents []string
	// Attempts, when set, makes each learner's Attempt of each incident,
	// which the lab's controller judges; the controller gets what judging
	// needs in the learner's namespaces, and no progress ConfigMap is made
	// (the Attempt's status is the record, and the learner cannot write
	// it). Nil is a room without a controller: each learner's crashlab
	// judges and mirrors its progress into a ConfigMap for the board.
	Attempts AttemptMaker
	// Packs are the packs of incidents the room runs beside the built-in
	// ones, without their fixes/: the room keeps them for its learners'
	// crashlab (RoomPacksName).
	Packs []PackFiles
}

// AttemptMaker makes the Attempt of a learner's incident (idempotent).
type AttemptMaker interface {
	EnsureAttempt(ctx context.Context, workshop, learner, id, namespace string) error
	// Controller is the ServiceAccount the controller judges as.
	Controller() rbacv1.Subject
	// IncidentRole is the ClusterRole of what judging needs in a namespace.
	IncidentRole() string
}

// Validate checks every name the plan will create before anything is made.
func (p Plan) Validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if len(p.Learners) == 0 {
		return ErrNeedsLearners
	}
	if len(p.Incidents) == 0 {
		return ErrNeedsIncidents
	}
	if len(p.Learners) > MaxNamespaces/len(p.Incidents) {
		return &TooBigError{Learners: len(p.Learners), Incidents: len(p.Incidents), MaxLearners: MaxNamespaces / len(p.Incidents)}
	}
	for _, l := range p.Learners {
		for _, id := range p.Incidents {
			if _, err := cluster.NamespaceFor(l, id); err != nil {
				return err
			}
		}
		if len(recordName(l, p.Incidents[0])) > 253 {
			return fmt.Errorf("learner name %q is too long", l)
		}
	}
	return nil
}

// recordName is the ConfigMap in the workshop namespace that holds one
// learner's attempt record of one incident.
func recordName(learner, id string) string { return "attempt-" + learner + "-" + id }

// Labels are the labels of every object of the workshop.
func Labels(name string) map[string]string {
	return map[string]string{cluster.LabelManagedBy: cluster.ManagedBy, cluster.LabelWorkshop: name}
}

func with(l map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Deployer starts one incident for one learner with the trainer's identity
// (the lab service's Start); it returns the learner's namespace.
type Deployer func(ctx context.Context, learner, id string) (string, error)

// Create makes the workshop: its namespace, the learner ClusterRole, and
// per learner a ServiceAccount, their incidents deployed, the records moved
// into the workshop namespace, and the bindings that give the learner their
// namespaces and nothing else. Running it again completes an interrupted
// create and adds learners or incidents; nothing is created twice.
func Create(ctx context.Context, c kubernetes.Interface, p Plan, deploy Deployer, report func(string)) error {
	if err := p.Validate(); err != nil {
		return err
	}
	ws := Namespace(p.Name)
	base := Labels(p.Name)
	if _, err := cluster.CreateNamespace(ctx, c, ws, with(base, LabelRole, "workshop")); err != nil {
		return err
	}
	if err := ensureNamespaceLabels(ctx, c, ws, with(base, LabelRole, "workshop")); err != nil {
		return err
	}
	if err := apply(ctx, c, learnerClusterRole(p.Name)); err != nil {
		return err
	}
	if len(p.Packs) > 0 {
		cm, err := roomPacksConfigMap(ws, with(base, LabelRole, "packs"), p.Packs)
		if err != nil {
			return err
		}
		if err := putRoomPacks(ctx, c, cm); err != nil {
			return err
		}
	}
	if p.Attempts != nil {
		// The records the controller judges against live here.
		if err := bindController(ctx, c, p, ws, base); err != nil {
			return err
		}
	}
	for _, l := range p.Learners {
		report(fmt.Sprintf("learner %s: %d incident(s)", l, len(p.Incidents)))
		ll := with(base, cluster.LabelLearner, l, LabelRole, "learner")
		if err := apply(ctx, c, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: l, Namespace: ws, Labels: ll}}); err != nil {
			return err
		}
		// The progress ConfigMap exists before the learner writes to it, so
		// that their Role needs no create (which RBAC cannot limit by name).
		if p.Attempts == nil {
			if err := createIfMissing(ctx, c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: progress.MirrorName(l), Namespace: ws, Labels: with(ll, scenarios.LabelRecord, "progress")}}); err != nil {
				return err
			}
		}
		for _, id := range p.Incidents {
			ns, err := deploy(ctx, l, id)
			if err != nil && !errors.Is(err, scenarios.ErrAlreadyStarted) {
				return fmt.Errorf("learner %s, incident %s: %w", l, id, err)
			}
			// Namespaces are named by learner and incident, not by workshop:
			// two workshops on one cluster need different learner names.
			if nsObj, err := cluster.GetOwned(ctx, c, ns); err != nil {
				return err
			} else if other := nsObj.Labels[cluster.LabelWorkshop]; other != "" && other != p.Name {
				return factf(ErrLearnerTaken, "learner %s's namespace %s belongs to workshop %q", l, ns, other)
			}
			if err := ensureNamespaceLabels(ctx, c, ns, with(base, cluster.LabelLearner, l, LabelRole, "incident")); err != nil {
				return err
			}
			if err := scenarios.MoveRecord(ctx, c, ns, ws, recordName(l, id)); err != nil {
				return err
			}
			if err := apply(ctx, c, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "crashlab-learner", Namespace: ns, Labels: ll},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: learnerClusterRoleName(p.Name)},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: l, Namespace: ws}},
			}); err != nil {
				return err
			}
			if p.Attempts != nil {
				if err := bindController(ctx, c, p, ns, base); err != nil {
					return err
				}
				if err := p.Attempts.EnsureAttempt(ctx, p.Name, l, id, ns); err != nil {
					return fmt.Errorf("learner %s, incident %s: %w", l, id, err)
				}
			}
		}
		// What the learner may read and write in the workshop namespace:
		// their own records (read), their progress (read and write), for
		// every incident they have, earlier creates' included.
		all, ids, err := learnerNamespaces(ctx, c, p.Name, l)
		if err != nil {
			return err
		}
		records := make([]string, len(ids))
		for i, id := range ids {
			records[i] = recordName(l, id)
		}
		for _, o := range learnerRBAC(p.Name, l, all, records, p.Attempts != nil) {
			if err := apply(ctx, c, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// bindController gives the lab's controller what judging needs in one
// namespace of the workshop, and nothing outside them.
func bindController(ctx context.Context, c kubernetes.Interface, p Plan, ns string, base map[string]string) error {
	return apply(ctx, c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "crashlab-controller", Namespace: ns, Labels: with(base, LabelRole, "controller")},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: p.Attempts.IncidentRole()},
		Subjects:   []rbacv1.Subject{p.Attempts.Controller()},
	})
}

// learnerNamespaces lists a learner's incident namespaces in the workshop,
// sorted, and the incident of each (its scenario label).
func learnerNamespaces(ctx context.Context, c kubernetes.Interface, name, learner string) (namespaces, incidents []string, err error) {
	sel := labels.Set(with(Labels(name), cluster.LabelLearner, learner, LabelRole, "incident")).String()
	list, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, nil, fmt.Errorf("list %s's namespaces: %w", learner, err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	for _, ns := range list.Items {
		namespaces = append(namespaces, ns.Name)
		incidents = append(incidents, ns.Labels[cluster.LabelScenario])
	}
	return namespaces, incidents, nil
}

// ensureNamespaceLabels adds labels to a lab namespace (never a foreign one).
func ensureNamespaceLabels(ctx context.Context, c kubernetes.Interface, name string, want map[string]string) error {
	ns, err := cluster.GetOwned(ctx, c, name)
	if err != nil {
		return err
	}
	changed := false
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	for k, v := range want {
		if ns.Labels[k] != v {
			ns.Labels[k], changed = v, true
		}
	}
	if !changed {
		return nil
	}
	if _, err := c.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("label namespace %s: %w", name, err)
	}
	return nil
}

// Reset deletes one learner's incident namespace, waits until it is gone,
// and creates it again as Create does (deployed by the trainer, record
// moved, the learner's bindings renewed): a learner cannot delete
// namespaces, so a reset is the trainer's.
func Reset(ctx context.Context, c kubernetes.Interface, name, learner, id string, deploy Deployer, graded AttemptMaker) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	ls, err := Learners(ctx, c, name)
	if err != nil {
		return err
	}
	known := false
	for _, l := range ls {
		known = known || l.Name == learner
	}
	if !known {
		return &UnknownLearnerError{Workshop: name, Learner: learner}
	}
	ns, err := cluster.NamespaceFor(learner, id)
	if err != nil {
		return err
	}
	if err := cluster.DeleteNamespace(ctx, c, ns, 3*time.Minute); err != nil {
		return err
	}
	_ = c.CoreV1().ConfigMaps(Namespace(name)).Delete(ctx, recordName(learner, id), metav1.DeleteOptions{})
	return Create(ctx, c, Plan{Name: name, Learners: []string{learner}, Incidents: []string{id}, Attempts: graded}, deploy, func(string) {})
}

// Learner is one learner of a workshop as the cluster has it.
type Learner struct {
	Name       string   `json:"name"`
	Namespaces []string `json:"namespaces"`
}

// Learners lists the workshop's learners (its ServiceAccounts) and their
// incident namespaces; an unknown workshop is an error that says so.
func Learners(ctx context.Context, c kubernetes.Interface, name string) ([]Learner, error) {
	ws := Namespace(name)
	if _, err := cluster.GetOwned(ctx, c, ws); apierrors.IsNotFound(err) {
		return nil, factf(ErrNoWorkshop, "no workshop %q on this cluster (namespace %s missing)", name, ws)
	} else if err != nil {
		return nil, err
	}
	sel := labels.Set(with(Labels(name), LabelRole, "learner")).String()
	sas, err := c.CoreV1().ServiceAccounts(ws).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list the workshop's learners: %w", err)
	}
	var out []Learner
	for _, sa := range sas.Items {
		nss, _, err := learnerNamespaces(ctx, c, name, sa.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, Learner{Name: sa.Name, Namespaces: nss})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes everything the workshop created: the learners' incident
// namespaces, the workshop namespace (service accounts, records, progress)
// and the cluster-wide RBAC objects, each selected by the workshop's labels
// and the lab's. It returns what it deleted.
func Delete(ctx context.Context, c kubernetes.Interface, name string, wait time.Duration) ([]string, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	sel := labels.Set(Labels(name)).String()
	var deleted []string
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list the workshop's ClusterRoleBindings: %w", err)
	}
	for _, o := range crbs.Items {
		if err := c.RbacV1().ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &o.UID}}); err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("delete ClusterRoleBinding %s: %w", o.Name, err)
		}
		deleted = append(deleted, "ClusterRoleBinding/"+o.Name)
	}
	crs, err := c.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return deleted, fmt.Errorf("list the workshop's ClusterRoles: %w", err)
	}
	for _, o := range crs.Items {
		if err := c.RbacV1().ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &o.UID}}); err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("delete ClusterRole %s: %w", o.Name, err)
		}
		deleted = append(deleted, "ClusterRole/"+o.Name)
	}
	nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return deleted, fmt.Errorf("list the workshop's namespaces: %w", err)
	}
	for _, ns := range nss.Items {
		if err := cluster.DeleteNamespace(ctx, c, ns.Name, 0); err != nil {
			return deleted, err
		}
		deleted = append(deleted, "Namespace/"+ns.Name)
	}
	if wait > 0 {
		for _, ns := range nss.Items {
			if err := cluster.DeleteNamespace(ctx, c, ns.Name, wait); err != nil {
				return deleted, err
			}
		}
	}
	return deleted, nil
}
