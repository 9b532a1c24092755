package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/manifoldco/promptui"

	"github.com/crashlab/crashlab/tui"
)

// Errors a prompt ends with besides an answer.
var (
	// errPromptInterrupted is Ctrl-C at a prompt: the terminal is in raw
	// mode then, so it arrives as a key, not as SIGINT. It wraps
	// context.Canceled, which the CLI reports as an interrupt (exit 130).
	errPromptInterrupted = fmt.Errorf("interrupted at a prompt: %w", context.Canceled)
	// errPromptClosed is Ctrl-D, or the end of the input.
	errPromptClosed = errors.New("input closed")
	// errTimeUp is a question's deadline passing before an answer.
	errTimeUp = errors.New("time is up")
)

// prompter asks with promptui on the CLI's own streams. Every prompt reads
// its keys from one tui.Input, so that a prompt that ended (answered, timed
// out) never swallows a key meant for the next one, and writes through
// tui.NoBell: promptui's Select rings the terminal bell on every arrow key
// (manifoldco/promptui#49).
type prompter struct {
	in  *tui.Input
	out io.Writer
}

func newPrompter(s Streams) *prompter {
	return &prompter{in: tui.NewInput(s.In), out: s.Out}
}

// choose asks for one of items and returns its index. ctx bounds the
// question: its deadline is errTimeUp.
func (p *prompter) choose(ctx context.Context, label string, items []string, cursor int) (int, error) {
	r := p.in.Reader(ctx)
	defer r.Close()
	// promptui redraws a list by counting lines: an item that wraps on the
	// terminal would leave copies of itself behind. Items too wide are
	// listed in full above, lettered, and cut in the list.
	if w, _ := tui.Size(p.out); w > 0 {
		label = tui.Fit(label, w-4)
		if wider(items, w-5) {
			fitted := make([]string, len(items))
			for i, it := range items {
				letter := string(rune('a' + i%26))
				fmt.Fprintf(p.out, "  %s) %s\n", letter, it)
				fitted[i] = tui.Fit(letter+") "+it, w-5)
			}
			items = fitted
		}
	}
	sel := promptui.Select{
		Label:     label,
		Items:     items,
		Size:      min(len(items), 12),
		CursorPos: max(0, min(cursor, len(items)-1)),
		Stdin:     r,
		Stdout:    tui.NoBell(p.out),
	}
	i, _, err := sel.Run()
	if err != nil {
		return 0, promptError(ctx, err)
	}
	return i, nil
}

// text asks for a line of text; an empty answer is asked again.
func (p *prompter) text(ctx context.Context, label string) (string, error) {
	r := p.in.Reader(ctx)
	defer r.Close()
	pr := promptui.Prompt{
		Label: label,
		Validate: func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New("type an answer")
			}
			return nil
		},
		Stdin:  r,
		Stdout: tui.NoBell(p.out),
	}
	s, err := pr.Run()
	if err != nil {
		return "", promptError(ctx, err)
	}
	return strings.TrimSpace(s), nil
}

// promptError says why a prompt ended without an answer: the question's
// context (its deadline, or the command's own interrupt) first, since a
// Reader that stopped looks like the end of the input to promptui.
func promptError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errTimeUp
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, promptui.ErrInterrupt):
		return errPromptInterrupted
	case errors.Is(err, promptui.ErrEOF), errors.Is(err, io.EOF):
		return errPromptClosed
	}
	return err
}

func wider(items []string, width int) bool {
	for _, it := range items {
		if len([]rune(it)) > width {
			return true
		}
	}
	return false
}
