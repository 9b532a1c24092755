// Package progress records, per learner and cluster context, which scenarios
// were started, diagnosed and fixed, in a file that concurrent crashlab
// processes update without losing each other's work.
package progress

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// FormatVersion is the "version" written to every progress file. A file of a
// newer version was written by a newer crashlab and is left exactly as it is
// (ErrNewerFormat); any other version is not guessed at: it is moved aside,
// kept, and reported.
const FormatVersion = 1

// ErrNewerFormat is the error (a *NewerFormatError) of every reading and
// writing of a progress file that a newer crashlab wrote: this one cannot
// read it, and must not move it aside or write over it, which would lose the
// learner's progress on their next run of the newer crashlab.
var ErrNewerFormat = errors.New("progress file written by a newer crashlab")

// NewerFormatError says which format the file has and which this build reads.
type NewerFormatError struct {
	Path  string
	Found int // the file's format version
	Known int // the newest this build reads (FormatVersion)
}

func (e *NewerFormatError) Error() string {
	return fmt.Sprintf("%s: %v (format %d, this one reads up to %d)", e.Path, ErrNewerFormat, e.Found, e.Known)
}

// Is makes errors.Is(err, ErrNewerFormat) hold.
func (e *NewerFormatError) Is(target error) bool { return target == ErrNewerFormat }

// Limits on what a progress file may claim. They exist so that a hand-edited
// or corrupted file cannot make crashlab show nonsense or act on it.
const (
	maxHints       = 1000
	maxScore       = 100
	maxDuration    = 100 * 365 * 24 * time.Hour
	maxApproachLen = 200
	maxCommands    = 200
	// maxNamePart keeps file names well under the usual 255-byte limit even
	// for long context names such as EKS ARNs.
	maxNamePart = 64
)

