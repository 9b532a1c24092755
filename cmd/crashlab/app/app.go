// Package app is crashlab's command line: each command (one file each) turns
// its flags into a call of the lab service (package lab) and prints the
// result, as text or as JSON.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// Version is set at build time with -ldflags.
var Version = "dev"

// Streams are the command's standard streams, so tests can drive the CLI.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// ExitError carries an exit code without printing anything more; the command
// already said what happened (a failed check prints its verdict).
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// usageError marks bad input on the command line (exit code 2).
type usageError struct{ error }

// Main is the only place that exits the process.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	var ee ExitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "crashlab: %s (see `crashlab --help`)\n", firstLine(ue.Error()))
		return 2
	case errors.Is(err, context.Canceled), errors.Is(err, podstate.ErrInterrupted):
		fmt.Fprintln(stderr, "crashlab: interrupted; run the command again to continue")
		return 130
	}
	fmt.Fprintf(stderr, "crashlab: %s\n", firstLine(err.Error()))
	return 1
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Run runs the CLI with args; it returns instead of exiting.
func Run(ctx context.Context, s Streams, args []string) error {
	root := NewRoot(s)
	// Without SetArgs cobra reads os.Args, which in tests are the test binary's.
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		return usageError{err}
	}
	// The library packages state facts; the advice is worded here.
	err = withAdvice(err)
	// Every command names an unknown scenario the same way, with the advice.
	if errors.Is(err, catalog.ErrUnknownScenario) {
		return fmt.Errorf("%w: `crashlab list` shows them", err)
	}
	var newer *progress.NewerFormatError
	if errors.As(err, &newer) {
		return fmt.Errorf("progress file %s was written by a newer crashlab (format %d, this one reads up to %d): upgrade crashlab; the file is left as it is", newer.Path, newer.Found, newer.Known)
	}
	if errors.Is(err, catalog.ErrBadCatalogue) {
		return badCatalogue(err)
	}
	return err
}

// checkGlobals refuses a bad shared flag (or the variable behind it) for
// every command, before any of them reads or connects.
func (g *globals) checkGlobals(cmd *cobra.Command) error {
	if g.registry != "" {
		if err := registryProblem("--registry", g.registry); err != nil {
			return err
		}
	}
	// images push names its registry as an argument; every other command
	// talks to a registry only through --registry.
	if g.insecureRegistry && g.registry == "" && !isImagesPush(cmd) {
		return usageError{errors.New("--insecure-registry goes with --registry HOST[:PORT] (or images push): name the registry, or drop it")}
	}
	if g.learner != "" {
		if _, err := cluster.NamespaceFor(g.learner, ""); err != nil {
			return usageError{fmt.Errorf("--learner: %w", err)}
		}
	}
	return nil
}

func isImagesPush(cmd *cobra.Command) bool {
	if !cmd.HasParent() {
		return false
	}
	switch cmd.Parent().Name() {
	case "images":
		return cmd.Name() == "push"
	case "pack": // pack push and pull name their registry in REF
		return true
	}
	return false
}

// badCatalogue words the catalogue's mistakes in one line: the first, and
// how many more. They are a bug of this build, which the catalogue's tests
// list in full.
func badCatalogue(err error) error {
	// Load's error is ErrBadCatalogue's line, then one line per mistake.
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	if len(lines) < 2 {
		return err
	}
	more := ""
	if n := len(lines) - 2; n > 0 {
		more = fmt.Sprintf(" (and %d more)", n)
	}
	return fmt.Errorf("%w, a bug of this build (`go test ./scenarios/...` lists them all): %s%s", catalog.ErrBadCatalogue, lines[1], more)
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// NewRoot builds the command tree.
func NewRoot(s Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:           "crashlab",
		Short:         "A hands-on lab for diagnosing and fixing Kubernetes CrashLoopBackOff",
		Long:          "crashlab deploys deliberately broken workloads into a local kind cluster (or a cluster you name), lets you investigate them with kubectl, and grades your diagnosis and your fix against the live cluster.",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.output != "text" && g.output != "json" {
				return usageError{fmt.Errorf("-o %q is not an output format: use text or json", g.output)}
			}
			g.kubeconfigFlag = cmd.Flags().Changed("kubeconfig")
			if g.kubeconfig == "" {
				if env := os.Getenv("CRASHLAB_KUBECONFIG"); env != "" {
					g.kubeconfig = env
				}
			}
			// The packs first: a mistake in one is the user's, refused
			// before anything connects (a workshop learner's crashlab
			// then adds the room's packs, from the cluster).
			if err := g.usePacks(cmd); err != nil {
				return err
			}
			if err := g.checkGlobals(cmd); err != nil {
				return err
			}
			if err := g.useRoomPacks(cmd); err != nil {
				return err
			}
			// A catalogue with mistakes is refused before any command
			// meets it (Run words the error).
			_, err := catalog.Load()
			return err
		},
	}
	// Installed as kubectl-crashlab, kubectl runs it as `kubectl crashlab`.
	if filepath.Base(os.Args[0]) == "kubectl-crashlab" {
		root.Use = "kubectl crashlab"
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	pf := root.PersistentFlags()
	pf.StringVar(&g.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	pf.StringVar(&g.context, "context", "", "use this kubeconfig context instead of the lab's own (kind-crashlab); the lab then acts only in its own namespaces")
	pf.StringVar(&g.learner, "learner", os.Getenv("CRASHLAB_LEARNER"), "learner name on a shared cluster: gives each learner their own namespaces (crashlab-<learner>-<scenario>)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&g.registry, "registry", os.Getenv("CRASHLAB_REGISTRY"), "deploy the lab's images from the registry at `HOST[:PORT]`, filled by crashlab images push: the nodes pull them instead of having them imported")
	pf.StringArrayVar(&g.incidents, "incidents", nil, "add the incidents of the pack in `DIR` (a folder with a pack.yaml) beside the built-in ones; repeatable, and added to $CRASHLAB_INCIDENTS (a list like $PATH)")
	pf.BoolVar(&g.insecureRegistry, "insecure-registry", false, "talk plain HTTP to the registry even outside localhost and private addresses")
	root.AddCommand(
		newUpCommand(g), newDownCommand(g), newListCommand(g), newStartCommand(g),
		newDiagnoseCommand(g), newCheckCommand(g), newResetCommand(g), newStatusCommand(g),
		newHintCommand(g), newExplainCommand(g), newImagesCommand(g), newManifestsCommand(g),
	)
	root.AddCommand(newPlayCommand(g), newDrillCommand(g), newLearnCommand(g))
	root.AddCommand(newGiveUpCommand(g), newProgressCommand(g), newReplayCommand(g), newTriageCommand(g), newWorkshopCommand(g), newInterviewCommand(g), newControllerCommand(g), newAuditRelayCommand(g), newAuthorCommand(g), newPackCommand(g))
	return root
}
