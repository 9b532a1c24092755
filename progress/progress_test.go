package progress

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreRoundTripsAndKeepsLearnersApart(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.Empty(t, a.Warning)
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, a.Update("oom", func(e *Entry) { e.Started = now.Add(-time.Hour); e.Diagnosed = now.Add(-time.Minute) }))
	require.NoError(t, a.Update("oom", func(e *Entry) { e.Fixed = now; e.Approach = "limit-raised"; e.Hints = 2 }))
	assert.True(t, a.Entries["oom"].Done(), "Update refreshes the Store's own Entries")

	again, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.Empty(t, again.Warning)
	got := again.Entries["oom"]
	assert.True(t, got.Done())
	assert.True(t, got.Started.Equal(now.Add(-time.Hour)))
	assert.True(t, got.Diagnosed.Equal(now.Add(-time.Minute)))
	assert.True(t, got.Fixed.Equal(now))
	assert.Equal(t, "limit-raised", got.Approach)
	assert.Equal(t, 2, got.Hints)

	bob, err := Open(dir, "kind-crashlab", "bob")
	require.NoError(t, err)
	assert.False(t, bob.Entries["oom"].Done())

	var f map[string]any
	b, err := os.ReadFile(again.Path())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &f))
	assert.Equal(t, float64(1), f["version"])
	assert.Equal(t, "kind-crashlab", f["context"])
	assert.Equal(t, "ann", f["learner"])
}

func TestOpenOfMissingStoreCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir, "c", "")
	require.NoError(t, err)
	assert.Empty(t, s.Entries)
	assert.Empty(t, s.Warning)
	assert.NoDirExists(t, dir, "listing progress must not write")
}

func TestUpdateLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "ctx/with:odd chars", "")
	require.NoError(t, err)
	require.NoError(t, s.Update("x", func(e *Entry) { e.Hints = 2 }))
	assert.ElementsMatch(t, []string{filepath.Base(s.Path()), filepath.Base(s.Path()) + ".lock"}, names(t, dir))
	assert.Regexp(t, `^progress-ctx_with_odd_chars-[0-9a-f]{12}\.json$`, filepath.Base(s.Path()))
}

func TestFileNamesDoNotCollide(t *testing.T) {
	long := strings.Repeat("x", 100)
	pairs := []struct{ context, learner string }{
		{"a-b", ""}, {"a", "b"}, // same readable prefix "progress-a-b"
		{"a", "b-c"}, {"a-b", "c"},
		{"a/b", ""}, {"a:b", ""}, {"a_b", ""}, {"a b", ""}, // all map to "a_b"
		{"ä", ""}, {"ö", ""},
		{"a", ""}, {"", "a"}, {"", ""},
		{"kind-crashlab", "ann"}, {"kind-crashlab", "Ann"},
		{long + "1", ""}, {long + "2", ""}, // differ only past the readable part
		{"a\x00b", ""}, {"a", "b\x00"}, // even the separator cannot make a pair ambiguous
	}
	dir := t.TempDir()
	seen := map[string]int{}
	for i, p := range pairs {
		name := FileName(p.context, p.learner)
		assert.Regexp(t, regexp.MustCompile(`^progress-[A-Za-z0-9._-]*-[0-9a-f]{12}\.json$`), name)
		assert.LessOrEqual(t, len(name)+len(".lock"), 200, "leaves room under the 255-byte name limit")
		if j, dup := seen[name]; dup {
			t.Errorf("%q/%q and %q/%q share %s", p.context, p.learner, pairs[j].context, pairs[j].learner, name)
		}
		seen[name] = i

		s, err := Open(dir, p.context, p.learner)
		require.NoError(t, err)
		require.NoError(t, s.Update(fmt.Sprint("s", i), func(e *Entry) { e.Hints = 1 }))
	}
	// Every pair sees only its own entry, and no file was mistaken for damaged.
	for i, p := range pairs {
		s, err := Open(dir, p.context, p.learner)
		require.NoError(t, err)
		assert.Empty(t, s.Warning)
		assert.Equal(t, map[string]Entry{fmt.Sprint("s", i): {Hints: 1}}, s.Entries, "%q/%q", p.context, p.learner)
	}
}

