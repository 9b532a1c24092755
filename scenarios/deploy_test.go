package scenarios_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/internal/fakekube"
	"github.com/crashlab/crashlab/scenarios"
)

var testValues = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

// labCluster is a fake cluster that, like an API server, gives every created
// object a fresh UID and deletes a namespace's objects with it.
func labCluster(objs ...runtime.Object) *fake.Clientset { return fakekube.New(objs...) }

// labelled lists every object the lab created in ns with its labels, keyed "Kind/name".
func labelled(t *testing.T, cs *fake.Clientset, ns string) map[string]metav1.Object {
	t.Helper()
	ctx := context.Background()
	out := map[string]metav1.Object{}
	secs, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for i := range secs.Items {
		out["Secret/"+secs.Items[i].Name] = &secs.Items[i]
	}
	cms, err := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for i := range cms.Items {
		out["ConfigMap/"+cms.Items[i].Name] = &cms.Items[i]
	}
	svcs, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for i := range svcs.Items {
		out["Service/"+svcs.Items[i].Name] = &svcs.Items[i]
	}
	deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for i := range deps.Items {
		out["Deployment/"+deps.Items[i].Name] = &deps.Items[i]
	}
	jobs, err := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for i := range jobs.Items {
		out["Job/"+jobs.Items[i].Name] = &jobs.Items[i]
	}
	return out
}

func TestDeployLabelsEverythingAndRecordsUIDs(t *testing.T) {
	tests := []struct {
		name    string
		learner string
	}{
		{name: "single learner", learner: ""},
		{name: "named learner in a shared cluster", learner: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := loadValid(t, scenarios.Hooks{})
			ns, err := cluster.NamespaceFor(tt.learner, s.ID)
			require.NoError(t, err)
			cs := labCluster()

			require.NoError(t, scenarios.Deploy(ctx, cs, s, ns, tt.learner, testValues))

			nsObj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, cluster.ManagedBy, nsObj.Labels[cluster.LabelManagedBy])
			assert.Equal(t, s.ID, nsObj.Labels[cluster.LabelScenario])
			learner, hasLearner := nsObj.Labels[cluster.LabelLearner]
			assert.Equal(t, tt.learner != "", hasLearner, "learner label only for a named learner")
			assert.Equal(t, tt.learner, learner)

			objs := labelled(t, cs, ns)
			record := objs["ConfigMap/"+scenarios.AttemptRecordName]
			require.NotNil(t, record, "the attempt record is written")
			delete(objs, "ConfigMap/"+scenarios.AttemptRecordName)
			b, err := s.Render(testValues)
			require.NoError(t, err)
			assert.Len(t, objs, len(b.Objects), "every manifest object created")
			want := cluster.LabLabels(s.ID, tt.learner)
			for key, o := range objs {
				for k, v := range want {
					assert.Equal(t, v, o.GetLabels()[k], "%s label %s", key, k)
				}
				assert.Equal(t, ns, o.GetNamespace(), key)
			}
			assert.Equal(t, "orders", objs["ConfigMap/settings"].GetLabels()["team"], "the manifest's own labels are kept")

			dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			require.NoError(t, err)
			for k, v := range want {
				assert.Equal(t, v, dep.Spec.Template.Labels[k], "pod template label %s", k)
			}
			assert.Equal(t, "web", dep.Spec.Template.Labels["app"], "pod template keeps its selector labels")
			assert.Equal(t, testValues.Image, dep.Spec.Template.Spec.Containers[0].Image)
			job, err := cs.BatchV1().Jobs(ns).Get(ctx, "migrate", metav1.GetOptions{})
			require.NoError(t, err)
			for k, v := range want {
				assert.Equal(t, v, job.Spec.Template.Labels[k], "job pod template label %s", k)
			}

			rec, err := cluster.RecordedObjects(nsObj)
			require.NoError(t, err)
			require.Len(t, rec, len(objs), "one record per created object")
			for key, o := range objs {
				require.Contains(t, rec, key)
				assert.NotEmpty(t, rec[key])
				assert.Equal(t, string(o.GetUID()), rec[key], "%s recorded with its UID", key)
			}
		})
	}
}

