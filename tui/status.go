package tui

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Spinner frames, drawn one after another while a wait goes on.
var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Status is what a long wait is waiting for, shown while it waits.
//
// On a terminal it is one line, redrawn in place with a spinner and the time
// waited; the line is cleared when the wait ends. Elsewhere each message is
// a plain line, "... message", printed only when it differs from the one
// before, and nothing else is ever written.
type Status struct {
	w     io.Writer
	tty   bool
	width func() int
	now   func() time.Time
	every time.Duration

	mu      sync.Mutex
	msg     string
	last    string // the last plain line printed
	began   time.Time
	frame   int
	drawn   bool
	stopped bool
	stop    chan struct{}
	exited  chan struct{}
}

// StatusOption tunes a Status; tests use them.
type StatusOption func(*Status)

// WithWidth gives the terminal's width (for cutting the line); the default
// is 80 columns.
func WithWidth(fn func() int) StatusOption { return func(s *Status) { s.width = fn } }

// WithClock replaces time.Now for the time waited.
func WithClock(now func() time.Time) StatusOption { return func(s *Status) { s.now = now } }

// WithInterval sets how often the spinner turns; 100ms by default.
func WithInterval(d time.Duration) StatusOption { return func(s *Status) { s.every = d } }

// NewStatus writes to w; tty says whether w is a terminal (see IsTerminal).
func NewStatus(w io.Writer, tty bool, opts ...StatusOption) *Status {
	s := &Status{w: w, tty: tty, width: func() int { return 80 }, now: time.Now, every: 100 * time.Millisecond}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start begins a wait: on a terminal the spinner turns until Stop or until
// ctx ends, whichever comes first, so an interrupted command never leaves it
// drawing. msg may be empty.
func (s *Status) Start(ctx context.Context, msg string) {
	s.mu.Lock()
	s.began = s.now()
	s.stop = make(chan struct{})
	s.exited = make(chan struct{})
	s.stopped = false
	s.mu.Unlock()
	if msg != "" {
		s.Set(msg)
	}
	if !s.tty {
		close(s.exited)
		return
	}
	s.mu.Lock()
	s.drawLocked()
	s.mu.Unlock()
	go s.spin(ctx, s.stop, s.exited)
}

func (s *Status) spin(ctx context.Context, stop, exited chan struct{}) {
	defer close(exited)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.clearLocked()
			s.stopped = true
			s.mu.Unlock()
			return
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.stopped {
				s.frame++
				s.drawLocked()
			}
			s.mu.Unlock()
		}
	}
}

// Set says what the wait is waiting for now.
func (s *Status) Set(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msg = msg
	if !s.tty {
		if msg != s.last {
			fmt.Fprintf(s.w, "... %s\n", msg)
			s.last = msg
		}
		return
	}
	if !s.stopped && s.stop != nil {
		s.drawLocked()
	}
}

// Above prints something (a warning) above the status line: the line is
// cleared, fn writes, and the line comes back.
func (s *Status) Above(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	fn()
	if s.tty && !s.stopped && s.stop != nil {
		s.drawLocked()
	}
}

// Stop ends the wait and clears the line; nothing is written after it
// returns. Stop may be called more than once.
func (s *Status) Stop() {
	s.mu.Lock()
	if s.stop == nil {
		s.mu.Unlock()
		return
	}
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	exited := s.exited
	s.mu.Unlock()
	<-exited
	s.mu.Lock()
	s.clearLocked()
	s.last = ""
	s.mu.Unlock()
}

func (s *Status) drawLocked() {
	elapsed := s.now().Sub(s.began).Truncate(time.Second)
	line := fmt.Sprintf("%s %s", frames[s.frame%len(frames)], formatElapsed(elapsed))
	if s.msg != "" {
		line += "  " + s.msg
	}
	fmt.Fprint(s.w, "\r\x1b[K"+Fit(line, s.width()-1))
	s.drawn = true
}

func (s *Status) clearLocked() {
	if s.tty && s.drawn {
		fmt.Fprint(s.w, "\r\x1b[K")
		s.drawn = false
	}
}

func formatElapsed(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%2ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
