// Package progress keeps which scenarios a learner has diagnosed and fixed, in
// a JSON file written atomically so an interrupted command loses nothing.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Entry is one scenario's progress.
type Entry struct {
	Started   time.Time `json:"started,omitempty"`
	Diagnosed time.Time `json:"diagnosed,omitempty"`
	Fixed     time.Time `json:"fixed,omitempty"`
	Approach  string    `json:"approach,omitempty"`
	Hints     int       `json:"hints,omitempty"`
}

// Done is true once the fix passed.
func (e Entry) Done() bool { return !e.Fixed.IsZero() }

// Store is the progress of one learner on one cluster context.
type Store struct {
	path    string
	Entries map[string]Entry `json:"entries"`
}

// DefaultDir is $CRASHLAB_STATE_DIR, else the user's state directory.
func DefaultDir() (string, error) {
	if d := os.Getenv("CRASHLAB_STATE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "crashlab"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory for progress file: %w (set CRASHLAB_STATE_DIR)", err)
	}
	return filepath.Join(home, ".local", "state", "crashlab"), nil
}

// Open reads the progress file for a context and learner; a missing file is an
// empty progress.
func Open(dir, context, learner string) (*Store, error) {
	name := "progress-" + safe(context)
	if learner != "" {
		name += "-" + safe(learner)
	}
	s := &Store{path: filepath.Join(dir, name+".json"), Entries: map[string]Entry{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read progress %s: %w", s.path, err)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("progress file %s is damaged (%v): move it away to start fresh", s.path, err)
	}
	if s.Entries == nil {
		s.Entries = map[string]Entry{}
	}
	return s, nil
}

// Path is where the store lives.
func (s *Store) Path() string { return s.path }

// Update changes one entry and saves.
func (s *Store) Update(id string, fn func(*Entry)) error {
	e := s.Entries[id]
	fn(&e)
	s.Entries[id] = e
	return s.Save()
}

// Save writes to a temporary file in the same directory and renames it over
// the old one, so readers see the old or the new file, never half of one.
func (s *Store) Save() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("create progress directory: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".progress-*.tmp")
	if err != nil {
		return fmt.Errorf("write progress: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write progress: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write progress: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write progress: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("write progress: %w", err)
	}
	return nil
}

func safe(s string) string {
	out := []rune(s)
	for i, r := range out {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			out[i] = '_'
		}
	}
	return string(out)
}
