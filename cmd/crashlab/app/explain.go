package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

type explainFlags struct {
	giveUp    bool
	namespace string
}

func newExplainCommand(g *globals) *cobra.Command {
	flags := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain <id> | explain POD [-n NAMESPACE]",
		Short: "Explain an incident (once solved or given up), or what is wrong with any pod",
		Long: "With an incident id: explains an incident you solved (your fix passed `crashlab check`) or gave up on. Before that it refuses: the explanation names the cause. `crashlab give-up <id>` (or `explain --give-up`) gives up, which scores the attempt 0, and shows it.\n\n" +
			"With a pod name (or -n): explains any pod you may read, in any namespace of the current context (or --context): its status family, the cause its status, logs and events point to (exit code and reason, OOM, probe kills, a failed Job's pod, the probe that keeps it unready, missing config and volumes, image problems, and for a Pending pod the label, claim or resource no node offers), the evidence quoted with where it was read, and the next command to run. " +
			"It is strictly read-only: it only GETs and LISTs (the pod, its events, its node, the Secrets its env names, the ConfigMaps and Secrets its volumes name, its Job, its logs, the kubelet's /configz; for a Pending pod the nodes, its claims, StorageClasses, PersistentVolumes and the pods on the nodes) and never changes anything; what you may not read is skipped and listed. Also a kubectl plugin: put `kubectl-crashlab` (a link to crashlab) on PATH and run `kubectl crashlab explain POD -n NS`.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if isPodExplain(g, args[0], cmd.Flags().Changed("namespace")) {
				if flags.giveUp {
					return usageError{fmt.Errorf("--give-up is for incidents, and %q is not one of the catalogue's ids", args[0])}
				}
				// A name Kubernetes cannot hold is refused here, not
				// reported by the API server as a pod not found.
				if cmd.Flags().Changed("namespace") && len(validation.IsDNS1123Label(flags.namespace)) > 0 {
					return usageError{fmt.Errorf("-n %q is not a namespace name: use lower-case letters, digits and '-'", flags.namespace)}
				}
				return runExplainPod(cmd.Context(), g, args[0], flags.namespace)
			}
			return runExplain(g, args[0], flags.giveUp)
		},
	}
	cmd.Flags().BoolVar(&flags.giveUp, "give-up", false, fmt.Sprintf("give up on the incident (it scores 0, a later attempt at most %d) and show the explanation", lab.MaxScoreAfterGiveUp))
	cmd.Flags().StringVarP(&flags.namespace, "namespace", "n", "", "the pod's namespace (default: the context's namespace, else default); makes the argument a pod name")
	return cmd
}

// isPodExplain tells `explain POD` from `explain <id>`: -n, or a name the
// catalogue does not know (ids and aliases), means a pod.
func isPodExplain(g *globals, arg string, namespaceGiven bool) bool {
	if namespaceGiven {
		return true
	}
	svc, err := g.offlineService()
	if err != nil {
		return false
	}
	_, err = svc.Scenario(arg)
	return errors.Is(err, catalog.ErrUnknownScenario)
}

// runExplainPod is `explain POD`. It reads the current context when none is
// named, as kubectl does: it never writes, so pointing it at a production
// cluster is safe.
func runExplainPod(ctx context.Context, g *globals, pod, namespace string) error {
	conn, err := g.connectTo(cluster.ConnectOptions{Kubeconfig: g.kubeconfig, Context: g.context, CurrentContext: true})
	if err != nil {
		return err
	}
	if namespace == "" {
		namespace = conn.Namespace
	}
	if namespace == "" {
		namespace = "default"
	}
	svc, err := lab.New(conn.Client, g.labOptions(conn.Context)...)
	if err != nil {
		return err
	}
	e, err := svc.ExplainPod(ctx, namespace, pod)
	var unsolved *lab.UnsolvedError
	if errors.As(err, &unsolved) {
		if unsolved.ID == "" {
			return fmt.Errorf("%w: its report would name the cause; `crashlab hint` gives the next step instead", err)
		}
		return fmt.Errorf("%w (%s): its report would name the cause, so it answers once you solve the incident or give it up; `crashlab hint %s` gives the next step instead", err, unsolved.ID, unsolved.ID)
	}
	var notAPI *lab.NotKubernetesAPIError
	if errors.As(err, &notAPI) {
		return fmt.Errorf("the server of context %s (%s) does not answer like a Kubernetes API server: %v; check the context's server URL (`kubectl config view --minify`)", conn.Context, conn.REST.Host, notAPI.Err)
	}
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("no pod %q in namespace %s of context %s: `kubectl -n %s get pods` lists them (an incident id would be one of `crashlab list`)", pod, namespace, conn.Context, namespace)
	}
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(e)
	}
	content.PodExplanation(g.streams.Out, e.PodReport, e.BackOffCap, e.BackOffCapSource)
	return nil
}

func newGiveUpCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "give-up <id>",
		Short:             fmt.Sprintf("Give up on an incident: it scores 0 (a later attempt at most %d), and the explanation is shown", lab.MaxScoreAfterGiveUp),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(_ *cobra.Command, args []string) error {
			return runExplain(g, args[0], true)
		},
	}
}

// explanationJSON is `explain -o json` and `give-up -o json`.
type explanationJSON struct {
	Scenario    string               `json:"scenario"`
	Title       string               `json:"title"`
	Cause       string               `json:"cause"`
	Explanation string               `json:"explanation"`
	GaveUp      bool                 `json:"gaveUp"`
	Approach    string               `json:"approach,omitempty"`
	Approaches  []scenarios.Approach `json:"approaches"`
}

// runExplain needs no cluster: whether the incident is solved or given up
// is in the learner's progress.
func runExplain(g *globals, id string, giveUp bool) error {
	// The record, when the cluster answers, names a blind variant's objects.
	svc, err := g.recordService(context.Background())
	if err != nil {
		return err
	}
	var e lab.Explanation
	if giveUp {
		e, err = svc.GiveUp(id)
	} else {
		e, err = svc.Explain(id)
	}
	if errors.Is(err, lab.ErrNotSolved) {
		sc, _ := svc.Scenario(id)
		return fmt.Errorf("%w: the explanation names the cause, so it comes once your fix passes `crashlab check %s`; `crashlab give-up %s` shows it now (the incident then scores 0, and a later attempt at most %d)", err, sc.ID, sc.ID, lab.MaxScoreAfterGiveUp)
	}
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(explanationJSON{Scenario: e.Scenario, Title: e.Title, Cause: e.Cause, Explanation: e.Text, GaveUp: e.GaveUp, Approach: e.Approach, Approaches: e.Approaches})
	}
	out := g.streams.Out
	content.Explanation(out, e.Title, e.Text)
	fmt.Fprintf(out, "\nCause: %s\n", e.Cause)
	list, heading := e.Others(), "Other accepted fixes:"
	switch a, ok := approachNamed(e.Approaches, e.Approach); {
	case e.GaveUp:
		fmt.Fprintf(out, "\nYou gave up on this one: it scores 0, and a new attempt (`crashlab start` again) at most %d.\n", lab.MaxScoreAfterGiveUp)
		list, heading = e.Approaches, "Accepted fixes:"
	case ok:
		fmt.Fprintf(out, "\nYour fix: %s (%s).\n", a.Text, a.ID)
	case e.Approach != "":
		fmt.Fprintf(out, "\nYour fix: %s.\n", e.Approach)
	default:
		heading = "\nAccepted fixes:"
	}
	if len(list) > 0 {
		fmt.Fprintln(out, heading)
	}
	for _, a := range list {
		fmt.Fprintf(out, "  - %s (%s)\n", a.Text, a.ID)
	}
	if giveUp {
		showReplaySummary(context.Background(), g, svc, id)
	}
	return nil
}

func approachNamed(as []scenarios.Approach, id string) (scenarios.Approach, bool) {
	for _, a := range as {
		if a.ID == id {
			return a, true
		}
	}
	return scenarios.Approach{}, false
}
