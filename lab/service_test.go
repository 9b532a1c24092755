package lab_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

func TestNewRefusesALearnerNameUnusableInANamespace(t *testing.T) {
	_, err := lab.New(nil, lab.WithLearner("Ann Smith"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not usable in a namespace")
}

func TestStartDeploysAndRecordsTheStart(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	ctx := context.Background()

	started, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	assert.Equal(t, scenarioID, started.Scenario.ID)
	assert.Equal(t, "crashlab-ann-"+scenarioID, started.Namespace)

	ns, err := f.cs.CoreV1().Namespaces().Get(ctx, started.Namespace, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "ann", ns.Labels[cluster.LabelLearner])
	_, err = f.cs.AppsV1().Deployments(started.Namespace).Get(ctx, workload, metav1.GetOptions{})
	require.NoError(t, err, "the scenario's workload is deployed")
	attempt, err := scenarios.LoadAttempt(ctx, f.cs, started.Scenario, started.Namespace)
	require.NoError(t, err, "the attempt record is written")
	assert.Equal(t, nodeArch, attempt.Baseline.Values.NodeArch, "rendered for the node's architecture")

	want, err := images.ForNode(nodeArch)
	require.NoError(t, err)
	require.Len(t, f.images.asked, 1, "the images are ensured before deploying")
	assert.Equal(t, []string{want[0].Ref, want[1].Ref}, f.images.asked[0])

	first := f.entry("ann", scenarioID).Started
	assert.False(t, first.IsZero(), "the start is in the learner's progress")
	assert.Empty(t, f.warnings)

	// A second start changes nothing and says so with a sentinel the CLI
	// turns into advice; the result still names what is running.
	again, err := svc.Start(ctx, scenarioID)
	require.ErrorIs(t, err, scenarios.ErrAlreadyStarted)
	assert.Equal(t, started.Namespace, again.Namespace)
	assert.Equal(t, scenarioID, again.Scenario.ID)
	assert.Equal(t, first, f.entry("ann", scenarioID).Started, "the first start time is kept")
}

func TestStartCompletesAnInterruptedStart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns := "crashlab-ann-" + scenarioID
	// What a start cut short after its first object leaves: the lab's
	// namespace and Secret, no Deployment, no record.
	lbls := cluster.LabLabels(scenarioID, "ann")
	_, err := cluster.CreateNamespace(ctx, f.cs, ns, lbls)
	require.NoError(t, err)
	secret, err := f.cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-db", Namespace: ns, Labels: lbls},
		StringData: map[string]string{"database_url": "postgres://orders:orders-pw@orders-db.internal:5432/orders"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	started, err := f.service("ann").Start(ctx, scenarioID)
	require.NoError(t, err, "an interrupted start is completed, not refused as already started")
	attempt, err := scenarios.LoadAttempt(ctx, f.cs, started.Scenario, ns)
	require.NoError(t, err)
	assert.Equal(t, string(secret.UID), attempt.UIDs[cluster.ObjectKey("Secret", "orders-db")], "the object already created is taken as it is")
	_, err = f.cs.AppsV1().Deployments(ns).Get(ctx, workload, metav1.GetOptions{})
	require.NoError(t, err)
	assert.False(t, f.entry("ann", scenarioID).Started.IsZero())
}

func TestStartDeploysNothingWithoutTheImages(t *testing.T) {
	f := newFixture(t)
	f.images.err = errors.New("no way into the nodes")
	_, err := f.service("ann").Start(context.Background(), scenarioID)
	require.ErrorContains(t, err, "no way into the nodes")
	_, err = f.cs.CoreV1().Namespaces().Get(context.Background(), "crashlab-ann-"+scenarioID, metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "nothing deployed: %v", err)
	assert.True(t, f.entry("ann", scenarioID).Started.IsZero())
}

// A workshop learner's incident was deployed by the trainer: their first
// start begins the attempt without asking for images (a learner may not
// read what the nodes hold, and a fresh node lists its images late), and
// their reset is the trainer's.
func TestWorkshopLearnerStartsWhatTheTrainerDeployed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.service("ann").Start(ctx, scenarioID)
	require.NoError(t, err, "the trainer's deploy")
	f.images.asked = nil
	f.images.err = errors.New("no image list for you")
	learnerDir := t.TempDir()
	learner := f.service("ann", lab.WithProgressDir(learnerDir), lab.WithWorkshop("crashlab-workshop-room"))

	started, err := learner.Start(ctx, scenarioID)
	require.ErrorIs(t, err, scenarios.ErrAlreadyStarted)
	assert.Equal(t, "crashlab-ann-"+scenarioID, started.Namespace)
	assert.Empty(t, f.images.asked, "no image check for a deployed incident")
	st, err := progress.Open(learnerDir, "workshop", "ann")
	require.NoError(t, err)
	assert.False(t, st.Entries[scenarioID].Started.IsZero(), "the learner's attempt begins")

	_, err = learner.Reset(ctx, scenarioID)
	require.ErrorIs(t, err, lab.ErrTrainerResets)
	_, err = f.cs.CoreV1().Namespaces().Get(ctx, started.Namespace, metav1.GetOptions{})
	assert.NoError(t, err, "nothing deleted")
}

func TestUnknownScenarioIsRefusedByEveryVerb(t *testing.T) {
	f := newFixture(t)
	svc := f.service("")
	ctx := context.Background()
	verbs := map[string]func() error{
		"start":    func() error { _, err := svc.Start(ctx, "nope"); return err },
		"reset":    func() error { _, err := svc.Reset(ctx, "nope"); return err },
		"status":   func() error { _, err := svc.Status(ctx, "nope"); return err },
		"diagnose": func() error { _, err := svc.Diagnose(ctx, "nope", nil); return err },
		"check":    func() error { _, err := svc.Check(ctx, "nope", lab.CheckOptions{}); return err },
		"hint":     func() error { _, err := svc.Hint("nope"); return err },
		"explain":  func() error { _, err := svc.Explain("nope"); return err },
	}
	for name, verb := range verbs {
		t.Run(name, func(t *testing.T) {
			assert.ErrorContains(t, verb(), `no scenario "nope"`)
		})
	}
}

// A namespace named like the lab's but not created by it is refused by every
// verb that would act in it, and left as it was.
func TestForeignNamespaceIsRefused(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-intruder-" + scenarioID, UID: "theirs"}}
	f := newFixture(t, ns)
	svc := f.service("intruder")
	ctx := context.Background()
	verbs := map[string]func() error{
		"start":    func() error { _, err := svc.Start(ctx, scenarioID); return err },
		"reset":    func() error { _, err := svc.Reset(ctx, scenarioID); return err },
		"status":   func() error { _, err := svc.Status(ctx, scenarioID); return err },
		"diagnose": func() error { _, err := svc.Diagnose(ctx, scenarioID, nil); return err },
		"check":    func() error { _, err := svc.Check(ctx, scenarioID, lab.CheckOptions{}); return err },
	}
	for name, verb := range verbs {
		t.Run(name, func(t *testing.T) {
			assert.ErrorContains(t, verb(), "not created by crashlab")
			got, err := f.cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, ns.UID, got.UID)
		})
	}
	deleted, err := svc.Down(ctx)
	require.NoError(t, err)
	assert.Empty(t, deleted, "down leaves a namespace the lab did not create")
}