func TestDamagedFileIsMovedAsideWithWarning(t *testing.T) {
	valid := func(version int, context, learner string) string {
		b, _ := json.Marshal(map[string]any{"version": version, "context": context, "learner": learner, "entries": map[string]any{"oom": map[string]any{"hints": 1}}})
		return string(b)
	}
	tests := []struct {
		name, content, reason string
	}{
		{"truncated JSON", `{"version":1,"con`, "invalid JSON"},
		{"not JSON", "\x00\x01garbage", "invalid JSON"},
		{"entries not an object", `{"version":1,"context":"c","learner":"ann","entries":[]}`, "invalid JSON"},
		{"no version (old format at new name)", `{"entries":{"oom":{"hints":1}}}`, "no format version"},
		{"negative version", valid(-1, "c", "ann"), "unknown format version -1"},
		{"version zero", valid(0, "c", "ann"), "unknown format version 0"},
		{"wrong context", valid(1, "other", "ann"), `belongs to context "other"`},
		{"wrong learner", valid(1, "c", "bob"), `learner "bob"`},
		{"context missing", `{"version":1,"learner":"ann","entries":{}}`, "belongs to context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName("c", "ann"))
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))

			s, err := Open(dir, "c", "ann")
			require.NoError(t, err)
			assert.Empty(t, s.Entries)
			moved := damagedCopies(t, path)
			require.Len(t, moved, 1)
			assert.Equal(t, tt.content, readString(t, moved[0]), "the damaged bytes are kept")
			assert.NoFileExists(t, path)
			assert.NotContains(t, s.Warning, "\n")
			assert.Contains(t, s.Warning, path)
			assert.Contains(t, s.Warning, tt.reason)
			assert.Contains(t, s.Warning, moved[0])
			assert.Contains(t, s.Warning, "started afresh")

			require.NoError(t, s.Update("oom", func(e *Entry) { e.Hints = 3 }))
			again, err := Open(dir, "c", "ann")
			require.NoError(t, err)
			assert.Empty(t, again.Warning)
			assert.Equal(t, 3, again.Entries["oom"].Hints)
		})
	}
}

