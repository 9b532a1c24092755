//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/author"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// scenarioSpec is what the suite knows about one scenario: the catalogue's
// definition and its fixes/ folder, which holds the diagnosis answers its
// author meant as right and wrong, and every fix and shortcut to try. Nothing
// here is per scenario: a new scenario folder is picked up as it is.
type scenarioSpec struct {
	id     string
	s      scenarios.Scenario
	folder fixes.Folder
}

// specs reads every catalogued scenario's fixes/ folder from the repository.
// CRASHLAB_E2E_ONLY=<id>[,<id>...] runs only those scenarios (and skips the
// cluster-wide tests): while a scenario is being written, or for
// `make e2e-nodes`.
func specs(t testing.TB) []scenarioSpec {
	t.Helper()
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	only := os.Getenv("CRASHLAB_E2E_ONLY")
	var out []scenarioSpec
	wanted := map[string]bool{}
	for _, id := range strings.Split(only, ",") {
		wanted[strings.TrimSpace(id)] = true
	}
	for _, s := range catalog.All() {
		if only != "" && !wanted[s.ID] {
			continue
		}
		f, err := fixes.LoadScenario(root, s)
		require.NoError(t, err, "scenario %s: its fixes/ folder", s.ID)
		out = append(out, scenarioSpec{id: s.ID, s: s, folder: f})
	}
	require.NotEmpty(t, out, "CRASHLAB_E2E_ONLY=%q names no scenario of the catalogue", only)
	return out
}

// specNamed is one scenario of the catalogue, for a test that needs one.
func specNamed(t *testing.T, all []scenarioSpec, id string) scenarioSpec {
	t.Helper()
	for _, s := range all {
		if s.id == id {
			return s
		}
	}
	t.Fatalf("no scenario %s in the catalogue", id)
	return scenarioSpec{}
}

