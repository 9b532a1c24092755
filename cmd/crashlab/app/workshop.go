package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/controller"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/workshop"
)

type workshopFlags struct {
	name      string
	learners  int
	namesFile string
	incidents []string
	expiry    time.Duration
	server    string
	addr      string
	tui       bool
	// controller is --controller: the lab's controller judges the room.
	controller bool
	// crashlabBinaries are --crashlab-binary values for the controller's image.
	crashlabBinaries []string
}

func newWorkshopCommand(g *globals) *cobra.Command {
	flags := &workshopFlags{}
	cmd := &cobra.Command{
		Use:   "workshop",
		Short: "Run the lab for a room on one shared cluster: a namespace and an identity per learner, and a live board",
		Long: "For trainers. `workshop create` deploys the incidents for every learner and gives each a ServiceAccount whose RBAC rights reach only their own namespaces; " +
			"`workshop kubeconfigs DIR` writes one kubeconfig per learner with an expiring token; learners then run crashlab (and kubectl) with that file. " +
			"`workshop board` serves the room's live board; `workshop delete` removes everything the workshop created.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("name a subcommand: create, kubeconfigs, learners, board or delete")}
		},
	}
	cmd.PersistentFlags().StringVar(&flags.name, "name", workshop.DefaultName, "the workshop's name (several workshops can share a cluster)")

	create := &cobra.Command{
		Use:   "create (--learners N | --names FILE) --incidents ID[,ID...]",
		Short: "Create the workshop: per learner their incidents, a ServiceAccount and its RBAC",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWorkshopCreate(cmd.Context(), g, flags)
		},
	}
	intRangeVar(create.Flags(), &flags.learners, "learners", 0, 1, workshop.MaxNamespaces, fmt.Sprintf("each learner needs a namespace per incident; a cluster is tested to hold %d", workshop.MaxNamespaces), "how many learners (named learner-01, learner-02, ...)")
	create.Flags().StringVar(&flags.namesFile, "names", "", "a file with one learner name per line")
	create.Flags().StringSliceVar(&flags.incidents, "incidents", nil, "the incidents every learner gets: ids that crashlab list shows, or a pack's folder for all of its incidents, comma-separated")
	create.Flags().BoolVar(&flags.controller, "controller", true, "install the lab's controller, which judges every learner's Attempt under its own identity (false: each learner's crashlab judges, and the board shows progress learners could write)")
	create.Flags().StringArrayVar(&flags.crashlabBinaries, "crashlab-binary", nil, "a static crashlab for the controller's image, as linux/ARCH=PATH; this crashlab serves when it is a static Linux build of the nodes' architecture")

	kubeconfigs := &cobra.Command{
		Use:   "kubeconfigs DIR",
		Short: "Write DIR/<learner>.kubeconfig for every learner, each with a token that expires",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkWorkshopName(flags.name); err != nil {
				return err
			}
			if err := checkServer(flags.server); err != nil {
				return err
			}
			if err := checkOutputDir(args[0]); err != nil {
				return err
			}
			conn, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			issued, err := workshop.Kubeconfigs(cmd.Context(), conn.Client, conn.REST, flags.name, args[0], flags.server, flags.expiry)
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(issued)
			}
			for _, i := range issued {
				g.say("%s  %s  (token expires %s)", i.Learner, i.Path, i.Expires.Local().Format(time.RFC3339))
			}
			g.say("Hand each learner their file: `export KUBECONFIG=%s/<name>.kubeconfig`, then `crashlab status` and kubectl work as that learner.", args[0])
			return nil
		},
	}
	// The API server's own range for a token, checked before connecting.
	tokenExpiryVar(kubeconfigs.Flags(), &flags.expiry, "expiry", 8*time.Hour, "how long the learners' tokens are valid")
	kubeconfigs.Flags().StringVar(&flags.server, "server", "", "the API server address the learners use (default: your kubeconfig's)")

	learners := &cobra.Command{
		Use:   "learners",
		Short: "List the workshop's learners and their namespaces",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkWorkshopName(flags.name); err != nil {
				return err
			}
			conn, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			ls, err := workshop.Learners(cmd.Context(), conn.Client, flags.name)
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(ls)
			}
			for _, l := range ls {
				g.say("%s  %s", l.Name, strings.Join(l.Namespaces, " "))
			}
			return nil
		},
	}

	del := &cobra.Command{
		Use:   "delete",
		Short: "Delete everything the workshop created (namespaces, ServiceAccounts, RBAC), and nothing else",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkWorkshopName(flags.name); err != nil {
				return err
			}
			conn, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			deleted, err := workshop.Delete(cmd.Context(), conn.Client, flags.name, 3*time.Minute)
			if g.json() && err == nil {
				return g.emit(deleted)
			}
			for _, d := range deleted {
				g.say("deleted %s", d)
			}
			if err != nil {
				return err
			}
			if len(deleted) == 0 {
				g.say("Nothing to delete: no workshop %q on this cluster.", flags.name)
			}
			return nil
		},
	}

	board := &cobra.Command{
		Use:   "board [--addr HOST:PORT] [--tui]",
		Short: "Serve the room's live board on localhost (or show it in the terminal with --tui)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flags.tui && cmd.Flags().Changed("addr") {
				return usageError{errors.New("--addr is where the page is served, and --tui serves none: drop one of them")}
			}
			return runWorkshopBoard(cmd.Context(), g, flags)
		},
	}
	board.Flags().StringVar(&flags.addr, "addr", "127.0.0.1:8080", "where the board listens")
	board.Flags().BoolVar(&flags.tui, "tui", false, "show the board in this terminal instead of serving a page")

	reset := &cobra.Command{
		Use:   "reset LEARNER ID",
		Short: "Deploy one learner's incident again from scratch (learners cannot delete namespaces)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWorkshopReset(cmd.Context(), g, flags, args[0], args[1])
		},
	}

	cmd.AddCommand(create, kubeconfigs, learners, reset, del, board)
	return cmd
}

