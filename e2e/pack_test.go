//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/author"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
	"github.com/crashlab/crashlab/workshop"
)

// examplePack is the pack under examples/ the trainers' page walks through.
const examplePack = "examples/starter-pack"

// binary runs the built crashlab in its own process, as a trainer on
// another machine would: packs are process state (--incidents,
// CRASHLAB_INCIDENTS), which the in-process runs of the other tests must
// not share. env adds variables (a clean state directory).
func binary(t *testing.T, ctx context.Context, kubeconfig string, env []string, args ...string) result {
	t.Helper()
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, filepath.Join(root, "bin", "crashlab"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{out: out.String(), err: errb.String(), code: code}
}

// authorPack proves the trainer's path with the example pack: `author
// test` plays both of its incidents on the cluster (every row must pass),
// `pack push` sends it to a registry, `pack pull` fetches it into a clean
// state directory without its fixes/, and a learner plays a pulled
// incident end to end with --incidents: start, diagnose, fix, check.
func authorPack(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values) {
	ctx := context.Background()
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	src := filepath.Join(root, examplePack)

	t.Run("author-test", func(t *testing.T) {
		r := binary(t, ctx, kubeconfig, nil, "-o", "json", "author", "test", examplePack, "--parallel", "2")
		var out struct {
			Rows   []author.Row `json:"rows"`
			Passed bool         `json:"passed"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.out), &out), "%s\n%s", r.out, r.err)
		for _, row := range out.Rows {
			assert.True(t, row.Passed, "%s %s %s: %s", row.Incident, row.Step, row.Fix, row.Detail)
		}
		assert.True(t, out.Passed)
		assert.Equal(t, 0, r.code, r.err)
		_, list, err := scenarios.LoadPack(src, "dev")
		require.NoError(t, err)
		for _, s := range list {
			folder, err := fixes.LoadFolder(filepath.Join(src, s.ID, "fixes"), s)
			require.NoError(t, err)
			steps := map[string]bool{}
			for _, row := range out.Rows {
				if row.Incident == s.ID {
					steps[row.Step+"/"+row.Fix] = true
				}
			}
			for _, want := range []string{author.StepFailure, author.StepTeaches, author.StepDiagnosis, author.StepReset} {
				assert.True(t, steps[want+"/"], "%s: the %s step ran", s.ID, want)
			}
			for _, fx := range folder.Fixes {
				assert.True(t, steps[author.StepFix+"/"+fx.Name], "%s: fix %s ran", s.ID, fx.Name)
			}
		}
	})

	t.Run("push-pull-play", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := &http.Server{Handler: registry.New()}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		ref := ln.Addr().String() + "/packs/starter-pack:1.0.0"

		r := binary(t, ctx, kubeconfig, nil, "pack", "push", ref, examplePack)
		require.Equal(t, 0, r.code, r.err)
		state := t.TempDir() // a clean state directory: a learner's machine
		stateEnv := []string{"CRASHLAB_STATE_DIR=" + state}
		r = binary(t, ctx, kubeconfig, stateEnv, "-o", "json", "pack", "pull", ref)
		require.Equal(t, 0, r.code, r.err)
		var pulled struct {
			Dir string `json:"dir"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.out), &pulled))
		assert.True(t, strings.HasPrefix(pulled.Dir, state), "pulled into the state directory: %s", pulled.Dir)
		matches, _ := filepath.Glob(filepath.Join(pulled.Dir, "*", "fixes"))
		assert.Empty(t, matches, "the intended answers stay behind")

		_, list, err := scenarios.LoadPack(pulled.Dir, "dev")
		require.NoError(t, err)
		s := list[0]
		// The answers and the fix come from the trainer's copy, as the
		// learner's head would supply them.
		folder, err := fixes.LoadFolder(filepath.Join(src, s.ID, "fixes"), s)
		require.NoError(t, err)
		env := append(stateEnv, "CRASHLAB_INCIDENTS="+pulled.Dir)
		r = binary(t, ctx, kubeconfig, env, "list")
		require.Equal(t, 0, r.code, r.err)
		assert.Contains(t, r.out, "pack starter-pack@1.0.0", "list names the pack as the source")
		const learner = "packplay"
		ns := namespaceOf(t, learner, s.ID)
		t.Cleanup(func() { _ = cluster.DeleteNamespace(context.Background(), c, ns, 0) })
		r = binary(t, ctx, kubeconfig, env, "--learner", learner, "start", s.ID, "--wait")
		require.Equal(t, 0, r.code, r.err)
		_, err = podstate.NewObserver(c).WaitForSignature(ctx, s.Target(ns), s.Signature, 3*time.Minute, nil)
		require.NoError(t, err)
		var v grader.Verdict
		for try := 0; try < 3 && !v.Passed; try++ {
			right, _ := answersFromPods(t, c, ns, s.Workload.Container, s.Questions, scenarioSpec{id: s.ID, s: s, folder: folder})
			r = binary(t, ctx, kubeconfig, env, diagnoseArgs(learner, s.ID, right)...)
			v = verdictOf(t, r)
			if !v.Passed {
				time.Sleep(5 * time.Second)
			}
		}
		require.True(t, v.Passed, "the pulled incident's diagnosis: %+v", v.Checks)
		fx := folder.Passing()[0]
		require.NoError(t, fixes.Apply(ctx, c, ns, vals, fx))
		r = binary(t, ctx, kubeconfig, env, "--learner", learner, "-o", "json", "check", s.ID, "--timeout", "3m")
		v = verdictOf(t, r)
		assert.True(t, v.Passed, "%s: %+v", fx.Name, v.Checks)
		assert.Equal(t, fx.Approach, v.Approach)
	})
}

