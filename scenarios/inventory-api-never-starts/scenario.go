// Package wrongentrypoint is the scenario where the Deployment's exec-form
// command names a program the image does not contain, so the runtime cannot
// start the container at all (StartError, exit 128).
package wrongentrypoint

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const ()

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "inventory-api-never-starts"

// imageConfig is what the checks need to know about the released image.
type imageConfig struct {
	entrypoint []string
	path       string // the image's PATH, which the runtime searches for a bare name
}

// releasedImage reads the program the released image really runs from the
// image's own configuration, not from a copy of it.
func releasedImage(v scenarios.Values) (imageConfig, error) {
	img, err := images.ForArch(v.NodeArch)
	if err != nil {
		return imageConfig{}, err
	}
	if img.Ref != v.Image {
		return imageConfig{}, fmt.Errorf("the deployed image %s is not the lab's image for %s (%s)", v.Image, v.NodeArch, img.Ref)
	}
	cf, err := img.V1().ConfigFile()
	if err != nil {
		return imageConfig{}, fmt.Errorf("read the configuration of image %s: %w", img.Ref, err)
	}
	ic := imageConfig{entrypoint: cf.Config.Entrypoint}
	for _, e := range cf.Config.Env {
		if p, ok := strings.CutPrefix(e, "PATH="); ok {
			ic.path = p
		}
	}
	if len(ic.entrypoint) == 0 {
		return imageConfig{}, fmt.Errorf("image %s declares no ENTRYPOINT", img.Ref)
	}
	return ic, nil
}

func checks(b scenarios.Baseline) []grader.Check {
	return checksFor(b, releasedImage)
}

// checksFor takes the image reader as a parameter so tests can see what the
// checks do when the image's configuration cannot be read.
func checksFor(b scenarios.Baseline, readImage func(scenarios.Values) (imageConfig, error)) []grader.Check {
	base := b.TargetContainer()
	ic, icErr := readImage(b.Values)
	return []grader.Check{
		{Name: "app-unchanged", Run: func(s *podstate.State) grader.Result {
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			}
			if c.Image != base.Image {
				return grader.Fail("the image changed to %s: the release is image %s; keep it and fix the command that starts it", c.Image, base.Image)
			}
			if !slices.Equal(c.Args, base.Args) {
				return grader.Fail("the container's args are %q, the release's are %q: a container that merely stays up is not the inventory API; keep the release's args and fix the command", c.Args, base.Args)
			}
			return grader.Pass("the release's image and arguments are unchanged")
		}},
		{Name: "app-command", Run: func(s *podstate.State) grader.Result {
			if icErr != nil {
				return grader.Fail("the lab cannot read the image's configuration: %v", icErr)
			}
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			}
			if len(c.Command) == 0 {
				return grader.Result{Passed: true, Approach: "entrypoint-restored", Message: fmt.Sprintf("command removed: the image's own ENTRYPOINT %q runs with the release's args", ic.entrypoint)}
			}
			if runsEntrypoint(c, ic) {
				return grader.Result{Passed: true, Approach: "command-fixed", Message: fmt.Sprintf("the command %q now names the program the image ships", c.Command)}
			}
			return grader.Fail("the command %q does not start the program this image ships: look up the image's ENTRYPOINT and use it as the command, or remove command so the ENTRYPOINT runs", c.Command)
		}},
	}
}

// runsEntrypoint reports whether the container's command resolves to the
// image's ENTRYPOINT. A name without a slash is looked up in PATH by the
// runtime, so it counts when PATH leads to the entrypoint's file.
func runsEntrypoint(c *corev1.Container, ic imageConfig) bool {
	if len(c.Command) != len(ic.entrypoint) || !slices.Equal(c.Command[1:], ic.entrypoint[1:]) {
		return false
	}
	prog := c.Command[0]
	if strings.HasPrefix(prog, "/") && path.Clean(prog) == ic.entrypoint[0] {
		return true
	}
	if strings.Contains(prog, "/") || prog == "" {
		return false
	}
	search := ic.path
	for _, e := range c.Env {
		if e.Name == "PATH" && e.ValueFrom == nil {
			search = e.Value
		}
	}
	// The lab image holds its entrypoint and no other file, so the name
	// resolves to it exactly when some PATH entry leads there.
	for _, dir := range strings.Split(search, ":") {
		if dir != "" && path.Join(dir, prog) == ic.entrypoint[0] {
			return true
		}
	}
	return false
}