func runWorkshopCreate(ctx context.Context, g *globals, flags *workshopFlags) error {
	p := workshop.Plan{Name: flags.name, Incidents: flags.incidents}
	switch {
	case flags.learners > 0 && flags.namesFile != "":
		return usageError{errors.New("pass --learners N or --names FILE, not both")}
	case flags.learners > 0:
		p.Learners = workshop.LearnerNames(flags.learners)
	case flags.namesFile != "":
		// The file is part of the command line: a mistake in it (or no
		// such file) is a usage error like any other flag's.
		b, err := os.ReadFile(flags.namesFile)
		if err != nil {
			return usageError{fmt.Errorf("--names %s: cannot read the learner names (%v): name a readable file, one learner per line", flags.namesFile, errors.Unwrap(err))}
		}
		if p.Learners, err = workshop.ParseNames(string(b)); err != nil {
			return usageError{fmt.Errorf("--names %s: %w", flags.namesFile, err)}
		}
	}
	// A pack's folder in --incidents stands for all of its incidents: the
	// pack joins the catalogue (and travels to the room's controller).
	var err error
	if p.Incidents, err = g.expandPacks(p.Incidents); err != nil {
		return err
	}
	// Incident ids are checked against the catalogue before any cluster
	// work; an alias is not an id (aliases only merge old progress), so it
	// is refused like any unknown one, and an id given twice is refused.
	offline, err := g.offlineService()
	if err != nil {
		return err
	}
	for i, id := range p.Incidents {
		sc, err := offline.Scenario(strings.TrimSpace(id))
		if err != nil {
			return usageError{fmt.Errorf("--incidents: %w: `crashlab list` shows them", err)}
		}
		p.Incidents[i] = sc.ID
	}
	if err := noDuplicates("incidents", p.Incidents); err != nil {
		return err
	}
	// The room keeps its packs, without fixes/, for its learners' crashlab.
	for _, pk := range catalog.Packs() {
		_, files, err := images.PackFiles(pk.Dir, false)
		if err != nil {
			return err
		}
		p.Packs = append(p.Packs, workshop.PackFiles{Name: pk.Name, Files: files})
	}
	var tooBig *workshop.TooBigError
	if err := p.Validate(); errors.As(err, &tooBig) {
		return usageError{fmt.Errorf("%d learners with %d incidents each need %d namespaces, more than the %d a cluster is tested to hold: give at most %d learners, or fewer incidents", tooBig.Learners, tooBig.Incidents, tooBig.Learners*tooBig.Incidents, workshop.MaxNamespaces, tooBig.MaxLearners)}
	} else if err != nil {
		return usageError{err}
	}
	if err := checkControllerBinaries(flags); err != nil {
		return err
	}
	conn, deploy, done, err := g.trainer(ctx)
	if err != nil {
		return err
	}
	defer done()
	var maker controller.Maker
	if flags.controller {
		if maker, err = g.installController(ctx, conn, flags.crashlabBinaries); err != nil {
			return err
		}
		maker.Namespace = workshop.Namespace(p.Name)
		p.Attempts = maker
	}
	if err := workshop.Create(ctx, conn.Client, p, deploy, func(m string) { g.say("%s", m) }); err != nil {
		return err
	}
	if flags.controller {
		if err := maker.EnsureWorkshop(ctx, p.Name, p.Learners, p.Incidents); err != nil {
			return err
		}
	}
	g.say("Workshop %q: %d learner(s), incidents %s.", p.Name, len(p.Learners), strings.Join(p.Incidents, ", "))
	g.say("Next: `crashlab workshop kubeconfigs DIR --name %s` writes each learner's kubeconfig; `crashlab workshop board --name %s` shows the room.", p.Name, p.Name)
	return nil
}

