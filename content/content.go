// Package content owns the words the lab shows: briefings, hints, verdicts and
// status tables, rendered for a terminal.
package content

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
)

// Briefing is what `start` prints: the page an on-call engineer would get.
func Briefing(w io.Writer, title, id, namespace, briefing string) {
	fmt.Fprintf(w, "\n== %s (%s) ==\n\n", title, id)
	fmt.Fprintln(w, strings.TrimSpace(strings.ReplaceAll(briefing, "NAMESPACE", namespace)))
	fmt.Fprintf(w, "\nNamespace: %s\nTry: kubectl -n %s get pods\n", namespace, namespace)
}

// Hints prints hints 1..n, in their order from "where to look" to "what to change".
func Hints(w io.Writer, namespace string, hints []string, n int) {
	if n > len(hints) {
		n = len(hints)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "Hint %d/%d: %s\n", i+1, len(hints), strings.ReplaceAll(hints[i], "NAMESPACE", namespace))
	}
	if n < len(hints) {
		fmt.Fprintln(w, "(run `crashlab hint` again for the next one)")
	}
}

// Explanation prints why it failed, the fix and how to prevent it.
func Explanation(w io.Writer, title, text string) {
	fmt.Fprintf(w, "== %s: what happened ==\n\n%s\n", title, strings.TrimSpace(text))
}

// Verdict prints each check with pass/fail and its sentence.
func Verdict(w io.Writer, v grader.Verdict) {
	for _, c := range v.Checks {
		mark := "PASS"
		if !c.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  [%s] %-20s %s\n", mark, c.Name, c.Message)
	}
	switch {
	case v.Passed && v.Kind == "fix" && v.Approach != "":
		fmt.Fprintf(w, "Fixed (approach: %s). Run `crashlab explain %s` for the write-up.\n", v.Approach, v.Scenario)
	case v.Passed && v.Kind == "fix":
		fmt.Fprintf(w, "Fixed. Run `crashlab explain %s` for the write-up.\n", v.Scenario)
	case v.Passed:
		fmt.Fprintln(w, "Diagnosis correct. Now fix it, then run `crashlab check`.")
	case v.Kind == "fix":
		fmt.Fprintf(w, "Not fixed yet. `crashlab hint %s` helps.\n", v.Scenario)
	default:
		fmt.Fprintln(w, "Not quite. Look again at the pod, then answer again.")
	}
}

// Status prints one row per container of the facts' pods.
func Status(w io.Writer, scenario string, f podstate.Facts) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	if !f.Found {
		fmt.Fprintf(tw, "%s\t%s\tworkload %s not found\n", scenario, f.Namespace, f.Workload)
		return
	}
	if len(f.Pods) == 0 {
		fmt.Fprintf(tw, "%s\t%s\tno pods in the current ReplicaSet\n", scenario, f.Namespace)
		return
	}
	fmt.Fprintln(tw, "SCENARIO\tPOD\tCONTAINER\tPHASE\tWAITING\tRESTARTS\tLAST EXIT\tREADY")
	var notes []string
	for _, p := range f.Pods {
		for _, c := range p.Containers {
			last := "-"
			if c.Last != nil {
				last = fmt.Sprintf("%d (%s)", c.Last.ExitCode, c.Last.Reason)
				if c.Last.NodeTrouble != "" {
					last += " *"
					notes = append(notes, fmt.Sprintf("* %s/%s: node trouble, not the incident: %s (%q)", p.Name, c.Name, c.Last.NodeTrouble, c.Last.Message))
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%v\n", scenario, p.Name, c.Name, p.Phase, dash(c.WaitingReason), c.RestartCount, last, p.Ready)
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
