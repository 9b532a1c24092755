package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/interview"
)

// The candidate's side of an interview: with a kubeconfig whose context is
// an interview's, diagnose, hint, check and status take no id (the
// candidate never learns it) and relay to the interviewer's process, which
// judges; this side only asks and prints what it is told, as the local
// commands print it.

// relayTiming is the relay's timing; tests shorten it.
var relayTiming = interview.DefaultTiming

// interviewContext is the interview context the flags name, or "": --context
// when it names one, else the kubeconfig's current context. It reads only
// the local file, so it works before cobra has run the root's pre-run
// (which is after argument checks).
func (g *globals) interviewContext() string {
	if g.context != "" {
		if _, ok := interview.TokenOf(g.context); ok {
			return g.context
		}
		return ""
	}
	kc := g.kubeconfig
	if kc == "" {
		kc = os.Getenv("CRASHLAB_KUBECONFIG")
	}
	return interview.CurrentContext(kc)
}

// idArgs is a verb's arguments: its usual ones, or none in an interview.
func idArgs(g *globals, usual cobra.PositionalArgs, verb string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if g.interviewContext() == "" {
			return usual(cmd, args)
		}
		if len(args) > 0 {
			return usageError{fmt.Errorf("this is an interview's kubeconfig: run `crashlab %s` without an incident id", verb)}
		}
		return nil
	}
}

// relay sends one request to the interviewer and returns the reply; its
// errors are one line for the candidate.
func relay(ctx context.Context, g *globals, req interview.Request, onProgress func(string)) (interview.Reply, error) {
	name := g.interviewContext()
	token, _ := interview.TokenOf(name)
	conn, err := g.connectTo(cluster.ConnectOptions{Kubeconfig: g.kubeconfig, Context: name})
	if err != nil {
		return interview.Reply{}, err
	}
	if err := conn.Reachable(ctx); err != nil {
		return interview.Reply{}, err
	}
	ns := conn.Namespace
	if ns == "" {
		ns = interview.Namespace(token)
	}
	r, err := interview.Ask(ctx, conn.Client, ns, req, relayTiming, onProgress)
	switch {
	case errors.Is(err, interview.ErrNoInterviewer):
		return r, fmt.Errorf("%w: the interview has not started yet or is over; ask your interviewer", err)
	case errors.Is(err, interview.ErrInterviewerGone):
		return r, fmt.Errorf("%w: run the command again, or ask your interviewer", err)
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return r, fmt.Errorf("%w: this kubeconfig's token may have expired; ask your interviewer for a new one", err)
	case err != nil:
		return r, err
	case r.Error != "":
		return r, errors.New(r.Error)
	}
	return r, nil
}

// runInterviewDiagnose asks the questions (promptui, or --answer flags) and
// relays the answers.
func runInterviewDiagnose(ctx context.Context, g *globals, flags *diagnoseFlags) error {
	// The form of each --answer is checked before anything is sent; the
	// questions come from the interviewer, so what they name is checked after.
	for _, a := range flags.answers {
		if k, _, ok := strings.Cut(a, "="); !ok || k == "" {
			return usageError{fmt.Errorf("--answer %q: write it as question=value", a)}
		}
	}
	r, err := relay(ctx, g, interview.Request{Verb: interview.VerbQuestions}, func(string) {})
	if err != nil {
		return err
	}
	qs := r.Questions
	given, err := parseAnswers(flags.answers, "this incident", qs)
	if err != nil {
		return err
	}
	interactive := len(flags.answers) == 0 && isTerminal(g.streams.In)
	if interactive {
		if err := ask(ctx, newPrompter(g.streams), qs, given); err != nil {
			return err
		}
	} else if missing := unanswered(qs, given); len(missing) > 0 {
		return usageError{fmt.Errorf("no answer for %s: stdin is not a terminal, so pass --answer %s=... for each (choice questions take a choice id%s)", strings.Join(missing, ", "), missing[0], choicesOf(qs, missing))}
	}
	r, err = relay(ctx, g, interview.Request{Verb: interview.VerbDiagnose, Answers: given}, func(string) {})
	if err != nil {
		return err
	}
	return printRelayedVerdict(g, r.Verdict)
}

// printRelayedVerdict prints a verdict as the local commands do, except the
// last line of a fix's, which would point at the write-up: in an interview
// the interviewer has the report.
func printRelayedVerdict(g *globals, v *grader.Verdict) error {
	if v == nil {
		return errors.New("the interviewer's reply holds no verdict")
	}
	if g.json() {
		if err := g.emit(v); err != nil {
			return err
		}
	} else {
		var b bytes.Buffer
		content.Verdict(&b, *v)
		text := b.String()
		if v.Kind == "fix" {
			lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			text = strings.Join(lines[:len(lines)-1], "\n")
			if text != "" {
				text += "\n"
			}
			if v.Passed {
				text += "Fixed. Your interviewer has the report.\n"
			} else {
				text += "Not fixed yet. `crashlab hint` helps.\n"
			}
		}
		fmt.Fprint(g.streams.Out, text)
	}
	if !v.Passed {
		return ExitError{Code: 1}
	}
	return nil
}

func runInterviewHint(ctx context.Context, g *globals, flags *hintFlags) error {
	r, err := relay(ctx, g, interview.Request{Verb: interview.VerbHint, All: flags.all}, func(string) {})
	if err != nil {
		return err
	}
	h := r.Hints
	if h == nil {
		return errors.New("the interviewer's reply holds no hints")
	}
	if g.json() {
		return g.emit(h.Seen)
	}
	// content.Hints prints the first n of all; the candidate has only seen
	// n, so the rest stay blank.
	all := make([]string, max(h.Total, len(h.Seen)))
	copy(all, h.Seen)
	content.Hints(g.streams.Out, h.Namespace, all, len(h.Seen))
	return nil
}

func runInterviewCheck(ctx context.Context, g *globals, flags *checkFlags) error {
	stop := g.startWait(ctx, "checking the fix (the interviewer judges it)")
	r, err := relay(ctx, g, interview.Request{Verb: interview.VerbCheck, Timeout: flags.timeout}, g.progress)
	stop()
	if err != nil {
		return err
	}
	return printRelayedVerdict(g, r.Verdict)
}

func runInterviewStatus(ctx context.Context, g *globals) error {
	r, err := relay(ctx, g, interview.Request{Verb: interview.VerbStatus}, func(string) {})
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(r.Status)
	}
	for _, f := range r.Status {
		content.Status(g.streams.Out, "incident", f)
	}
	return nil
}