func TestLab(t *testing.T) {
	// Read every fixes/ folder before the cluster exists: a bad file fails at once.
	all := specs(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	up := upArgs()
	// CRASHLAB_E2E_NODES=N: the cluster a workshop room would use.
	if n := os.Getenv("CRASHLAB_E2E_NODES"); n != "" {
		up = append(up, "--nodes", n)
	}
	t0 := time.Now()
	r := crashlab(t, kubeconfig, up...)
	require.Equal(t, 0, r.code, "crashlab up failed")
	t.Logf("crashlab up: %s", time.Since(t0).Round(time.Second))
	defer func() {
		if os.Getenv("CRASHLAB_E2E_KEEP") != "" {
			return
		}
		r := crashlab(t, kubeconfig, "down")
		assert.Equal(t, 0, r.code)
		exists, err := cluster.NewLab().Exists()
		assert.NoError(t, err)
		assert.False(t, exists, "down must remove the lab cluster")
	}()
	c := newClient(t, kubeconfig, cluster.ContextName)
	ctx := context.Background()
	// The values the lab deploys with on this cluster, which the fixes'
	// templates ({{ .Image }}, ...) are filled from.
	vals, err := fixes.LiveValues(ctx, c)
	require.NoError(t, err)

	t.Run("kubelet-backoff-cap", func(t *testing.T) {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		cfg, err := cluster.KubeletConfigz(ctx, c, nodes.Items[0].Name)
		require.NoError(t, err)
		assert.Equal(t, cluster.BackoffCap, cfg.MaxContainerRestartPeriod, "cap read back from the running kubelet")
		assert.Contains(t, r.out, cluster.BackoffCap.String(), "up says which cap is in force")
	})

	t.Run("up-is-idempotent", func(t *testing.T) {
		r := crashlab(t, kubeconfig, up...)
		require.Equal(t, 0, r.code)
		assert.Contains(t, r.out, "reused")
	})

	before := snapshotOutsideLab(t, kubeconfig)

	t.Run("scenarios", func(t *testing.T) {
		for _, spec := range all {
			t.Run(spec.id, func(t *testing.T) {
				t.Parallel()
				runScenario(t, kubeconfig, c, vals, spec)
			})
		}
		if os.Getenv("CRASHLAB_E2E_ONLY") != "" {
			return
		}
		t.Run("existing-cluster", func(t *testing.T) {
			t.Parallel()
			existingCluster(t, kubeconfig, c)
		})
		t.Run("foreign-namespace-refused", func(t *testing.T) {
			t.Parallel()
			foreignNamespace(t, kubeconfig, c)
		})
		t.Run("start-after-down", func(t *testing.T) {
			t.Parallel()
			startAfterDown(t, kubeconfig, c)
		})
		t.Run("explain-foreign-states", func(t *testing.T) {
			t.Parallel()
			explainForeignStates(t, kubeconfig, c)
		})
		t.Run("release-archive", func(t *testing.T) {
			t.Parallel()
			releaseArchive(t, kubeconfig, c)
		})
		t.Run("author-pack", func(t *testing.T) {
			t.Parallel()
			authorPack(t, kubeconfig, c, vals)
		})
		t.Run("give-up-then-solve", func(t *testing.T) {
			t.Parallel()
			giveUpThenSolve(t, kubeconfig, c, vals, specNamed(t, all, "orders-api-down-after-config"))
		})
		t.Run("triage-round", func(t *testing.T) {
			t.Parallel()
			triageRound(t, kubeconfig, c, vals, all)
		})
		t.Run("blind-variants", func(t *testing.T) {
			t.Parallel()
			blindVariants(t, kubeconfig, c, vals, specNamed(t, all, "orders-api-down-after-config"))
		})
		// Not parallel either: the board's 2 s promise is measured on a
		// cluster the scenarios do not load yet.
		t.Run("workshop", func(t *testing.T) {
			workshopRoom(t, kubeconfig, c, vals, specNamed(t, all, "orders-api-down-after-config"))
		})
		// Not parallel: the room's packs are this process's state, and its
		// controller rolls when they change.
		t.Run("pack-workshop", func(t *testing.T) {
			packWorkshop(t, kubeconfig, c, vals)
		})
		// Not parallel: it runs before the scenarios load the node, so its
		// pods crash-loop at once and its pauses are a person's, not a
		// starved process's.
		t.Run("investigation-replay", func(t *testing.T) {
			investigationReplay(t, kubeconfig, c, specNamed(t, all, "orders-api-down-after-config"))
		})
		// Not parallel, like the workshop: it waits on a relay.
		t.Run("interview", func(t *testing.T) {
			interviewRoom(t, kubeconfig, c, vals, specNamed(t, all, "orders-api-down-after-config"))
		})
		t.Run("fail-closed", func(t *testing.T) {
			failClosed(t, kubeconfig, c)
		})
		// Not parallel: it runs first, before the scenarios load the node,
		// since a prompt under load may miss a key (seen in CI).
		t.Run("play-in-a-terminal", func(t *testing.T) {
			tmuxPath, bin := playTools(t)
			playInTerminal(t, tmuxPath, bin, kubeconfig)
		})
	})

	// Last, alone: `up` rewrites the kubeconfig the other tests read, and
	// once the kubelet has pulled an image from a registry it no longer
	// counts the imported copy of the same image as preloaded (Kubernetes
	// 1.35+ verifies pulled images' credentials per name): a pod naming the
	// imported copy then tries to pull it (ErrImagePull), which the
	// registry test would inflict on every later test.
	t.Run("registry", func(t *testing.T) {
		if os.Getenv("CRASHLAB_E2E_ONLY") != "" {
			t.Skip("cluster-wide test")
		}
		registryRoom(t, kubeconfig, c, vals, up, specNamed(t, all, "orders-api-down-after-config"))
	})

	after := snapshotOutsideLab(t, kubeconfig)
	assert.Equal(t, before, after, "objects outside lab namespaces must be identical before and after")
}

// runScenario is `crashlab author test` of the incident's own folder, job
// by job as parallel subtests: its diagnosis run and every fixes/ file,
// judged by the lab's real check. What the suite proves beyond the
// incident rides on the jobs as hooks: it reads the answers from pod status
// itself, and drives explain, progress, old ids and a changed workload
// through the binary.
func runScenario(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, spec scenarioSpec) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	dir := filepath.Dir(fixes.Dir(root, spec.id))
	jobs, err := author.Jobs(dir, author.TestOptions{
		Client: c, Values: vals, LabVersion: app.Version,
		Service: func(learner string, cat lab.Catalog) (*lab.Service, error) {
			return lab.New(c, lab.WithCatalog(cat), lab.WithContextName(cluster.ContextName), lab.WithLearner(learner),
				lab.WithImageEnsurer(lab.ClusterImages{Client: c, IsLab: true}))
		},
	})
	require.NoError(t, err)
	require.Len(t, jobs, 1+len(spec.folder.Fixes), "a diagnosis run and one job per fixes/ file")
	for _, job := range jobs {
		t.Run(job.Name, func(t *testing.T) {
			t.Parallel()
			rows := job.Run(context.Background(), suiteHooks(t, kubeconfig, c, spec))
			require.NotEmpty(t, rows)
			for _, r := range rows {
				assert.True(t, r.Passed, "%s %s %s: %s\nwarnings: %s", r.Incident, r.Step, r.Fix, r.Detail, strings.Join(r.Events, "\n  "))
			}
			if job.Fix == nil {
				steps := []string{}
				for _, r := range rows {
					steps = append(steps, r.Step)
				}
				assert.Equal(t, []string{author.StepFailure, author.StepTeaches, author.StepUnfixed, author.StepDiagnosis, author.StepReset}, steps, "every step of the diagnosis run ran")
			}
		})
	}
}

