package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/replay"
	"github.com/crashlab/crashlab/workshop"
)

// AuditSource is where the controller reads the audit log: the relay of
// its pod (HTTPAuditSource).
type AuditSource interface {
	Files(ctx context.Context) ([]AuditFile, error)
	ReadFrom(ctx context.Context, f AuditFile, offset int64) ([]byte, error)
}

// maxEventsPerLearner bounds what the controller keeps of one learner's
// requests: the oldest go first.
const maxEventsPerLearner = 5000

// auditTail reads the audit log as it grows and keeps the requests of
// workshop learners (their ServiceAccounts), by user. Each poll reads only
// what was written since the last one.
type auditTail struct {
	src     AuditSource
	offsets map[string]int64  // by file ID
	partial map[string][]byte // a line not yet ended, by file ID
	events  map[string][]replay.Event
	// seen counts every request kept of a user, so that a change shows even
	// when the bound drops as many as came.
	seen map[string]int
}

func newAuditTail(src AuditSource) *auditTail {
	return &auditTail{src: src, offsets: map[string]int64{}, partial: map[string][]byte{}, events: map[string][]replay.Event{}, seen: map[string]int{}}
}

// poll reads what the log's files gained since the last poll.
func (t *auditTail) poll(ctx context.Context) error {
	files, err := t.src.Files(ctx)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, f := range files {
		listed[f.ID] = true
		off := t.offsets[f.ID]
		if f.Size < off {
			// Truncated: read it again from the start.
			off, t.partial[f.ID] = 0, nil
		}
		if f.Size == off {
			continue
		}
		b, err := t.src.ReadFrom(ctx, f, off)
		if errors.Is(err, ErrRotated) {
			return nil // the next poll lists the files as they are now
		}
		if err != nil {
			return err
		}
		t.offsets[f.ID] = off + int64(len(b))
		data := append(t.partial[f.ID], b...)
		end := bytes.LastIndexByte(data, '\n')
		t.partial[f.ID] = bytes.Clone(data[end+1:])
		if end < 0 {
			continue
		}
		log, err := replay.Read(bytes.NewReader(data[:end+1]))
		if err != nil {
			return err
		}
		for _, e := range log.Events {
			t.keep(e)
		}
	}
	for id := range t.offsets {
		if !listed[id] {
			delete(t.offsets, id)
			delete(t.partial, id)
		}
	}
	return nil
}

func (t *auditTail) keep(e replay.Event) {
	user := e.Username()
	if _, ok := workshop.ParseUser(user); !ok || replay.IsLabRequest(e) {
		return
	}
	evs := append(t.events[user], e)
	if n := len(evs); n > maxEventsPerLearner {
		evs = append([]replay.Event(nil), evs[n-maxEventsPerLearner:]...)
	}
	t.events[user] = evs
	t.seen[user]++
}

// investigations keeps every started Attempt's investigation in its
// status, from the audit log, as the learner's work goes on.
type investigations struct {
	r     *AttemptReconciler
	tail  *auditTail
	every time.Duration
	// last is what each Attempt's investigation was computed from.
	last map[types.NamespacedName]string
}

// recentLooks is how many of the learner's last looks the board shows.
const recentLooks = 3

// NeedLeaderElection: only the controller that judges writes statuses.
func (iv *investigations) NeedLeaderElection() bool { return true }

// Start polls the log and updates the investigations until ctx ends.
func (iv *investigations) Start(ctx context.Context) error {
	logger := ctrl.Log.WithName("investigations")
	tick := time.NewTicker(iv.every)
	defer tick.Stop()
	for {
		if err := iv.once(ctx); err != nil && ctx.Err() == nil {
			logger.Error(err, "the audit log was not read")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (iv *investigations) once(ctx context.Context) error {
	if err := iv.tail.poll(ctx); err != nil {
		return err
	}
	var list v1alpha1.AttemptList
	if err := iv.r.Client.List(ctx, &list); err != nil {
		return err
	}
	var errs []error
	for i := range list.Items {
		a := &list.Items[i]
		if attempts.EntryOf(a.Status.Progress).Started.IsZero() {
			continue
		}
		key := types.NamespacedName{Namespace: a.Namespace, Name: a.Name}
		user := learnerUser(a)
		progress, _ := json.Marshal(a.Status.Progress)
		from := fmt.Sprintf("%d %s", iv.tail.seen[user], progress)
		if iv.last[key] == from && a.Status.Investigation != nil {
			continue
		}
		inv, err := iv.investigation(ctx, a, user)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		if _, err := iv.r.updateStatus(ctx, key, func(st *v1alpha1.AttemptStatus) { st.Investigation = inv }); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		iv.last[key] = from
	}
	return errors.Join(errs...)
}

// learnerUser is the user name of the Attempt's learner (their
// ServiceAccount in the workshop's namespace), as the audit log has it.
func learnerUser(a *v1alpha1.Attempt) string {
	return serviceaccount.MakeUsername(a.Namespace, a.Spec.Learner)
}

// investigation replays the learner's requests with the lab service, as
// `crashlab replay` does on the lab's own cluster.
func (iv *investigations) investigation(ctx context.Context, a *v1alpha1.Attempt, user string) (*v1alpha1.Investigation, error) {
	svc, err := iv.r.service(newAttemptStore(ctx, iv.r, a), a, lab.WithAuditUser(user))
	if err != nil {
		return nil, err
	}
	r, err := svc.ReplayFor(ctx, a.Spec.Incident, lab.ReplayOptions{Log: &replay.Log{Events: iv.tail.events[user]}})
	if err != nil {
		return nil, err
	}
	return investigationOf(r)
}

// investigationOf is a replay as an Attempt's status holds it. The
// requests under each entry are left out: the entry says what they did,
// and a status has a size limit.
func investigationOf(r lab.Replay) (*v1alpha1.Investigation, error) {
	n := r.Timeline.Count()
	out := &v1alpha1.Investigation{Looks: int32(n.Looks), Writes: int32(n.Writes)}
	var recent []string
	for i := range r.Timeline.Entries {
		e := &r.Timeline.Entries[i]
		e.Requests = nil
		if e.Source != replay.SourceLab {
			recent = append(recent, "+"+e.Since.Round(time.Second).String()+" "+e.Command)
		}
	}
	if n := len(recent); n > recentLooks {
		recent = recent[n-recentLooks:]
	}
	out.Recent = recent
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	out.Replay = string(b)
	return out, nil
}
