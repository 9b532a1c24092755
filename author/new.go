package author

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios"
)

// skeleton is a working incident, its id written __ID__.
//
//go:embed skeleton
var skeleton embed.FS

var (
	// ErrBadID is an id that cannot name an incident.
	ErrBadID = errors.New("not a usable incident id")
	// ErrExists is a target that is already there: New never overwrites.
	ErrExists = errors.New("already exists")
)

// learnerRoom is the longest learner name an id must leave room for in a
// namespace (crashlab-<learner>-<id>, at most 63 characters).
const learnerRoom = 20

// CheckID refuses an id that cannot name an incident: not a DNS label, or
// too long to leave room for a learner's name in its namespaces.
func CheckID(id string) error {
	if _, err := cluster.NamespaceFor(strings.Repeat("l", learnerRoom), id); err != nil || !scenarios.ValidID(id) {
		return fmt.Errorf("%w: %q must be lower case letters, digits and '-', at most %d characters", ErrBadID, id, 63-len("crashlab--")-learnerRoom)
	}
	return nil
}

// New writes a working incident skeleton into parent/id: scenario.yaml,
// manifests.yaml, explanation.md, and fixes/ with one accepted fix, one
// refused shortcut and the diagnosis's answers. It writes nothing when the
// folder is already there. It returns the folder.
func New(parent, id string) (string, error) {
	if err := CheckID(id); err != nil {
		return "", err
	}
	dir := filepath.Join(parent, id)
	if _, err := os.Lstat(dir); err == nil {
		return dir, fmt.Errorf("%s: %w", dir, ErrExists)
	}
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		return dir, fmt.Errorf("%s: no such folder", parent)
	}
	err := fs.WalkDir(skeleton, "skeleton", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "skeleton"), "/")
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		raw, err := skeleton.ReadFile(p)
		if err != nil {
			return err
		}
		// O_EXCL: a file that appeared meanwhile is never overwritten.
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(strings.ReplaceAll(string(raw), "__ID__", id))); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	return dir, err
}
