package tui

import (
	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

type fder interface{ Fd() uintptr }

// IsTerminal reports whether stream (an *os.File, usually) is a terminal.
// Anything else (a buffer, a pipe wrapper in tests) is not.
func IsTerminal(stream any) bool {
	f, ok := stream.(fder)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Size is the terminal's width and height, or 0, 0 when stream is not a
// terminal or does not say.
func Size(stream any) (width, height int) {
	f, ok := stream.(fder)
	if !ok || !IsTerminal(stream) {
		return 0, 0
	}
	w, h, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0, 0
	}
	return w, h
}

// Fit cuts s to at most width runes (width <= 0: no limit), so that a line
// redrawn in place never wraps onto a second one.
func Fit(s string, width int) string {
	if width <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	if width == 1 {
		return string(r[:1])
	}
	return string(r[:width-1]) + "…"
}
