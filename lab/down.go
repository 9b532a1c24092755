package lab

import (
	"context"

	"github.com/crashlab/crashlab/cluster"
)

// Down deletes the lab's namespaces on this context: the learner's only when
// a learner is set, every lab namespace otherwise. Namespaces the lab did not
// create are never touched. It does not wait for the namespaces to be gone.
// It returns the namespaces it deleted, also when it stops at an error.
//
// Deleting the lab's own kind cluster is not Down's job: that is the kind
// lifecycle of package cluster.
func (s *Service) Down(ctx context.Context) ([]string, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	nss, err := cluster.ListNamespaces(ctx, c, s.learner)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, ns := range nss {
		if err := cluster.DeleteNamespace(ctx, c, ns.Name, 0); err != nil {
			return deleted, err
		}
		deleted = append(deleted, ns.Name)
	}
	return deleted, nil
}