// A file a newer crashlab wrote is that crashlab's to read: this one says so
// and leaves it byte for byte, with no file moved aside, written or created
// beside it, whichever way it meets the file.
func TestNewerFormatIsLeftAsItIs(t *testing.T) {
	newer := fmt.Sprintf(`{"version":%d,"context":"c","learner":"ann","entries":{"oom":{"hints":1,"streak":4}},"badges":["first-fix"]}`, FormatVersion+1)
	for _, tc := range []struct {
		name string
		// touch meets the file; a store opened before it appeared (by an
		// upgrade in another terminal) meets it only when it writes.
		touch func(dir string, before *Store) error
	}{
		{"open", func(dir string, _ *Store) error { _, err := Open(dir, "c", "ann"); return err }},
		{"check", func(dir string, _ *Store) error { return Check(dir, "c", "ann") }},
		{"update", func(_ string, before *Store) error { return before.Update("oom", func(e *Entry) { e.Hints++ }) }},
		{"update with aliases", func(_ string, before *Store) error {
			return before.UpdateAliased("oom", []string{"oom-killed"}, func(e *Entry) { e.Hints++ })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			before, err := Open(dir, "c", "ann")
			require.NoError(t, err)
			path := filepath.Join(dir, FileName("c", "ann"))
			require.NoError(t, os.WriteFile(path, []byte(newer), 0o600))
			// An mtime in the past shows any rewrite, even of the same bytes.
			past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			require.NoError(t, os.Chtimes(path, past, past))
			listing := dirNames(t, dir)

			err = tc.touch(dir, before)
			require.ErrorIs(t, err, ErrNewerFormat)
			var nf *NewerFormatError
			require.ErrorAs(t, err, &nf)
			assert.Equal(t, NewerFormatError{Path: path, Found: FormatVersion + 1, Known: FormatVersion}, *nf)

			assert.Equal(t, newer, readString(t, path), "the bytes are as the newer crashlab wrote them")
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.True(t, info.ModTime().Equal(past), "the file was not rewritten")
			assert.Equal(t, listing, dirNames(t, dir), "nothing was moved aside or created beside it")
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDamageFoundByUpdateIsMovedAsideToo(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "c", "")
	require.NoError(t, err)
	require.NoError(t, s.Update("a", func(e *Entry) { e.Hints = 1 }))
	require.NoError(t, os.WriteFile(s.Path(), []byte("{broken"), 0o600))

	require.NoError(t, s.Update("b", func(e *Entry) { e.Hints = 1 }))
	assert.Contains(t, s.Warning, "unreadable")
	moved := damagedCopies(t, s.Path())
	require.Len(t, moved, 1)
	assert.Equal(t, "{broken", readString(t, moved[0]))
	assert.Equal(t, map[string]Entry{"b": {Hints: 1}}, s.Entries)
}

func TestRepeatedDamageNeverOverwritesAnEarlierCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName("c", ""))
	for i := range 3 {
		require.NoError(t, os.WriteFile(path, []byte("{bad "+strconv.Itoa(i)), 0o600))
		_, err := Open(dir, "c", "")
		require.NoError(t, err)
	}
	var contents []string
	for _, p := range damagedCopies(t, path) {
		contents = append(contents, readString(t, p))
	}
	assert.ElementsMatch(t, []string{"{bad 0", "{bad 1", "{bad 2"}, contents)
}

func TestInvalidFieldsAreRepairedPerEntry(t *testing.T) {
	fixed := "2025-03-01T10:00:00Z"
	tests := []struct {
		name    string
		entry   string
		want    *Entry // nil: the entry is dropped
		warning string
	}{
		{"negative hints", `{"started":"` + fixed + `","hints":-3}`, &Entry{Started: ts(fixed)}, "hints -3 is negative, set to 0"},
		{"huge hints", `{"started":"` + fixed + `","hints":99999999}`, &Entry{Started: ts(fixed), Hints: 1000}, "hints 99999999 is over 1000"},
		{"hints beyond int", `{"hints":1e30}`, nil, "dropped"},
		{"hints not a number", `{"hints":"many"}`, nil, "dropped"},
		{"fixed without start", `{"fixed":"` + fixed + `"}`, &Entry{Started: ts(fixed), Fixed: ts(fixed)}, "without a start time"},
		{"time out of range", `{"started":"1970-01-01T00:00:00Z"}`, &Entry{}, "started time 1970-01-01T00:00:00Z is out of range"},
		{"far future fixed", `{"started":"` + fixed + `","fixed":"9999-01-01T00:00:00Z"}`, &Entry{Started: ts(fixed)}, "fixed time 9999"},
		{"control characters in approach", `{"started":"` + fixed + `","approach":"\u001b[2Jgotcha"}`, &Entry{Started: ts(fixed)}, "approach"},
		{"overlong approach", `{"started":"` + fixed + `","approach":"` + strings.Repeat("a", 300) + `"}`, &Entry{Started: ts(fixed)}, "approach"},
		{"negative wrong answers", `{"started":"` + fixed + `","wrongAnswers":-1}`, &Entry{Started: ts(fixed)}, "wrong answers -1 is negative"},
		{"best score over the maximum", `{"started":"` + fixed + `","fixed":"` + fixed + `","bestScore":250}`, &Entry{Started: ts(fixed), Fixed: ts(fixed), BestScore: 100}, "best score 250 is over 100"},
		{"negative time to diagnosis", `{"started":"` + fixed + `","diagnosedAfter":-5}`, &Entry{Started: ts(fixed)}, "diagnosedAfter"},
		{"given up without start", `{"givenUp":"` + fixed + `"}`, &Entry{Started: ts(fixed), GivenUp: ts(fixed)}, "without a start time"},
		{"a recorded command the lab has not", `{"started":"` + fixed + `","commands":[{"at":"` + fixed + `","name":"status"},{"at":"` + fixed + `","name":"rm -rf"}]}`,
			&Entry{Started: ts(fixed), Commands: []Command{{At: ts(fixed), Name: "status"}}}, "1 recorded command(s) with an unknown name"},
		{"a recorded command out of time", `{"started":"` + fixed + `","commands":[{"at":"1970-01-01T00:00:00Z","name":"check"}]}`, &Entry{Started: ts(fixed)}, "time out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName("c", ""))
			content := `{"version":1,"context":"c","learner":"","entries":{"bad":` + tt.entry + `,"good":{"started":"` + fixed + `","hints":2},"scenario-from-the-future":{"started":"` + fixed + `"}}}`
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))

			s, err := Open(dir, "c", "")
			require.NoError(t, err)
			assert.Contains(t, s.Warning, tt.warning)
			assert.Contains(t, s.Warning, `entry "bad"`)
			assert.NotContains(t, s.Warning, `"good"`)
			assert.NotContains(t, s.Warning, "\n")
			if tt.want == nil {
				assert.NotContains(t, s.Entries, "bad")
			} else {
				assertEntry(t, *tt.want, s.Entries["bad"])
			}
			assertEntry(t, Entry{Started: ts(fixed), Hints: 2}, s.Entries["good"])
			assert.Contains(t, s.Entries, "scenario-from-the-future", "unknown ids are kept")

			moved := damagedCopies(t, path)
			require.Len(t, moved, 1)
			assert.Equal(t, content, readString(t, moved[0]), "the original is kept")
			assert.Contains(t, s.Warning, moved[0])
			again, err := Open(dir, "c", "")
			require.NoError(t, err)
			assert.Empty(t, again.Warning, "the repaired file is written at once")
			assert.Len(t, again.Entries, len(s.Entries))
		})
	}
}

