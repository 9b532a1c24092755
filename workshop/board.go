package workshop

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

// The states a board cell shows, in the order a learner goes through them.
const (
	StateNotStarted = "not started"
	StateCrashing   = "crashing"
	StateStarted    = "started"
	StateDiagnosed  = "diagnosed"
	StateFixed      = "fixed"
	StateGivenUp    = "given up"
	// StateBrokenAgain is a fix the learner's progress records while the
	// pods the board watches are not all Ready: broken after the fix, or a
	// progress entry written by hand. The trainer sees it either way.
	StateBrokenAgain = "broken again"
	// StateTampered is an Attempt whose status someone other than the lab's
	// controller wrote: its record and score are not the lab's.
	StateTampered = "tampered"
)

// Cell is one learner's incident on the board.
type Cell struct {
	Learner  string `json:"learner"`
	Incident string `json:"incident"`
	State    string `json:"state"`
	// Pods is what the learner's pods show now: "1/2 ready, CrashLoopBackOff".
	Pods string `json:"pods"`
	// StartedAt is when the learner's attempt began (zero: not started);
	// the page counts the time spent from it while the attempt runs.
	StartedAt time.Time `json:"startedAt,omitzero"`
	// SpentSeconds is the time the attempt took once fixed (else since start,
	// at the board's last update).
	SpentSeconds int  `json:"spentSeconds"`
	Hints        int  `json:"hints"`
	WrongAnswers int  `json:"wrongAnswers"`
	Score        *int `json:"score,omitempty"`
	// AfterGiveUp is true when the learner gave up on the incident in an
	// earlier attempt (or fixed it after giving up): the trainer reads the
	// state and score knowing they are capped at ScoreCap.
	AfterGiveUp bool `json:"afterGiveUp,omitempty"`
	ScoreCap    int  `json:"scoreCap,omitempty"`
	// Looks are the learner's last few looks and writes in the attempt,
	// with their time from the page, where the lab's controller reads the
	// cluster's audit log.
	Looks []string `json:"looks,omitempty"`
}