var (
	earliestTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	latestTime   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Entry is one scenario's progress.
//
// An attempt runs from a start to a passing fix or a give-up; the counters
// and times of the attempt (Diagnosed, DiagnosedAfter, FixedAfter, Hints,
// WrongAnswers) are cleared when the next attempt starts. Fixed, Approach,
// GivenUp and BestScore outlive the attempt: once solved, solved.
type Entry struct {
	Started   time.Time `json:"started,omitzero"`
	Diagnosed time.Time `json:"diagnosed,omitzero"`
	Fixed     time.Time `json:"fixed,omitzero"`
	// GivenUp is when the learner last gave up and asked for the explanation.
	// It is never cleared (Update keeps it): a give-up stays part of the
	// scenario's record, and every attempt started after it is scored as one
	// made after reading the cause.
	GivenUp  time.Time `json:"givenUp,omitzero"`
	Approach string    `json:"approach,omitempty"`
	Hints    int       `json:"hints,omitempty"`
	// WrongAnswers counts the wrong diagnosis answers of the attempt.
	WrongAnswers int `json:"wrongAnswers,omitempty"`
	// BestScore is the best score of a solved attempt (0 before any).
	BestScore int `json:"bestScore,omitempty"`
	// DiagnosedAfter and FixedAfter are how long after the attempt's start
	// the diagnosis first passed and the fix first passed.
	DiagnosedAfter time.Duration `json:"diagnosedAfter,omitempty"`
	FixedAfter     time.Duration `json:"fixedAfter,omitempty"`
	// Commands are the lab's own commands the learner ran in the current
	// attempt, oldest first (at most maxCommands, the latest kept): the
	// replay of an investigation shows them beside the learner's kubectl
	// requests, which the cluster's audit log holds. Feedback only: nothing
	// judges or scores them.
	Commands []Command `json:"commands,omitempty"`
}

// Command is one lab command run on a scenario, and when.
type Command struct {
	At   time.Time `json:"at"`
	Name string    `json:"name"`
}

// CommandNames are the lab commands an attempt's record keeps.
var CommandNames = []string{"start", "status", "explain", "hint", "diagnose", "check", "give-up"}

// Note records that the lab command name ran at now, in the current
// attempt's record; an unknown name is ignored.
func (e *Entry) Note(name string, now time.Time) {
	if !slices.Contains(CommandNames, name) {
		return
	}
	e.Commands = append(e.Commands, Command{At: now, Name: name})
	if n := len(e.Commands); n > maxCommands {
		e.Commands = slices.Clone(e.Commands[n-maxCommands:])
	}
}

// Done is true once the fix passed.
func (e Entry) Done() bool { return !e.Fixed.IsZero() }

// GaveUp is true once the learner gave up on the scenario.
func (e Entry) GaveUp() bool { return !e.GivenUp.IsZero() }

// AttemptOver is true when the current attempt ended: its fix passed or the
// learner gave up after it started.
func (e Entry) AttemptOver() bool {
	if e.Started.IsZero() {
		return false
	}
	return (!e.Fixed.IsZero() && !e.Fixed.Before(e.Started)) || (!e.GivenUp.IsZero() && !e.GivenUp.Before(e.Started))
}

// StartedAfterGiveUp is true when the current attempt started after the
// learner had given up on the scenario. It is ordered by the attempt's start:
// a give-up ends its attempt, so an attempt either holds the give-up or
// started after it.
func (e Entry) StartedAfterGiveUp() bool {
	return !e.GivenUp.IsZero() && e.GivenUp.Before(e.Started)
}

// GaveUpThisAttempt is true when the learner gave up during the current attempt.
func (e Entry) GaveUpThisAttempt() bool {
	return !e.GivenUp.IsZero() && !e.GivenUp.Before(e.Started)
}

// FixedThisAttempt is true when a fix passed during the current attempt.
func (e Entry) FixedThisAttempt() bool {
	return !e.Fixed.IsZero() && !e.Fixed.Before(e.Started)
}

// DiagnosedThisAttempt is true when the diagnosis passed during the current attempt.
func (e Entry) DiagnosedThisAttempt() bool {
	return !e.Diagnosed.IsZero() && !e.Diagnosed.Before(e.Started)
}

// Begin records a start at now. A first start, or one after the previous
// attempt ended, begins a new attempt and clears the attempt's counters; a
// start while an attempt is still open (the namespace deleted and the
// scenario started again) continues it, so starting over never wipes the
// hints or wrong answers an attempt has already cost.
func (e *Entry) Begin(now time.Time) {
	switch {
	case e.Started.IsZero():
		// Hints read before the first start count for it.
		e.Started = now
	case e.AttemptOver():
		e.Started, e.Diagnosed = now, time.Time{}
		e.Hints, e.WrongAnswers = 0, 0
		e.DiagnosedAfter, e.FixedAfter = 0, 0
		e.Commands = nil
	}
}

// Merge combines the entries one scenario has under two ids (its id and an
// alias it had before): the current attempt is the one started last, and
// what outlives attempts is kept from both.
func Merge(a, b Entry) Entry {
	out := a
	if b.Started.After(a.Started) {
		out = b
	}
	if b.Fixed.After(a.Fixed) {
		out.Fixed, out.Approach = b.Fixed, b.Approach
	} else {
		out.Fixed, out.Approach = a.Fixed, a.Approach
	}
	if b.GivenUp.After(a.GivenUp) {
		out.GivenUp = b.GivenUp
	} else {
		out.GivenUp = a.GivenUp
	}
	out.BestScore = max(a.BestScore, b.BestScore)
	return out
}

// Store is the progress of one learner on one cluster context.
//
// Entries is a snapshot: Update refreshes it from disk, so it also shows what
// other processes saved meanwhile. Update may be called from several
// goroutines; reading Entries while an Update runs is not safe.
type Store struct {
	// Entries maps scenario id to progress. Ids this build does not know
	// (from a newer or older catalog) are kept as they are.
	Entries map[string]Entry
	// Warning is empty, or one line saying that the progress file was
	// damaged or held invalid data, what was done about it, and where the
	// original bytes were kept. Callers should show it to the learner.
	Warning string

	dir, path, lockPath string
	context, learner    string
	mu                  sync.Mutex // serialises Update on this Store; the flock serialises processes
}

// fileV1 is the on-disk format. Context and Learner are stored so that a file
// reached by a hash collision or a copy is recognised as someone else's.
type fileV1 struct {
	Version int              `json:"version"`
	Context string           `json:"context"`
	Learner string           `json:"learner"`
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

// FileName is the progress file's name for a context and learner: a readable
// prefix, which may be the same for different pairs, made unique by a hash of
// the exact pair.
func FileName(context, learner string) string {
	name := "progress-" + shorten(safe(context))
	if learner != "" {
		name += "-" + shorten(safe(learner))
	}
	// The length prefix makes the hashed encoding unambiguous even if a name
	// contained the separator byte.
	sum := sha256.Sum256([]byte(strconv.Itoa(len(context)) + ":" + context + "\x00" + learner))
	return name + "-" + hex.EncodeToString(sum[:])[:12] + ".json"
}

// Open reads the progress of a learner on a context. A missing file is an
// empty progress. A damaged file, or one holding invalid data, is moved aside
// (never deleted), whatever could be trusted is kept, and Warning says so.
// Open returns an error when the file cannot be read or moved aside, and
// ErrNewerFormat, touching nothing, when a newer crashlab wrote it.
func Open(dir, context, learner string) (*Store, error) {
	s := &Store{
		Entries:  map[string]Entry{},
		dir:      dir,
		path:     filepath.Join(dir, FileName(context, learner)),
		context:  context,
		learner:  learner,
		lockPath: filepath.Join(dir, FileName(context, learner)+".lock"),
	}
	// Reading needs no lock: files are replaced by rename, so a reader sees
	// a whole old or a whole new file. Taking the lock only to repair keeps
	// a plain read from creating files.
	r, err := s.read()
	if err != nil {
		return nil, err
	}
	if r.clean() {
		s.Entries = r.entries
		s.Warning = r.legacyWarning
		return s, nil
	}
	unlock, err := lock(s.lockPath)
	if err != nil {
		return nil, err
	}
	defer unlock()
	entries, warning, err := s.loadLocked()
	if err != nil {
		return nil, err
	}
	s.Entries, s.Warning = entries, warning
	return s, nil
}

// Check reads the progress of a learner on a context and changes nothing,
// not even a damaged file (Open repairs that). It returns ErrNewerFormat for
// a file a newer crashlab wrote, so that a command can refuse before it
// shows the progress as empty or writes over it; other errors of reading.
func Check(dir, context, learner string) error {
	s := &Store{dir: dir, path: filepath.Join(dir, FileName(context, learner)), context: context, learner: learner}
	_, err := s.read()
	return err
}

// Path is where the store lives.
func (s *Store) Path() string { return s.path }

// Update changes one entry and saves. Under an exclusive lock it re-reads the
// file, applies fn to the entry as it is on disk, and writes the file back, so
// concurrent updates from other processes or Stores are never lost. Any read
// or write failure is returned; on error nothing of fn's change is saved.
// fn sees the entry as saved on disk, so a counter should be incremented in
// fn rather than computed from an Entries read before the call.
func (s *Store) Update(id string, fn func(*Entry)) error {
	return s.UpdateAliased(id, nil, fn)
}

// UpdateAliased is Update for a scenario that had other ids before: their
// entries are merged into id's (Merge) and removed, in the same locked
// update, so progress saved under an old id carries over.
func (s *Store) UpdateAliased(id string, aliases []string, fn func(*Entry)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A file a newer crashlab wrote is refused before the lock file is
	// created, so that refusing leaves the directory as it was; the read
	// under the lock refuses it too, should it appear meanwhile.
	if _, err := s.read(); errors.Is(err, ErrNewerFormat) {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("create progress directory: %w", err)
	}
	unlock, err := lock(s.lockPath)
	if err != nil {
		return err
	}
	defer unlock()
	entries, warning, err := s.loadLocked()
	if err != nil {
		return err
	}
	if warning != "" && !strings.Contains(s.Warning, warning) {
		s.Warning = joinWarnings(s.Warning, warning)
	}
	// Entries is replaced, not mutated, so a map a caller took earlier does
	// not change under it.
	s.Entries = entries

	next := make(map[string]Entry, len(entries)+1)
	for k, v := range entries {
		next[k] = v
	}
	e := entries[id]
	for _, a := range aliases {
		if old, ok := entries[a]; ok && a != id {
			e = Merge(e, old)
			delete(next, a)
		}
	}
	gaveUp := e.GivenUp
	fn(&e)
	// Scores of later attempts are capped by the give-up, so no update may
	// clear it or move it back and lift the cap.
	if e.GivenUp.Before(gaveUp) {
		e.GivenUp = gaveUp
	}
	fillStarted(&e)
	if _, problems := validate(e); len(problems) > 0 {
		return fmt.Errorf("progress for %q not saved: %s", id, strings.Join(problems, "; "))
	}
	next[id] = e
	if err := s.writeLocked(next); err != nil {
		return err
	}
	s.Entries = next
	return nil
}

// Entry is the progress of scenario id, merged with what was saved under
// its earlier ids (aliases), as UpdateAliased would merge it.
func (s *Store) Entry(id string, aliases ...string) Entry {
	e := s.Entries[id]
	for _, a := range aliases {
		if old, ok := s.Entries[a]; ok && a != id {
			e = Merge(e, old)
		}
	}
	return e
}

// readResult is what a progress file holds before any repair.
type readResult struct {
	exists        bool
	entries       map[string]Entry // what can be trusted
	damage        string           // why the whole file is unusable, or ""
	problems      []string         // fields or entries that were dropped or clamped
	legacyWarning string           // about a pre-version file, which is never moved
}

func (r readResult) clean() bool { return r.damage == "" && len(r.problems) == 0 }

// read parses the progress file without repairing anything. Only I/O errors
// and a file of a newer format (ErrNewerFormat) are errors; bad content is
// described in the result.
func (s *Store) read() (readResult, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s.readLegacy()
	}
	if err != nil {
		return readResult{}, fmt.Errorf("read progress %s: %w", s.path, err)
	}
	r := readResult{exists: true, entries: map[string]Entry{}}
	var f struct {
		Version *int                       `json:"version"`
		Context *string                    `json:"context"`
		Learner *string                    `json:"learner"`
		Entries map[string]json.RawMessage `json:"entries"`
	}
	switch err := json.Unmarshal(b, &f); {
	case err != nil:
		r.damage = "invalid JSON: " + err.Error()
	case f.Version == nil:
		r.damage = "no format version"
	case *f.Version > FormatVersion:
		return readResult{}, &NewerFormatError{Path: s.path, Found: *f.Version, Known: FormatVersion}
	case *f.Version != FormatVersion:
		r.damage = fmt.Sprintf("unknown format version %d", *f.Version)
	case f.Context == nil || *f.Context != s.context || f.Learner == nil || *f.Learner != s.learner:
		r.damage = fmt.Sprintf("it belongs to context %q learner %q, not %q %q", deref(f.Context), deref(f.Learner), s.context, s.learner)
	default:
		r.entries, r.problems = decodeEntries(f.Entries)
	}
	if r.damage != "" {
		r.entries = map[string]Entry{}
	}
	return r, nil
}

// readLegacy imports the file that versions before FormatVersion wrote, so
// upgrading loses no progress. That file is only ever read: its name may be
// shared by two context/learner pairs, so both may import it, as both saw it
// before. Once Update writes the new file, the old one is no longer read.
func (s *Store) readLegacy() (readResult, error) {
	r := readResult{entries: map[string]Entry{}}
	name := "progress-" + safe(s.context)
	if s.learner != "" {
		name += "-" + safe(s.learner)
	}
	path := filepath.Join(s.dir, name+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		// A legacy file is optional; failing to read one must not stop the
		// new file from working.
		if !errors.Is(err, fs.ErrNotExist) {
			r.legacyWarning = fmt.Sprintf("old progress file %s could not be read (%v); not imported", path, err)
		}
		return r, nil
	}
	var f struct {
		Entries map[string]json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		r.legacyWarning = fmt.Sprintf("old progress file %s is unreadable (%v); not imported, left in place", path, err)
		return r, nil
	}
	entries, problems := decodeEntries(f.Entries)
	r.entries = entries
	if len(problems) > 0 {
		r.legacyWarning = fmt.Sprintf("old progress file %s had invalid data (%s); imported the rest, left the file in place", path, strings.Join(problems, "; "))
	}
	return r, nil
}

// loadLocked reads the file and, if it is damaged or holds invalid data,
// moves it aside and writes back what could be trusted. The caller holds the
// lock, so no other process can write between the read and the move.
func (s *Store) loadLocked() (map[string]Entry, string, error) {
	r, err := s.read()
	if err != nil {
		return nil, "", err
	}
	if r.clean() {
		return r.entries, r.legacyWarning, nil
	}
	moved, err := moveAside(s.path)
	if err != nil {
		reason := r.damage
		if reason == "" {
			reason = strings.Join(r.problems, "; ")
		}
		return nil, "", fmt.Errorf("progress file %s is damaged (%s) and could not be moved aside: %w", s.path, reason, err)
	}
	if r.damage != "" {
		return r.entries, fmt.Sprintf("progress file %s was unreadable (%s); moved it to %s and started afresh", s.path, r.damage, moved), nil
	}
	// Write the salvaged entries now rather than at the next Update: a
	// read-only command would otherwise leave no file, and the next Open
	// would start empty.
	if err := s.writeLocked(r.entries); err != nil {
		return nil, "", err
	}
	return r.entries, fmt.Sprintf("progress file %s had invalid data (%s); kept the rest, the original is at %s", s.path, strings.Join(r.problems, "; "), moved), nil
}

// writeLocked writes to a temporary file in the same directory and renames
// it over the old one, so readers see the old or the new file, never half of
// one, and a crash mid-write leaves the old file intact.
func (s *Store) writeLocked(entries map[string]Entry) error {
	b, err := json.MarshalIndent(fileV1{Version: FormatVersion, Context: s.context, Learner: s.learner, Entries: entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode progress: %w", err)
	}
	b = append(b, '\n')
	tmp, err := os.CreateTemp(s.dir, ".progress-*.tmp")
	if err != nil {
		return fmt.Errorf("write progress: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op
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
	// Syncing the directory makes the rename itself survive a power loss.
	// Some filesystems refuse to sync a directory; the data is already
	// written and renamed by then, so that refusal is not worth failing for.
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// moveAside renames a damaged file to <path>.damaged-<UTC time>, never over
// an earlier one, so every damaged version stays available for recovery.
func moveAside(path string) (string, error) {
	base := path + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
	dst := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dst = base + "-" + strconv.Itoa(i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// decodeEntries decodes each entry on its own, so one bad entry costs only
// itself, and validates what it decoded.
func decodeEntries(raw map[string]json.RawMessage) (map[string]Entry, []string) {
	entries := make(map[string]Entry, len(raw))
	var problems []string
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids) // stable warning text
	for _, id := range ids {
		var e Entry
		if err := json.Unmarshal(raw[id], &e); err != nil {
			problems = append(problems, fmt.Sprintf("entry %q dropped: %v", id, err))
			continue
		}
		e, fixes := validate(e)
		for _, f := range fixes {
			problems = append(problems, fmt.Sprintf("entry %q: %s", id, f))
		}
		entries[id] = e
	}
	return entries, problems
}

// validate returns e with every field it cannot trust clamped or cleared,
// and a description of each change. Unknown scenario ids are not its concern.
func validate(e Entry) (Entry, []string) {
	var problems []string
	switch {
	case e.Hints < 0:
		problems = append(problems, fmt.Sprintf("hints %d is negative, set to 0", e.Hints))
		e.Hints = 0
	case e.Hints > maxHints:
		problems = append(problems, fmt.Sprintf("hints %d is over %d, set to %d", e.Hints, maxHints, maxHints))
		e.Hints = maxHints
	}
	for _, f := range []struct {
		name string
		n    *int
		max  int
	}{{"wrong answers", &e.WrongAnswers, maxHints}, {"best score", &e.BestScore, maxScore}} {
		switch {
		case *f.n < 0:
			problems = append(problems, fmt.Sprintf("%s %d is negative, set to 0", f.name, *f.n))
			*f.n = 0
		case *f.n > f.max:
			problems = append(problems, fmt.Sprintf("%s %d is over %d, set to %d", f.name, *f.n, f.max, f.max))
			*f.n = f.max
		}
	}
	for _, f := range []struct {
		name string
		d    *time.Duration
	}{{"diagnosedAfter", &e.DiagnosedAfter}, {"fixedAfter", &e.FixedAfter}} {
		if *f.d < 0 || *f.d > maxDuration {
			problems = append(problems, fmt.Sprintf("%s %s is out of range, dropped", f.name, *f.d))
			*f.d = 0
		}
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"started", &e.Started}, {"diagnosed", &e.Diagnosed}, {"fixed", &e.Fixed}, {"givenUp", &e.GivenUp}} {
		if !f.t.IsZero() && (f.t.Before(earliestTime) || !f.t.Before(latestTime)) {
			problems = append(problems, fmt.Sprintf("%s time %s is out of range, dropped", f.name, f.t.UTC().Format(time.RFC3339)))
			*f.t = time.Time{}
		}
	}
	if e.Started.IsZero() && (!e.Diagnosed.IsZero() || !e.Fixed.IsZero() || !e.GivenUp.IsZero()) {
		problems = append(problems, "diagnosed, fixed or given up without a start time, start set to the earliest of them")
		fillStarted(&e)
	}
	e.Commands, problems = validCommands(e.Commands, problems)
	if len(e.Approach) > maxApproachLen || strings.IndexFunc(e.Approach, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		// Approach is printed to the terminal; control characters in it
		// could rewrite the screen.
		problems = append(problems, "approach is too long or has control characters, dropped")
		e.Approach = ""
	}
	return e, problems
}

// validCommands keeps the commands with a known name and a time in range,
// the latest maxCommands of them.
func validCommands(cs []Command, problems []string) ([]Command, []string) {
	var out []Command
	dropped := 0
	for _, c := range cs {
		if !slices.Contains(CommandNames, c.Name) || c.At.Before(earliestTime) || !c.At.Before(latestTime) {
			dropped++
			continue
		}
		out = append(out, c)
	}
	if dropped > 0 {
		problems = append(problems, fmt.Sprintf("%d recorded command(s) with an unknown name or a time out of range, dropped", dropped))
	}
	if len(out) > maxCommands {
		problems = append(problems, fmt.Sprintf("%d recorded commands, over %d: the latest %d kept", len(out), maxCommands, maxCommands))
		out = out[len(out)-maxCommands:]
	}
	return out, problems
}

// fillStarted gives a diagnosed, fixed or given-up entry a start time when it has none,
// e.g. because saving the start failed; every saved entry then has one.
func fillStarted(e *Entry) {
	if !e.Started.IsZero() {
		return
	}
	for _, t := range []time.Time{e.Diagnosed, e.Fixed, e.GivenUp} {
		if !t.IsZero() && (e.Started.IsZero() || t.Before(e.Started)) {
			e.Started = t
		}
	}
}

func joinWarnings(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// safe maps a name to file-name characters. It loses information, which is
// why FileName adds a hash of the exact names.
func safe(s string) string {
	out := []rune(s)
	for i, r := range out {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			out[i] = '_'
		}
	}
	return string(out)
}

// shorten cuts a safe (thus ASCII) name part to maxNamePart bytes.
func shorten(s string) string {
	if len(s) > maxNamePart {
		return s[:maxNamePart]
	}
	return s
}
