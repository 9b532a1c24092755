package content

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crashlab/crashlab/replay"
)

// ReplayView is what the replay's text needs of an investigation.
type ReplayView struct {
	Scenario string
	Page     time.Time
	End      time.Time
	Timeline replay.Timeline
	Expert   []replay.Step
	Summary  replay.Summary
	// Revealed: the attempt is over, and the evidence marks and the expert
	// path may be shown.
	Revealed bool
	// Who is whose investigation the summary speaks of: "" for the
	// learner reading their own ("You"), or a name ("The candidate").
	Who string
}

func (v ReplayView) who() string {
	if v.Who == "" {
		return "You"
	}
	return v.Who
}

// maxChangesShown bounds the changed fields listed under one write.
const maxChangesShown = 6

// Replay writes the whole investigation: each entry with its time since the
// page, the look that showed the evidence and the writes made before the
// diagnosis marked, then the comparison with the expert path.
func Replay(w io.Writer, v ReplayView) {
	fmt.Fprintf(w, "Investigation of %s, from the page at %s", v.Scenario, v.Page.Local().Format("15:04:05"))
	if !v.End.IsZero() {
		fmt.Fprintf(w, " to %s (%s)", v.End.Local().Format("15:04:05"), clock(v.End.Sub(v.Page)))
	}
	fmt.Fprintln(w, ":")
	if len(v.Timeline.Entries) == 0 {
		fmt.Fprintln(w, "  nothing recorded yet.")
	}
	evidence := -1
	if v.Revealed {
		evidence = v.Summary.EvidenceEntry
	}
	before := map[int]bool{}
	for _, i := range v.Summary.WritesBefore {
		before[i] = true
	}
	for i, e := range v.Timeline.Entries {
		mark := " "
		switch {
		case i == evidence:
			mark = "*"
		case before[i]:
			mark = "!"
		}
		line := fmt.Sprintf("%s %7s  %s", mark, "+"+clock(e.Since), e.Command)
		if e.Repeats > 0 {
			line += fmt.Sprintf("  (×%d)", e.Repeats+1)
		}
		if e.Failed() {
			line += fmt.Sprintf("  [refused: %d]", e.Code)
		}
		fmt.Fprintln(w, line)
		for j, c := range e.Changes {
			if j == maxChangesShown {
				fmt.Fprintf(w, "             … and %d more\n", len(e.Changes)-j)
				break
			}
			fmt.Fprintf(w, "             %s\n", changeText(c))
		}
	}
	fmt.Fprintln(w)
	// The legend names the marks the timeline shows, no others.
	var legend []string
	if evidence >= 0 && evidence < len(v.Timeline.Entries) {
		legend = append(legend, "* the first look that showed the evidence of the cause")
	}
	if len(before) > 0 {
		legend = append(legend, "! a change made before the diagnosis")
	}
	if len(legend) > 0 {
		fmt.Fprintf(w, "  %s\n\n", strings.Join(legend, "   "))
	}
	if !v.Revealed {
		fmt.Fprintln(w, "Which look showed the evidence, and an experienced engineer's path to the cause, are shown once your fix passes or you give up.")
		return
	}
	ReplaySummary(w, v)
}

// ReplaySummary writes the comparison with the expert path in a few lines:
// what is shown after a passing check or a give-up.
func ReplaySummary(w io.Writer, v ReplayView) {
	s := v.Summary
	fmt.Fprintln(w, "An experienced engineer's path to the cause:")
	for i, r := range s.Steps {
		took := "not taken"
		if r.Taken {
			took = "taken at +" + clock(r.Since)
		}
		ev := ""
		if r.Step.Evidence {
			ev = " (shows the evidence)"
		}
		fmt.Fprintf(w, "  %d. %s%s: %s\n", i+1, stepText(r.Step), ev, took)
	}
	switch {
	case s.EvidenceSeen:
		fmt.Fprintf(w, "%s first saw the evidence %s after the page.\n", v.who(), clock(s.EvidenceAfter))
	default:
		fmt.Fprintf(w, "%s never took a look that shows the evidence of the cause.\n", v.who())
	}
	if len(s.Steps) > 0 && !s.InOrder {
		fmt.Fprintf(w, "%s took these looks in another order than the path.\n", v.who())
	}
	if n := len(s.WritesBefore); n > 0 {
		what := "before the diagnosis"
		if !s.Diagnosed {
			what = "without a passing diagnosis"
		}
		fmt.Fprintf(w, "%s changed the cluster %d time(s) %s: understanding first makes a fix that holds.\n", v.who(), n, what)
	}
}

// stepText is an expert look as a person would say it.
func stepText(s replay.Step) string {
	var b strings.Builder
	switch s.Look {
	case "logs":
		b.WriteString("read the logs")
		if s.Previous {
			b.WriteString(" of the previous run")
		}
		if s.Container != "" {
			fmt.Fprintf(&b, " of container %s", s.Container)
		}
		if s.Name != "" {
			fmt.Fprintf(&b, " (%s)", s.Name)
		}
	case "events":
		b.WriteString("read the events")
	default:
		b.WriteString(strings.ReplaceAll(s.Look, "-", " "))
		if k := s.ObjectKind(); k != "" && s.Name == "" && s.Look == "get" {
			b.WriteString(" " + k + "s")
		} else if k != "" {
			b.WriteString(" " + k)
		}
		if s.Name != "" {
			b.WriteString(" " + s.Name)
		}
	}
	if s.Shows != "" {
		b.WriteString(" — " + s.Shows)
	}
	return b.String()
}

func changeText(c replay.Change) string {
	switch c.Op {
	case replay.OpRemove:
		return "removed " + c.Path
	case replay.OpWhole:
		return "wrote " + c.Path
	}
	if c.Hidden {
		return "set " + c.Path + " (value not recorded)"
	}
	return "set " + c.Path + " = " + c.Value
}

// clock is a duration as 1m05s, or 42s.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