// suiteHooks are what the suite adds to an incident's jobs: its own
// reading of the answers, and the lab's commands a learner runs beside the
// diagnosis and the fix, through the binary.
func suiteHooks(t *testing.T, kubeconfig string, c kubernetes.Interface, spec scenarioSpec) author.Hooks {
	s := spec.s
	return author.Hooks{
		Answers: func(_ context.Context, a author.Attempt) (map[string]string, map[string]string, error) {
			right, wrong := answersFromPods(t, c, a.Namespace, s.Workload.Container, s.Questions, spec)
			return right, wrong, nil
		},
		Broken: func(_ context.Context, a author.Attempt) error {
			explainBroken(t, kubeconfig, a.Learner, c, a.Namespace, s.Target(a.Namespace))
			r := crashlab(t, kubeconfig, "--learner", a.Learner, "-o", "json", "check", s.ID, "--timeout", "30s")
			assert.Equal(t, 1, r.code, "check before any fix exits 1")
			return nil
		},
		Diagnosed: func(_ context.Context, a author.Attempt, right map[string]string) error {
			learnerProgress(t, kubeconfig, a.Learner, s, func(p incidentProgress) {
				assert.Equal(t, "diagnosed", p.Status, "the correct diagnosis is recorded")
				assert.NotNil(t, p.DiagnosedAfterSeconds, "with the time it took")
				assert.Empty(t, p.Cause, "no cause before solved or given up")
			})
			r := crashlab(t, kubeconfig, "--learner", a.Learner, "explain", s.ID)
			assert.Equal(t, 1, r.code, "no explanation before solved or given up")
			assert.Contains(t, r.err, "crashlab give-up "+s.ID)
			for _, old := range s.Aliases {
				// Old ids named causes: one must confirm nothing.
				r = crashlab(t, kubeconfig, "--learner", a.Learner, "-o", "json", "status", old)
				assert.NotEqual(t, 0, r.code, "the earlier id %s is refused like any unknown id", old)
				assert.NotContains(t, r.err, "is now", "and the refusal does not say which incident it was")
			}
			// The diagnosis is of the incident as deployed: once the workload
			// is changed (a learner fixing before answering), even the right
			// answers are refused, with the sentence that says why and what
			// to do.
			if changeWorkload(t, c, a.Namespace, s) {
				r = crashlab(t, kubeconfig, diagnoseArgs(a.Learner, s.ID, right)...)
				assert.Equal(t, 1, r.code, "a changed incident is not diagnosed: %s", r.out)
				assert.Contains(t, r.err, "changed since it was started")
				assert.Contains(t, r.err, "crashlab reset "+s.ID)
			}
			return nil
		},
		Fixed: func(_ context.Context, a author.Attempt, v grader.Verdict) error {
			fx := a.Fix
			explainHealthy(t, kubeconfig, a.Learner, c, a.Namespace, s.Target(a.Namespace))
			// The explanation names the learner's accepted fix, from scenario.yaml.
			r := crashlab(t, kubeconfig, "--learner", a.Learner, "-o", "json", "explain", s.ID)
			require.Equal(t, 0, r.code, "explain once solved")
			var e struct {
				Approach string `json:"approach"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.out), &e))
			assert.Equal(t, fx.Approach, e.Approach)
			learnerProgress(t, kubeconfig, a.Learner, s, func(p incidentProgress) {
				assert.Equal(t, "solved", p.Status)
				assert.Equal(t, fx.Approach, p.Approach)
				assert.NotNil(t, p.BestScore)
				assert.NotNil(t, p.FixedAfterSeconds, "the time to the passing fix is recorded")
				assert.Equal(t, s.Cause, p.Cause, "the cause shows once solved")
			})
			return nil
		},
	}
}

// incidentProgress is one incident of `crashlab progress -o json`.
type incidentProgress struct {
	ID                    string   `json:"id"`
	Status                string   `json:"status"`
	BestScore             *int     `json:"bestScore"`
	Cause                 string   `json:"cause"`
	Approach              string   `json:"approach"`
	DiagnosedAfterSeconds *float64 `json:"diagnosedAfterSeconds"`
	FixedAfterSeconds     *float64 `json:"fixedAfterSeconds"`
}

// learnerProgress runs `crashlab progress -o json` for learner and hands the
// scenario's row to check.
func learnerProgress(t *testing.T, kubeconfig, learner string, s scenarios.Scenario, check func(incidentProgress)) {
	t.Helper()
	r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "progress")
	require.Equal(t, 0, r.code)
	var report struct {
		Incidents []incidentProgress `json:"incidents"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &report))
	for _, p := range report.Incidents {
		if p.ID == s.ID {
			check(p)
			return
		}
	}
	t.Fatalf("progress has no %s: %s", s.ID, r.out)
}

func diagnoseArgs(learner, id string, answers map[string]string) []string {
	args := []string{"--learner", learner, "-o", "json", "diagnose", id}
	for k, v := range answers {
		args = append(args, "--answer", k+"="+v)
	}
	return args
}

// answersFromPods answers fact questions from the pod status the test reads
// itself, and choice questions from the spec; wrong answers differ from both.
func answersFromPods(t *testing.T, c kubernetes.Interface, ns, container string, qs []grader.Question, spec scenarioSpec) (map[string]string, map[string]string) {
	pods := podsOf(t, c, ns)
	require.NotEmpty(t, pods)
	terms := lastTerminated(pods, container)
	// Pods flip between values; a wrong answer must differ from all of them.
	reasons, codes := map[string]bool{}, map[string]bool{}
	for _, tm := range terms {
		reasons[tm.Reason] = true
		codes[strconv.Itoa(int(tm.ExitCode))] = true
	}
	notSeen := func(seen map[string]bool, candidates ...string) string {
		for _, c := range candidates {
			if !seen[c] {
				return c
			}
		}
		return "none-of-these"
	}
	right, wrong := map[string]string{}, map[string]string{}
	for _, q := range qs {
		switch q.Fact {
		case grader.FactLastReason:
			require.NotEmpty(t, terms)
			right[q.ID] = terms[0].Reason
			// Not a value any lab scenario produces: pods flip between values
			// between this read and the grader's (an OOM kill shows as
			// OOMKilled on one restart and Error/137 on the next).
			wrong[q.ID] = notSeen(reasons, "DeadlineExceeded", "ContainerCannotRun")
		case grader.FactLastExitCode:
			require.NotEmpty(t, terms)
			right[q.ID] = strconv.Itoa(int(terms[0].ExitCode))
			wrong[q.ID] = notSeen(codes, "42", "43")
		case grader.FactWaitingReason:
			right[q.ID] = waitingReason(pods, container)
			wrong[q.ID] = "ImagePullBackOff"
		case grader.FactFamily:
			seen := map[string]bool{}
			for _, p := range pods {
				seen[statusFamily(p)] = true
			}
			// The pod that shows the failure: a replica still being created
			// shows nothing yet (its container has no status for a moment).
			right[q.ID] = statusFamily(pods[0])
			for _, p := range pods {
				if f := statusFamily(p); f != "ContainerCreating" && f != "NotReady" {
					right[q.ID] = f
					break
				}
			}
			wrong[q.ID] = notSeen(seen, "ErrImageNeverPull", "NotReady", "Pending")
		case grader.FactNodeArch:
			node, err := c.CoreV1().Nodes().Get(context.Background(), pods[0].Spec.NodeName, metav1.GetOptions{})
			require.NoError(t, err)
			right[q.ID] = node.Status.NodeInfo.Architecture
			wrong[q.ID] = "s390x"
		case "":
			d := spec.folder.Diagnosis
			require.Contains(t, d.Correct, q.ID, "%s names the intended choice for %s", fixes.DiagnosisFile, q.ID)
			right[q.ID], wrong[q.ID] = d.Correct[q.ID], d.Wrong[q.ID]
		}
	}
	return right, wrong
}

func waitingReason(pods []corev1.Pod, container string) string {
	for _, p := range pods {
		for _, st := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if st.Name == container && st.State.Waiting != nil {
				return st.State.Waiting.Reason
			}
		}
	}
	return ""
}

