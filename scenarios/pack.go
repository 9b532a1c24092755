package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/blang/semver/v4"

	"github.com/crashlab/crashlab/internal/yamlfile"
)

// PackFile describes a pack: a folder of incident folders that a trainer
// writes and ships outside the binary.
const PackFile = "pack.yaml"

// Pack is pack.yaml.
//
//	name: acme-onboarding
//	version: 1.2.0
//	authors: [Ada Lovelace <ada@example.com>]
//	description: the incidents of ACME's on-call onboarding
//	crashlab: ">=0.9.0"        # the crashlab versions that can run it
type Pack struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Authors     []string `json:"authors,omitempty"`
	Description string   `json:"description,omitempty"`
	// Crashlab is a semver range (github.com/blang/semver) of the crashlab
	// versions the pack needs: the CEL functions and rules it uses.
	Crashlab string `json:"crashlab,omitempty"`
	// Dir is the folder it was read from.
	Dir string `json:"-"`
}

// Source is where an incident comes from, as list shows it.
func (p Pack) Source() string { return "pack " + p.Name + "@" + p.Version }

// SourceBuiltIn is the source of the incidents built into crashlab.
const SourceBuiltIn = "built-in"

var (
	// ErrNotAPack is a folder without a pack.yaml.
	ErrNotAPack = errors.New("not a pack")
	// ErrPackVersion is a pack that needs another crashlab version.
	ErrPackVersion = errors.New("the pack needs another crashlab version")
)

var packNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// ValidPackName tells whether name can name a pack: lower-case letters,
// digits, dashes and dots, as a DNS subdomain.
func ValidPackName(name string) bool { return packNamePattern.MatchString(name) }

// ReadPack reads and checks dir's pack.yaml: strict decoding (an unknown
// field is an error with its line), a DNS-style name, a semver version,
// and a crashlab range that labVersion satisfies (a development build,
// whose version is not semver, runs any pack).
func ReadPack(dir, labVersion string) (Pack, error) {
	var p Pack
	file := filepath.Join(dir, PackFile)
	raw, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p, fmt.Errorf("%s: %w: it has no %s", dir, ErrNotAPack, PackFile)
	case err != nil:
		return p, err
	}
	if err := yamlfile.Decode(file, raw, &p); err != nil {
		return p, err
	}
	p.Dir = dir
	doc, _ := yamlfile.Parse(file, raw, 0)
	at := func(field, msg string) error {
		return &yamlfile.Error{File: file, Line: yamlfile.Line(doc, field), Msg: msg}
	}
	if !packNamePattern.MatchString(p.Name) {
		return p, at("name", fmt.Sprintf("name %q must be lower case letters, digits, '-' and '.'", p.Name))
	}
	if _, err := semver.Parse(p.Version); err != nil {
		return p, at("version", fmt.Sprintf("version %q is not a semantic version such as 1.0.0", p.Version))
	}
	if p.Crashlab != "" {
		want, err := semver.ParseRange(p.Crashlab)
		if err != nil {
			return p, at("crashlab", fmt.Sprintf("crashlab %q is not a version range such as \">=0.9.0\"", p.Crashlab))
		}
		if v, err := semver.ParseTolerant(labVersion); err == nil && !want(v) {
			return p, fmt.Errorf("%s: %w: it needs crashlab %s, this is %s", file, ErrPackVersion, p.Crashlab, labVersion)
		}
	}
	return p, nil
}

// LoadPack reads a pack: pack.yaml and every incident folder in it. A
// pack's incidents are data only (no Go hooks), each marked with the
// pack as its source. Every mistake of every folder is returned, each
// naming its file and, where it has one, its line.
func LoadPack(dir, labVersion string) (Pack, []Scenario, error) {
	p, err := ReadPack(dir, labVersion)
	if err != nil {
		return p, nil, err
	}
	list, err := discover(os.DirFS(dir), filepath.ToSlash(filepath.Clean(dir)), nil, nil)
	if err != nil {
		return p, nil, err
	}
	if len(list) == 0 {
		return p, nil, fmt.Errorf("%s: the pack has no incident (a folder with a %s)", dir, MetaFile)
	}
	for i := range list {
		list[i].source = p.Source()
	}
	return p, list, nil
}

// Source is where the incident comes from: SourceBuiltIn or its pack.
func (s Scenario) Source() string {
	if s.source == "" {
		return SourceBuiltIn
	}
	return s.source
}

// Folder is the incident's folder as its author knows it
// (scenarios/ID for a built-in one, PACK/ID for a pack's).
func (s Scenario) Folder() string { return s.folder }

// IsPack tells whether the incident comes from a pack.
func (s Scenario) IsPack() bool { return s.source != "" }

// PackDirs splits a list of pack folders as CRASHLAB_INCIDENTS writes it
// (the system's path list separator, like PATH).
func PackDirs(env string) []string {
	var out []string
	for _, d := range filepath.SplitList(env) {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// LoadDir reads the incident folder at dir from disk, with the Go hooks
// registered for its id (a built-in incident's, when scenarios/catalog is
// imported); errors name its files under dir.
func LoadDir(dir string) (Scenario, error) {
	id := filepath.Base(filepath.Clean(dir))
	hooksMu.Lock()
	h := hooks[id]
	hooksMu.Unlock()
	return loadNamed(os.DirFS(dir), filepath.ToSlash(filepath.Clean(dir)), id, h)
}

// ValidID tells whether id can name an incident: a DNS label.
func ValidID(id string) bool { return idPattern.MatchString(id) }
