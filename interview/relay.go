package interview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
)

// The relay: the candidate cannot read the attempt record, so their crashlab
// cannot judge. It creates a request ConfigMap in the incident namespace
// (label LabelRequest=<verb>, the request as JSON), and the interviewer's
// waiting process, which watches for them, judges it with its own identity
// and writes the reply into the same ConfigMap. While it works it keeps a
// sign of life and the check's latest progress line there. The candidate's
// side deletes the request when it is done or interrupted; a request
// deleted while it is judged is cancelled. Nothing in a request is ever read
// as a verdict: the interviewer only reads the verb and the answers.
const (
	// LabelRequest marks a request ConfigMap; its value is the verb.
	LabelRequest = cluster.LabelRequest
	keyRequest   = "request"
	keyState     = "state"
	keyProgress  = "progress"
	keyReply     = "reply"
	keyAlive     = "alive"
	stateWorking = "working"
	stateDone    = "done"
)

// Verbs the candidate may relay.
const (
	VerbQuestions = "questions"
	VerbDiagnose  = "diagnose"
	VerbHint      = "hint"
	VerbCheck     = "check"
	VerbStatus    = "status"
)

// Request is what the candidate asks.
type Request struct {
	Verb    string            `json:"verb"`
	Answers map[string]string `json:"answers,omitempty"`
	// All asks for every hint (hint --all).
	All bool `json:"all,omitempty"`
	// Timeout bounds check's wait for Ready pods (check --timeout).
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Reply is the interviewer's answer; exactly one of its parts is set.
type Reply struct {
	// Error is a request the interviewer could not judge, in one line.
	Error     string            `json:"error,omitempty"`
	Questions []grader.Question `json:"questions,omitempty"`
	Verdict   *grader.Verdict   `json:"verdict,omitempty"`
	Hints     *Hints            `json:"hints,omitempty"`
	Status    []podstate.Facts  `json:"status,omitempty"`
}

// Hints are the hints the candidate has seen, of Total.
type Hints struct {
	Namespace string   `json:"namespace"`
	Seen      []string `json:"seen"`
	Total     int      `json:"total"`
}

// Errors of the candidate's side, worded by the CLI.
var (
	// ErrNoInterviewer means no interviewer process took the request in
	// time: it is not running (not started yet, or the interview is over).
	ErrNoInterviewer = errors.New("no interviewer is answering")
	// ErrInterviewerGone means the interviewer took the request and then
	// stopped answering.
	ErrInterviewerGone = errors.New("the interviewer stopped answering")
	// ErrRequestDeleted means someone deleted the request before its reply.
	ErrRequestDeleted = errors.New("the request was deleted before the interviewer replied")
)

// Timing of the relay; tests shorten it.
type Timing struct {
	// Ack is how long the candidate waits for the interviewer to take a
	// request.
	Ack time.Duration
	// Alive is how often the interviewer shows it is still working on a
	// request; the candidate gives up after three missed.
	Alive time.Duration
	// Progress is the shortest time between two progress writes.
	Progress time.Duration
}

// DefaultTiming is the relay's timing on a real cluster.
var DefaultTiming = Timing{Ack: 10 * time.Second, Alive: 5 * time.Second, Progress: 500 * time.Millisecond}

// Ask creates the request in ns and waits for its reply, passing on the
// interviewer's progress lines. It watches the request (no polling). When
// ctx ends (Ctrl-C), or the wait fails, the request is deleted, which
// cancels the interviewer's work on it; ctx's error is returned then.
func Ask(ctx context.Context, c kubernetes.Interface, ns string, req Request, t Timing, onProgress func(string)) (Reply, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Reply{}, err
	}
	cm, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "crashlab-request-", Namespace: ns, Labels: map[string]string{
			LabelRequest: req.Verb, cluster.LabelManagedBy: cluster.ManagedBy}},
		Data: map[string]string{keyRequest: string(body)},
	}, metav1.CreateOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return Reply{}, ctx.Err()
		}
		return Reply{}, fmt.Errorf("send the request to the interviewer: %w", err)
	}
	defer func() {
		// Within a second, so that Ctrl-C still ends the command at once.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = c.CoreV1().ConfigMaps(ns).Delete(dctx, cm.Name, metav1.DeleteOptions{})
	}()
	return awaitReply(ctx, c, cm, t, onProgress)
}

// awaitReply watches the request until it holds a reply, the interviewer
// misses its deadlines, or ctx ends.
func awaitReply(ctx context.Context, c kubernetes.Interface, cm *corev1.ConfigMap, t Timing, onProgress func(string)) (Reply, error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var lastSign atomic.Int64 // unix nanos of the interviewer's last sign of life; 0 before it took the request
	go watchdog(wctx, cancel, &lastSign, time.Now(), t)
	sel := fields.OneTermEqualSelector("metadata.name", cm.Name).String()
	lw := &cache.ListWatch{
		ListFunc: func(o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return c.CoreV1().ConfigMaps(cm.Namespace).List(wctx, o)
		},
		WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return c.CoreV1().ConfigMaps(cm.Namespace).Watch(wctx, o)
		},
	}
	var progress, alive string
	var reply Reply
	_, err := watchtools.UntilWithSync(wctx, lw, &corev1.ConfigMap{}, nil, func(ev watch.Event) (bool, error) {
		got, ok := ev.Object.(*corev1.ConfigMap)
		if !ok || got.UID != cm.UID {
			return false, nil
		}
		if ev.Type == watch.Deleted {
			return false, ErrRequestDeleted
		}
		if got.Data[keyState] == "" {
			return false, nil
		}
		if a := got.Data[keyAlive]; a != alive || lastSign.Load() == 0 {
			alive = a
			lastSign.Store(time.Now().UnixNano())
		}
		if p := got.Data[keyProgress]; p != "" && p != progress {
			progress = p
			onProgress(p)
		}
		if got.Data[keyState] != stateDone {
			return false, nil
		}
		if err := json.Unmarshal([]byte(got.Data[keyReply]), &reply); err != nil {
			return false, fmt.Errorf("the interviewer's reply is unreadable: %w", err)
		}
		return true, nil
	})
	switch {
	case err == nil:
		return reply, nil
	case ctx.Err() != nil:
		return Reply{}, ctx.Err()
	case context.Cause(wctx) != nil && !errors.Is(context.Cause(wctx), context.Canceled):
		return Reply{}, context.Cause(wctx)
	}
	return Reply{}, err
}