// existingCluster uses the same cluster through a context the lab did not
// create, as a workshop cluster would be used.
func existingCluster(t *testing.T, kubeconfig string, c kubernetes.Interface) {
	raw, err := clientcmd.LoadFromFile(kubeconfig)
	require.NoError(t, err)
	raw.Contexts["workshop"] = raw.Contexts[cluster.ContextName]
	delete(raw.Contexts, cluster.ContextName)
	raw.CurrentContext = "workshop"
	foreign := filepath.Join(t.TempDir(), "workshop.kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*raw, foreign))
	id := "orders-api-down-after-config"

	r := crashlab(t, foreign, "start", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "--context", "a foreign context is refused unless named")

	r = crashlab(t, foreign, "--context", "workshop", "up")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "only the lab's own kind cluster")

	archive := filepath.Join(t.TempDir(), "images.tar")
	r = crashlab(t, foreign, "--context", "workshop", "images", "export", archive)
	require.Equal(t, 0, r.code)
	// What an admin does on each node of an existing cluster.
	in, err := os.Open(archive)
	require.NoError(t, err)
	defer in.Close()
	cmd := exec.Command("docker", "exec", "-i", cluster.Name+"-control-plane", "ctr", "-n", "k8s.io", "images", "import", "--all-platforms", "-")
	cmd.Stdin = in
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ctr import: %s", out)
	// On a cluster it did not create, the lab reads the node's image list,
	// which the kubelet refreshes on its own schedule.
	nodes, err := c.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	imgs, err := images.ForNode(nodes.Items[0].Status.NodeInfo.Architecture)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, err := c.CoreV1().Nodes().Get(context.Background(), nodes.Items[0].Name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		have := map[string]bool{}
		for _, im := range n.Status.Images {
			for _, name := range im.Names {
				have[name] = true
			}
		}
		for _, im := range imgs {
			if !have[im.Ref] {
				return false
			}
		}
		return true
	}, 3*time.Minute, 2*time.Second, "the node's image list shows the imported images")

	// A second learner's namespace must survive the first learner's down.
	r = crashlab(t, foreign, "--context", "workshop", "--learner", "ws-keep", "start", id)
	require.Equal(t, 0, r.code)

	r = crashlab(t, foreign, "--context", "workshop", "--learner", "ws", "start", id, "--wait")
	require.Equal(t, 0, r.code)
	r = crashlab(t, foreign, "--context", "workshop", "--learner", "ws", "status", id)
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.out, "CrashLoopBackOff")
	replayElsewhere(t, foreign, "workshop", "ws", id)

	r = crashlab(t, foreign, "--context", "workshop", "--learner", "ws", "down")
	require.Equal(t, 0, r.code)
	left, err := cluster.ListNamespaces(context.Background(), c, "ws")
	require.NoError(t, err)
	for _, ns := range left {
		assert.NotNil(t, ns.DeletionTimestamp, "namespace %s of learner ws must be deleted", ns.Name)
	}
	keep, err := c.CoreV1().Namespaces().Get(context.Background(), namespaceOf(t, "ws-keep", id), metav1.GetOptions{})
	require.NoError(t, err)
	assert.Nil(t, keep.DeletionTimestamp, "another learner's namespace must be left alone")
	r = crashlab(t, foreign, "--context", "workshop", "--learner", "ws-keep", "down")
	require.Equal(t, 0, r.code)
}