func TestStatusShowsStartedScenariosOnly(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	ctx := context.Background()
	started, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	crashLoop(t, f.cs, started.Namespace)

	all, err := svc.Status(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1, "only the started scenario: %+v", all)
	assert.Equal(t, scenarioID, all[0].Scenario)
	facts := all[0].Facts
	assert.True(t, facts.Found)
	require.Len(t, facts.Pods, 2)
	assert.Equal(t, "CrashLoopBackOff", facts.Pods[0].Containers[0].WaitingReason)

	one, err := svc.Status(ctx, scenarioID)
	require.NoError(t, err)
	assert.Len(t, one, 1)

	_, err = svc.Status(ctx, "thumbnailer-keeps-restarting")
	require.ErrorIs(t, err, lab.ErrNotStarted, "a scenario asked for by name must be started")
	assert.ErrorContains(t, err, "crashlab-ann-thumbnailer-keeps-restarting")

	other, err := f.service("bob").Status(ctx)
	require.NoError(t, err)
	assert.Empty(t, other, "another learner has started nothing")
}

func TestDiagnoseGradesAgainstTheLivePods(t *testing.T) {
	tests := []struct {
		name       string
		answers    map[string]string
		wantPassed bool
		wantFailed []string
	}{
		{
			name:       "right",
			answers:    map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "missing-variable"},
			wantPassed: true,
		},
		{
			name:       "right, in another case",
			answers:    map[string]string{"last-reason": "error", "exit-code": "1", "cause": "MISSING-VARIABLE"},
			wantPassed: true,
		},
		{
			name:       "wrong",
			answers:    map[string]string{"last-reason": "OOMKilled", "exit-code": "137", "cause": "out-of-memory"},
			wantFailed: []string{"last-reason", "exit-code", "cause"},
		},
		{
			name:       "partly right",
			answers:    map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "probe-kill"},
			wantFailed: []string{"cause"},
		},
		{
			name:       "unanswered",
			answers:    map[string]string{"last-reason": "Error", "exit-code": "1"},
			wantFailed: []string{"cause"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			svc := f.service("ann")
			ctx := context.Background()
			started, err := svc.Start(ctx, scenarioID)
			require.NoError(t, err)
			crashLoop(t, f.cs, started.Namespace)

			v, err := svc.Diagnose(ctx, scenarioID, tt.answers)
			require.NoError(t, err, "a wrong diagnosis is a verdict, not an error")
			assert.Equal(t, "diagnosis", v.Kind)
			assert.Equal(t, tt.wantPassed, v.Passed, "%+v", v.Checks)
			assert.ElementsMatch(t, tt.wantFailed, failedChecks(v), "%+v", v.Checks)
			assert.Equal(t, tt.wantPassed, !f.entry("ann", scenarioID).Diagnosed.IsZero(), "only a correct diagnosis is recorded")
		})
	}
}

