package app

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/tui"
)

type statusFlags struct {
	watch bool
}

func newStatusCommand(g *globals) *cobra.Command {
	flags := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status [<id>]",
		Short: "Show what the lab sees per pod: phase, waiting reason, restarts, last exit, ready",
		Long: "Shows what the lab sees per pod of one started scenario, or of every started one.\n\n" +
			"With --watch it stays, and shows the view again whenever a pod changes (it watches the namespace's pods; nothing is polled), " +
			"with the kubelet's back-off per container and when it will try again: the delay from the waiting message " +
			"(\"back-off 40s restarting failed container=...\") added to the last termination's finishedAt, within the kubelet's cap " +
			"(crashLoopBackOff.maxContainerRestartPeriod, read once from its /configz where that is allowed). " +
			"On a terminal the view is redrawn in place and counts down; otherwise a block is appended only when something changed. Ctrl-C ends it.",
		Args:              idArgs(g, cobra.MaximumNArgs(1), "status"),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.interviewContext() != "" {
				if flags.watch {
					return usageError{errors.New("status --watch is not relayed in an interview: run `crashlab status` again, or watch with `kubectl get pods -w`")}
				}
				return runInterviewStatus(cmd.Context(), g)
			}
			if flags.watch {
				return runStatusWatch(cmd.Context(), g, args)
			}
			return runStatus(cmd.Context(), g, args)
		},
	}
	cmd.Flags().BoolVarP(&flags.watch, "watch", "w", false, "stay and show every change, with the back-off and the next try per container")
	return cmd
}

// runStatus shows one scenario, which must be started, or every started one.
func runStatus(ctx context.Context, g *globals, ids []string) error {
	svc, err := g.connect(ctx, ids...)
	if err != nil {
		return err
	}
	seen, err := svc.Status(ctx, ids...)
	if err != nil {
		if len(ids) == 1 {
			return advise(err, ids[0])
		}
		return err
	}
	if g.json() {
		// One Facts per started scenario; JSON null when none is started.
		var all []podstate.Facts
		for _, s := range seen {
			all = append(all, s.Facts)
		}
		return g.emit(all)
	}
	for _, s := range seen {
		content.Status(g.streams.Out, s.Scenario, s.Facts)
	}
	if len(seen) == 0 {
		g.say(noneStarted)
	}
	return nil
}

const noneStarted = "No scenario is started. `crashlab list` shows them; `crashlab start <id>` starts one."

// runStatusWatch follows the pods until Ctrl-C, which ends it like any
// interrupt (exit 130).
func runStatusWatch(ctx context.Context, g *globals, ids []string) error {
	svc, err := g.connect(ctx, ids...)
	if err != nil {
		return err
	}
	sightings, err := svc.Watch(ctx, lab.WatchOptions{}, ids...)
	switch {
	case errors.Is(err, lab.ErrNothingToWatch):
		g.say(noneStarted)
		return nil
	case err != nil:
		if len(ids) == 1 {
			return advise(err, ids[0])
		}
		return err
	}
	w := &statusWatcher{g: g, tty: !g.json() && tui.IsTerminal(g.streams.Out), now: time.Now}
	w.screen = tui.NewScreen(g.streams.Out, w.tty, func() (int, int) { return tui.Size(g.streams.Out) })
	return w.follow(ctx, sightings, nil)
}

// statusWatcher draws sightings: in place with a countdown on a terminal,
// as appended blocks (or JSON lines) elsewhere.
type statusWatcher struct {
	g      *globals
	tty    bool
	now    func() time.Time
	screen *tui.Screen
	last   *lab.Sighting
}

// follow draws every sighting until the channel closes or ctx ends; tick,
// when not nil, replaces the terminal's one-second countdown ticker.
func (w *statusWatcher) follow(ctx context.Context, sightings <-chan lab.Sighting, tick <-chan time.Time) error {
	if w.tty && tick == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case s, ok := <-sightings:
			if !ok {
				return ctx.Err()
			}
			w.last = &s
			if err := w.draw(); err != nil {
				return err
			}
		case <-tick:
			if w.last != nil {
				if err := w.draw(); err != nil {
					return err
				}
			}
		}
	}
}

func (w *statusWatcher) draw() error {
	s := *w.last
	if w.g.json() {
		return w.emitJSON(s)
	}
	now := w.now()
	var rows []content.LiveRow
	for _, ws := range s.Scenarios {
		rows = append(rows, content.LiveRows(ws.Scenario, ws.Namespace, ws.Started, ws.Facts, func(c podstate.ContainerFacts) (string, string) {
			r, ok := lab.NextRetry(c, s.BackoffCap)
			if !ok {
				return "", ""
			}
			return content.LiveBackOff(r.BackOff, r.AtCap), content.LiveNextTry(r.At, now, w.tty)
		})...)
	}
	lines := content.LiveTable(rows)
	if s.Err != nil {
		// In the block, not on stderr: a line printed beside it would throw
		// the in-place redraw off.
		lines = append(lines, "! reading the pods failed: "+firstLine(withAdvice(s.Err).Error())+" (the watch goes on)")
	}
	w.screen.Draw(content.LiveHeader(now, s.BackoffCap, w.tty), lines)
	return nil
}

// liveJSON is one line of `status --watch -o json`.
type liveJSON struct {
	ObservedAt time.Time       `json:"observedAt"`
	Error      string          `json:"error,omitempty"`
	BackoffCap string          `json:"backoffCap,omitempty"`
	Scenarios  []liveScenario  `json:"scenarios"`
	Retries    []liveRetryJSON `json:"retries,omitempty"`
}

type liveScenario struct {
	Scenario string         `json:"scenario"`
	Started  bool           `json:"started"`
	Facts    podstate.Facts `json:"facts"`
}

type liveRetryJSON struct {
	Scenario  string    `json:"scenario"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	BackOff   string    `json:"backOff"`
	NextTry   time.Time `json:"nextTry,omitzero"`
	AtCap     bool      `json:"atCap,omitempty"`
}

// emitJSON writes one compact JSON object per sighting, so that a script
// reads the stream line by line.
func (w *statusWatcher) emitJSON(s lab.Sighting) error {
	out := liveJSON{ObservedAt: s.At}
	if s.Err != nil {
		out.Error = s.Err.Error()
	}
	if s.BackoffCap > 0 {
		out.BackoffCap = s.BackoffCap.String()
	}
	for _, ws := range s.Scenarios {
		out.Scenarios = append(out.Scenarios, liveScenario{Scenario: ws.Scenario, Started: ws.Started, Facts: ws.Facts})
		for _, p := range ws.Facts.Pods {
			for _, c := range p.Containers {
				if r, ok := lab.NextRetry(c, s.BackoffCap); ok {
					out.Retries = append(out.Retries, liveRetryJSON{Scenario: ws.Scenario, Pod: p.Name, Container: c.Name, BackOff: r.BackOff.String(), NextTry: r.At, AtCap: r.AtCap})
				}
			}
		}
	}
	return emitLine(w.g.streams.Out, out)
}
