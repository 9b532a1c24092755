package tui

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Screen shows a block of lines that changes over time (a live table).
//
// On a terminal each Draw replaces the block the previous one drew, in
// place, with lines cut to the terminal's width so that none wraps. Elsewhere
// a Draw appends its header and lines, and only when the lines differ from
// the last ones appended: a log of changes, with no escape codes.
type Screen struct {
	w    io.Writer
	tty  bool
	size func() (int, int)
	n    int      // lines drawn on the terminal by the last Draw
	last []string // lines of the last Draw
}

// NewScreen writes to w; tty says whether w is a terminal. size returns the
// terminal's width and height (0 when unknown), e.g. func() (int, int) {
// return Size(os.Stdout) }; nil means 80x24.
func NewScreen(w io.Writer, tty bool, size func() (int, int)) *Screen {
	if size == nil {
		size = func() (int, int) { return 80, 24 }
	}
	return &Screen{w: w, tty: tty, size: size}
}

// Draw shows header (a line saying when, for the plain log; may be empty)
// and lines. It reports whether anything was written.
func (s *Screen) Draw(header string, lines []string) bool {
	if !s.tty {
		if s.last != nil && slices.Equal(lines, s.last) {
			return false
		}
		s.last = slices.Clone(lines)
		if s.last == nil {
			s.last = []string{}
		}
		var b strings.Builder
		if header != "" {
			b.WriteString(header + "\n")
		}
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		fmt.Fprint(s.w, b.String())
		return true
	}
	width, height := s.size()
	if width <= 0 {
		width = 80
	}
	all := lines
	if header != "" {
		all = append([]string{header}, lines...)
	}
	var b strings.Builder
	switch {
	case s.n == 0:
	case height > 0 && s.n >= height:
		// The last block did not fit: the cursor cannot go back to its top.
		b.WriteString("\x1b[H\x1b[2J")
	default:
		fmt.Fprintf(&b, "\x1b[%dA\r\x1b[J", s.n)
	}
	for _, l := range all {
		b.WriteString(Fit(l, width-1) + "\n")
	}
	fmt.Fprint(s.w, b.String())
	s.n = len(all)
	s.last = slices.Clone(lines)
	return true
}