func TestDiagnoseNeedsAStartedScenario(t *testing.T) {
	f := newFixture(t)
	_, err := f.service("ann").Diagnose(context.Background(), scenarioID, map[string]string{"cause": "missing-variable"})
	require.ErrorIs(t, err, lab.ErrNotStarted)
	assert.NotContains(t, err.Error(), "crashlab start", "the CLI words the advice")
}

// startCrashLooping starts the scenario for learner ann and lets its pods
// crash-loop, as they do on a cluster before any fix.
func startCrashLooping(t *testing.T, f *fixture) (*lab.Service, lab.Started) {
	t.Helper()
	svc := f.service("ann")
	started, err := svc.Start(context.Background(), scenarioID)
	require.NoError(t, err)
	crashLoop(t, f.cs, started.Namespace)
	return svc, started
}

// Without a record it can trust, check judges nothing: judging against what
// this build would deploy could skip the rules the attempt started with.
func TestCheckFailsClosedWithoutTheRecord(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, f *fixture, ns string)
		wantErr error
	}{
		{
			name: "record deleted",
			tamper: func(t *testing.T, f *fixture, ns string) {
				require.NoError(t, f.cs.CoreV1().ConfigMaps(ns).Delete(context.Background(), scenarios.AttemptRecordName, metav1.DeleteOptions{}))
			},
			wantErr: scenarios.ErrNoRecord,
		},
		{
			name: "record edited",
			tamper: func(t *testing.T, f *fixture, ns string) {
				ctx := context.Background()
				cm, err := f.cs.CoreV1().ConfigMaps(ns).Get(ctx, scenarios.AttemptRecordName, metav1.GetOptions{})
				require.NoError(t, err)
				cm.Data["manifests.yaml"] = "---\n"
				_, err = f.cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
				require.NoError(t, err)
			},
			wantErr: scenarios.ErrRecordAltered,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			svc, started := startCrashLooping(t, f)
			patchDeployment(t, f.cs, started.Namespace, envPatch("database_url", ""))
			tt.tamper(t, f, started.Namespace)

			v, err := svc.Check(context.Background(), scenarioID, lab.CheckOptions{})
			require.ErrorIs(t, err, tt.wantErr)
			assert.True(t, scenarios.IsRecordProblem(err))
			assert.False(t, v.Passed)
			assert.Empty(t, v.Checks, "no verdict at all")
			assert.False(t, f.entry("ann", scenarioID).Done())
		})
	}
}

// A check of an incident nobody changed (a patch that sets what is already
// there changes nothing) says so and nothing else: the incident's rules
// would name what is wrong before the learner has looked.
func TestCheckOfAnUnchangedIncidentNamesNothing(t *testing.T) {
	f := newFixture(t)
	svc, started := startCrashLooping(t, f)
	patchDeployment(t, f.cs, started.Namespace, envPatch("database-url", ""))
	v, err := svc.Check(context.Background(), scenarioID, lab.CheckOptions{})
	require.NoError(t, err)
	assert.False(t, v.Passed)
	require.Len(t, v.Checks, 1, "%+v", v.Checks)
	assert.Equal(t, grader.CheckNothingChanged, v.Checks[0].Name)
	for _, tell := range []string{"DATABASE_URL", "database", "orders-db", "Secret", "key"} {
		assert.NotContains(t, v.Checks[0].Message, tell)
	}
	assert.False(t, f.entry("ann", scenarioID).Done())
}

