// Package scriptnotexec is the scenario where the Deployment execs the
// release's start script, /app/server, which lost its execute bit: the
// runtime cannot exec it (StartError, exit 128, "permission denied"), as
// root neither.
package scriptnotexec

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "pricing-api-never-starts"

const (
	// script is the release's start script, without its execute bit.
	script = "/app/server"
	// shell is the image's interpreter, the one the script's #! line names.
	shell = "/bin/sh"
)

// release is what the image ships: its ENTRYPOINT and the program and
// arguments the start script hands over to with `exec`.
type release struct {
	entrypoint []string
	server     []string // argv of the script's exec line
}

// releasedImage reads the released image itself: its ENTRYPOINT from the
// configuration and the start script from the layer, so the checks never
// carry a copy of either.
func releasedImage(v scenarios.Values) (release, error) {
	img, err := images.ForArch(v.NodeArch)
	if err != nil {
		return release{}, err
	}
	if img.Ref != v.Image {
		return release{}, fmt.Errorf("the deployed image %s is not the lab's image for %s (%s)", v.Image, v.NodeArch, img.Ref)
	}
	cf, err := img.V1().ConfigFile()
	if err != nil {
		return release{}, fmt.Errorf("read the configuration of image %s: %w", img.Ref, err)
	}
	body, err := imageFile(img, strings.TrimPrefix(script, "/"))
	if err != nil {
		return release{}, err
	}
	server, err := execLine(body)
	if err != nil {
		return release{}, fmt.Errorf("%s in image %s: %w", script, img.Ref, err)
	}
	return release{entrypoint: cf.Config.Entrypoint, server: server}, nil
}

// imageFile returns the content of name in the image's layers.
func imageFile(img images.Image, name string) (string, error) {
	layers, err := img.V1().Layers()
	if err != nil {
		return "", fmt.Errorf("read the layers of image %s: %w", img.Ref, err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return "", fmt.Errorf("read a layer of image %s: %w", img.Ref, err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return "", fmt.Errorf("read a layer of image %s: %w", img.Ref, err)
			}
			if path.Clean(h.Name) == name {
				b, err := io.ReadAll(tr)
				rc.Close()
				return string(b), err
			}
		}
		rc.Close()
	}
	return "", fmt.Errorf("image %s has no /%s", img.Ref, name)
}

// execLine returns the words of the script's `exec` line, with the shell's
// double and single quotes removed.
func execLine(body string) ([]string, error) {
	for _, line := range strings.Split(body, "\n") {
		words := splitWords(line)
		if len(words) >= 2 && words[0] == "exec" {
			return words[1:], nil
		}
	}
	return nil, errors.New("no exec line")
}

func splitWords(line string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == '#' && !in:
			return words
		case r == ' ' || r == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

func checks(b scenarios.Baseline) []grader.Check {
	return checksFor(releasedImage(b.Values))
}

// checksFor takes the read image as parameters so tests can see what the
// checks do when it cannot be read.
func checksFor(rel release, relErr error) []grader.Check {
	return []grader.Check{
		{Name: "start-command", Run: func(s *podstate.State) grader.Result {
			if relErr != nil {
				return grader.Fail("the lab cannot read the released image: %v", relErr)
			}
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
			}
			argv := effectiveArgv(c, rel.entrypoint)
			switch {
			case len(argv) == 2 && path.Clean(argv[0]) == shell && path.Clean(argv[1]) == script:
				return grader.Result{Passed: true, Approach: "script-via-shell", Message: fmt.Sprintf("the start script now runs through its interpreter (%s %s), which only needs to read it", shell, script)}
			case len(argv) > 0 && path.Clean(argv[0]) == rel.server[0] && slices.Equal(argv[1:], rel.server[1:]):
				return grader.Result{Passed: true, Approach: "server-started-directly", Message: fmt.Sprintf("the container starts what the script starts: %q", rel.server)}
			case len(argv) > 0 && path.Clean(argv[0]) == script:
				return grader.Fail("the container still execs %s directly: the file has no execute bit, and the runtime refuses to exec it for any user; run it through %s, or start the server it starts", script, shell)
			case slices.ContainsFunc(argv, func(a string) bool { return strings.Contains(a, script) }):
				return grader.Fail("the command %q still hands %s to something that executes it; a shell asked to run it as a command needs the execute bit too (it exits 126). Give the script to %s as the file to read: [%q, %q]", argv, script, shell, shell, script)
			case len(argv) > 0 && path.Clean(argv[0]) == rel.server[0]:
				return grader.Fail("the container runs %s with %q, but the start script runs it with %q: start the server the release starts", rel.server[0], argv[1:], rel.server[1:])
			}
			return grader.Fail("the container runs %q, not the release: run the start script through %s, or start what it starts (%q)", argv, shell, rel.server)
		}},
		{Name: "not-privileged", Run: func(s *podstate.State) grader.Result {
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
			}
			if sc := c.SecurityContext; sc != nil {
				if sc.Privileged != nil && *sc.Privileged {
					return grader.Fail("the container now runs privileged: that is access to the whole node, and it changes nothing about a file without an execute bit")
				}
				if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
					return grader.Fail("the container now adds capabilities %v: none of them lets anyone exec a file without an execute bit, and the server needs none", sc.Capabilities.Add)
				}
			}
			return grader.Pass("the container runs with no more privilege than released")
		}},
	}
}

// effectiveArgv is what the runtime executes: command (or the image's
// ENTRYPOINT when there is none) followed by args. The image has no CMD.
func effectiveArgv(c *corev1.Container, entrypoint []string) []string {
	cmd := c.Command
	if len(cmd) == 0 {
		cmd = entrypoint
	}
	return append(slices.Clone(cmd), c.Args...)
}
