package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/controller"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/tui"
	"github.com/crashlab/crashlab/workshop"
)

// globals are the flags every command shares.
type globals struct {
	kubeconfig string
	// kubeconfigFlag is true when the user typed --kubeconfig (not
	// CRASHLAB_KUBECONFIG): a file it names that does not exist is a usage
	// error.
	kubeconfigFlag bool
	context        string
	learner        string
	output         string
	// registry is where the nodes pull the lab's images from (--registry);
	// insecure allows plain HTTP to any host (--insecure-registry).
	registry         string
	insecureRegistry bool
	streams          Streams
	wait             *tui.Status // the status line of a wait in progress (wait.go), or nil
	// incidents are the pack folders of --incidents.
	incidents []string
	// variant is the blind variant's seed `start --variant` deploys (0: the
	// base incident); the other verbs read it from the attempt record.
	variant uint64
	// dialed is the connection dial made, which a second dial in the same
	// command reuses (a workshop learner's command dials once to read the
	// room's packs, then for its own work).
	dialed *cluster.Conn
}

func (g *globals) json() bool { return g.output == "json" }

func (g *globals) emit(v any) error {
	enc := json.NewEncoder(g.streams.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// say prints a line for the learner; with -o json it goes to stderr, so that
// stdout stays pure JSON.
func (g *globals) say(format string, a ...any) {
	fmt.Fprintf(g.textOut(), format+"\n", a...)
}

func (g *globals) textOut() io.Writer {
	if g.json() {
		return g.streams.Err
	}
	return g.streams.Out
}

func (g *globals) warn(message string) {
	g.above(func() { fmt.Fprintln(g.streams.Err, "WARNING: "+message) })
}

// contextName is the context the lab acts on: the one named with --context,
// else the lab's own. It is known without connecting, which is all the
// commands that only read progress need.
func (g *globals) contextName() string {
	if g.context != "" {
		return g.context
	}
	if ws := cluster.CurrentWorkshopContext(g.kubeconfig); ws != "" {
		return ws
	}
	return cluster.ContextName
}

// workshopLearner takes the learner from a workshop kubeconfig's context
// name, so that even the commands that need no cluster (hint, progress)
// use the learner's namespaces and progress; connect then checks the name
// against who the cluster says the token is.
func (g *globals) workshopLearner() error {
	_, learner, ok := cluster.ParseWorkshopContext(g.contextName())
	if !ok {
		return nil
	}
	if g.learner != "" && g.learner != learner {
		return fmt.Errorf("this kubeconfig is learner %s's, not %s's: drop --learner (and CRASHLAB_LEARNER)", learner, g.learner)
	}
	g.learner = learner
	return nil
}

func (g *globals) labOptions(contextName string) []lab.Option {
	return []lab.Option{
		lab.WithContextName(contextName),
		lab.WithLearner(g.learner),
		lab.WithProgress(g.progress),
		lab.WithWarnings(g.warn),
		lab.WithRegistry(g.registry, g.insecureRegistry),
		lab.WithVariant(g.variant),
	}
}

// offlineService is the lab service for what needs no cluster: the
// catalogue, hints, explanations and progress.
func (g *globals) offlineService() (*lab.Service, error) {
	if err := g.workshopLearner(); err != nil {
		return nil, err
	}
	return checked(lab.New(nil, g.labOptions(g.contextName())...))
}

// checked refuses a service whose learner's progress this crashlab must not
// touch (a newer crashlab wrote it), before any command reads or writes it.
func checked(svc *lab.Service, err error) (*lab.Service, error) {
	if err != nil {
		return nil, err
	}
	if err := svc.CheckProgress(); err != nil {
		return nil, err
	}
	return svc, nil
}

// connect checks the scenario ids against the catalogue first, so that a
// typo is reported without touching a cluster, then connects and returns the
// lab service on that cluster.
func (g *globals) connect(ctx context.Context, ids ...string) (*lab.Service, error) {
	offline, err := g.offlineService()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := offline.Scenario(id); err != nil {
			return nil, err
		}
	}
	conn, err := g.dial(ctx)
	if err != nil {
		return nil, err
	}
	return g.serviceOn(ctx, conn)
}

// inWorkshop is true when the kubeconfig's context is a workshop learner's.
func (g *globals) inWorkshop() bool {
	return cluster.IsWorkshopContext(g.contextName())
}

// serviceOn is the lab service on a connected cluster: for a workshop
// learner, the learner the cluster says the token is, judged by the lab's
// controller when the workshop has one.
func (g *globals) serviceOn(ctx context.Context, conn *cluster.Conn) (*lab.Service, error) {
	ensurer := lab.ClusterImages{Client: conn.Client, IsLab: conn.IsLab, Logger: newLogger(g)}
	opts := append(g.labOptions(conn.Context), lab.WithImageEnsurer(ensurer))
	if src := auditLogOf(g, conn); src != nil {
		opts = append(opts, lab.WithAuditLog(src))
	}
	if cluster.IsWorkshopContext(conn.Context) {
		// A workshop kubeconfig is one learner's: the cluster says whose.
		who, err := workshop.WhoAmI(ctx, conn.Client)
		if err != nil {
			return nil, err
		}
		if ws, learner, _ := cluster.ParseWorkshopContext(conn.Context); ws != who.Workshop || learner != who.Learner {
			return nil, fmt.Errorf("this kubeconfig's context %q names another learner than its token's (%s of workshop %s): use the file `crashlab workshop kubeconfigs` wrote", conn.Context, who.Learner, who.Workshop)
		}
		opts = append(g.labOptions(conn.Context), lab.WithImageEnsurer(ensurer), lab.WithWorkshop(workshop.Namespace(who.Workshop)))
		remote, err := workshopRemote(ctx, conn, who)
		if err != nil {
			return nil, err
		}
		if remote != nil {
			// The lab's controller judges and keeps the record: this
			// crashlab writes requests and shows the answers.
			opts = append(opts, lab.WithRemote(remote))
		}
	}
	return checked(lab.New(conn.Client, opts...))
}

// dial connects to the cluster the flags name; cluster.Connect refuses a
// context that is not the lab's unless --context names it.
func (g *globals) dial(ctx context.Context) (*cluster.Conn, error) {
	if g.dialed != nil {
		return g.dialed, nil
	}
	conn, err := g.connectTo(cluster.ConnectOptions{Kubeconfig: g.kubeconfig, Context: g.context})
	if err != nil {
		return nil, err
	}
	if err := conn.Reachable(ctx); err != nil {
		return nil, err
	}
	g.dialed = conn
	return conn, nil
}

// connectTo is cluster.Connect with its errors worded for the command line.
func (g *globals) connectTo(o cluster.ConnectOptions) (*cluster.Conn, error) {
	o.UserAgent = cluster.DefaultUserAgent + "/" + Version
	conn, err := cluster.Connect(o)
	var missing *cluster.KubeconfigMissingError
	if errors.As(err, &missing) {
		// client-go would have read an empty config and blamed a missing
		// context; the file is what is missing.
		err = fmt.Errorf("%w: run `crashlab up` to create the lab cluster, or point --kubeconfig/KUBECONFIG at your cluster's file", err)
		if missing.Explicit && g.kubeconfigFlag {
			return nil, usageError{err}
		}
	}
	return conn, err
}

// advise adds to an error of the lab service what the learner can do about
// it; the service itself never words such advice.
func advise(err error, id string) error {
	var missing *lab.MissingImageError
	var inRegistry *lab.RegistryMissingError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lab.ErrNotStarted):
		return fmt.Errorf("%w: run `crashlab start %s`", err, id)
	case errors.Is(err, attempts.ErrCheckInterrupted):
		return fmt.Errorf("%w; nothing half-watched counts: run `crashlab check %s` again", err, id)
	case errors.Is(err, attempts.ErrNoAnswer):
		return fmt.Errorf("%w: ask your trainer whether it runs (`kubectl -n %s get pods`)", err, controller.SystemNamespace)
	case scenarios.IsRecordProblem(err):
		return fmt.Errorf("%w: your work cannot be judged without it; run `crashlab reset %s` to start a fresh attempt", err, id)
	case errors.Is(err, lab.ErrChangedSinceStart):
		// The words teach the rule: a diagnosis explains the failure that was
		// paged, so it is given before changing things (or after a reset).
		return fmt.Errorf("%w: the diagnosis is of the incident as it was deployed, not of a failure your changes made; answer from what you saw before changing it, or run `crashlab reset %s` to bring it back, diagnose, then fix it again", err, id)
	case errors.Is(err, lab.ErrTrainerResets):
		return fmt.Errorf("%w: ask them to run `crashlab workshop reset LEARNER %s`", err, id)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w: your identity on this cluster may not do that; in a workshop the trainer starts, resets and removes incidents (ask them to run `crashlab workshop reset LEARNER %s`)", err, id)
	case errors.As(err, &inRegistry):
		return fmt.Errorf("%w: run `crashlab images push %s` first (and `crashlab --registry %s up` on the lab's kind cluster, so its nodes pull from it)", err, inRegistry.Registry, inRegistry.Registry)
	case errors.As(err, &missing):
		return fmt.Errorf("%w: run `crashlab images export crashlab-images.tar` and have an admin import it on every node (`ctr -n k8s.io images import crashlab-images.tar`); a fresh import shows in the node's image list within about a minute", err)
	}
	return err
}

// scenarioIDs completes a scenario id argument.
func scenarioIDs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	svc, err := lab.New(nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var ids []string
	for _, s := range svc.Scenarios() {
		ids = append(ids, s.ID+"\t"+s.Title)
	}
	return ids, cobra.ShellCompDirectiveNoFileComp
}

// cliLogger prints kind's progress lines where say would.
type cliLogger struct {
	w io.Writer
}

func newLogger(g *globals) kindlog.Logger { return cliLogger{w: g.textOut()} }

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