func TestCheckRefusedByAStaticRuleIsAVerdictNotProgress(t *testing.T) {
	tests := []struct {
		name      string
		patch     string
		wantFirst string
	}{
		{"credential copied into the Deployment", envPatch("", "postgres://orders:orders-pw@orders-db.internal:5432/orders"), "env-DATABASE_URL"},
		{"reference changed to another missing key", envPatch("database-uri", ""), "env-DATABASE_URL"},
		{"scaled to zero", `{"spec":{"replicas":0}}`, "workload-kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			svc, started := startCrashLooping(t, f)
			patchDeployment(t, f.cs, started.Namespace, tt.patch)

			v, err := svc.Check(context.Background(), scenarioID, lab.CheckOptions{})
			require.NoError(t, err)
			assert.Equal(t, "fix", v.Kind)
			assert.False(t, v.Passed)
			failed := failedChecks(v)
			require.NotEmpty(t, failed)
			assert.Equal(t, tt.wantFirst, failed[0], "%+v", v.Checks)
			assert.Contains(t, failed, "live", "the live checks are not run after a static refusal")
			assert.False(t, f.entry("ann", scenarioID).Done(), "a refused fix is not recorded")
		})
	}
}

// An interrupted check proves nothing: it is an error, never a verdict, and
// nothing is recorded.
func TestCheckInterruptedIsAnError(t *testing.T) {
	f := newFixture(t)
	svc, started := startCrashLooping(t, f)
	patchDeployment(t, f.cs, started.Namespace, envPatch("database_url", ""))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	done := make(chan error, 1)
	go func() {
		_, err := svc.Check(ctx, scenarioID, lab.CheckOptions{ReadyTimeout: time.Minute})
		done <- err
	}()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.True(t, errors.Is(err, podstate.ErrInterrupted) || errors.Is(err, context.Canceled), err.Error())
	case <-time.After(10 * time.Second):
		t.Fatal("check did not end on a cancelled context")
	}
	assert.False(t, f.entry("ann", scenarioID).Done())
}

func TestHintShowsOneMoreEachTimeUpToTheLast(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	sc, err := svc.Scenario(scenarioID)
	require.NoError(t, err)
	n := len(sc.Hints)
	for i := 1; i <= n+1; i++ {
		h, err := svc.Hint(scenarioID)
		require.NoError(t, err)
		want := min(i, n)
		assert.Equal(t, want, h.Shown, "call %d", i)
		assert.Equal(t, sc.Hints[:want], h.Seen())
		assert.Equal(t, "crashlab-ann-"+scenarioID, h.Namespace)
		assert.Equal(t, want, f.entry("ann", scenarioID).Hints)
	}

	next, err := f.service("bob").Hint(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, 1, next.Shown, "each learner has their own count")

	// Every hint at once is every hint read: they all cost points.
	all, err := f.service("bob").AllHints(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, n, all.Shown)
	assert.Equal(t, n, f.entry("bob", scenarioID).Hints, "showing every hint counts them all")
	again, err := f.service("bob").Hint(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, n, again.Shown, "no hint beyond the last")
}

func TestResetRestoresTheBrokenStateExactly(t *testing.T) {
	f := newFixture(t)
	svc, started := startCrashLooping(t, f)
	ctx := context.Background()
	ns := started.Namespace
	before, err := f.cs.AppsV1().Deployments(ns).Get(ctx, workload, metav1.GetOptions{})
	require.NoError(t, err)
	// The learner fixes the reference and loses the record on the way.
	patchDeployment(t, f.cs, ns, envPatch("database_url", ""))
	require.NoError(t, f.cs.CoreV1().ConfigMaps(ns).Delete(ctx, scenarios.AttemptRecordName, metav1.DeleteOptions{}))

	again, err := svc.Reset(ctx, scenarioID)
	require.NoError(t, err)
	assert.Equal(t, ns, again.Namespace)
	after, err := f.cs.AppsV1().Deployments(ns).Get(ctx, workload, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, before.UID, after.UID, "the workload is re-created, not patched back")
	env := podstate.Env(&after.Spec.Template.Spec.Containers[0], "DATABASE_URL")
	require.NotNil(t, env)
	assert.Equal(t, "database-url", env.ValueFrom.SecretKeyRef.Key, "the broken reference is back")
	pods, err := f.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, pods.Items, "the old pods went with the namespace")
	attempt, err := scenarios.LoadAttempt(ctx, f.cs, again.Scenario, ns)
	require.NoError(t, err, "a fresh record")
	assert.Equal(t, string(after.UID), attempt.UIDs[cluster.ObjectKey("Deployment", workload)])
	assert.Len(t, f.images.asked, 2, "reset ensures the images as start does")
}