// packWorkshop runs a room on a pack through the controller: `workshop
// create --incidents DIR` takes the pack's incidents and ships the pack to
// the controller in a ConfigMap, and keeps it in the room for learners; a
// learner with no copy of the pack fixes one (their crashlab read the
// room's), and the controller, which read the pack from its mount, judges
// it.
func packWorkshop(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values) {
	ctx := context.Background()
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	src := filepath.Join(root, examplePack)
	_, list, err := scenarios.LoadPack(src, "dev")
	require.NoError(t, err)
	s := list[0]
	folder, err := fixes.LoadFolder(filepath.Join(src, s.ID, "fixes"), s)
	require.NoError(t, err)
	const name = "e2e-pack"
	bin := "linux/" + runtime.GOARCH + "=" + filepath.Join(root, "bin", "crashlab")
	r := crashlab(t, kubeconfig, "workshop", "create", "--name", name, "--learners", "1", "--incidents", src, "--crashlab-binary", bin)
	require.Equal(t, 0, r.code, r.err)
	t.Cleanup(func() { crashlab(t, kubeconfig, "workshop", "delete", "--name", name) })
	for _, sc := range list {
		assert.Contains(t, r.out+r.err, sc.ID, "the room has every incident of the pack")
	}
	dir := t.TempDir()
	r = crashlab(t, kubeconfig, "workshop", "kubeconfigs", dir, "--name", name, "--expiry", "1h")
	require.Equal(t, 0, r.code, r.err)
	kc := filepath.Join(dir, "learner-01.kubeconfig")
	ns := namespaceOf(t, "learner-01", s.ID)

	// The learner has no copy of the pack: their crashlab reads the room's.
	r = crashlab(t, kc, "-o", "json", "start", s.ID, "--wait")
	require.Equal(t, 0, r.code, r.err)
	require.NoError(t, fixes.Apply(ctx, c, ns, vals, folder.Passing()[0]))
	r = crashlab(t, kc, "-o", "json", "check", s.ID, "--timeout", "3m")
	v := verdictOf(t, r)
	assert.True(t, v.Passed, "the controller judges the pack's incident: %+v %s", v.Checks, r.err)
	assert.Equal(t, folder.Passing()[0].Approach, v.Approach)
	// The verdict is the controller's: the Attempt's status, which only its
	// identity writes, says fixed.
	a := attemptOf(t, attemptsClient(t, kubeconfig, ""), workshop.Namespace(name), attempts.Name("learner-01", s.ID))
	assert.Equal(t, v1alpha1.PhaseFixed, a.Status.Phase)
	assert.Equal(t, v1alpha1.CheckPassed, a.Status.Check.Result)
	// The room's pack sits in the learner's state folder without fixes/,
	// the intended answers.
	pack, err := scenarios.ReadPack(src, "dev")
	require.NoError(t, err)
	kept := filepath.Join(os.Getenv("CRASHLAB_STATE_DIR"), "rooms", name, "packs", pack.Name)
	assert.FileExists(t, filepath.Join(kept, s.ID, scenarios.MetaFile))
	assert.NoDirExists(t, filepath.Join(kept, s.ID, "fixes"), "the room's pack travels without its answers")
	// A learner who has the pack too keeps their own copy.
	r = crashlab(t, kc, "--incidents", src, "status", s.ID)
	assert.Equal(t, 0, r.code, r.err)
	// Outside the room, the same crashlab does not know the pack's ids.
	r = crashlab(t, kubeconfig, "status", s.ID)
	assert.NotEqual(t, 0, r.code, "an unknown id without the pack")
	assert.Contains(t, r.err, "no scenario")
}