func TestUnknownScenarioIdsAreKeptWithoutWarning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName("c", "ann"))
	require.NoError(t, os.WriteFile(path, []byte(`{"version":1,"context":"c","learner":"ann","extra":true,"entries":{"retired":{"started":"2025-01-01T00:00:00Z","fixed":"2025-01-02T00:00:00Z"},"x":null}}`), 0o600))
	s, err := Open(dir, "c", "ann")
	require.NoError(t, err)
	assert.Empty(t, s.Warning)
	require.NoError(t, s.Update("oom", func(e *Entry) { e.Started = time.Now() }))
	assert.True(t, s.Entries["retired"].Done())
	assert.Contains(t, s.Entries, "x")
	assert.Contains(t, s.Entries, "oom")
	assert.Empty(t, damagedCopies(t, path))
}

func TestUpdateRefusesToSaveInvalidEntries(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "c", "")
	require.NoError(t, err)
	require.NoError(t, s.Update("a", func(e *Entry) { e.Hints = 1 }))
	err = s.Update("a", func(e *Entry) { e.Hints = -1 })
	require.ErrorContains(t, err, "negative")
	again, err := Open(dir, "c", "")
	require.NoError(t, err)
	assert.Equal(t, 1, again.Entries["a"].Hints)
	assert.Equal(t, 1, s.Entries["a"].Hints)
}

func TestUpdateFillsAMissingStartTime(t *testing.T) {
	// Callers save the start and ignore failures, so a fix may be the first
	// thing saved; the file must still be valid when read back.
	dir := t.TempDir()
	s, err := Open(dir, "c", "")
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, s.Update("a", func(e *Entry) { e.Fixed = now }))
	again, err := Open(dir, "c", "")
	require.NoError(t, err)
	assert.Empty(t, again.Warning)
	assert.True(t, again.Entries["a"].Started.Equal(now))
}

func TestOldFormatFileIsImported(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "progress-kind-crashlab-ann.json")
	old := `{"entries":{"oom":{"started":"2025-01-01T00:00:00Z","fixed":"2025-01-02T00:00:00Z","approach":"limit-raised","hints":1}}}`
	require.NoError(t, os.WriteFile(legacy, []byte(old), 0o644))

	s, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.Empty(t, s.Warning)
	assert.True(t, s.Entries["oom"].Done())
	require.NoError(t, s.Update("sleep", func(e *Entry) { e.Started = time.Now() }))

	again, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.True(t, again.Entries["oom"].Done())
	assert.Equal(t, "limit-raised", again.Entries["oom"].Approach)
	assert.Contains(t, again.Entries, "sleep")
	assert.Equal(t, old, readString(t, legacy), "the old file is left alone")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "progress-c.json"), []byte("{half"), 0o644))
	c, err := Open(dir, "c", "")
	require.NoError(t, err)
	assert.Contains(t, c.Warning, "not imported")
	assert.Equal(t, "{half", readString(t, filepath.Join(dir, "progress-c.json")))
}