// Board is the room at one moment.
type Board struct {
	Workshop  string    `json:"workshop"`
	Learners  []string  `json:"learners"`
	Incidents []string  `json:"incidents"`
	Cells     []Cell    `json:"cells"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Version counts the board's changes; the page shows it for a trainer
	// who wonders whether it is live.
	Version int `json:"version"`
}

// Cell returns the learner's cell of an incident.
func (b Board) Cell(learner, incident string) (Cell, bool) {
	for _, c := range b.Cells {
		if c.Learner == learner && c.Incident == incident {
			return c, true
		}
	}
	return Cell{}, false
}

// Compute builds the board from what the cluster holds: the workshop's
// incident namespaces, their pods, and the learners' progress ConfigMaps.
// It reads nothing else, so the board is as fresh as its watch cache.
func Compute(name string, namespaces []*corev1.Namespace, pods []*corev1.Pod, progressMaps []*corev1.ConfigMap, now time.Time) Board {
	b := Board{Workshop: name, UpdatedAt: now}
	entries := map[string]map[string]progress.Entry{}
	for _, cm := range progressMaps {
		e, _ := progress.Mirrored(cm)
		entries[cm.Labels[cluster.LabelLearner]] = e
	}
	podsOf := map[string][]corev1.Pod{}
	for _, p := range pods {
		podsOf[p.Namespace] = append(podsOf[p.Namespace], *p)
	}
	learners, incidents := map[string]bool{}, map[string]bool{}
	for _, ns := range namespaces {
		l, id := ns.Labels[cluster.LabelLearner], ns.Labels[cluster.LabelScenario]
		if l == "" || id == "" {
			continue
		}
		learners[l], incidents[id] = true, true
		e := entries[l][id]
		line, healthy := podstate.PodsLine(podsOf[ns.Name])
		c := cellOf(l, id, e, line, healthy, now)
		b.Cells = append(b.Cells, c)
	}
	b.Learners, b.Incidents = sortedKeys(learners), sortedKeys(incidents)
	sortCells(b.Cells)
	return b
}

// cellOf is one learner's incident from their record and what their pods
// show now (the one reading of pod state, podstate.PodsLine).
func cellOf(learner, id string, e progress.Entry, pods string, healthy bool, now time.Time) Cell {
	c := Cell{Learner: learner, Incident: id, Pods: pods, Hints: e.Hints, WrongAnswers: e.WrongAnswers, StartedAt: e.Started}
	switch lab.StatusOf(e) {
	case lab.StatusNotStarted:
		c.State = StateNotStarted
	case lab.StatusSolved:
		c.State = StateFixed
		if !healthy {
			c.State = StateBrokenAgain
		}
	case lab.StatusGivenUp:
		c.State = StateGivenUp
	case lab.StatusDiagnosed:
		c.State = StateDiagnosed
	default:
		c.State = StateStarted
		if !healthy {
			c.State = StateCrashing
		}
	}
	switch {
	case e.Done() && e.FixedAfter > 0:
		c.SpentSeconds = int(e.FixedAfter / time.Second)
	case !e.Started.IsZero():
		c.SpentSeconds = int(now.Sub(e.Started) / time.Second)
	}
	if s, ok := lab.BestScore(e); ok {
		c.Score = &s
	}
	if e.GaveUp() && c.State != StateGivenUp {
		c.AfterGiveUp, c.ScoreCap = true, lab.ScoreCap(e)
	}
	return c
}

// ComputeAttempts is the board of a workshop the lab's controller judges:
// every cell from an Attempt's status (its record, its pods line, its
// conditions), which only the controller writes. A status someone else
// wrote is shown as tampered, with no score.
func ComputeAttempts(name string, all []v1alpha1.Attempt, now time.Time) Board {
	b := Board{Workshop: name, UpdatedAt: now}
	learners, incidents := map[string]bool{}, map[string]bool{}
	for _, a := range all {
		l, id := a.Spec.Learner, a.Spec.Incident
		learners[l], incidents[id] = true, true
		healthy := meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionHealthy)
		pods := a.Status.Pods
		if pods == "" {
			pods = "not read yet"
		}
		c := cellOf(l, id, attempts.EntryOf(a.Status.Progress), pods, healthy, now)
		if inv := a.Status.Investigation; inv != nil {
			c.Looks = inv.Recent
		}
		if meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionTampered) {
			c.State, c.Score = StateTampered, nil
		}
		b.Cells = append(b.Cells, c)
	}
	b.Learners, b.Incidents = sortedKeys(learners), sortedKeys(incidents)
	sortCells(b.Cells)
	return b
}

// sortCells orders the cells by learner, then incident: rows and columns.
func sortCells(cells []Cell) {
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].Learner != cells[j].Learner {
			return cells[i].Learner < cells[j].Learner
		}
		return cells[i].Incident < cells[j].Incident
	})
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Watcher keeps the board current from a watch cache: informers on the
// workshop's namespaces, on the pods of each incident namespace, and on the
// progress ConfigMaps. Every change recomputes the board; subscribers get
// each new board at once.
type Watcher struct {
	name   string
	client kubernetes.Interface
	now    func() time.Time

	mu      sync.Mutex
	board   Board
	subs    map[chan Board]struct{}
	podInfs map[string]context.CancelFunc
	pods    map[string]cache.Store
	nsStore cache.Store
	cmStore cache.Store
	kick    chan struct{}
	// attempts, when set, is a workshop the lab's controller judges: the
	// board is drawn from its Attempts alone.
	attempts AttemptSource
}

// AttemptSource is a graded workshop's Attempts in a watch cache.
type AttemptSource interface {
	// Start fills the cache and calls changed on every change of an
	// Attempt; it returns once the cache is synced.
	Start(ctx context.Context, changed func()) error
	// Attempts lists the cached Attempts.
	Attempts() []v1alpha1.Attempt
}

// NewAttemptWatcher returns a watcher of a workshop the lab's controller
// judges, drawn from src: it reads no pods of its own (their state is in
// each Attempt's status, read by the controller).
func NewAttemptWatcher(src AttemptSource, name string) *Watcher {
	return &Watcher{name: name, attempts: src, now: time.Now, subs: map[chan Board]struct{}{}, kick: make(chan struct{}, 1)}
}

// NewWatcher returns a watcher of the workshop; Run starts it.
func NewWatcher(c kubernetes.Interface, name string) *Watcher {
	return &Watcher{name: name, client: c, now: time.Now, subs: map[chan Board]struct{}{}, podInfs: map[string]context.CancelFunc{}, pods: map[string]cache.Store{}, kick: make(chan struct{}, 1)}
}

// Run watches until ctx ends. It returns once the first board is computed
// from synced caches, or with the error that kept it from starting.
func (w *Watcher) Run(ctx context.Context) error {
	if w.attempts != nil {
		if err := w.attempts.Start(ctx, w.changed); err != nil {
			return err
		}
		w.recompute()
		go w.loop(ctx)
		return nil
	}
	if _, err := cluster.GetOwned(ctx, w.client, Namespace(w.name)); err != nil {
		return fmt.Errorf("no workshop %q on this cluster: %w", w.name, err)
	}
	sel := labels.Set(with(Labels(w.name), LabelRole, "incident")).String()
	nsf := informers.NewSharedInformerFactoryWithOptions(w.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
	nsInf := nsf.Core().V1().Namespaces().Informer()
	cmf := informers.NewSharedInformerFactoryWithOptions(w.client, 0, informers.WithNamespace(Namespace(w.name)), informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = scenarios.LabelRecord + "=progress"
	}))
	cmInf := cmf.Core().V1().ConfigMaps().Informer()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.changed() },
		UpdateFunc: func(any, any) { w.changed() },
		DeleteFunc: func(any) { w.changed() },
	}
	if _, err := nsInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { w.watchPods(ctx, o); w.changed() },
		UpdateFunc: func(_, o any) { w.changed() },
		DeleteFunc: func(o any) { w.unwatchPods(o); w.changed() },
	}); err != nil {
		return err
	}
	if _, err := cmInf.AddEventHandler(handler); err != nil {
		return err
	}
	w.nsStore, w.cmStore = nsInf.GetStore(), cmInf.GetStore()
	nsf.Start(ctx.Done())
	cmf.Start(ctx.Done())
	for typ, ok := range nsf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("watch %v: %w", typ, ctx.Err())
		}
	}
	for typ, ok := range cmf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("watch %v: %w", typ, ctx.Err())
		}
	}
	w.recompute()
	go w.loop(ctx)
	return nil
}

// watchPods starts an informer on one incident namespace's pods.
func (w *Watcher) watchPods(ctx context.Context, o any) {
	ns, ok := o.(*corev1.Namespace)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.podInfs[ns.Name]; ok {
		return
	}
	pctx, cancel := context.WithCancel(ctx)
	f := informers.NewSharedInformerFactoryWithOptions(w.client, 0, informers.WithNamespace(ns.Name))
	inf := f.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.changed() },
		UpdateFunc: func(any, any) { w.changed() },
		DeleteFunc: func(any) { w.changed() },
	})
	w.podInfs[ns.Name], w.pods[ns.Name] = cancel, inf.GetStore()
	f.Start(pctx.Done())
}

func (w *Watcher) unwatchPods(o any) {
	ns, ok := o.(*corev1.Namespace)
	if !ok {
		if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
			ns, _ = t.Obj.(*corev1.Namespace)
		}
	}
	if ns == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if cancel, ok := w.podInfs[ns.Name]; ok {
		cancel()
		delete(w.podInfs, ns.Name)
		delete(w.pods, ns.Name)
	}
}

// changed asks for a recompute; bursts of events coalesce into one.
func (w *Watcher) changed() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *Watcher) loop(ctx context.Context) {
	// A slow tick keeps the time spent moving on terminals (the page counts
	// on its own) and catches nothing the watches miss: they miss nothing.
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			w.mu.Lock()
			for ch := range w.subs {
				close(ch)
				delete(w.subs, ch)
			}
			w.mu.Unlock()
			return
		case <-w.kick:
			// Let a burst of pod events land before drawing.
			time.Sleep(50 * time.Millisecond)
			w.recompute()
		case <-tick.C:
			w.recompute()
		}
	}
}

func (w *Watcher) recompute() {
	if w.attempts != nil {
		w.publish(ComputeAttempts(w.name, w.attempts.Attempts(), w.now()))
		return
	}
	var nss []*corev1.Namespace
	for _, o := range w.nsStore.List() {
		if ns, ok := o.(*corev1.Namespace); ok {
			nss = append(nss, ns)
		}
	}
	var cms []*corev1.ConfigMap
	for _, o := range w.cmStore.List() {
		if cm, ok := o.(*corev1.ConfigMap); ok {
			cms = append(cms, cm)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var pods []*corev1.Pod
	for _, st := range w.pods {
		for _, o := range st.List() {
			if p, ok := o.(*corev1.Pod); ok {
				pods = append(pods, p)
			}
		}
	}
	w.publishLocked(Compute(w.name, nss, pods, cms, w.now()))
}

func (w *Watcher) publish(b Board) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.publishLocked(b)
}

// publishLocked makes b the board and hands it to every subscriber.
func (w *Watcher) publishLocked(b Board) {
	b.Version = w.board.Version
	if !sameCells(b, w.board) {
		b.Version++
	}
	w.board = b
	for ch := range w.subs {
		select {
		case ch <- b:
		default:
			// A slow reader gets the newest board next time: drop the stale one.
			select {
			case <-ch:
			default:
			}
			ch <- b
		}
	}
}

func sameCells(a, b Board) bool {
	if len(a.Cells) != len(b.Cells) {
		return false
	}
	for i := range a.Cells {
		x, y := a.Cells[i], b.Cells[i]
		x.SpentSeconds, y.SpentSeconds = 0, 0
		if x.Score != nil && y.Score != nil && *x.Score == *y.Score {
			x.Score, y.Score = nil, nil
		}
		if !slices.Equal(x.Looks, y.Looks) {
			return false
		}
		x.Looks, y.Looks = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// Board is the current board.
func (w *Watcher) Board() Board {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.board
}

// Subscribe returns a channel that gets the current board at once and each
// new one after; cancel ends the subscription.
func (w *Watcher) Subscribe() (<-chan Board, func()) {
	ch := make(chan Board, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	ch <- w.board
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.subs[ch]; ok {
			delete(w.subs, ch)
			close(ch)
		}
	}
}

// Text renders the board for a terminal: a row per learner, a column per
// incident.
func Text(b Board) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "crashlab workshop %s — %s (v%d)\n\n", b.Workshop, b.UpdatedAt.Local().Format("15:04:05"), b.Version)
	width := 14
	for _, id := range b.Incidents {
		width = max(width, min(len(id), 32))
	}
	fmt.Fprintf(&sb, "%-16s", "LEARNER")
	for _, id := range b.Incidents {
		fmt.Fprintf(&sb, "  %-*s", width, truncate(id, width))
	}
	sb.WriteString("\n")
	afterGiveUp := false
	for _, l := range b.Learners {
		fmt.Fprintf(&sb, "%-16s", truncate(l, 16))
		for _, id := range b.Incidents {
			c, _ := b.Cell(l, id)
			cell := c.State
			if c.AfterGiveUp {
				// A mark, not words: cells are narrow; the legend explains it.
				cell += "*"
				afterGiveUp = true
			}
			if c.State != StateNotStarted {
				cell += fmt.Sprintf(" %s", (time.Duration(c.SpentSeconds) * time.Second).String())
			}
			if c.Hints > 0 {
				cell += fmt.Sprintf(" h%d", c.Hints)
			}
			if c.Score != nil {
				cell += fmt.Sprintf(" %dpt", *c.Score)
			}
			fmt.Fprintf(&sb, "  %-*s", width, truncate(cell, width))
		}
		sb.WriteString("\n")
	}
	if afterGiveUp {
		fmt.Fprintf(&sb, "\n* after give-up: the learner has read the cause and fixes; scores at most %d\n", lab.MaxScoreAfterGiveUp)
	}
	looks := false
	for _, c := range b.Cells {
		if len(c.Looks) == 0 {
			continue
		}
		if !looks {
			sb.WriteString("\nLast looks:\n")
			looks = true
		}
		fmt.Fprintf(&sb, "  %s, %s: %s\n", c.Learner, c.Incident, strings.Join(c.Looks, " · "))
	}
	return sb.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