func TestDeployTwiceIsAlreadyStarted(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	cs := labCluster()
	require.NoError(t, scenarios.Deploy(ctx, cs, s, "crashlab-test-scenario", "", testValues))
	before := labelled(t, cs, "crashlab-test-scenario")

	err := scenarios.Deploy(ctx, cs, s, "crashlab-test-scenario", "", testValues)
	require.Error(t, err)
	assert.True(t, errors.Is(err, scenarios.ErrAlreadyStarted), err.Error())
	after := labelled(t, cs, "crashlab-test-scenario")
	for k, o := range before {
		assert.Equal(t, o.GetUID(), after[k].GetUID(), "%s untouched", k)
	}
}

func TestDeployRefusesAForeignNamespace(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-test-scenario", UID: "prod-uid",
		Labels: map[string]string{"team": "payments"}, Annotations: map[string]string{"owner": "payments"}}}
	cs := labCluster(foreign)

	err := scenarios.Deploy(ctx, cs, s, "crashlab-test-scenario", "", testValues)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not created by crashlab")

	got, err := cs.CoreV1().Namespaces().Get(ctx, "crashlab-test-scenario", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, foreign.Labels, got.Labels, "labels untouched")
	assert.Equal(t, foreign.Annotations, got.Annotations, "annotations untouched")
	assert.Empty(t, labelled(t, cs, "crashlab-test-scenario"), "nothing created in it")
}

func TestDeployIntoEmptyLabNamespaceSucceeds(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-test-scenario", Labels: cluster.LabLabels(s.ID, "")}}
	cs := labCluster(ns)
	require.NoError(t, scenarios.Deploy(ctx, cs, s, "crashlab-test-scenario", "", testValues))
	assert.NotEmpty(t, labelled(t, cs, "crashlab-test-scenario"))
}

func TestDeployReportsAnObjectThatAlreadyExists(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	const ns = "crashlab-test-scenario"
	cs := labCluster(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: cluster.LabLabels(s.ID, "")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: ns}},
	)
	err := scenarios.Deploy(ctx, cs, s, ns, "", testValues)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Secret creds already exists and is not the lab's")
}

// A start interrupted after some objects were created completes when run
// again, keeping the objects it made and recording their UIDs.
func TestDeployInterruptedThenRunAgainCompletes(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	const ns = "crashlab-test-scenario"
	cs := labCluster()
	// The first run dies after two creates (the namespace and the Secret).
	creates := 0
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		creates++
		if creates == 3 {
			return true, nil, context.Canceled
		}
		return false, nil, nil
	})
	require.ErrorIs(t, scenarios.Deploy(ctx, cs, s, ns, "", testValues), context.Canceled)
	partial := labelled(t, cs, ns)
	require.Len(t, partial, 1)
	_, err := scenarios.LoadAttempt(ctx, cs, s, ns)
	require.ErrorIs(t, err, scenarios.ErrNoRecord, "a half-made start has no record, so check fails closed")

	require.NoError(t, scenarios.Deploy(ctx, cs, s, ns, "", testValues), "run again, it completes")
	a, err := scenarios.LoadAttempt(ctx, cs, s, ns)
	require.NoError(t, err)
	for key, o := range partial {
		assert.Equal(t, string(o.GetUID()), a.UIDs[key], "%s kept from the first run", key)
	}
	b, err := s.Render(testValues)
	require.NoError(t, err)
	assert.Len(t, a.UIDs, len(b.Objects))
}