func TestWriteErrorsAreReturned(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, dir string, s *Store) // makes saving impossible
	}{
		{"state directory is a file", func(t *testing.T, dir string, _ *Store) {
			require.NoError(t, os.WriteFile(dir, []byte("x"), 0o600))
		}},
		{"progress file is a directory", func(t *testing.T, dir string, s *Store) {
			require.NoError(t, os.MkdirAll(filepath.Join(s.Path(), "sub"), 0o755))
		}},
		{"lock file is a directory", func(t *testing.T, dir string, s *Store) {
			require.NoError(t, os.MkdirAll(s.Path()+".lock", 0o755))
		}},
		{"read-only directory", func(t *testing.T, dir string, _ *Store) {
			if os.Geteuid() == 0 {
				t.Skip("root ignores directory permissions")
			}
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.Chmod(dir, 0o500))
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			s, err := Open(dir, "c", "")
			require.NoError(t, err)
			tt.breakIt(t, dir, s)
			err = s.Update("a", func(e *Entry) { e.Hints = 1 })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "progress")
			assert.NotContains(t, s.Entries, "a", "a failed save is not shown as saved")
		})
	}
}

// update is what each writer does: its own id once, then the shared counter.
const sharedUpdates = 5

func update(dir, id string) error {
	s, err := Open(dir, "kind-crashlab", "ann")
	if err != nil {
		return err
	}
	if err := s.Update(id, func(e *Entry) { e.Started = time.Now() }); err != nil {
		return err
	}
	for range sharedUpdates {
		if err := s.Update("shared", func(e *Entry) { e.Hints++ }); err != nil {
			return err
		}
	}
	return nil
}

// TestConcurrentStoresLoseNothing gives every goroutine its own Store, as
// separate crashlab processes would have; each must see the others' writes.
func TestConcurrentStoresLoseNothing(t *testing.T) {
	dir := t.TempDir()
	const writers = 20
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, update(dir, fmt.Sprint("g", i)))
		}()
	}
	wg.Wait()
	s, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.Empty(t, s.Warning)
	assert.Empty(t, missing(s, "g", writers), "ids lost")
	assert.Equal(t, writers*sharedUpdates, s.Entries["shared"].Hints)
	assert.Len(t, s.Entries, writers+1)
}

func TestOneStoreSharedByGoroutines(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "c", "")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.Update("shared", func(e *Entry) { e.Hints++ }))
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, s.Entries["shared"].Hints)
}

const helperEnv = "CRASHLAB_PROGRESS_TEST_HELPER"

// TestHelperProcess is not a test: TestProcessesLoseNothing runs the test
// binary again with it to get a second process writing the same store.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("only run as a child of TestProcessesLoseNothing")
	}
	dir, id, _ := strings.Cut(spec, "|")
	require.NoError(t, update(dir, id))
}

func TestProcessesLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	const procs, goroutines = 4, 4
	var wg sync.WaitGroup
	errs := make(chan error, procs)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"="+dir+"|p"+strconv.Itoa(i))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("helper %d: %v\n%s", i, err, out)
			}
		}()
	}
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, update(dir, fmt.Sprint("g", i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := Open(dir, "kind-crashlab", "ann")
	require.NoError(t, err)
	assert.Empty(t, missing(s, "p", procs), "ids lost")
	assert.Empty(t, missing(s, "g", goroutines), "ids lost")
	assert.Equal(t, (procs+goroutines)*sharedUpdates, s.Entries["shared"].Hints)
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", "/x/state")
	d, err := DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, "/x/state", d)

	t.Setenv("CRASHLAB_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "/x/xdg")
	d, err = DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("/x/xdg", "crashlab"), d)
}

