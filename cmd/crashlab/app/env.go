package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// labEnv is a connected cluster plus what the commands derive from it.
type labEnv struct {
	g        *globals
	conn     *cluster.Conn
	nodeArch string
}

func (g *globals) connect(ctx context.Context) (*labEnv, error) {
	conn, err := cluster.Connect(cluster.ConnectOptions{Kubeconfig: g.kubeconfig, Context: g.context})
	if err != nil {
		return nil, err
	}
	if err := conn.Reachable(ctx); err != nil {
		return nil, err
	}
	nodes, err := conn.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes of context %q: %w", conn.Context, err)
	}
	if len(nodes.Items) == 0 {
		return nil, fmt.Errorf("the cluster of context %q has no nodes", conn.Context)
	}
	arch := nodes.Items[0].Status.NodeInfo.Architecture
	for _, n := range nodes.Items[1:] {
		if n.Status.NodeInfo.Architecture != arch {
			return nil, fmt.Errorf("nodes of context %q mix architectures (%s, %s): the lab needs one", conn.Context, arch, n.Status.NodeInfo.Architecture)
		}
	}
	return &labEnv{g: g, conn: conn, nodeArch: arch}, nil
}

func (e *labEnv) namespace(id string) (string, error) { return cluster.NamespaceFor(e.g.learner, id) }

func (e *labEnv) images() ([]images.Image, scenarios.Values, error) {
	imgs, err := images.ForNode(e.nodeArch)
	if err != nil {
		return nil, scenarios.Values{}, err
	}
	return imgs, scenarios.Values{Image: imgs[0].Ref, ForeignImage: imgs[1].Ref, NodeArch: e.nodeArch}, nil
}

func refs(imgs []images.Image) []string {
	out := make([]string, len(imgs))
	for i, im := range imgs {
		out[i] = im.Ref
	}
	return out
}

// ensureImages loads the lab's images into the lab's kind node, or checks that an
// admin imported them into a cluster the lab did not create.
func (e *labEnv) ensureImages(ctx context.Context, imgs []images.Image) error {
	if e.conn.IsLab {
		lab := cluster.NewLab(cluster.WithLogger(e.logger()))
		if ok, err := lab.Exists(); err == nil && ok {
			return lab.LoadImages(ctx, func(w io.Writer) error { return images.WriteArchive(w, imgs...) }, refs(imgs))
		}
	}
	nodes, err := e.conn.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		have := map[string]bool{}
		for _, im := range n.Status.Images {
			for _, name := range im.Names {
				have[name] = true
				have[strings.TrimPrefix(name, "docker.io/")] = true
			}
		}
		for _, r := range refs(imgs) {
			if !have[r] {
				return fmt.Errorf("image %s is not on node %s: run `crashlab images export crashlab-images.tar` and have an admin import it on every node (`ctr -n k8s.io images import crashlab-images.tar`); a fresh import shows in the node's image list within about a minute", r, n.Name)
			}
		}
	}
	return nil
}

func (e *labEnv) logger() kindlog.Logger { return newLogger(e.g) }

func (e *labEnv) progress() (*progress.Store, error) {
	return openProgress(e.g, e.conn.Context)
}

// openProgress opens the learner's progress for a context and says, on
// stderr, when a damaged file was moved aside.
func openProgress(g *globals, context string) (*progress.Store, error) {
	dir, err := progress.DefaultDir()
	if err != nil {
		return nil, err
	}
	st, err := progress.Open(dir, context, g.learner)
	if err != nil {
		return nil, err
	}
	if st.Warning != "" {
		fmt.Fprintln(g.streams.Err, "WARNING: "+st.Warning)
	}
	return st, nil
}

// record saves a step of the learner's progress. The command's own outcome
// stands either way, but a progress that could not be saved is said, never
// dropped in silence.
func (e *labEnv) record(id string, fn func(*progress.Entry)) {
	st, err := e.progress()
	if err == nil {
		err = st.Update(id, fn)
	}
	if err != nil {
		fmt.Fprintf(e.g.streams.Err, "WARNING: progress not saved: %v\n", err)
	}
}

// scenarioEnv resolves a scenario id and its namespace.
func (e *labEnv) scenario(id string) (scenarios.Scenario, string, error) {
	s, err := catalog.Get(id)
	if err != nil {
		return s, "", err
	}
	ns, err := e.namespace(id)
	return s, ns, err
}

// requireStarted checks the scenario's namespace is the lab's and deployed.
func (e *labEnv) requireStarted(ctx context.Context, id, ns string) (map[string]string, error) {
	nsObj, err := cluster.GetOwned(ctx, e.conn.Client, ns)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("scenario %s is not started (no namespace %s): run `crashlab start %s`", id, ns, id)
		}
		return nil, err
	}
	return cluster.RecordedObjects(nsObj)
}

// logger prints kind's progress lines to stderr in JSON mode, stdout otherwise.
type cliLogger struct {
	w io.Writer
}

func newLogger(g *globals) kindlog.Logger {
	w := g.streams.Out
	if g.json() {
		w = g.streams.Err
	}
	return cliLogger{w: w}
}

func (l cliLogger) Warn(m string)             { fmt.Fprintln(l.w, "WARNING: "+m) }
func (l cliLogger) Warnf(f string, a ...any)  { fmt.Fprintf(l.w, "WARNING: "+f+"\n", a...) }
func (l cliLogger) Error(m string)            { fmt.Fprintln(l.w, "ERROR: "+m) }
func (l cliLogger) Errorf(f string, a ...any) { fmt.Fprintf(l.w, "ERROR: "+f+"\n", a...) }
func (l cliLogger) V(level kindlog.Level) kindlog.InfoLogger {
	if level > 0 {
		return kindlog.NoopInfoLogger{}
	}
	return infoLogger(l)
}

type infoLogger cliLogger

func (l infoLogger) Info(m string)            { fmt.Fprintln(l.w, m) }
func (l infoLogger) Infof(f string, a ...any) { fmt.Fprintf(l.w, f+"\n", a...) }
func (l infoLogger) Enabled() bool            { return true }