func TestDownDeletesOnlyTheLearnersNamespaces(t *testing.T) {
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-ann-imposter"}}
	tests := []struct {
		name    string
		learner string
		want    []string
	}{
		{"one learner", "ann", []string{"crashlab-ann-" + scenarioID, "crashlab-ann-thumbnailer-keeps-restarting"}},
		{"every learner on the context", "", []string{"crashlab-ann-" + scenarioID, "crashlab-ann-thumbnailer-keeps-restarting", "crashlab-bob-" + scenarioID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, foreign, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
			ctx := context.Background()
			for _, s := range []struct{ learner, id string }{{"ann", scenarioID}, {"ann", "thumbnailer-keeps-restarting"}, {"bob", scenarioID}} {
				_, err := f.service(s.learner).Start(ctx, s.id)
				require.NoError(t, err)
			}

			deleted, err := f.service(tt.learner).Down(ctx)
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.want, deleted)
			list, err := f.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			left := map[string]bool{}
			for _, ns := range list.Items {
				left[ns.Name] = true
			}
			for _, ns := range tt.want {
				assert.False(t, left[ns], "%s deleted", ns)
			}
			assert.True(t, left[foreign.Name], "a namespace the lab did not create stays")
			assert.True(t, left["default"])
			if tt.learner == "ann" {
				assert.True(t, left["crashlab-bob-"+scenarioID], "another learner's namespace stays")
			}
		})
	}
}

func TestListMarksWhatTheLearnerFixed(t *testing.T) {
	f := newFixture(t)
	st, err := progress.Open(f.dir, "workshop", "ann")
	require.NoError(t, err)
	require.NoError(t, st.Update("thumbnailer-keeps-restarting", func(e *progress.Entry) { e.Fixed = time.Now() }))

	rows := f.service("ann").List()
	require.Len(t, rows, len(f.service("ann").Scenarios()))
	for _, r := range rows {
		assert.Equal(t, r.ID == "thumbnailer-keeps-restarting", r.Done, r.ID)
	}
	for _, r := range f.service("bob").List() {
		assert.False(t, r.Done, "progress is per learner: %s", r.ID)
	}
	assert.Empty(t, f.warnings)
}

func TestExplainAndManifests(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	_, err := svc.GiveUp(scenarioID)
	require.NoError(t, err)
	e, err := svc.Explain(scenarioID)
	require.NoError(t, err)
	assert.Equal(t, scenarioID, e.Scenario)
	assert.Contains(t, e.Text, "database_url")

	out, err := svc.Manifests(context.Background(), scenarioID)
	require.NoError(t, err)
	want, err := images.ForArch(nodeArch)
	require.NoError(t, err)
	assert.Contains(t, string(out), want.Ref, "rendered for the node's architecture")
	assert.Contains(t, string(out), cluster.LabelLearner+": ann")

	// A node architecture given up front is used as it is.
	arm, err := f.service("ann", lab.WithNodeArch("arm64")).Manifests(context.Background(), scenarioID)
	require.NoError(t, err)
	want, err = images.ForArch("arm64")
	require.NoError(t, err)
	assert.Contains(t, string(arm), want.Ref)
}

func TestClusterImagesChecksTheNodesOfAClusterTheLabDidNotCreate(t *testing.T) {
	imgs, err := images.ForNode(nodeArch)
	require.NoError(t, err)
	withImages := node(nodeArch)
	withImages.Name = "has-them"
	withImages.Status.Images = []corev1.ContainerImage{{Names: []string{"docker.io/" + imgs[0].Ref}}, {Names: []string{imgs[1].Ref}}}
	without := node(nodeArch)
	without.Name = "lacks-them"
	without.Status.Images = []corev1.ContainerImage{{Names: []string{imgs[0].Ref}}}

	ok := lab.ClusterImages{Client: fakeCluster(withImages)}
	require.NoError(t, ok.EnsureImages(context.Background(), imgs))

	missing := lab.ClusterImages{Client: fakeCluster(withImages, without)}
	err = missing.EnsureImages(context.Background(), imgs)
	var mi *lab.MissingImageError
	require.ErrorAs(t, err, &mi)
	assert.Equal(t, lab.MissingImageError{Image: imgs[1].Ref, Node: "lacks-them"}, *mi)
	assert.NotContains(t, err.Error(), "crashlab images export", "the CLI words the advice")
}

