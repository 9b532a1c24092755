package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/crashlab/crashlab/internal/yamlfile"
)

// folders is every scenario folder's data (scenario.yaml, manifests.yaml,
// explanation.md), found by one embed: a folder with a scenario.yaml is a scenario, with no registration anywhere. fixes/ is left
// out on purpose: it names the intended answers and stays out of the binary.
//
//go:embed */scenario.yaml */manifests.yaml */explanation.md
var folders embed.FS

var (
	hooksMu sync.Mutex
	hooks   = map[string]Hooks{}
	// twice are the ids whose hooks were registered more than once: a
	// mistake Discover reports, since a panic in init would stop every
	// command before it could say anything.
	twice []string
)

// Register attaches a folder's Go hooks (checks no rule in scenario.yaml can
// express) to the scenario of that id. A scenario package calls it from init;
// scenarios/catalog imports every such package (a generated file, kept
// current by a test), so adding one is still no registration line by hand.
func Register(id string, h Hooks) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	if _, dup := hooks[id]; dup {
		twice = append(twice, id)
		return
	}
	hooks[id] = h
}

// Root is the folder of the catalogue in the repository: errors name each
// file by its path from the repository's root.
const Root = "scenarios"

// Discover loads every embedded scenario folder with its registered hooks.
// Every mistake of every folder is returned, joined, each naming the file
// and, where it has one, the line: a bad folder, a folder whose id differs
// from its name, an id or alias that names two scenarios, hooks with no
// folder or registered twice.
func Discover() ([]Scenario, error) {
	return DiscoverFS(folders, Root)
}

// DiscoverFS is Discover for the catalogue in fsys, whose folders errors name
// under root; it reads the hooks scenario packages registered.
func DiscoverFS(fsys fs.FS, root string) ([]Scenario, error) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	return discover(fsys, root, hooks, twice)
}

// loadNamed loads the incident in fsys (the folder at folder) whose
// folder is called name: the folder's name is its id.
func loadNamed(fsys fs.FS, folder, name string, h Hooks) (Scenario, error) {
	s, err := loadFolder(fsys, folder, h)
	if err != nil {
		return s, inFolder(folder, err)
	}
	if s.ID != name {
		return s, &yamlfile.Error{File: s.file(MetaFile), Line: s.line("id"),
			Msg: fmt.Sprintf("id %q differs from the folder's name %s: the folder name is the id", s.ID, name)}
	}
	return s, nil
}

func discover(fsys fs.FS, root string, hooks map[string]Hooks, twice []string) ([]Scenario, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read the catalogue %s: %w", root, err)
	}
	var errs []error
	seen := map[string]bool{}
	var out []Scenario
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.IsDir() {
			// A ConfigMap volume (a pack in the controller's pod) links
			// each folder: follow the link.
			if e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if st, err := fs.Stat(fsys, e.Name()); err != nil || !st.IsDir() {
				continue
			}
		}
		folder := path.Join(root, e.Name())
		if _, err := fs.Stat(fsys, e.Name()+"/"+MetaFile); err != nil {
			// A folder with a manifests.yaml but no scenario.yaml is a
			// scenario whose description went missing, not a Go package.
			if _, merr := fs.Stat(fsys, e.Name()+"/"+ManifestsFile); merr == nil {
				errs = append(errs, fmt.Errorf("%s: has a %s but no %s", folder, ManifestsFile, MetaFile))
			}
			continue
		}
		sub, err := fs.Sub(fsys, e.Name())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", folder, err))
			continue
		}
		seen[e.Name()] = true
		s, err := loadNamed(sub, folder, e.Name(), hooks[e.Name()])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	// An id or alias names one scenario: an alias that is also an id, or
	// that two scenarios claim, would make `crashlab start` ambiguous.
	owner := map[string]string{}
	for _, s := range out {
		owner[s.ID] = s.ID
	}
	for _, s := range out {
		for i, a := range s.Aliases {
			if other, taken := owner[a]; taken {
				errs = append(errs, &yamlfile.Error{File: s.file(MetaFile), Line: s.line(fmt.Sprintf("aliases[%d]", i)),
					Msg: fmt.Sprintf("alias %q is already the id or an alias of %s", a, other)})
				continue
			}
			owner[a] = s.ID
		}
	}
	var orphans []string
	for id := range hooks {
		if !seen[id] {
			orphans = append(orphans, id)
		}
	}
	if len(orphans) > 0 {
		sort.Strings(orphans)
		errs = append(errs, fmt.Errorf("Go hooks registered for %v, which has no scenario folder", orphans))
	}
	for _, id := range twice {
		errs = append(errs, fmt.Errorf("%s: Go hooks registered twice (scenarios.Register)", path.Join(root, id)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// inFolder names the folder in an error that does not already name its file.
func inFolder(folder string, err error) error {
	var located *yamlfile.Error
	if errors.As(err, &located) && located.File != "" {
		return err
	}
	return fmt.Errorf("%s: %w", folder, err)
}

// MustGet is the embedded scenario of that id, for a scenario package's own
// tests; an error there is a build bug.
func MustGet(id string) Scenario {
	all, err := Discover()
	if err != nil {
		panic(err)
	}
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	panic(fmt.Sprintf("scenarios: no scenario folder %q", id))
}