// missing lists which of prefix0..prefix<n-1> the store lacks.
func missing(s *Store, prefix string, n int) []string {
	var out []string
	for i := range n {
		if _, ok := s.Entries[prefix+strconv.Itoa(i)]; !ok {
			out = append(out, prefix+strconv.Itoa(i))
		}
	}
	return out
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func assertEntry(t *testing.T, want, got Entry) {
	t.Helper()
	assert.True(t, want.Started.Equal(got.Started), "started: want %v, got %v", want.Started, got.Started)
	assert.True(t, want.Diagnosed.Equal(got.Diagnosed), "diagnosed: want %v, got %v", want.Diagnosed, got.Diagnosed)
	assert.True(t, want.Fixed.Equal(got.Fixed), "fixed: want %v, got %v", want.Fixed, got.Fixed)
	assert.True(t, want.GivenUp.Equal(got.GivenUp), "givenUp: want %v, got %v", want.GivenUp, got.GivenUp)
	assert.Equal(t, want.Approach, got.Approach)
	assert.Equal(t, want.Hints, got.Hints)
	assert.Equal(t, want.WrongAnswers, got.WrongAnswers)
	assert.Equal(t, want.BestScore, got.BestScore)
	assert.Equal(t, want.DiagnosedAfter, got.DiagnosedAfter)
	assert.Equal(t, want.FixedAfter, got.FixedAfter)
	require.Len(t, got.Commands, len(want.Commands))
	for i := range want.Commands {
		assert.Equal(t, want.Commands[i].Name, got.Commands[i].Name)
		assert.True(t, want.Commands[i].At.Equal(got.Commands[i].At), "command %d at: want %v, got %v", i, want.Commands[i].At, got.Commands[i].At)
	}
}

func damagedCopies(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".damaged-*")
	require.NoError(t, err)
	return m
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// A file written before scores, give-ups and times existed reads as it is,
// with no warning and nothing moved aside.
func TestFilesWithoutTheNewerFieldsReadAsTheyAre(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName("c", "ann"))
	content := `{"version":1,"context":"c","learner":"ann","entries":{"oom-killed":{"started":"2025-01-01T00:00:00Z","fixed":"2025-01-02T00:00:00Z","approach":"limit-raised","hints":2}}}`
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	s, err := Open(dir, "c", "ann")
	require.NoError(t, err)
	assert.Empty(t, s.Warning)
	e := s.Entries["oom-killed"]
	assert.True(t, e.Done())
	assert.Equal(t, 2, e.Hints)
	assert.Zero(t, e.BestScore)
	assert.Zero(t, e.WrongAnswers)
	assert.False(t, e.GaveUp())
	assert.Empty(t, damagedCopies(t, path))
}

func TestBeginStartsANewAttemptOnlyAfterTheLastOneEnded(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name        string
		e           Entry
		wantStarted time.Time
		wantHints   int
	}{
		{"first start keeps the hints read before it", Entry{Hints: 1}, at(60), 1},
		{"an open attempt carries on", Entry{Started: at(0), Hints: 2, WrongAnswers: 1, Diagnosed: at(5)}, at(0), 2},
		{"after a passing fix, a new attempt", Entry{Started: at(0), Hints: 2, Fixed: at(30), BestScore: 70}, at(60), 0},
		{"after giving up, a new attempt", Entry{Started: at(0), Hints: 3, GivenUp: at(30)}, at(60), 0},
		{"a fix of an earlier attempt does not end this one", Entry{Started: at(40), Hints: 1, Fixed: at(30)}, at(40), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.e
			e.Begin(at(60))
			assert.Equal(t, tt.wantStarted, e.Started)
			assert.Equal(t, tt.wantHints, e.Hints)
			if tt.wantStarted.Equal(at(60)) && !tt.e.Started.IsZero() {
				assert.Zero(t, e.WrongAnswers)
				assert.True(t, e.Diagnosed.IsZero())
				assert.Zero(t, e.DiagnosedAfter)
				assert.Zero(t, e.FixedAfter)
			}
			assert.Equal(t, tt.e.Fixed, e.Fixed, "solved stays solved")
			assert.Equal(t, tt.e.GivenUp, e.GivenUp)
			assert.Equal(t, tt.e.BestScore, e.BestScore)
		})
	}
}

func TestUpdateAliasedCarriesAnOldIDOver(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "c", "ann")
	require.NoError(t, err)
	t0 := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, s.Update("old-name", func(e *Entry) {
		e.Started, e.Fixed, e.Approach, e.BestScore = t0.Add(-2*time.Hour), t0.Add(-time.Hour), "limit-raised", 70
	}))
	assert.True(t, s.Entry("new-name", "old-name").Done(), "read merged before any save")
	assert.False(t, s.Entry("new-name").Done())

	require.NoError(t, s.UpdateAliased("new-name", []string{"old-name"}, func(e *Entry) {
		assert.True(t, e.Done(), "fn sees the merged entry")
		e.Begin(t0)
	}))
	again, err := Open(dir, "c", "ann")
	require.NoError(t, err)
	assert.NotContains(t, again.Entries, "old-name", "the old id's entry is moved, not copied")
	e := again.Entries["new-name"]
	assert.True(t, e.Started.Equal(t0), "a new attempt")
	assert.True(t, e.Fixed.Equal(t0.Add(-time.Hour)))
	assert.Equal(t, "limit-raised", e.Approach)
	assert.Equal(t, 70, e.BestScore)
}

