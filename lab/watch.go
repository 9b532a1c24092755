package lab

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// ErrNothingToWatch means Watch was asked for every started scenario and
// none is started.
var ErrNothingToWatch = errors.New("no scenario is started")

// Sighting is what Watch sees at one moment.
type Sighting struct {
	At        time.Time
	Scenarios []WatchedScenario
	// BackoffCap is the kubelet's crashLoopBackOff.maxContainerRestartPeriod,
	// read once from the running kubelet's /configz; 0 when it could not be
	// read (not allowed on this cluster, or not reported): the kubelet's
	// messages are all there is then.
	BackoffCap time.Duration
	// Err is a read that failed this time; the watch goes on, and the next
	// change is read again.
	Err error
}

// WatchedScenario is one scenario of a Sighting.
type WatchedScenario struct {
	Scenario  string
	Namespace string
	// Started is false while the scenario has no namespace, as during a
	// reset, which deletes it and deploys it again.
	Started bool
	Facts   podstate.Facts
}

// WatchOptions tune Watch.
type WatchOptions struct {
	// ReadBackoffCap reads the back-off cap of the kubelet on a node; nil
	// reads /configz through the API server's node proxy
	// (cluster.KubeletConfigz). It is called once, for the node of the
	// first pod seen; an error leaves the cap unknown.
	ReadBackoffCap func(ctx context.Context, node string) (time.Duration, error)
	// Settle is how long a change waits for the changes that come with it
	// (a pod's status is written several times as a container restarts)
	// before the facts are read again; 200ms when zero.
	Settle time.Duration
}

// Watch sends what the lab sees of the named scenarios (each must be
// started), or of every scenario started when it is called, at once and
// then whenever a pod in their namespaces changes, until ctx ends; then it
// closes the channel. It watches the namespaces' pods with an informer,
// which lists once and then follows a watch (re-listing when the watch
// breaks): nothing is polled. The facts are read without previous logs.
func (s *Service) Watch(ctx context.Context, opts WatchOptions, ids ...string) (<-chan Sighting, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	var list []scenarios.Scenario
	if len(ids) > 0 {
		for _, id := range ids {
			sc, ns, err := s.scenarioIn(id)
			if err != nil {
				return nil, err
			}
			if err := s.requireStarted(ctx, sc.ID, ns); err != nil {
				return nil, err
			}
			list = append(list, s.played(ctx, sc, ns))
		}
	} else {
		for _, sc := range s.catalog.All() {
			ns, err := s.Namespace(sc.ID)
			if err != nil {
				return nil, err
			}
			if err := s.requireStarted(ctx, sc.ID, ns); err == nil {
				list = append(list, s.played(ctx, sc, ns))
			} else if !errors.Is(err, ErrNotStarted) && ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		if len(list) == 0 {
			return nil, ErrNothingToWatch
		}
	}
	if opts.Settle <= 0 {
		opts.Settle = 200 * time.Millisecond
	}
	if opts.ReadBackoffCap == nil {
		opts.ReadBackoffCap = kubeletBackoffCap(c)
	}
	w := &watcher{svc: s, opts: opts, changed: make(chan struct{}, 1), dirty: map[string]bool{}}
	for _, sc := range list {
		ns, _ := s.Namespace(sc.ID)
		w.items = append(w.items, WatchedScenario{Scenario: sc.ID, Namespace: ns})
		w.targets = append(w.targets, sc.Target(ns))
	}
	out := make(chan Sighting)
	go w.run(ctx, c, out)
	return out, nil
}

type watcher struct {
	svc     *Service
	opts    WatchOptions
	items   []WatchedScenario
	targets []podstate.Target

	mu      sync.Mutex
	dirty   map[string]bool // namespaces whose pods changed since the last read
	changed chan struct{}

	capRead bool
	cap     time.Duration
}

func (w *watcher) touch(ns string) {
	w.mu.Lock()
	w.dirty[ns] = true
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

func (w *watcher) run(ctx context.Context, c kubernetes.Interface, out chan<- Sighting) {
	defer close(out)
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, t := range w.targets {
		inf := podInformer(c, t.Namespace)
		ns := t.Namespace
		mark := func(any) { w.touch(ns) }
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    mark,
			UpdateFunc: func(_, o any) { mark(o) },
			DeleteFunc: mark,
		}); err != nil {
			w.send(ctx, out, Sighting{At: time.Now(), Err: err})
			return
		}
		wg.Add(1)
		go func() { defer wg.Done(); inf.RunWithContext(ctx) }()
	}
	// The first sighting is read at once; the informers' initial lists
	// mark every namespace dirty, which is read once more after it.
	for i := range w.items {
		w.read(ctx, i)
	}
	if !w.send(ctx, out, w.sighting(nil)) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.changed:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.opts.Settle):
		}
		w.mu.Lock()
		dirty := w.dirty
		w.dirty = map[string]bool{}
		w.mu.Unlock()
		var errs []error
		for i, it := range w.items {
			if dirty[it.Namespace] {
				if err := w.read(ctx, i); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if !w.send(ctx, out, w.sighting(errors.Join(errs...))) {
			return
		}
	}
}