func runWorkshopBoard(ctx context.Context, g *globals, flags *workshopFlags) error {
	if err := checkWorkshopName(flags.name); err != nil {
		return err
	}
	if !flags.tui {
		if err := checkListenAddress("--addr", flags.addr); err != nil {
			return err
		}
	}
	conn, err := g.dial(ctx)
	if err != nil {
		return err
	}
	w := workshop.NewWatcher(conn.Client, flags.name)
	if graded, err := gradedWorkshop(ctx, conn, flags.name); err != nil {
		return err
	} else if graded != nil {
		// The controller judges this room: the board is drawn from the
		// Attempts' statuses, which only it writes.
		w = workshop.NewAttemptWatcher(attempts.NewCache(conn.REST, workshop.Namespace(flags.name)), flags.name)
	}
	if err := w.Run(ctx); err != nil {
		return err
	}
	if flags.tui {
		ch, cancel := w.Subscribe()
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case b, ok := <-ch:
				if !ok {
					return ctx.Err()
				}
				// Clear the screen and draw from the top: one frame per change.
				fmt.Fprint(g.streams.Out, "\x1b[H\x1b[2J"+workshop.Text(b))
			}
		}
	}
	return workshop.Serve(ctx, w, flags.addr, func(addr string) {
		g.say("Board of workshop %q: http://%s/ (Ctrl-C stops it)", flags.name, addr)
	})
}

// checkWorkshopName refuses a --name no namespace can carry, before any
// subcommand connects.
func checkWorkshopName(name string) error {
	if err := workshop.ValidateName(name); err != nil {
		return usageError{fmt.Errorf("--name: %w", err)}
	}
	return nil
}