// foreignNamespace: a namespace named like the lab's but not created by it is
// refused and left exactly as it was.
func foreignNamespace(t *testing.T, kubeconfig string, c kubernetes.Interface) {
	ctx := context.Background()
	id := "orders-api-down-after-config"
	name := namespaceOf(t, "intruder", id)
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	defer c.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	cm, err := c.CoreV1().ConfigMaps(name).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "precious"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	for _, verb := range []string{"start", "reset", "check"} {
		r := crashlab(t, kubeconfig, "--learner", "intruder", verb, id)
		assert.Equal(t, 1, r.code, verb)
		assert.Contains(t, r.err, "not created by crashlab", verb)
	}
	r := crashlab(t, kubeconfig, "--learner", "intruder", "down")
	assert.Equal(t, 0, r.code)
	got, err := c.CoreV1().ConfigMaps(name).Get(ctx, "precious", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, cm.UID, got.UID)
	ns, err := c.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Nil(t, ns.DeletionTimestamp)
	assert.Empty(t, ns.Labels[cluster.LabelManagedBy])
}

// snapshotOutsideLab records uid and generation of every listable object that
// is not in a lab namespace (events and leases change on their own).
func snapshotOutsideLab(t *testing.T, kubeconfig string) map[string]string {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: cluster.ContextName}).ClientConfig()
	require.NoError(t, err)
	cfg.QPS, cfg.Burst = 100, 200
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	lists, err := disc.ServerPreferredResources()
	require.NoError(t, err)
	// Events and leases churn by design; an EndpointSlice's generation moves
	// whenever a pod behind it flips readiness (CoreDNS on a loaded node),
	// which no lab action causes.
	skip := map[string]bool{"events": true, "leases": true, "endpointslices": true}
	out := map[string]string{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		require.NoError(t, err)
		for _, res := range l.APIResources {
			if skip[res.Name] || strings.Contains(res.Name, "/") || !hasVerb(res.Verbs, "list") {
				continue
			}
			items, err := dyn.Resource(gv.WithResource(res.Name)).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				continue
			}
			for _, it := range items.Items {
				if isLab(&it) {
					continue
				}
				key := gv.String() + "/" + res.Name + "/" + it.GetNamespace() + "/" + it.GetName()
				out[key] = string(it.GetUID()) + "@" + strconv.FormatInt(it.GetGeneration(), 10)
			}
		}
	}
	return out
}