func TestMerge(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	older := Entry{Started: t0, Fixed: t0.Add(time.Hour), Approach: "a", BestScore: 80, Hints: 1}
	newer := Entry{Started: t0.Add(2 * time.Hour), Hints: 3, GivenUp: t0.Add(3 * time.Hour), BestScore: 40}
	for _, got := range []Entry{Merge(newer, older), Merge(older, newer)} {
		assert.Equal(t, newer.Started, got.Started, "the attempt started last is the current one")
		assert.Equal(t, 3, got.Hints)
		assert.Equal(t, older.Fixed, got.Fixed, "solved under either id is solved")
		assert.Equal(t, "a", got.Approach)
		assert.Equal(t, newer.GivenUp, got.GivenUp)
		assert.Equal(t, 80, got.BestScore, "the best of both")
	}
}

func TestStartedAfterGiveUpIsOrderedByTheAttemptsStart(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name string
		e    Entry
		want bool
	}{
		{"never given up", Entry{Started: at(0), Fixed: at(9)}, false},
		{"given up in this attempt", Entry{Started: at(0), GivenUp: at(4)}, false},
		{"given up at the attempt's very start", Entry{Started: at(0), GivenUp: at(0)}, false},
		{"started after a give-up", Entry{Started: at(10), GivenUp: at(4)}, true},
		{"solved in an attempt after a give-up", Entry{Started: at(10), GivenUp: at(4), Fixed: at(12)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.e.StartedAfterGiveUp())
			if tt.e.GaveUp() {
				assert.NotEqual(t, tt.want, tt.e.GaveUpThisAttempt(), "an attempt holds the give-up or started after it")
			}
		})
	}
}

// Later attempts are scored against a give-up, so neither a new attempt, a
// solve nor an update that clears the field takes it off the record.
func TestAGiveUpStaysOnRecord(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "c", "ann")
	require.NoError(t, err)
	t0 := time.Now().UTC().Truncate(time.Second)
	gaveUp := t0.Add(-time.Hour)
	require.NoError(t, s.Update("oom-killed", func(e *Entry) { e.Started, e.GivenUp = t0.Add(-2*time.Hour), gaveUp }))
	require.NoError(t, s.Update("oom-killed", func(e *Entry) { e.Begin(t0.Add(-30 * time.Minute)) }))
	require.NoError(t, s.Update("oom-killed", func(e *Entry) { e.Fixed, e.BestScore = t0, 50 }))
	require.NoError(t, s.Update("oom-killed", func(e *Entry) { e.GivenUp = time.Time{} }))
	require.NoError(t, s.Update("oom-killed", func(e *Entry) { e.GivenUp = gaveUp.Add(-time.Minute) }))

	again, err := Open(dir, "c", "ann")
	require.NoError(t, err)
	e := again.Entries["oom-killed"]
	assert.True(t, e.GivenUp.Equal(gaveUp), "the give-up is kept: %v", e.GivenUp)
	assert.True(t, e.StartedAfterGiveUp())
	assert.True(t, e.Done())

	// A later give-up (of a later attempt) moves it forward.
	later := t0.Add(time.Minute)
	require.NoError(t, s.Update("oom-killed", func(e *Entry) { e.GivenUp = later }))
	assert.True(t, s.Entries["oom-killed"].GivenUp.Equal(later))
}

func TestNoteKeepsTheAttemptsLabCommands(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var e Entry
	e.Begin(t0)
	e.Note("start", t0)
	e.Note("status", t0.Add(time.Minute))
	e.Note("kubectl", t0.Add(2*time.Minute))
	assert.Equal(t, []Command{{At: t0, Name: "start"}, {At: t0.Add(time.Minute), Name: "status"}}, e.Commands, "a name the lab has not is not recorded")

	for i := range 2 * maxCommands {
		e.Note("check", t0.Add(time.Duration(i)*time.Second))
	}
	require.Len(t, e.Commands, maxCommands, "the record is bounded")
	assert.Equal(t, t0.Add(time.Duration(2*maxCommands-1)*time.Second), e.Commands[len(e.Commands)-1].At, "the latest are kept")

	e.Fixed = t0.Add(time.Hour)
	e.Begin(t0.Add(2 * time.Hour))
	assert.Empty(t, e.Commands, "a new attempt starts a new record")
}
