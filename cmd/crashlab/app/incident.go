package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
)

// `crashlab drill --incident`: a timed incident for an interview. It starts
// an incident the learner has not solved, shows the page, and waits while
// the candidate works in another terminal (kubectl, diagnose, hint, check),
// watching the learner's progress; then it reports to the interviewer.

// incidentPoll is how often the drill reads the learner's progress, a local
// file the candidate's commands write.
const incidentPoll = time.Second

// Outcomes of an incident drill.
const (
	outcomeSolved      = "solved"
	outcomeGaveUp      = "gave up"
	outcomeInterrupted = "interrupted"
	outcomeTimeUp      = "time limit"
)

// incidentReport is what the interviewer reads at the end, and -o json's object.
type incidentReport struct {
	Incident  string `json:"incident"`
	Title     string `json:"title"`
	Namespace string `json:"namespace"`
	Learner   string `json:"learner,omitempty"`
	// Outcome is solved, gave up, interrupted (Ctrl-C) or time limit.
	Outcome string `json:"outcome"`
	Limit   string `json:"limit"`
	Cause   string `json:"cause"`
	// DiagnosedAfter and FixedAfter are the times from the page, as Go
	// durations ("4m12s"); empty when it did not pass.
	Diagnosed      bool   `json:"diagnosed"`
	DiagnosedAfter string `json:"diagnosedAfter,omitempty"`
	Fixed          bool   `json:"fixed"`
	FixedAfter     string `json:"fixedAfter,omitempty"`
	Hints          int    `json:"hints"`
	WrongAnswers   int    `json:"wrongAnswers"`
	Approach       string `json:"approach,omitempty"`
	ApproachText   string `json:"approachText,omitempty"`
	// AfterGiveUp is true when this learner had given up on the incident
	// before the drill's attempt: they have read its cause and the accepted
	// fixes, and the attempt scores at most ScoreCap.
	AfterGiveUp bool `json:"afterGiveUp"`
	ScoreCap    int  `json:"scoreCap"`
	// Score is the attempt's score once fixed (0 when given up); null while
	// the fix has not passed.
	Score *int `json:"score"`
}

// incidentID picks the incident of the drill: one the learner has not
// solved, at random, of --level when given.
func incidentID(g *globals, level int) (string, error) {
	svc, err := g.offlineService()
	if err != nil {
		return "", err
	}
	sc, err := svc.RandomUnsolved(level)
	switch {
	case errors.Is(err, lab.ErrNoneLeft):
		return "", fmt.Errorf("%w: no incident left for a drill; `crashlab list` shows the scores (another --learner starts afresh)", err)
	case err != nil:
		return "", err
	}
	return sc.ID, nil
}

func runIncidentDrill(ctx context.Context, g *globals, flags *drillFlags) error {
	id, err := incidentID(g, flags.level)
	if err != nil {
		return err
	}
	svc, err := g.connect(ctx, id)
	if err != nil {
		return err
	}
	d := &incidentDrill{g: g, svc: svc, limit: flags.limit, poll: incidentPoll}
	return d.run(ctx, id)
}

// incidentDrill is one incident drill on a connected lab service.
type incidentDrill struct {
	g     *globals
	svc   *lab.Service
	limit time.Duration
	poll  time.Duration
}

func (d *incidentDrill) out() io.Writer { return d.g.textOut() }

func (d *incidentDrill) run(ctx context.Context, id string) error {
	started, err := d.svc.Start(ctx, id)
	switch {
	case errors.Is(err, scenarios.ErrAlreadyStarted):
		d.g.say("%s is already running in %s: the drill carries on with it (`%s reset %s` starts it over).", started.Scenario.ID, started.Namespace, d.command(), started.Scenario.ID)
	case err != nil:
		return advise(err, id)
	}
	sc := started.Scenario
	d.page(started)

	outcome, last, err := d.wait(ctx, sc.ID)
	if err != nil {
		return err
	}
	rep := reportOf(started, d.g.learner, d.limit, outcome, last)
	if d.g.json() {
		if err := d.g.emit(rep); err != nil {
			return err
		}
	} else {
		printIncidentReport(d.g.streams.Out, rep)
	}
	if outcome == outcomeInterrupted {
		return ExitError{Code: 130}
	}
	return nil
}

// command is how the candidate runs crashlab for this learner and context.
func (d *incidentDrill) command() string {
	c := "crashlab"
	if d.g.context != "" {
		c += " --context " + d.g.context
	}
	if d.g.learner != "" {
		c += " --learner " + d.g.learner
	}
	return c
}

func (d *incidentDrill) page(s lab.Started) {
	w := d.out()
	id := s.Scenario.ID
	fmt.Fprintf(w, "Incident drill: %s, at most %s.\n", id, d.limit)
	content.Briefing(w, s.Scenario.Title, id, s.Namespace, s.Scenario.Briefing)
	c := d.command()
	fmt.Fprintf(w, "\nWork in another terminal: investigate with kubectl, then\n"+
		"  %s diagnose %s    answer the diagnosis questions\n"+
		"  %s hint %s        a hint, if needed (it costs points)\n"+
		"  %s check %s       check the fix\n"+
		"This terminal waits until the diagnosis and the fix pass, then prints a report; Ctrl-C ends the drill early with the report so far.\n\n",
		c, id, c, id, c, id)
}

