package scenarios

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/grader/celcheck"
	"github.com/crashlab/crashlab/internal/yamlfile"
	"github.com/crashlab/crashlab/podstate"
)

// FixShape is what a fix of the incident looks like to the live judge.
//
//	fix:
//	  live: job    # the fix replaces the workload with a Job or CronJob
//	               # running the released program; the judge waits for
//	               # that Job to complete (job-completed, job-ran-task)
//
// Without it, the fix keeps the workload and the judge waits for its pods
// to be ready and stay up through a replacement.
type FixShape struct {
	Live string `json:"live,omitempty"`
}

// LiveJob is FixShape.Live for a task that must run as a Job.
const LiveJob = "job"

// sharedCheckNames are the checks every incident gets from the engine; an
// incident's own check must not take one of these names.
var sharedCheckNames = []string{"workload-kept", "no-stand-ins", "broken-pods-gone"}

// validateChecks compiles and type-checks every CEL check, and checks that
// names are unique and approaches are the incident's.
func (s Scenario) validateChecks(approaches map[string]bool) error {
	if s.Fix.Live != "" && s.Fix.Live != LiveJob {
		return fmt.Errorf("scenario %s: fix.live %q: the live judges are %q (or none, for a fix that keeps the workload)", s.ID, s.Fix.Live, LiveJob)
	}
	if s.Fix.Live != "" && s.hooks.Live != nil {
		return fmt.Errorf("scenario %s: fix.live and a Go live hook both judge the fix; keep one", s.ID)
	}
	names := map[string]bool{}
	for _, n := range sharedCheckNames {
		names[n] = true
	}
	for _, r := range s.Rules {
		n := r.Name
		switch {
		case r.Rule == "keep" && n == "":
			n = "app-unchanged"
		case r.Rule == "hardeningKept":
			n = "hardening-kept"
		}
		names[n] = true
	}
	for i, spec := range s.Checks {
		at := s.line(fmt.Sprintf("checks[%d]", i))
		where := fmt.Sprintf("scenario %s: %s", s.ID, s.file(MetaFile))
		if at > 0 {
			where = fmt.Sprintf("%s:%d", where, at)
		}
		if names[spec.Name] {
			return fmt.Errorf("%s: check %q: the name is taken (by a rule, a shared check or another check)", where, spec.Name)
		}
		names[spec.Name] = true
		if _, err := celcheck.CompileFor(spec, s.Workload.Kind); err != nil {
			// At the expression's own line, in one line: an author's tools
			// print one line per problem.
			var ce *celcheck.CompileError
			if errors.As(err, &ce) {
				if l := s.line(fmt.Sprintf("checks[%d].%s", i, ce.Path)); l > 0 {
					return &yamlfile.Error{File: s.file(MetaFile), Line: l, Msg: fmt.Sprintf("scenario %s: %s", s.ID, ce.Error())}
				}
			}
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, a := range spec.Approaches() {
			if !approaches[a] {
				return fmt.Errorf("%s: check %s names approach %q, which approaches does not list", where, spec.Name, a)
			}
		}
	}
	return nil
}

// compiledCheck is the grader check of a CEL check on a workload of that
// kind. One that does not compile fails, never passes: validate compiled
// every incident's own checks already (a variant only renames names), and
// the rules' tests compile theirs for every kind, so this is the lab's bug.
func compiledCheck(spec celcheck.Spec, kind string, in celcheck.Inputs) grader.Check {
	c, err := celcheck.CompileFor(spec, kind)
	if err != nil {
		return grader.Check{Name: spec.Name, Run: func(*podstate.State) grader.Result {
			return grader.Fail("the lab could not compile check %s (%v), so it does not call it fixed", spec.Name, err)
		}}
	}
	return c.Grader(in)
}

// checkInputs is what the CEL checks know of the deployment.
func (b Baseline) checkInputs() celcheck.Inputs {
	in := celcheck.Inputs{Base: b.TargetContainer(), BasePod: b.TargetPodSpec(), Params: map[string]string{},
		Lab: map[string]string{"image": b.Values.Image, "foreignImage": b.Values.ForeignImage,
			"repository": b.Values.Repository(), "nodeArch": b.Values.NodeArch}}
	for k, v := range b.Draw.Values {
		in.Params[k] = v
	}
	for _, o := range b.Objects {
		switch o := o.(type) {
		case *corev1.Secret:
			in.Secrets = append(in.Secrets, o)
		case *corev1.ConfigMap:
			in.ConfigMaps = append(in.ConfigMaps, o)
		}
	}
	return in
}