// read refreshes one scenario's facts.
func (w *watcher) read(ctx context.Context, i int) error {
	it := &w.items[i]
	err := w.svc.requireStarted(ctx, it.Scenario, it.Namespace)
	switch {
	case errors.Is(err, ErrNotStarted):
		it.Started, it.Facts = false, podstate.Facts{Namespace: it.Namespace, ObservedAt: time.Now()}
		return nil
	case err != nil:
		return err
	}
	// No log reader: a live view does not need previous logs, and reading
	// them on every change would cost a request per container.
	f, err := (&podstate.Observer{Client: w.svc.client}).Observe(ctx, w.targets[i])
	if err != nil {
		return err
	}
	it.Started, it.Facts = true, f
	w.readCap(ctx)
	return nil
}

// readCap reads the kubelet's cap once, from the node of the first pod seen.
func (w *watcher) readCap(ctx context.Context) {
	if w.capRead {
		return
	}
	for _, it := range w.items {
		for _, p := range it.Facts.Pods {
			if p.Node == "" {
				continue
			}
			w.capRead = true
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if d, err := w.opts.ReadBackoffCap(cctx, p.Node); err == nil {
				w.cap = d
			}
			return
		}
	}
}

func (w *watcher) sighting(err error) Sighting {
	items := make([]WatchedScenario, len(w.items))
	copy(items, w.items)
	return Sighting{At: time.Now(), Scenarios: items, BackoffCap: w.cap, Err: err}
}

func (w *watcher) send(ctx context.Context, out chan<- Sighting, s Sighting) bool {
	select {
	case out <- s:
		return true
	case <-ctx.Done():
		return false
	}
}

func podInformer(c kubernetes.Interface, ns string) cache.SharedIndexInformer {
	pods := c.CoreV1().Pods(ns)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return pods.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return pods.Watch(ctx, o)
		},
	}
	return cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})
}

// kubeletBackoffCap reads the cap from the kubelet's /configz. A client
// without a REST client (the fake clientset) cannot reach a kubelet.
func kubeletBackoffCap(c kubernetes.Interface) func(context.Context, string) (time.Duration, error) {
	return func(ctx context.Context, node string) (time.Duration, error) {
		if rc, ok := c.CoreV1().RESTClient().(*rest.RESTClient); !ok || rc == nil {
			return 0, fmt.Errorf("no way to reach the kubelet of node %s", node)
		}
		cfg, err := cluster.KubeletConfigz(ctx, c, node)
		if err != nil {
			return 0, err
		}
		return cfg.MaxContainerRestartPeriod, nil
	}
}

// Retry is when the kubelet starts a container in CrashLoopBackOff again.
type Retry struct {
	// BackOff is the delay the kubelet's waiting message names ("back-off
	// 40s restarting failed container=app pod=..."), no more than the cap
	// when the cap is known.
	BackOff time.Duration
	// At is the last termination's finishedAt plus BackOff: about when the
	// kubelet tries again. Zero when the container has no last termination.
	At time.Time
	// AtCap is true when the delay has reached the kubelet's cap (known).
	AtCap bool
}

var backOffMessage = regexp.MustCompile(`back-off (\S+) restarting failed`)

// BackOff parses the delay out of a CrashLoopBackOff waiting message.
func BackOff(message string) (time.Duration, bool) {
	m := backOffMessage.FindStringSubmatch(message)
	if m == nil {
		return 0, false
	}
	d, err := time.ParseDuration(m[1])
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

// NextRetry says when the kubelet will start c again: from the back-off in
// its waiting message and its last termination's finishedAt, bounded by the
// kubelet's cap when it is known (capped > 0). ok is false when c is not
// waiting in CrashLoopBackOff or its message names no delay.
func NextRetry(c podstate.ContainerFacts, capped time.Duration) (Retry, bool) {
	if c.WaitingReason != "CrashLoopBackOff" {
		return Retry{}, false
	}
	d, ok := BackOff(c.WaitingMessage)
	if !ok {
		return Retry{}, false
	}
	r := Retry{BackOff: d}
	if capped > 0 && d >= capped {
		r.BackOff, r.AtCap = capped, true
	}
	if c.Last != nil && !c.Last.FinishedAt.IsZero() {
		r.At = c.Last.FinishedAt.Add(r.BackOff)
	}
	return r, true
}
