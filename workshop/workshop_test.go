package workshop_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/internal/fakekube"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/workshop"
)

const incident = "orders-api-down-after-config"

func TestParseNames(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
		err        string
	}{
		{"names and comments", "ana\n# room 2\n\nbo-2\n", []string{"ana", "bo-2"}, ""},
		{"upper case", "Ana\n", nil, `line 1: learner name "Ana" is not usable`},
		{"duplicate", "ana\nbo\nana\n", nil, `line 3: learner "ana" is already on line 1`},
		{"reserved", "workshop\n", nil, "the lab's own"},
		{"empty", "\n# nobody\n", nil, "no learner names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := workshop.ParseNames(tt.text)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLearnerNamesSortAsTheyCount(t *testing.T) {
	names := workshop.LearnerNames(12)
	require.Len(t, names, 12)
	assert.Equal(t, "learner-01", names[0])
	assert.Equal(t, "learner-12", names[11])
	for i := 1; i < len(names); i++ {
		assert.Less(t, names[i-1], names[i], "a board sorted by name shows the room in order")
	}
}

func TestPlanValidate(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name string
		plan workshop.Plan
		err  string
	}{
		{"fine", workshop.Plan{Name: "room", Learners: []string{"ana"}, Incidents: []string{incident}}, ""},
		{"bad name", workshop.Plan{Name: "Room 1", Learners: []string{"ana"}, Incidents: []string{incident}}, "workshop name"},
		{"no learners", workshop.Plan{Name: "room", Incidents: []string{incident}}, "a workshop needs learners"},
		{"no incidents", workshop.Plan{Name: "room", Learners: []string{"ana"}}, "a workshop needs incidents"},
		{"namespace too long", workshop.Plan{Name: "room", Learners: []string{long}, Incidents: []string{incident}}, "longer than 63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.plan.Validate()
			if tt.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestParseUser(t *testing.T) {
	tests := []struct {
		user string
		want workshop.Identity
		ok   bool
	}{
		{"system:serviceaccount:crashlab-workshop-room:ana", workshop.Identity{Workshop: "room", Learner: "ana"}, true},
		{"system:serviceaccount:kube-system:default", workshop.Identity{}, false},
		{"kubernetes-admin", workshop.Identity{}, false},
		{"system:serviceaccount:crashlab-workshop-room:", workshop.Identity{}, false},
	}
	for _, tt := range tests {
		got, ok := workshop.ParseUser(tt.user)
		assert.Equal(t, tt.ok, ok, tt.user)
		assert.Equal(t, tt.want, got, tt.user)
	}
}

func TestWorkshopContextRoundTrip(t *testing.T) {
	name := cluster.WorkshopContext("room-2", "learner-07")
	ws, learner, ok := cluster.ParseWorkshopContext(name)
	require.True(t, ok)
	assert.Equal(t, "room-2", ws)
	assert.Equal(t, "learner-07", learner)
	_, _, ok = cluster.ParseWorkshopContext("kind-crashlab")
	assert.False(t, ok)
}

// trainer deploys incidents as `workshop create` does, on the fake cluster.
func trainer(t *testing.T, c kubernetes.Interface) workshop.Deployer {
	dir := t.TempDir()
	return func(ctx context.Context, learner, id string) (string, error) {
		svc, err := lab.New(c, lab.WithLearner(learner), lab.WithContextName("trainer"), lab.WithNodeArch("amd64"), lab.WithProgressDir(dir), lab.WithImageEnsurer(noImages{}))
		if err != nil {
			return "", err
		}
		s, err := svc.Start(ctx, id)
		return s.Namespace, err
	}
}

type noImages struct{}

func (noImages) EnsureImages(context.Context, []images.Image) error { return nil }

func TestCreateMovesRecordsAndBindsOnlyOwnNamespaces(t *testing.T) {
	ctx := context.Background()
	c := fakekube.New(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64"}}})
	p := workshop.Plan{Name: "room", Learners: []string{"ana", "bo"}, Incidents: []string{incident},
		Packs: []workshop.PackFiles{{Name: "starter", Files: map[string][]byte{"pack.yaml": []byte("name: starter\n")}}}}
	require.NoError(t, workshop.Create(ctx, c, p, trainer(t, c), func(string) {}))
	// Created twice: nothing doubles, nothing fails.
	require.NoError(t, workshop.Create(ctx, c, p, trainer(t, c), func(string) {}))

	ws := workshop.Namespace("room")
	for _, l := range p.Learners {
		ns, err := cluster.NamespaceFor(l, incident)
		require.NoError(t, err)
		nsObj, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "room", nsObj.Labels[cluster.LabelWorkshop])
		assert.Equal(t, ws+"/attempt-"+l+"-"+incident, nsObj.Annotations[scenarios.AnnotationRecordAt])
		_, err = c.CoreV1().ConfigMaps(ns).Get(ctx, scenarios.AttemptRecordName, metav1.GetOptions{})
		assert.Error(t, err, "the record left the learner's namespace")
		sc, err := catalog.Get(incident)
		require.NoError(t, err)
		_, err = scenarios.LoadAttempt(ctx, c, sc, ns)
		assert.NoError(t, err, "the moved record is found and its digest holds")

		rb, err := c.RbacV1().RoleBindings(ns).Get(ctx, "crashlab-learner", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: l, Namespace: ws}}, rb.Subjects)

		cr, err := c.RbacV1().ClusterRoles().Get(ctx, "crashlab-room-"+l, metav1.GetOptions{})
		require.NoError(t, err)
		for _, rule := range cr.Rules {
			if len(rule.Resources) > 0 && rule.Resources[0] == "namespaces" {
				assert.Equal(t, []string{ns}, rule.ResourceNames, "a learner reads only their namespaces")
				assert.Equal(t, []string{"get"}, rule.Verbs)
			}
		}
		role, err := c.RbacV1().Roles(ws).Get(ctx, "learner-"+l, metav1.GetOptions{})
		require.NoError(t, err)
		assert.True(t, slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.Verbs, "get") && slices.Contains(r.ResourceNames, workshop.RoomPacksName)
		}), "a learner reads the room's packs by name")
		for _, rule := range role.Rules {
			assert.NotContains(t, rule.Verbs, "create", "no create: RBAC cannot limit it by name")
			for _, v := range rule.Verbs {
				if v == "update" || v == "patch" {
					assert.Equal(t, []string{progress.MirrorName(l)}, rule.ResourceNames, "the learner writes only their progress")
				}
			}
		}
	}
	packs, err := workshop.ReadRoomPacks(ctx, c, "room")
	require.NoError(t, err)
	assert.Equal(t, p.Packs, packs, "the room keeps its packs for its learners")
	ls, err := workshop.Learners(ctx, c, "room")
	require.NoError(t, err)
	require.Len(t, ls, 2)
	assert.Equal(t, "ana", ls[0].Name)
}

