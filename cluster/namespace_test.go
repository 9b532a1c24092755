package cluster

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestNamespaceFor(t *testing.T) {
	tests := []struct {
		name     string
		learner  string
		scenario string
		want     string
		wantErr  string
	}{
		{name: "no learner", scenario: "missing-secret-key", want: "crashlab-missing-secret-key"},
		{name: "learner", learner: "alice", scenario: "missing-secret-key", want: "crashlab-alice-missing-secret-key"},
		{name: "learner with digits and dashes", learner: "team-7", scenario: "s", want: "crashlab-team-7-s"},
		{name: "upper-case learner", learner: "Alice", scenario: "s", wantErr: "Alice"},
		{name: "learner with underscore", learner: "a_b", scenario: "s", wantErr: "a_b"},
		{name: "learner starting with a dash", learner: "-a", scenario: "s", wantErr: "-a"},
		{name: "learner ending with a dash", learner: "a-", scenario: "s", wantErr: "a-"},
		{name: "learner with a dot", learner: "a.b", scenario: "s", wantErr: "a.b"},
		{name: "exactly 63 characters", learner: strings.Repeat("a", 63-len("crashlab-")-len("-s")), scenario: "s",
			want: "crashlab-" + strings.Repeat("a", 63-len("crashlab-")-len("-s")) + "-s"},
		{name: "64 characters", learner: strings.Repeat("a", 64-len("crashlab-")-len("-s")), scenario: "s", wantErr: "63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NamespaceFor(tt.learner, tt.scenario)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), 63)
			assert.Regexp(t, `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, got, "a valid namespace name")
		})
	}
}

func TestLabLabels(t *testing.T) {
	assert.Equal(t, map[string]string{LabelManagedBy: ManagedBy, LabelScenario: "s"}, LabLabels("s", ""))
	assert.Equal(t, map[string]string{LabelManagedBy: ManagedBy, LabelScenario: "s", LabelLearner: "bob"}, LabLabels("s", "bob"))
}

func labNS(name string, lbls map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: lbls}}
}

func TestCheckOwned(t *testing.T) {
	tests := []struct {
		name    string
		labels  map[string]string
		wantErr bool
	}{
		{name: "lab label", labels: LabLabels("s", "")},
		{name: "no labels", labels: nil, wantErr: true},
		{name: "managed by another tool", labels: map[string]string{LabelManagedBy: "helm"}, wantErr: true},
		{name: "scenario label without managed-by", labels: map[string]string{LabelScenario: "s"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOwned(labNS("crashlab-s", tt.labels))
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "crashlab-s")
				assert.Contains(t, err.Error(), "refusing")
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestGetOwned(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(labNS("crashlab-a", LabLabels("a", "")), labNS("prod", nil))
	ns, err := GetOwned(ctx, cs, "crashlab-a")
	require.NoError(t, err)
	assert.Equal(t, "crashlab-a", ns.Name)
	_, err = GetOwned(ctx, cs, "prod")
	assert.Error(t, err)
	_, err = GetOwned(ctx, cs, "absent")
	assert.Error(t, err)
}

func TestCreateNamespace(t *testing.T) {
	ctx := context.Background()
	terminating := labNS("crashlab-s", LabLabels("s", ""))
	now := metav1.NewTime(time.Now())
	terminating.DeletionTimestamp = &now
	terminating.Finalizers = []string{"kubernetes"}
	tests := []struct {
		name     string
		existing runtime.Object
		wantErr  string
	}{
		{name: "new namespace"},
		{name: "existing lab namespace is reused", existing: labNS("crashlab-s", LabLabels("s", ""))},
		{name: "existing foreign namespace is refused", existing: labNS("crashlab-s", map[string]string{"team": "prod"}), wantErr: "not created by crashlab"},
		{name: "lab namespace still terminating", existing: terminating, wantErr: "still being deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			if tt.existing != nil {
				objs = append(objs, tt.existing)
			}
			cs := fake.NewClientset(objs...)
			got, err := CreateNamespace(ctx, cs, "crashlab-s", LabLabels("s", ""))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				if tt.existing != nil {
					stored, gerr := cs.CoreV1().Namespaces().Get(ctx, "crashlab-s", metav1.GetOptions{})
					require.NoError(t, gerr)
					assert.Equal(t, tt.existing.(*corev1.Namespace).Labels, stored.Labels, "left untouched")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "crashlab-s", got.Name)
			assert.Equal(t, ManagedBy, got.Labels[LabelManagedBy])
			stored, err := cs.CoreV1().Namespaces().Get(ctx, "crashlab-s", metav1.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, LabLabels("s", ""), stored.Labels)
		})
	}
}

func TestCreateNamespaceReportsOtherErrors(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, assert.AnError
	})
	_, err := CreateNamespace(context.Background(), cs, "crashlab-s", LabLabels("s", ""))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "crashlab-s")
}

func TestDeleteNamespace(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		existing    *corev1.Namespace
		wait        time.Duration
		wantErr     string
		wantDeleted bool
	}{
		{name: "lab namespace deleted, waiting for the delete event", existing: labNS("crashlab-s", LabLabels("s", "")), wait: 5 * time.Second, wantDeleted: true},
		{name: "lab namespace deleted without waiting", existing: labNS("crashlab-s", LabLabels("s", "")), wantDeleted: true},
		{name: "missing namespace is fine", wait: 5 * time.Second},
		{name: "foreign namespace is never deleted", existing: labNS("crashlab-s", map[string]string{"team": "prod"}), wait: 5 * time.Second, wantErr: "not created by crashlab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			if tt.existing != nil {
				objs = append(objs, tt.existing)
			}
			cs := fake.NewClientset(objs...)
			start := time.Now()
			err := DeleteNamespace(ctx, cs, "crashlab-s", tt.wait)
			assert.Less(t, time.Since(start), 3*time.Second, "returns once the namespace is gone")
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			_, gerr := cs.CoreV1().Namespaces().Get(ctx, "crashlab-s", metav1.GetOptions{})
			if tt.existing != nil {
				assert.Equal(t, tt.wantDeleted, gerr != nil, "deleted: %v", gerr)
			}
		})
	}
}

func TestDeleteNamespaceTimesOutWhileTerminating(t *testing.T) {
	cs := fake.NewClientset(labNS("crashlab-s", LabLabels("s", "")))
	// Like a namespace with finalizers: the delete is accepted, the object stays.
	cs.PrependReactor("delete", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, nil
	})
	err := DeleteNamespace(context.Background(), cs, "crashlab-s", 300*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "still terminating")
}

// A namespace that stays terminating for longer than one watch lasts (the
// API server or the request deadline closes it) is watched again, not given up.
func TestDeleteNamespaceWatchesAgainWhenAWatchCloses(t *testing.T) {
	cs := fake.NewClientset(labNS("crashlab-s", LabLabels("s", "")))
	cs.PrependReactor("delete", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, nil // terminating: the object stays for now
	})
	var watches atomic.Int32
	cs.PrependWatchReactor("namespaces", func(k8stesting.Action) (bool, watch.Interface, error) {
		n := watches.Add(1)
		w := watch.NewFake()
		go func() {
			time.Sleep(50 * time.Millisecond)
			if n == 1 {
				w.Stop() // the first watch closes while the namespace is still there
				return
			}
			// The namespace controller finishes: gone, and the watch says so.
			_ = cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("namespaces"), "", "crashlab-s")
			w.Delete(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-s"}})
		}()
		return true, w, nil
	})
	require.NoError(t, DeleteNamespace(context.Background(), cs, "crashlab-s", 5*time.Second))
	assert.GreaterOrEqual(t, watches.Load(), int32(2), "watched again after the first watch closed")
}

func TestListNamespaces(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(
		labNS("crashlab-a", LabLabels("a", "")),
		labNS("crashlab-alice-a", LabLabels("a", "alice")),
		labNS("crashlab-bob-a", LabLabels("a", "bob")),
		labNS("prod", map[string]string{LabelLearner: "alice"}),
		labNS("default", nil),
	)
	names := func(l []corev1.Namespace) []string {
		var out []string
		for _, n := range l {
			out = append(out, n.Name)
		}
		return out
	}
	tests := []struct {
		learner string
		want    []string
	}{
		{learner: "", want: []string{"crashlab-a", "crashlab-alice-a", "crashlab-bob-a"}},
		{learner: "alice", want: []string{"crashlab-alice-a"}},
		{learner: "carol", want: nil},
	}
	for _, tt := range tests {
		t.Run("learner="+tt.learner, func(t *testing.T) {
			got, err := ListNamespaces(ctx, cs, tt.learner)
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.want, names(got))
		})
	}
}

func TestRecordObjectsRoundTrip(t *testing.T) {
	ctx := context.Background()
	ns := labNS("crashlab-s", LabLabels("s", ""))
	ns.Annotations = map[string]string{"keep": "me"}
	cs := fake.NewClientset(ns, labNS("prod", nil))
	uids := map[string]string{ObjectKey("Deployment", "web"): "uid-1", ObjectKey("Secret", "db"): "uid-2"}

	require.NoError(t, RecordObjects(ctx, cs, "crashlab-s", uids))
	got, err := GetOwned(ctx, cs, "crashlab-s")
	require.NoError(t, err)
	rec, err := RecordedObjects(got)
	require.NoError(t, err)
	assert.Equal(t, uids, rec)
	assert.Equal(t, "me", got.Annotations["keep"], "other annotations kept")
	assert.Equal(t, LabLabels("s", ""), got.Labels, "labels kept")

	err = RecordObjects(ctx, cs, "prod", uids)
	require.Error(t, err)
	prod, err := cs.CoreV1().Namespaces().Get(ctx, "prod", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Empty(t, prod.Annotations[AnnotationObjects], "foreign namespace not annotated")

	assert.Error(t, RecordObjects(ctx, cs, "absent", uids))
}

func TestRecordObjectsOnNamespaceWithoutAnnotations(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(labNS("crashlab-s", LabLabels("s", "")))
	require.NoError(t, RecordObjects(ctx, cs, "crashlab-s", map[string]string{"Secret/db": "u"}))
	got, err := cs.CoreV1().Namespaces().Get(ctx, "crashlab-s", metav1.GetOptions{})
	require.NoError(t, err)
	rec, err := RecordedObjects(got)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Secret/db": "u"}, rec)
}

func TestRecordedObjects(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        map[string]string
		wantErr     bool
	}{
		{name: "no annotation is an empty record", want: map[string]string{}},
		{name: "stored record", annotations: map[string]string{AnnotationObjects: `{"Deployment/web":"u1"}`}, want: map[string]string{"Deployment/web": "u1"}},
		{name: "unreadable annotation", annotations: map[string]string{AnnotationObjects: `{not json`}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := labNS("crashlab-s", nil)
			ns.Annotations = tt.annotations
			got, err := RecordedObjects(ns)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), AnnotationObjects)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestObjectKey(t *testing.T) {
	assert.Equal(t, "Deployment/web", ObjectKey("Deployment", "web"))
}