func TestNodeArch(t *testing.T) {
	arm := node("arm64")
	tests := []struct {
		name    string
		nodes   []*corev1.Node
		want    string
		wantErr string
	}{
		{"one node", []*corev1.Node{node("amd64")}, "amd64", ""},
		{"no node", nil, "", "has no nodes"},
		{"mixed", []*corev1.Node{node("amd64"), arm}, "", "mix architectures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fakeCluster()
			for _, n := range tt.nodes {
				_, err := cs.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{})
				require.NoError(t, err)
			}
			got, err := lab.NodeArch(context.Background(), cs, "workshop")
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestClusterVerbsNeedAClient(t *testing.T) {
	svc, err := lab.New(nil)
	require.NoError(t, err)
	_, err = svc.Start(context.Background(), scenarioID)
	assert.ErrorContains(t, err, "no cluster client")
	_, err = svc.Down(context.Background())
	assert.ErrorContains(t, err, "no cluster client")
}

// A start right after `down` (or a `kubectl delete ns`) finds the old
// namespace still terminating, its record still on it. It must wait for it to
// go and deploy afresh, not read the dying record as a deployed incident.
func TestStartWaitsForATerminatingNamespaceThenDeploys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.service("ann")
	started, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	old, err := f.cs.CoreV1().Namespaces().Get(ctx, started.Namespace, metav1.GetOptions{})
	require.NoError(t, err)
	// What the API server shows between the delete and the namespace
	// controller's last step: the namespace, its record, a deletion stamp.
	// The fake clientset deletes at once, so the stamp is set by hand and the
	// objects inside are gone already.
	now := metav1.Now()
	old.DeletionTimestamp = &now
	_, err = f.cs.CoreV1().Namespaces().Update(ctx, old, metav1.UpdateOptions{})
	require.NoError(t, err)
	for _, d := range []string{workload} {
		require.NoError(t, f.cs.AppsV1().Deployments(started.Namespace).Delete(ctx, d, metav1.DeleteOptions{}))
	}
	deployed, err := scenarios.Deployed(ctx, f.cs, started.Namespace)
	require.NoError(t, err)
	assert.False(t, deployed, "a terminating namespace is not a deployed incident")

	var said []string
	svc = f.service("ann", lab.WithProgress(func(m string) { said = append(said, m) }))
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = f.cs.CoreV1().Namespaces().Delete(ctx, started.Namespace, metav1.DeleteOptions{})
	}()
	again, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err, "the start waits for the old namespace, then deploys")
	ns, err := f.cs.CoreV1().Namespaces().Get(ctx, again.Namespace, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, old.UID, ns.UID, "a new namespace")
	assert.Nil(t, ns.DeletionTimestamp)
	_, err = f.cs.AppsV1().Deployments(again.Namespace).Get(ctx, workload, metav1.GetOptions{})
	require.NoError(t, err, "the workload is deployed again")
	require.NotEmpty(t, said)
	assert.Contains(t, said[0], started.Namespace, "the wait is shown")
}

// The lab keeps its own record of the commands a learner ran in an attempt,
// in order, for the replay of the investigation.
func TestTheAttemptRecordsTheLabCommandsRun(t *testing.T) {
	f := newFixture(t)
	svc, _ := startCrashLooping(t, f)
	ctx := context.Background()
	_, err := svc.Status(ctx, scenarioID)
	require.NoError(t, err)
	_, err = svc.Status(ctx)
	require.NoError(t, err)
	_, err = svc.Hint(scenarioID)
	require.NoError(t, err)
	_, err = svc.Diagnose(ctx, scenarioID, map[string]string{})
	require.NoError(t, err)
	_, err = svc.GiveUp(scenarioID)
	require.NoError(t, err)
	_, err = svc.Explain(scenarioID)
	require.NoError(t, err)

	var names []string
	var last time.Time
	for _, c := range f.entry("ann", scenarioID).Commands {
		names = append(names, c.Name)
		assert.False(t, c.At.Before(last), "in order")
		last = c.At
	}
	assert.Equal(t, []string{"start", "status", "hint", "diagnose", "give-up", "explain"}, names, "a status of every incident is no look at this one")

	// The lab's controller explains on its own: that is no command of the
	// learner's.
	quiet := f.service("ann", lab.WithUnrecordedCommands("explain"))
	_, err = quiet.Explain(scenarioID)
	require.NoError(t, err)
	assert.Len(t, f.entry("ann", scenarioID).Commands, len(names))
}