func isLab(u *unstructured.Unstructured) bool {
	if strings.HasPrefix(u.GetNamespace(), "crashlab-") {
		return true
	}
	// The cluster-wide objects the lab creates (its CRDs, its controller's
	// ClusterRoles) carry its label; no other object does.
	if u.GetLabels()[cluster.LabelManagedBy] == cluster.ManagedBy {
		return true
	}
	// The API server registers each CRD's group as an APIService of its own.
	if u.GetKind() == "APIService" && strings.HasSuffix(u.GetName(), ".crashlab.dev") {
		return true
	}
	// A Service's ClusterIP is a cluster-scoped IPAddress whose parent is
	// the Service: it comes and goes with the lab namespace.
	if u.GetKind() == "IPAddress" {
		if ns, _, _ := unstructured.NestedString(u.Object, "spec", "parentRef", "namespace"); strings.HasPrefix(ns, "crashlab-") {
			return true
		}
	}
	// Namespaces the lab creates, and the test's own stand-in foreign namespace.
	return u.GetKind() == "Namespace" && strings.HasPrefix(u.GetName(), "crashlab-")
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// statusFamily is the test's own reading of the family `kubectl get pods`
// puts a pod in: unscheduled, else the first waiting container's reason
// (init containers first; a pull retried shows ErrImagePull and
// ImagePullBackOff in turn), else a container that restarted and is not
// ready, else Ready or not.
func statusFamily(p corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return "Pending"
		}
	}
	sts := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, st := range sts {
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff":
				return "ImagePullBackOff"
			case "CreateContainerError", "RunContainerError":
				return "RunContainerError"
			case "CrashLoopBackOff", "ErrImageNeverPull", "CreateContainerConfigError":
				return w.Reason
			}
		}
	}
	for _, st := range sts {
		if st.RestartCount > 0 && !st.Ready {
			return "CrashLoopBackOff"
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return "Healthy"
		}
	}
	return "NotReady"
}
