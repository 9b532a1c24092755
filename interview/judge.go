package interview

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
)

// Judge answers a candidate's requests through the interviewer's lab
// service (the same Questions, Diagnose, Hint, Check and Status as the
// self-paced CLI) and keeps each event in the interview record.
type Judge struct {
	// Service builds the interviewer's lab service for one request, placed
	// in the interview's namespace; progress hears a check's wait.
	Service func(progress func(string)) (*lab.Service, error)
	// Incident is the incident's id, which no reply contains.
	Incident string
	// Hidden are other words no reply may contain (the incident's earlier
	// ids, which named causes).
	Hidden []string
	Record *Recorder
}

// Handle is the relay's Handler.
func (j *Judge) Handle(ctx context.Context, req Request, progress func(string)) Reply {
	svc, err := j.Service(progress)
	if err != nil {
		return j.failed(err)
	}
	var r Reply
	switch req.Verb {
	case VerbQuestions:
		r = j.questions(ctx, svc)
	case VerbDiagnose:
		r = j.diagnose(ctx, svc, req.Answers)
	case VerbHint:
		r = j.hint(ctx, svc, req.All)
	case VerbCheck:
		r = j.check(ctx, svc, req.Timeout)
	case VerbStatus:
		r = j.status(ctx, svc)
	default:
		r = Reply{Error: fmt.Sprintf("the interviewer does not know the request %q: use crashlab's diagnose, hint, check or status", req.Verb)}
	}
	return j.scrub(r)
}

func (j *Judge) failed(err error) Reply { return Reply{Error: firstLine(err.Error())} }

func (j *Judge) questions(ctx context.Context, svc *lab.Service) Reply {
	qs, err := svc.Questions(j.Incident)
	if err != nil {
		return j.failed(err)
	}
	j.Record.Add(ctx, "questions", "asked for the diagnosis questions", nil)
	return Reply{Questions: Public(qs)}
}

// Public is what a candidate may see of the questions: prompts and the
// choices' ids and texts in the attempt's order, never the evidence each
// choice claims (which says what to look for).
func Public(qs []grader.Question) []grader.Question {
	out := make([]grader.Question, len(qs))
	for i, q := range qs {
		out[i] = grader.Question{ID: q.ID, Prompt: q.Prompt, Fact: q.Fact}
		for _, c := range q.Choices {
			out[i].Choices = append(out[i].Choices, grader.Choice{ID: c.ID, Text: c.Text})
		}
	}
	return out
}

func (j *Judge) diagnose(ctx context.Context, svc *lab.Service, answers map[string]string) Reply {
	v, err := svc.Diagnose(ctx, j.Incident, answers)
	if err != nil {
		return j.failed(err)
	}
	for _, c := range v.Checks {
		passed := c.Passed
		detail := c.Name
		if a, ok := answers[c.Name]; ok {
			detail += "=" + a
		}
		j.Record.Add(ctx, "answer", detail, &passed)
	}
	passed := v.Passed
	j.Record.Add(ctx, "diagnosis", answersText(answers), &passed)
	return Reply{Verdict: &v}
}

func answersText(answers map[string]string) string {
	keys := make([]string, 0, len(answers))
	for k := range answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + answers[k]
	}
	return strings.Join(parts, " ")
}

func (j *Judge) hint(ctx context.Context, svc *lab.Service, all bool) Reply {
	var h lab.Hints
	var err error
	if all {
		h, err = svc.AllHints(j.Incident)
	} else {
		h, err = svc.Hint(j.Incident)
	}
	if err != nil {
		return j.failed(err)
	}
	j.Record.Add(ctx, "hint", fmt.Sprintf("hint %d of %d", h.Shown, len(h.All)), nil)
	return Reply{Hints: &Hints{Namespace: h.Namespace, Seen: h.Seen(), Total: len(h.All)}}
}

func (j *Judge) check(ctx context.Context, svc *lab.Service, timeout time.Duration) Reply {
	v, err := svc.Check(ctx, j.Incident, lab.CheckOptions{ReadyTimeout: timeout})
	switch {
	case err != nil && ctx.Err() != nil:
		// Withdrawn (the candidate's Ctrl-C) or the interview ended: nothing
		// half-watched proves anything, so it is no verdict.
		j.Record.Add(context.WithoutCancel(ctx), "check", "stopped before a verdict (not judged)", nil)
		return Reply{Error: "the check was stopped before a verdict"}
	case err != nil:
		j.Record.Add(ctx, "check", "could not be judged: "+firstLine(err.Error()), nil)
		return j.failed(err)
	}
	passed := v.Passed
	j.Record.Add(ctx, "check", checkDetail(v), &passed)
	return Reply{Verdict: &v}
}

// checkDetail names the approach of a pass, the failed checks of a fail.
func checkDetail(v grader.Verdict) string {
	if v.Passed {
		if v.Approach != "" {
			return "fixed (approach " + v.Approach + ")"
		}
		return "fixed"
	}
	var failed []string
	for _, c := range v.Checks {
		if !c.Passed {
			failed = append(failed, c.Name+": "+c.Message)
		}
	}
	return "not fixed: " + strings.Join(failed, "; ")
}

func (j *Judge) status(ctx context.Context, svc *lab.Service) Reply {
	seen, err := svc.Status(ctx, j.Incident)
	if err != nil {
		return j.failed(err)
	}
	j.Record.Add(ctx, "status", "", nil)
	var out []podstate.Facts
	for _, s := range seen {
		out = append(out, s.Facts)
	}
	return Reply{Status: out}
}

// scrub takes the incident's id (and earlier ids) out of everything a
// reply says: verdict messages and errors name the scenario the lab judged.
func (j *Judge) scrub(r Reply) Reply {
	b, err := json.Marshal(r)
	if err != nil {
		return Reply{Error: "the reply could not be written"}
	}
	s := string(b)
	for _, w := range append([]string{j.Incident}, j.Hidden...) {
		if w != "" {
			s = strings.ReplaceAll(s, w, "the incident")
		}
	}
	var out Reply
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return Reply{Error: "the reply could not be written"}
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