func TestCreateRefusesForeignObjects(t *testing.T) {
	ctx := context.Background()
	foreign := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-room-learner"}}
	c := fakekube.New(foreign, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64"}}})
	err := workshop.Create(ctx, c, workshop.Plan{Name: "room", Learners: []string{"ana"}, Incidents: []string{incident}}, trainer(t, c), func(string) {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not created by crashlab")
}

func TestDeleteSelectsOnlyTheWorkshop(t *testing.T) {
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64"}}}
	bystander := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "view-all"}}
	c := fakekube.New(node, bystander)
	require.NoError(t, workshop.Create(ctx, c, workshop.Plan{Name: "room", Learners: []string{"ana"}, Incidents: []string{incident}}, trainer(t, c), func(string) {}))
	err := workshop.Create(ctx, c, workshop.Plan{Name: "other", Learners: []string{"ana"}, Incidents: []string{incident}}, trainer(t, c), func(string) {})
	require.Error(t, err, "the same learner name in two workshops would share a namespace")
	assert.Contains(t, err.Error(), `belongs to workshop "room"`)
	require.NoError(t, workshop.Create(ctx, c, workshop.Plan{Name: "other", Learners: []string{"bo"}, Incidents: []string{incident}}, trainer(t, c), func(string) {}))
	deleted, err := workshop.Delete(ctx, c, "room", 0)
	require.NoError(t, err)
	assert.Contains(t, deleted, "ClusterRole/crashlab-room-learner")
	for _, d := range deleted {
		assert.NotContains(t, d, "other", "the other workshop stays")
	}
	_, err = c.RbacV1().ClusterRoles().Get(ctx, "view-all", metav1.GetOptions{})
	assert.NoError(t, err, "a ClusterRole the lab did not create stays")
	_, err = c.RbacV1().ClusterRoles().Get(ctx, "crashlab-other-learner", metav1.GetOptions{})
	assert.NoError(t, err)
}

func pod(ns, name string, ready bool, waiting string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	if waiting != "" {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: waiting}}}}
	}
	return p
}