// The record is what check judges against: missing or edited, it is refused;
// intact, it gives back the baseline as deployed, even when the binary now
// renders the scenario differently (an upgrade between start and check).
func TestLoadAttemptFailsClosed(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	const ns = "crashlab-test-scenario"
	tests := []struct {
		name    string
		tamper  func(t *testing.T, cs *fake.Clientset)
		wantErr error
	}{
		{name: "intact"},
		{name: "record deleted", wantErr: scenarios.ErrNoRecord, tamper: func(t *testing.T, cs *fake.Clientset) {
			require.NoError(t, cs.CoreV1().ConfigMaps(ns).Delete(ctx, scenarios.AttemptRecordName, metav1.DeleteOptions{}))
		}},
		{name: "record edited", wantErr: scenarios.ErrRecordAltered, tamper: func(t *testing.T, cs *fake.Clientset) {
			cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, scenarios.AttemptRecordName, metav1.GetOptions{})
			require.NoError(t, err)
			cm.Data["manifests.yaml"] = strings.ReplaceAll(cm.Data["manifests.yaml"], "replicas: 2", "replicas: 0")
			_, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
			require.NoError(t, err)
		}},
		{name: "digest removed from the namespace", wantErr: scenarios.ErrNoRecord, tamper: func(t *testing.T, cs *fake.Clientset) {
			n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			require.NoError(t, err)
			delete(n.Annotations, scenarios.AnnotationAttemptDigest)
			_, err = cs.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{})
			require.NoError(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := labCluster()
			old := testValues
			old.Image = "crashlab/workload:previous-release"
			require.NoError(t, scenarios.Deploy(ctx, cs, s, ns, "", old))
			if tt.tamper != nil {
				tt.tamper(t, cs)
			}
			a, err := scenarios.LoadAttempt(ctx, cs, s, ns)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.True(t, scenarios.IsRecordProblem(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, old, a.Baseline.Values, "the values deployed, not today's")
			assert.Equal(t, old.Image, a.Baseline.Container("web", "app").Image)
			assert.False(t, a.StartedAt.IsZero())
		})
	}
}

func TestDeployRejectsUnsupportedKinds(t *testing.T) {
	ctx := context.Background()
	man := validManifests + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n"
	s, err := scenarios.Load(scenarioFS(validMeta, man), nil)
	require.NoError(t, err, "loading only decodes")
	err = scenarios.Deploy(ctx, labCluster(), s, "crashlab-test-scenario", "", testValues)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not supported")
}

func TestResetRestoresTheBrokenState(t *testing.T) {
	ctx := context.Background()
	s := loadValid(t, scenarios.Hooks{})
	const ns = "crashlab-bob-test-scenario"
	cs := labCluster()
	require.NoError(t, scenarios.Deploy(ctx, cs, s, ns, "bob", testValues))
	first := labelled(t, cs, ns)

	// The learner changes the Secret and deletes the Deployment.
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "creds", metav1.GetOptions{})
	require.NoError(t, err)
	sec.StringData = map[string]string{"key": "edited"}
	_, err = cs.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, cs.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{}))

	require.NoError(t, scenarios.Reset(ctx, cs, s, ns, "bob", testValues))

	after := labelled(t, cs, ns)
	assert.Len(t, after, len(first), "every object back")
	for k, o := range after {
		assert.NotEqual(t, first[k].GetUID(), o.GetUID(), "%s re-created", k)
	}
	sec, err = cs.CoreV1().Secrets(ns).Get(ctx, "creds", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "value", sec.StringData["key"], "the Secret is as the scenario ships it")
	nsObj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "bob", nsObj.Labels[cluster.LabelLearner])
	rec, err := cluster.RecordedObjects(nsObj)
	require.NoError(t, err)
	assert.Equal(t, string(after["Deployment/web"].GetUID()), rec["Deployment/web"], "the record names the new objects")
}

func TestResetWithoutNamespaceJustDeploys(t *testing.T) {
	ctx := context.Background()
	cs := labCluster()
	require.NoError(t, scenarios.Reset(ctx, cs, loadValid(t, scenarios.Hooks{}), "crashlab-test-scenario", "", testValues))
	assert.NotEmpty(t, labelled(t, cs, "crashlab-test-scenario"))
}

func TestResetRefusesAForeignNamespace(t *testing.T) {
	ctx := context.Background()
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-test-scenario"}}
	cs := labCluster(foreign,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "precious", Namespace: "crashlab-test-scenario"}})
	err := scenarios.Reset(ctx, cs, loadValid(t, scenarios.Hooks{}), "crashlab-test-scenario", "", testValues)
	require.Error(t, err)
	_, err = cs.CoreV1().Namespaces().Get(ctx, "crashlab-test-scenario", metav1.GetOptions{})
	assert.NoError(t, err, "namespace not deleted")
	_, err = cs.CoreV1().ConfigMaps("crashlab-test-scenario").Get(ctx, "precious", metav1.GetOptions{})
	assert.NoError(t, err, "its content not deleted")
}
