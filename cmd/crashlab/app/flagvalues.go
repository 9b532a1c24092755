package app

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/crashlab/crashlab/workshop"
)

// Numeric and duration flags whose range is checked while the command line
// is parsed: a value out of range (or one that overflows its type) is a
// usage error of one line, before any command runs, let alone connects.
// pflag's own int, uint64 and duration flags would pass strconv's and
// time's texts through ("strconv.ParseUint: parsing "-1": invalid syntax"),
// and accept values that overflow later (seconds × time.Second).

// intRange is an int flag that accepts min..max; bound, when set, says
// where the range comes from ("the primer's pages").
type intRange struct {
	p        *int
	min, max int
	bound    string
}

func (v *intRange) String() string { return strconv.Itoa(*v.p) }
func (v *intRange) Type() string   { return "int" }
func (v *intRange) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < int64(v.min) || n > int64(v.max) {
		if v.bound != "" {
			return fmt.Errorf("must be a whole number from %d to %d (%s)", v.min, v.max, v.bound)
		}
		return fmt.Errorf("must be a whole number from %d to %d", v.min, v.max)
	}
	*v.p = int(n)
	return nil
}

// intRangeVar defines an int flag that takes min..max; bound says where
// max comes from, or is empty.
func intRangeVar(fs *pflag.FlagSet, p *int, name string, value, min, max int, bound, usage string) {
	*p = value
	fs.Var(&intRange{p: p, min: min, max: max, bound: bound}, name, usage)
}

// seedValue is a uint64 seed: any whole number a uint64 holds.
type seedValue struct{ p *uint64 }

func (v seedValue) String() string { return strconv.FormatUint(*v.p, 10) }
func (v seedValue) Type() string   { return "uint" }
func (v seedValue) Set(s string) error {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return fmt.Errorf("must be a whole number from 0 to %d", uint64(math.MaxUint64))
	}
	*v.p = n
	return nil
}

func seedVar(fs *pflag.FlagSet, p *uint64, name, usage string) {
	*p = 0
	fs.Var(seedValue{p}, name, usage)
}

// durationRange is a duration flag that takes min..max; both are written in
// the message, so the learner sees the range and the form (90s, 8h).
type durationRange struct {
	p        *time.Duration
	min, max time.Duration
	// bound, when set, is how the message writes max.
	bound string
}

func (v *durationRange) String() string { return v.p.String() }
func (v *durationRange) Type() string   { return "duration" }
func (v *durationRange) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil || d < v.min || d > v.max:
		if v.max == maxDuration {
			return fmt.Errorf("must be a duration of at least %s, like 90s, 10m or 2h", shortDuration(v.min))
		}
		if v.bound != "" {
			return fmt.Errorf("must be a duration from %s to %s, like 90s, 10m or 2h", shortDuration(v.min), v.bound)
		}
		return fmt.Errorf("must be a duration from %s to %s, like 90s, 10m or 2h", shortDuration(v.min), shortDuration(v.max))
	}
	*v.p = d
	return nil
}

func durationRangeVar(fs *pflag.FlagSet, p *time.Duration, name string, value, min, max time.Duration, usage string) {
	*p = value
	fs.Var(&durationRange{p: p, min: min, max: max}, name, usage)
}

// tokenExpiryVar is a token lifetime flag: the API server's own range,
// whose top (2^32 s, some 136 years) is said by its source, not in hours.
func tokenExpiryVar(fs *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(&durationRange{p: p, min: workshop.MinExpiry, max: workshop.MaxExpiry, bound: "2^32 seconds (the API server's range for a token)"}, name, usage)
}

// shortDuration drops time.Duration's trailing zero units: 10m, not 10m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Bounds that come from Go's types, not from choice: a time.Duration holds
// at most math.MaxInt64 nanoseconds (about 292 years).
const (
	maxDuration = time.Duration(math.MaxInt64)
	// maxSeconds is the most whole seconds a time.Duration holds.
	maxSeconds = int(math.MaxInt64 / int64(time.Second))
)

// flagError turns pflag's errors into one line that names the flag, the
// value, and what it takes, without strconv's or time's words.
func flagError(err error) error {
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		f := invalid.GetFlag()
		cause := errors.Unwrap(invalid)
		// pflag's own types (bool, string slices) say strconv's words; our
		// types above already say what the flag takes.
		switch f.Value.Type() {
		case "bool":
			cause = errors.New("must be true or false")
		case "stringSlice":
			cause = errors.New("must be a comma-separated list")
		}
		return usageError{fmt.Errorf("--%s %s: %v", f.Name, invalid.GetValue(), cause)}
	}
	return usageError{err}
}
