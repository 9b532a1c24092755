package content

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crashlab/crashlab/podstate"
)

// LiveRow is one container in `status --watch`.
type LiveRow struct {
	Scenario  string
	Pod       string
	Container string
	Phase     string
	Waiting   string
	Restarts  int32
	LastExit  string // "1 (Error)", "-"
	Ready     bool
	BackOff   string // "40s", "10s (cap)", "-"
	NextTry   string // "in 7s", "at 10:03:04", "-"
	Note      string // a line under the table, or ""
}

// LiveRows turns one scenario's facts into rows. backOff and nextTry say,
// per container, the kubelet's current delay and when it tries again; they
// return "" when there is none.
func LiveRows(scenario, namespace string, started bool, f podstate.Facts, retry func(podstate.ContainerFacts) (backOff, nextTry string)) []LiveRow {
	switch {
	case !started:
		return []LiveRow{{Scenario: scenario, Pod: "-", Note: fmt.Sprintf("%s: namespace %s is gone (being reset, or deleted); waiting for it to come back", scenario, namespace)}}
	case !f.Found:
		return []LiveRow{{Scenario: scenario, Pod: "-", Note: fmt.Sprintf("%s: workload %s not found in %s", scenario, f.Workload, namespace)}}
	case len(f.Pods) == 0:
		return []LiveRow{{Scenario: scenario, Pod: "-", Note: fmt.Sprintf("%s: no current pods of %s yet", scenario, f.Workload)}}
	}
	var rows []LiveRow
	for _, p := range f.Pods {
		for _, c := range p.Containers {
			last := "-"
			note := ""
			if c.Last != nil {
				last = fmt.Sprintf("%d (%s)", c.Last.ExitCode, c.Last.Reason)
				if c.Last.NodeTrouble != "" {
					last += " *"
					note = fmt.Sprintf("* %s/%s: node trouble, not the incident: %s", p.Name, c.Name, c.Last.NodeTrouble)
				}
			}
			b, n := retry(c)
			rows = append(rows, LiveRow{
				Scenario: scenario, Pod: p.Name, Container: c.Name, Phase: p.Phase, Waiting: dash(c.WaitingReason),
				Restarts: c.RestartCount, LastExit: last, Ready: p.Ready, BackOff: dash(b), NextTry: dash(n), Note: note,
			})
		}
	}
	return rows
}

// LiveTable lays rows out as aligned lines, notes last.
func LiveTable(rows []LiveRow) []string {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tPOD\tCONTAINER\tPHASE\tWAITING\tRESTARTS\tLAST EXIT\tREADY\tBACK-OFF\tNEXT TRY")
	var notes []string
	for _, r := range rows {
		if r.Pod == "-" {
			notes = append(notes, r.Note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%v\t%s\t%s\n", r.Scenario, r.Pod, r.Container, r.Phase, r.Waiting, r.Restarts, r.LastExit, r.Ready, r.BackOff, r.NextTry)
		if r.Note != "" {
			notes = append(notes, r.Note)
		}
	}
	tw.Flush()
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	return append(lines, notes...)
}

// LiveBackOff words the kubelet's delay.
func LiveBackOff(d time.Duration, atCap bool) string {
	s := d.String()
	if atCap {
		s += " (cap)"
	}
	return s
}

// LiveNextTry words when the kubelet tries again: a countdown on a terminal
// (redrawn every second), a clock time in a plain log (which then changes
// only when the cluster does).
func LiveNextTry(at, now time.Time, countdown bool) string {
	if at.IsZero() {
		return ""
	}
	if !countdown {
		return "at " + at.Local().Format("15:04:05")
	}
	left := at.Sub(now).Round(time.Second)
	if left <= 0 {
		return "now (due " + (-left).String() + " ago)"
	}
	return "in " + left.String()
}

// LiveHeader is the first line of `status --watch`: when, and what caps the
// back-off.
func LiveHeader(at time.Time, cap time.Duration, countdown bool) string {
	capText := "back-off cap unknown (the kubelet's /configz is not readable here): delays come from the kubelet's messages; Kubernetes' default cap is 5m"
	if cap > 0 {
		capText = fmt.Sprintf("back-off cap %s (crashLoopBackOff.maxContainerRestartPeriod, from the kubelet's /configz)", cap)
	}
	how := "updates as pods change"
	if countdown {
		how = "updates as pods change; Ctrl-C ends"
	}
	return fmt.Sprintf("%s  %s; %s", at.Local().Format("15:04:05"), capText, how)
}