// kubectl is a kubectl's user agent.
const kubectl = "kubectl/v1.34.1 (linux/amd64) kubernetes/abc"

// pageAMinuteAgo moves ann's attempt's page, and the lab commands recorded
// with it, a minute back, and returns it: the requests a test writes after
// it belong to the attempt.
func pageAMinuteAgo(t *testing.T, f *fixture) time.Time {
	t.Helper()
	st, err := progress.Open(f.dir, "workshop", "ann")
	require.NoError(t, err)
	page := time.Now().Add(-time.Minute)
	require.NoError(t, st.Update(scenarioID, func(e *progress.Entry) {
		e.Started = page
		for i := range e.Commands {
			e.Commands[i].At = page
		}
	}))
	return page
}

// auditLine is one audit event as kube-apiserver writes it (level
// Metadata, stage ResponseComplete).
func auditLine(at time.Time, user, agent, verb, uri, ns, resource, sub, name string) string {
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "stage": "ResponseComplete",
		"auditID": fmt.Sprintf("id-%d", at.UnixNano()), "requestURI": uri, "verb": verb,
		"user":                     map[string]any{"username": user},
		"userAgent":                agent,
		"objectRef":                map[string]any{"resource": resource, "namespace": ns, "name": name, "subresource": sub, "apiVersion": "v1"},
		"responseStatus":           map[string]any{"code": 200},
		"requestReceivedTimestamp": at.UTC().Format(time.RFC3339Nano),
		"stageTimestamp":           at.UTC().Format(time.RFC3339Nano),
	}
	b, _ := json.Marshal(ev)
	return string(b) + "\n"
}

// Replay reads the attempt's window of the audit log, in the incident's
// namespace, without the lab's own requests, with the lab's commands from
// its record; the look the expert path says shows the evidence is marked.
func TestReplayIsTheAttemptsInvestigation(t *testing.T) {
	f := newFixture(t)
	svc, started := startCrashLooping(t, f)
	ns := started.Namespace
	// The page was a minute ago: the investigation below happened since.
	at := pageAMinuteAgo(t, f).Add(time.Second)
	log := auditLine(at.Add(-time.Hour), "kubernetes-admin", kubectl, "list", "/api/v1/namespaces/"+ns+"/pods", ns, "pods", "", "") +
		auditLine(at, "kubernetes-admin", kubectl, "list", "/api/v1/namespaces/"+ns+"/pods?limit=500", ns, "pods", "", "") +
		auditLine(at.Add(time.Second), "kubernetes-admin", "crashlab/dev", "list", "/api/v1/namespaces/"+ns+"/pods", ns, "pods", "", "") +
		auditLine(at.Add(2*time.Second), "kubernetes-admin", kubectl, "list", "/api/v1/namespaces/elsewhere/pods", "elsewhere", "pods", "", "") +
		auditLine(at.Add(20*time.Second), "kubernetes-admin", kubectl, "get", "/api/v1/namespaces/"+ns+"/pods/"+workload+"-abc-x1/log?container=app&previous=true", ns, "pods", "log", workload+"-abc-x1") +
		auditLine(at.Add(30*time.Second), "system:node:n1", "kubelet/v1.34", "get", "/api/v1/namespaces/"+ns+"/pods/"+workload+"-abc-x1", ns, "pods", "", workload+"-abc-x1")
	svc = f.service("ann", lab.WithAuditLog(func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(log)), nil
	}))

	r, err := svc.Replay(context.Background(), scenarioID)
	require.NoError(t, err)
	var commands []string
	for _, e := range r.Timeline.Entries {
		commands = append(commands, string(e.Source)+": "+e.Command)
	}
	require.Len(t, commands, 3, "%q", commands)
	assert.Equal(t, "lab: crashlab start", commands[0])
	assert.Contains(t, commands[1], "kubectl get pods")
	assert.Contains(t, commands[2], "kubectl logs "+workload+"-abc-x1")
	assert.Contains(t, commands[2], "--previous")
	assert.Equal(t, 20*time.Second, r.Timeline.Entries[2].Time.Sub(r.Timeline.Entries[1].Time).Round(time.Second))
	assert.False(t, r.Revealed)
	assert.Empty(t, r.Expert, "an open attempt is not shown the path to the cause")
	assert.Equal(t, -1, r.Summary.EvidenceEntry, "nor where the evidence was")

	_, err = svc.GiveUp(scenarioID)
	require.NoError(t, err)
	r, err = svc.Replay(context.Background(), scenarioID)
	require.NoError(t, err)
	assert.True(t, r.Revealed)
	assert.NotEmpty(t, r.Expert)
	assert.True(t, r.Summary.EvidenceSeen)
	assert.Equal(t, 2, r.Summary.EvidenceEntry, "the previous log shows the evidence of this incident")

	none := f.service("ann")
	_, err = none.Replay(context.Background(), scenarioID)
	assert.ErrorIs(t, err, lab.ErrNoAuditLog, "a cluster without a log says so")
	_, err = f.service("bob", lab.WithAuditLog(func(context.Context) (io.ReadCloser, error) { return nil, errors.New("unused") })).Replay(context.Background(), scenarioID)
	assert.ErrorIs(t, err, lab.ErrNotStarted, "nothing to replay before a start")
}