// checkServer parses `workshop kubeconfigs --server` as the learners'
// kubeconfigs will hold it: an https URL (or host:port, which client-go
// takes as https).
func checkServer(server string) error {
	if server == "" {
		return nil
	}
	u, err := url.Parse(server)
	if err == nil && u.Scheme == "" {
		u, err = url.Parse("https://" + server)
	}
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return usageError{fmt.Errorf("--server %q: give the API server's address as https://HOST:PORT", server)}
	}
	return nil
}

// checkOutputDir refuses, before connecting, a DIR that exists and is not
// a folder: the learners' files could not be written there.
func checkOutputDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return usageError{fmt.Errorf("DIR %s is %s, not a folder: name a folder (it is created if missing)", dir, fileKind(fi.Mode()))}
	}
	return nil
}

// trainer connects with the trainer's identity and returns the deployer
// that starts one incident for a learner; done removes the scratch
// directory where those starts' progress goes, since the trainer's own
// progress is not the learners' (theirs is recorded in the cluster).
func (g *globals) trainer(ctx context.Context) (*cluster.Conn, workshop.Deployer, func(), error) {
	conn, err := g.dial(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	scratch, err := os.MkdirTemp("", "crashlab-workshop-")
	if err != nil {
		return nil, nil, nil, err
	}
	return conn, g.trainerDeployer(conn, scratch), func() { os.RemoveAll(scratch) }, nil
}

// trainerDeployer starts one incident for a learner with the trainer's
// identity; the starts' progress goes to scratch.
func (g *globals) trainerDeployer(conn *cluster.Conn, scratch string) workshop.Deployer {
	ensurer := lab.ClusterImages{Client: conn.Client, IsLab: conn.IsLab, Logger: newLogger(g)}
	return func(ctx context.Context, learner, id string) (string, error) {
		svc, err := lab.New(conn.Client, lab.WithContextName(conn.Context), lab.WithLearner(learner), lab.WithImageEnsurer(ensurer), lab.WithProgressDir(scratch), lab.WithWarnings(g.warn), lab.WithRegistry(g.registry, g.insecureRegistry))
		if err != nil {
			return "", err
		}
		started, err := svc.Start(ctx, id)
		return started.Namespace, err
	}
}

func runWorkshopReset(ctx context.Context, g *globals, flags *workshopFlags, learner, id string) error {
	if err := checkWorkshopName(flags.name); err != nil {
		return err
	}
	if _, err := cluster.NamespaceFor(learner, id); err != nil {
		return usageError{fmt.Errorf("LEARNER %q: %w", learner, err)}
	}
	offline, err := g.offlineService()
	if err != nil {
		return err
	}
	sc, err := offline.Scenario(id)
	if err != nil {
		return err
	}
	conn, deploy, done, err := g.trainer(ctx)
	if err != nil {
		return err
	}
	defer done()
	graded, err := gradedWorkshop(ctx, conn, flags.name)
	if err != nil {
		return err
	}
	if err := workshop.Reset(ctx, conn.Client, flags.name, learner, sc.ID, deploy, graded); err != nil {
		return err
	}
	g.say("%s's %s is deployed again, broken as at the start.", learner, sc.ID)
	return nil
}

// checkControllerBinaries checks --crashlab-binary before any cluster work:
// its form, and that the file is a static Linux crashlab for that
// architecture (a wrong one would only fail as a pod that cannot start).
func checkControllerBinaries(flags *workshopFlags) error {
	if !flags.controller && len(flags.crashlabBinaries) > 0 {
		return usageError{errors.New("--crashlab-binary builds the controller's image, which --controller=false leaves out: drop one")}
	}
	for _, v := range flags.crashlabBinaries {
		arch, path, err := parseCrashlabBinary(v)
		if err != nil {
			return usageError{err}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return usageError{fmt.Errorf("--crashlab-binary %s: %v", v, errors.Unwrap(err))}
		}
		if err := images.CheckStaticBinary(arch, b); err != nil {
			return usageError{fmt.Errorf("--crashlab-binary %s: %w; %s", v, err, buildAdvice(arch))}
		}
	}
	return nil
}
