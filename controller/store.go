package controller

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/progress"
)

// attemptStore is the lab service's progress store for one Attempt: every
// update is a write of the Attempt's status (applied to the status as the
// API server has it, so two writers never lose each other's change), and
// reads are of the status as last read or written.
type attemptStore struct {
	ctx   context.Context
	r     *AttemptReconciler
	key   types.NamespacedName
	mu    sync.Mutex
	entry progress.Entry
}

func newAttemptStore(ctx context.Context, r *AttemptReconciler, a *v1alpha1.Attempt) *attemptStore {
	return &attemptStore{ctx: ctx, r: r, key: types.NamespacedName{Namespace: a.Namespace, Name: a.Name}, entry: attempts.EntryOf(a.Status.Progress)}
}

// Entry is the attempt's progress; an Attempt holds one incident, so the
// id and its aliases all name it.
func (s *attemptStore) Entry(string, ...string) progress.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entry
}

// UpdateAliased applies fn to the progress in the Attempt's status as it is
// on the API server and writes it.
func (s *attemptStore) UpdateAliased(_ string, _ []string, fn func(*progress.Entry)) error {
	st, err := s.r.updateStatus(s.ctx, s.key, func(st *v1alpha1.AttemptStatus) {
		e := attempts.EntryOf(st.Progress)
		fn(&e)
		st.Progress = attempts.ProgressOf(e)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.entry = attempts.EntryOf(st.Progress)
	s.mu.Unlock()
	return nil
}