// wait reads the learner's progress every poll until the attempt is over
// (diagnosis and fix passed, or given up), ctx ends (Ctrl-C) or the limit
// passes. What changes meanwhile is said on a line of its own.
func (d *incidentDrill) wait(ctx context.Context, id string) (string, lab.AttemptProgress, error) {
	limit := time.NewTimer(d.limit)
	defer limit.Stop()
	tick := time.NewTicker(d.poll)
	defer tick.Stop()
	stop := d.g.startWait(ctx, fmt.Sprintf("waiting for the diagnosis and the fix of %s (at most %s)", id, d.limit))
	defer stop()
	var prev lab.AttemptProgress
	for {
		a, err := d.svc.Attempt(id)
		if err != nil {
			return "", a, err
		}
		d.news(prev, a)
		prev = a
		switch {
		case a.GaveUp:
			return outcomeGaveUp, a, nil
		case a.Diagnosed && a.Fixed:
			return outcomeSolved, a, nil
		}
		select {
		case <-ctx.Done():
			if last, err := d.svc.Attempt(id); err == nil {
				a = last
			}
			return outcomeInterrupted, a, nil
		case <-limit.C:
			if last, err := d.svc.Attempt(id); err == nil {
				a = last
			}
			return outcomeTimeUp, a, nil
		case <-tick.C:
		}
	}
}

// news says what the candidate did since the last read.
func (d *incidentDrill) news(prev, a lab.AttemptProgress) {
	var lines []string
	if a.Hints > prev.Hints {
		lines = append(lines, fmt.Sprintf("hint taken (%d so far)", a.Hints))
	}
	if a.WrongAnswers > prev.WrongAnswers {
		lines = append(lines, fmt.Sprintf("wrong diagnosis answer (%d so far)", a.WrongAnswers))
	}
	if a.Diagnosed && !prev.Diagnosed {
		lines = append(lines, "diagnosis correct after "+roundDuration(a.DiagnosedAfter))
	}
	if a.Fixed && !prev.Fixed {
		lines = append(lines, "fix passed after "+roundDuration(a.FixedAfter))
	}
	if a.GaveUp && !prev.GaveUp {
		lines = append(lines, "gave up")
	}
	for _, l := range lines {
		d.g.above(func() { fmt.Fprintf(d.out(), "%s  %s\n", time.Now().Format("15:04:05"), l) })
	}
}

func roundDuration(t time.Duration) string { return t.Round(time.Second).String() }

func reportOf(s lab.Started, learner string, limit time.Duration, outcome string, a lab.AttemptProgress) incidentReport {
	r := incidentReport{
		Incident: s.Scenario.ID, Title: s.Scenario.Title, Namespace: s.Namespace, Learner: learner,
		Outcome: outcome, Limit: limit.String(), Cause: s.Scenario.Cause,
		Diagnosed: a.Diagnosed, Fixed: a.Fixed, Hints: a.Hints, WrongAnswers: a.WrongAnswers, Approach: a.Approach,
		AfterGiveUp: a.AfterGiveUp, ScoreCap: a.ScoreCap,
	}
	if a.Diagnosed {
		r.DiagnosedAfter = roundDuration(a.DiagnosedAfter)
	}
	if a.Fixed {
		r.FixedAfter = roundDuration(a.FixedAfter)
	}
	if ap, ok := s.Scenario.Approach(a.Approach); ok {
		r.ApproachText = ap.Text
	}
	if a.Scored {
		score := a.Score
		r.Score = &score
	}
	return r
}

func printIncidentReport(w io.Writer, r incidentReport) {
	fmt.Fprintf(w, "\n== Drill report: %s (%s) ==\n\n", r.Title, r.Incident)
	who := ""
	if r.Learner != "" {
		who = " (learner " + r.Learner + ")"
	}
	var end string
	switch r.Outcome {
	case outcomeSolved:
		end = "solved"
	case outcomeGaveUp:
		end = "gave up"
	case outcomeInterrupted:
		end = "stopped early (Ctrl-C); the report so far"
	case outcomeTimeUp:
		end = "time limit of " + r.Limit + " reached"
	}
	rows := [][2]string{
		{"Outcome", end + who},
	}
	if r.AfterGiveUp {
		// The interviewer weighs the attempt knowing the candidate has
		// already read how this incident is fixed.
		rows = append(rows, [2]string{"After give-up", fmt.Sprintf("this learner gave up on it before and has read its cause and fixes; the score is capped at %d", r.ScoreCap)})
	}
	rows = append(rows, [][2]string{
		{"Cause", r.Cause},
		{"Diagnosis", passedAfter(r.Diagnosed, r.DiagnosedAfter)},
		{"Fix", passedAfter(r.Fixed, r.FixedAfter)},
		{"Hints used", fmt.Sprint(r.Hints)},
		{"Wrong answers", fmt.Sprint(r.WrongAnswers)},
	}...)
	if r.Approach != "" {
		a := r.Approach
		if r.ApproachText != "" {
			a += ": " + r.ApproachText
		}
		rows = append(rows, [2]string{"Fix approach", a})
	}
	score := "none (the fix did not pass)"
	if r.Score != nil {
		score = fmt.Sprintf("%d/%d", *r.Score, lab.MaxScore)
		if r.AfterGiveUp {
			score += fmt.Sprintf(" (at most %d after a give-up)", r.ScoreCap)
		}
	}
	rows = append(rows, [2]string{"Score", score})
	for _, row := range rows {
		fmt.Fprintf(w, "%-14s %s\n", row[0]+":", strings.TrimSpace(row[1]))
	}
}

func passedAfter(passed bool, after string) string {
	if !passed {
		return "not yet"
	}
	return after + " after the page"
}