func TestComputeBoard(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ns := func(learner string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-" + learner + "-" + incident, Labels: map[string]string{cluster.LabelLearner: learner, cluster.LabelScenario: incident}}}
	}
	progressOf := func(learner string, e progress.Entry) *corev1.ConfigMap {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: progress.MirrorName(learner), Labels: map[string]string{cluster.LabelLearner: learner}}, Data: map[string]string{}}
		if !e.Started.IsZero() {
			require.NoError(t, progress.MirrorInto(cm, incident, e))
		}
		return cm
	}
	started := now.Add(-5 * time.Minute)
	tests := []struct {
		name    string
		entry   progress.Entry
		pods    []*corev1.Pod
		state   string
		summary string
		spent   int
	}{
		{"not started", progress.Entry{}, []*corev1.Pod{pod("x", "a", false, "CrashLoopBackOff")}, workshop.StateNotStarted, "0/1 ready, CrashLoopBackOff", 0},
		{"crashing", progress.Entry{Started: started, Hints: 1}, []*corev1.Pod{pod("x", "a", false, "CrashLoopBackOff"), pod("x", "b", true, "")}, workshop.StateCrashing, "1/2 ready, CrashLoopBackOff", 300},
		{"started, pods ready but not judged", progress.Entry{Started: started}, []*corev1.Pod{pod("x", "a", true, "")}, workshop.StateStarted, "1/1 ready", 300},
		{"diagnosed", progress.Entry{Started: started, Diagnosed: now.Add(-time.Minute), DiagnosedAfter: 4 * time.Minute}, nil, workshop.StateDiagnosed, "no pods", 300},
		{"fixed", progress.Entry{Started: started, Fixed: now, FixedAfter: 5 * time.Minute, BestScore: 85}, []*corev1.Pod{pod("x", "a", true, "")}, workshop.StateFixed, "1/1 ready", 300},
		{"fixed on record, pods crashing", progress.Entry{Started: started, Fixed: now, FixedAfter: 5 * time.Minute, BestScore: 85}, []*corev1.Pod{pod("x", "a", false, "CrashLoopBackOff")}, workshop.StateBrokenAgain, "0/1 ready, CrashLoopBackOff", 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := ns("ana")
			for _, p := range tt.pods {
				p.Namespace = n.Name
			}
			b := workshop.Compute("room", []*corev1.Namespace{n}, tt.pods, []*corev1.ConfigMap{progressOf("ana", tt.entry)}, now)
			c, ok := b.Cell("ana", incident)
			require.True(t, ok)
			assert.Equal(t, tt.state, c.State)
			assert.Equal(t, tt.summary, c.Pods)
			assert.Equal(t, tt.spent, c.SpentSeconds)
			assert.Equal(t, tt.entry.Hints, c.Hints)
			text := workshop.Text(b)
			assert.Contains(t, text, "ana")
			assert.Contains(t, text, tt.state)
		})
	}
}