// The interviewer's replay is the candidate's requests only, and shows the
// evidence of an open attempt: the interviewer is not the candidate.
func TestReplayForAnotherReader(t *testing.T) {
	f := newFixture(t)
	_, started := startCrashLooping(t, f)
	ns := started.Namespace
	at := pageAMinuteAgo(t, f).Add(time.Second)
	candidate := "system:serviceaccount:" + ns + ":candidate"
	log := auditLine(at, "kubernetes-admin", kubectl, "list", "/api/v1/namespaces/"+ns+"/pods?limit=500", ns, "pods", "", "") +
		auditLine(at.Add(10*time.Second), candidate, kubectl, "list", "/api/v1/namespaces/"+ns+"/pods?limit=500", ns, "pods", "", "") +
		auditLine(at.Add(20*time.Second), "kubernetes-admin", kubectl, "get", "/api/v1/namespaces/"+ns+"/pods/"+workload+"-abc-x1/log?container=app&previous=true", ns, "pods", "log", workload+"-abc-x1") +
		auditLine(at.Add(30*time.Second), candidate, kubectl, "get", "/api/v1/namespaces/"+ns+"/pods/"+workload+"-abc-x1/log?container=app&previous=true", ns, "pods", "log", workload+"-abc-x1")
	src := lab.WithAuditLog(func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(log)), nil })

	tests := []struct {
		name     string
		opts     []lab.Option
		reveal   bool
		users    []string
		revealed bool
	}{
		{name: "everyone's, as the learner reads it", opts: []lab.Option{src}, users: []string{"", "kubernetes-admin", candidate, "kubernetes-admin", candidate}},
		{name: "the candidate's only", opts: []lab.Option{src, lab.WithAuditUser(candidate)}, users: []string{"", candidate, candidate}},
		{name: "revealed to the interviewer", opts: []lab.Option{src, lab.WithAuditUser(candidate)}, reveal: true, users: []string{"", candidate, candidate}, revealed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := f.service("ann", tt.opts...).ReplayFor(context.Background(), scenarioID, lab.ReplayOptions{Reveal: tt.reveal})
			require.NoError(t, err)
			var users []string
			for _, e := range r.Timeline.Entries {
				users = append(users, e.User)
			}
			assert.Equal(t, tt.users, users)
			assert.Equal(t, tt.revealed, r.Revealed)
			if tt.revealed {
				assert.NotEmpty(t, r.Expert)
				assert.Equal(t, 2, r.Summary.EvidenceEntry, "the candidate's previous log is the evidence")
			} else {
				assert.Empty(t, r.Expert)
				assert.Equal(t, -1, r.Summary.EvidenceEntry)
			}
		})
	}
}

// Replays reads the log once for every incident started, and only those.
func TestReplaysReadTheLogOnce(t *testing.T) {
	f := newFixture(t)
	_, started := startCrashLooping(t, f)
	ns := started.Namespace
	at := time.Now().Add(time.Second)
	log := auditLine(at, "kubernetes-admin", kubectl, "list", "/api/v1/namespaces/"+ns+"/pods?limit=500", ns, "pods", "", "")
	reads := 0
	svc := f.service("ann", lab.WithAuditLog(func(context.Context) (io.ReadCloser, error) {
		reads++
		return io.NopCloser(strings.NewReader(log)), nil
	}))
	got, err := svc.Replays(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, reads)
	require.Len(t, got, 1, "only the started incident")
	r := got[scenarioID]
	assert.Equal(t, ns, r.Namespace)
	assert.False(t, r.Revealed)

	_, err = f.service("ann").Replays(context.Background())
	assert.ErrorIs(t, err, lab.ErrNoAuditLog)
}