// watchdog ends the wait when the interviewer does not take the request in
// t.Ack, or shows no sign of life for three t.Alive.
func watchdog(ctx context.Context, cancel context.CancelCauseFunc, lastSign *atomic.Int64, sent time.Time, t Timing) {
	tick := time.NewTicker(min(t.Ack, t.Alive) / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			last := lastSign.Load()
			switch {
			case last == 0 && now.Sub(sent) > t.Ack:
				cancel(ErrNoInterviewer)
				return
			case last != 0 && now.Sub(time.Unix(0, last)) > 3*t.Alive:
				cancel(ErrInterviewerGone)
				return
			}
		}
	}
}

// Handler judges one request with the interviewer's identity; progress
// passes a long check's lines on to the candidate. ctx ends when the
// candidate withdraws the request or the interview ends.
type Handler func(ctx context.Context, req Request, progress func(string)) Reply

// Serve watches ns for requests until ctx ends, and answers each with h in
// a goroutine of its own. It returns once the watch has stopped and every
// request under way has been answered or cancelled.
func Serve(ctx context.Context, c kubernetes.Interface, ns string, t Timing, h Handler) error {
	f := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = LabelRequest }))
	inf := f.Core().V1().ConfigMaps().Informer()
	s := &server{c: c, t: t, h: h, ctx: ctx, running: map[types.UID]context.CancelFunc{}}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.take(o) },
		DeleteFunc: func(o any) { s.withdrawn(o) },
	}); err != nil {
		return err
	}
	f.Start(ctx.Done())
	<-ctx.Done()
	f.Shutdown()
	s.wg.Wait()
	return nil
}

type server struct {
	c       kubernetes.Interface
	t       Timing
	h       Handler
	ctx     context.Context
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[types.UID]context.CancelFunc
	seen    sync.Map // UIDs of requests already taken
}

func (s *server) take(o any) {
	cm, ok := o.(*corev1.ConfigMap)
	if !ok || cm.Data[keyState] != "" {
		// A request another run already answered (or one that poses as
		// answered) is not judged again.
		return
	}
	if _, dup := s.seen.LoadOrStore(cm.UID, true); dup {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.running[cm.UID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, cm.UID)
			s.mu.Unlock()
			cancel()
		}()
		s.answer(ctx, cm)
	}()
}

func (s *server) withdrawn(o any) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	cm, ok := o.(*corev1.ConfigMap)
	if !ok {
		return
	}
	s.mu.Lock()
	cancel := s.running[cm.UID]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// answer takes the request, keeps a sign of life while h works, and writes
// the reply.
func (s *server) answer(ctx context.Context, cm *corev1.ConfigMap) {
	w := &writer{c: s.c, ns: cm.Namespace, name: cm.Name}
	if err := w.patch(ctx, map[string]string{keyState: stateWorking, keyAlive: aliveStamp()}); err != nil {
		return // withdrawn already, or the interview is ending
	}
	var req Request
	if err := json.Unmarshal([]byte(cm.Data[keyRequest]), &req); err != nil {
		w.reply(ctx, Reply{Error: "the request is unreadable: send it again with crashlab"})
		return
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(s.t.Alive)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = w.patch(ctx, map[string]string{keyAlive: aliveStamp()})
			}
		}
	}()
	p := &throttle{every: s.t.Progress, write: func(line string) { _ = w.patch(ctx, map[string]string{keyProgress: line}) }}
	r := s.h(ctx, req, p.set)
	close(done)
	if s.ctx.Err() != nil && r.Error == "" && r.Verdict == nil {
		r = Reply{Error: "the interview has ended"}
	}
	w.reply(ctx, r)
}

func aliveStamp() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// writer patches one request ConfigMap.
type writer struct {
	c        kubernetes.Interface
	ns, name string
}

func (w *writer) patch(ctx context.Context, data map[string]string) error {
	b, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return err
	}
	_, err = w.c.CoreV1().ConfigMaps(w.ns).Patch(ctx, w.name, types.MergePatchType, b, metav1.PatchOptions{})
	return err
}

// reply writes the reply even after ctx ended (the interview's end still
// reaches a waiting candidate); a request withdrawn meanwhile is gone.
func (w *writer) reply(ctx context.Context, r Reply) {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Reply{Error: err.Error()})
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.patch(wctx, map[string]string{keyState: stateDone, keyReply: string(b)}); err != nil && !apierrors.IsNotFound(err) {
		return
	}
}

// throttle passes a progress line on at most once per every; the last line
// of a burst is written when the next one comes or never (the reply follows).
type throttle struct {
	every time.Duration
	write func(string)
	mu    sync.Mutex
	last  time.Time
	line  string
}

func (t *throttle) set(line string) {
	t.mu.Lock()
	if line == t.line || time.Since(t.last) < t.every {
		t.mu.Unlock()
		return
	}
	t.line, t.last = line, time.Now()
	t.mu.Unlock()
	t.write(line)
}