// The bounds are the cluster's, checked before anything is made; the CLI
// words the advice from the typed errors.
func TestPlanAndTokenBoundsAreTheClustersOwn(t *testing.T) {
	ids := []string{"orders-api-down-after-config", "search-api-restarting"}
	fits := workshop.Plan{Name: "room", Learners: workshop.LearnerNames(workshop.MaxNamespaces / 2), Incidents: ids}
	require.NoError(t, fits.Validate())
	tooBig := workshop.Plan{Name: "room", Learners: workshop.LearnerNames(workshop.MaxNamespaces/2 + 1), Incidents: ids}
	err := tooBig.Validate()
	require.ErrorIs(t, err, workshop.ErrTooManyNamespaces)
	var big *workshop.TooBigError
	require.ErrorAs(t, err, &big)
	assert.Equal(t, workshop.MaxNamespaces/2, big.MaxLearners)

	for _, expiry := range []time.Duration{workshop.MinExpiry - time.Second, workshop.MaxExpiry + time.Second} {
		_, err := workshop.Kubeconfigs(context.Background(), nil, nil, "room", t.TempDir(), "", expiry)
		assert.ErrorIs(t, err, workshop.ErrExpiryOutOfRange, expiry)
	}
}

// recordingMaker is an AttemptMaker that remembers what it was asked.
type recordingMaker struct{ made map[string]string }

func (m *recordingMaker) EnsureAttempt(_ context.Context, _, learner, id, namespace string) error {
	m.made[learner+"/"+id] = namespace
	return nil
}
func (*recordingMaker) Controller() rbacv1.Subject {
	return rbacv1.Subject{Kind: "ServiceAccount", Name: "judge", Namespace: "judges"}
}
func (*recordingMaker) IncidentRole() string { return "judging" }

func TestAGradedRoomGivesLearnersTheirAttemptsSpecAndTheControllerTheirNamespaces(t *testing.T) {
	ctx := context.Background()
	c := fakekube.New(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64"}}})
	m := &recordingMaker{made: map[string]string{}}
	p := workshop.Plan{Name: "room", Learners: []string{"ana", "bo"}, Incidents: []string{incident}, Attempts: m}
	require.NoError(t, workshop.Create(ctx, c, p, trainer(t, c), func(string) {}))
	ws := workshop.Namespace("room")
	for _, l := range p.Learners {
		ns, err := cluster.NamespaceFor(l, incident)
		require.NoError(t, err)
		assert.Equal(t, ns, m.made[l+"/"+incident], "the learner's Attempt names their namespace")
		for _, where := range []string{ns, ws} {
			rb, err := c.RbacV1().RoleBindings(where).Get(ctx, "crashlab-controller", metav1.GetOptions{})
			require.NoError(t, err, "the controller judges in %s", where)
			assert.Equal(t, "judging", rb.RoleRef.Name)
			assert.Equal(t, []rbacv1.Subject{m.Controller()}, rb.Subjects)
		}
		_, err = c.CoreV1().ConfigMaps(ws).Get(ctx, progress.MirrorName(l), metav1.GetOptions{})
		assert.Error(t, err, "no progress ConfigMap: the Attempt's status is the record")
		role, err := c.RbacV1().Roles(ws).Get(ctx, "learner-"+l, metav1.GetOptions{})
		require.NoError(t, err)
		var attemptRules int
		for _, rule := range role.Rules {
			assert.NotContains(t, rule.Verbs, "create")
			assert.NotContains(t, rule.Verbs, "update", "the learner updates nothing whole")
			for _, res := range rule.Resources {
				assert.NotContains(t, res, "/status", "never a status")
				if res == "attempts" {
					attemptRules++
					assert.Equal(t, []string{l + "." + incident}, rule.ResourceNames, "only their own attempts")
					assert.ElementsMatch(t, []string{"get", "list", "watch", "patch"}, rule.Verbs)
				}
				if res == "configmaps" {
					assert.Equal(t, []string{"get"}, rule.Verbs, "their records, read only")
				}
			}
		}
		assert.Equal(t, 1, attemptRules)
	}
}
