package app

import (
	"context"
	"encoding/json"
	"io"

	"github.com/crashlab/crashlab/tui"
)

// startWait shows what a long wait (check, start --wait, reset) is waiting
// for until the returned stop is called: one status line with a spinner,
// redrawn in place, when the output is a terminal; plain "... message"
// lines, each printed once, when it is not. The spinner stops with ctx too,
// so Ctrl-C never leaves it drawing. Call stop before printing the result.
func (g *globals) startWait(ctx context.Context, msg string) (stop func()) {
	out := g.textOut()
	st := tui.NewStatus(out, tui.IsTerminal(out), tui.WithWidth(func() int {
		if w, _ := tui.Size(out); w > 0 {
			return w
		}
		return 80
	}))
	g.wait = st
	st.Start(ctx, msg)
	return func() {
		st.Stop()
		g.wait = nil
	}
}

// progress receives the lab service's "waiting for ..." messages.
func (g *globals) progress(message string) {
	if g.wait != nil {
		g.wait.Set(message)
		return
	}
	g.say("... %s", message)
}

// above prints something (a warning) so that it does not land in the middle
// of a status line.
func (g *globals) above(fn func()) {
	if g.wait != nil {
		g.wait.Above(fn)
		return
	}
	fn()
}

// emitLine writes v as one line of JSON (a stream of them for a watch).
func emitLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
