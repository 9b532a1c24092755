// Package author is the toolkit of a trainer who writes incidents as data:
// a skeleton to start from (New), the offline checks of a pack or an
// incident folder (Validate), and the live proof on a cluster (Test).
package author

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/crashlab/crashlab/internal/yamlfile"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// ErrNotAuthored is a folder that is neither a pack (pack.yaml) nor an
// incident (scenario.yaml).
var ErrNotAuthored = errors.New("neither a pack nor an incident folder")

// Problem is one mistake, at its file and line where it has one.
type Problem struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Incident is the incident's id, when the problem is one incident's.
	Incident string `json:"incident,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	case p.File != "":
		return p.File + ": " + p.Message
	}
	return p.Message
}

// Report is what Validate found.
type Report struct {
	Dir string `json:"dir"`
	// Pack is the pack's pack.yaml; nil for a single incident folder.
	Pack      *scenarios.Pack `json:"pack,omitempty"`
	Incidents []string        `json:"incidents"`
	// Fixes are the offline replays of every fixes/ file, per incident.
	Fixes    map[string][]fixes.Outcome `json:"fixes,omitempty"`
	Problems []Problem                  `json:"problems"`
}

// OK tells whether nothing is wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Options tune Validate.
type Options struct {
	// LabVersion is crashlab's version, which pack.yaml's range must allow.
	LabVersion string
}

// Load reads the incidents of dir, a pack or one incident folder, as the
// lab would run them. A built-in incident's folder comes with its Go hooks.
func Load(dir, labVersion string) (*scenarios.Pack, []scenarios.Scenario, error) {
	if _, err := os.Stat(filepath.Join(dir, scenarios.PackFile)); err == nil {
		p, list, err := scenarios.LoadPack(dir, labVersion)
		return &p, list, err
	}
	if _, err := os.Stat(filepath.Join(dir, scenarios.MetaFile)); err == nil {
		catalog.All() // registers the built-in incidents' Go hooks
		s, err := scenarios.LoadDir(dir)
		return nil, []scenarios.Scenario{s}, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("%s: %w: no such folder", dir, ErrNotAuthored)
	}
	return nil, nil, fmt.Errorf("%s: %w: it has no %s and no %s", dir, ErrNotAuthored, scenarios.PackFile, scenarios.MetaFile)
}

// Validate checks a pack or an incident folder without a cluster:
// strict decoding of every file (an unknown field is an error at its line),
// every CEL check compiled and type-checked, the fixes/ folder complete and
// every fix replayed on a fake cluster against the static checks (an
// accepted fix passes with its approach, a shortcut is refused by the check
// it names, for the incident and a blind variant), the diagnosis's intended
// choices free of wording tells, and the page and first hint free of the
// evidence that gives the cause away. Every problem is reported, one per
// line; the error is only for a folder that is neither a pack nor an
// incident.
func Validate(ctx context.Context, dir string, opt Options) (Report, error) {
	r := Report{Dir: dir, Fixes: map[string][]fixes.Outcome{}}
	p, list, err := Load(dir, opt.LabVersion)
	r.Pack = p
	if errors.Is(err, ErrNotAuthored) {
		return r, err
	}
	if err != nil {
		r.Problems = append(r.Problems, problemsOf(err)...)
		return r, nil
	}
	if p != nil {
		taken, err := catalog.Collisions(list)
		if err != nil {
			return r, err
		}
		for _, e := range taken {
			r.Problems = append(r.Problems, Problem{Message: e.Error()})
		}
	}
	vals, err := fixes.ValuesFor("amd64")
	if err != nil {
		return r, err
	}
	var cqs []ChoiceQuestion
	for _, s := range list {
		r.Incidents = append(r.Incidents, s.ID)
		folder, err := fixes.LoadFolder(filepath.Join(incidentDir(dir, s), "fixes"), s)
		if err != nil {
			for _, pr := range problemsOf(err) {
				pr.Incident = s.ID
				r.Problems = append(r.Problems, pr)
			}
		}
		if len(folder.Fixes) > 0 {
			seeds := []uint64{0}
			if len(s.Params) > 0 {
				seeds = append(seeds, 1)
			}
			// A fix wrong on the incident itself is said once: the variant
			// only tells something new about the fixes that pass there.
			wrong := map[string]bool{}
			for _, seed := range seeds {
				out, err := fixes.ReplayOffline(ctx, s, folder, vals, seed)
				if err != nil {
					r.Problems = append(r.Problems, Problem{Incident: s.ID, File: s.Folder(), Message: err.Error()})
					continue
				}
				if seed == 0 {
					r.Fixes[s.ID] = out
				}
				for _, o := range out {
					if o.Problem == "" || wrong[o.Fix] {
						continue
					}
					wrong[o.Fix] = true
					what := "fixes/" + o.Fix + ".yaml"
					if seed != 0 {
						o.Problem = fmt.Sprintf("%s (blind variant %d)", o.Problem, seed)
					}
					r.Problems = append(r.Problems, Problem{Incident: s.ID, File: filepath.Join(s.Folder(), what), Message: o.Problem})
				}
			}
		}
		if err == nil {
			qs := choiceQuestions(s, folder.Diagnosis)
			cqs = append(cqs, qs...)
			for _, cq := range qs {
				if e := Extremes(cq); len(e) >= 2 {
					r.Problems = append(r.Problems, Problem{Incident: s.ID, File: filepath.Join(s.Folder(), scenarios.MetaFile),
						Message: fmt.Sprintf("question %s: the intended choice %s is the clear pick of %s: a learner finds it without looking at the pods; reword the choices so that no one of them stands out", cq.Q.ID, cq.Intended, strings.Join(e, " and "))})
				}
			}
			for _, m := range pageGivesAway(s, folder.Diagnosis) {
				r.Problems = append(r.Problems, Problem{Incident: s.ID, File: filepath.Join(s.Folder(), scenarios.MetaFile), Message: m})
			}
		}
	}
	// Across a whole pack, no guesser may beat chance by the margin; with
	// few questions chance itself swings too far to tell.
	if len(cqs) >= minQuestionsForTells {
		for _, t := range Tells(Guessers(0), cqs) {
			r.Problems = append(r.Problems, Problem{File: dir, Message: t.String()})
		}
	}
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].File < r.Problems[j].File })
	return r, nil
}

// minQuestionsForTells is how many choice questions a pack needs before
// the guessers' scores across it mean something.
const minQuestionsForTells = 8

// incidentDir is the folder of s on disk: dir itself for an incident
// folder, dir/ID for a pack's incident.
func incidentDir(dir string, s scenarios.Scenario) string {
	if _, err := os.Stat(filepath.Join(dir, scenarios.MetaFile)); err == nil {
		return dir
	}
	return filepath.Join(dir, s.ID)
}

// choiceQuestions are s's choice questions with their intended choices.
func choiceQuestions(s scenarios.Scenario, d fixes.Diagnosis) []ChoiceQuestion {
	var out []ChoiceQuestion
	for _, q := range s.Questions {
		if len(q.Choices) > 0 {
			out = append(out, ChoiceQuestion{Incident: s.ID, Page: s.Title + "\n" + s.Briefing, Q: q, Intended: d.Correct[q.ID]})
		}
	}
	return out
}

// deepEvidence are the evidence keys a learner reads only by investigating
// (describe's Last State, the previous log, the events): what the page
// and the first hint must not say for them. What `kubectl get pods` shows
// anyway (the phase, a waiting reason) is the pager's symptom, not a tell.
var deepEvidence = []string{"lastReason", "lastExitCode", "log", "event", "eventMessage", "waitingMessage"}

// pageGivesAway names the evidence of the intended choices that the page
// (title and briefing) or the first hint states: a value only the intended
// choice relies on, long enough to be specific.
func pageGivesAway(s scenarios.Scenario, d fixes.Diagnosis) []string {
	wrong := map[string]bool{}
	var right []string
	for _, q := range s.Questions {
		for _, c := range q.Choices {
			for _, e := range c.Evidence {
				if c.ID == d.Correct[q.ID] {
					right = append(right, e)
				} else {
					wrong[e] = true
				}
			}
		}
	}
	texts := map[string]string{"the page": s.Title + "\n" + s.Briefing}
	if len(s.Hints) > 0 {
		texts["the first hint"] = s.Hints[0]
	}
	var out []string
	for _, e := range right {
		i := strings.IndexAny(e, "=~")
		if i < 0 || wrong[e] || !slices.Contains(deepEvidence, strings.TrimPrefix(e[:i], "!")) {
			continue
		}
		val := e[i+1:]
		if len(val) < 6 {
			continue
		}
		for _, where := range []string{"the page", "the first hint"} {
			if strings.Contains(strings.ToLower(texts[where]), strings.ToLower(val)) {
				out = append(out, fmt.Sprintf("%s says %q, the evidence of the intended cause (%s): the learner should find it in the cluster", where, val, e))
			}
		}
	}
	return out
}

// problemsOf flattens joined errors into problems, each at its file and
// line when it is a located YAML error.
func problemsOf(err error) []Problem {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []Problem
		for _, e := range j.Unwrap() {
			out = append(out, problemsOf(e)...)
		}
		return out
	}
	var y *yamlfile.Error
	if errors.As(err, &y) && y.File != "" {
		return []Problem{{File: y.File, Line: y.Line, Message: y.Msg}}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return []Problem{{File: pe.Path, Message: pe.Err.Error()}}
	}
	return []Problem{{Message: err.Error()}}
}
