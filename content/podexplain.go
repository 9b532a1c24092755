package content

import (
	"fmt"
	"io"

	"github.com/crashlab/crashlab/podstate"
)

// PodExplanation prints `crashlab explain POD`: the family and cause first,
// then the evidence with where each piece was read, then what to run next.
func PodExplanation(w io.Writer, r podstate.PodReport, backOffCap, backOffCapSource string) {
	fmt.Fprintf(w, "Pod %s/%s: %s (phase %s, %d restarts)\n", r.Namespace, r.Pod, r.Family, r.Phase, r.Restarts)
	fmt.Fprintf(w, "Cause: %s\n", r.Cause)
	if r.Container != "" {
		fmt.Fprintf(w, "Container: %s", r.Container)
		if r.LastExitCode != nil {
			fmt.Fprintf(w, " (last exit code %d, reason %s)", *r.LastExitCode, r.LastReason)
		}
		fmt.Fprintln(w)
	}
	if len(r.Evidence) > 0 {
		fmt.Fprintln(w, "\nEvidence:")
		for _, q := range r.Evidence {
			fmt.Fprintf(w, "  %s:\n    %s\n", q.Source, q.Text)
		}
	}
	if r.BackOff != "" || (r.Restarts > 0 && !r.Healthy && backOffCapSource != "") {
		fmt.Fprintln(w, "\nBack-off:")
		if r.BackOff != "" {
			fmt.Fprintf(w, "  the kubelet now waits %s before the next start (its waiting message)\n", r.BackOff)
		}
		if backOffCap != "" {
			fmt.Fprintf(w, "  the kubelet caps the delay at %s: %s\n", backOffCap, backOffCapSource)
		} else if backOffCapSource != "" {
			fmt.Fprintf(w, "  %s\n", backOffCapSource)
		}
	}
	if len(r.Next) > 0 {
		fmt.Fprintln(w, "\nNext:")
		for _, n := range r.Next {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if len(r.Unreadable) > 0 {
		fmt.Fprintln(w, "\nNot read (no permission or error):")
		for _, u := range r.Unreadable {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	fmt.Fprintln(w, "\n(read-only: crashlab explain changed nothing)")
}
