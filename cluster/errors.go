package cluster

import (
	"errors"
	"fmt"
)

// These errors state a fact about the cluster or the kubeconfig; what to do
// about it (which crashlab command, which flag) is the command line's to say.
var (
	// ErrClusterMissing: the lab's kind cluster has no nodes (it was never
	// created, or was deleted).
	ErrClusterMissing = errors.New("kind cluster does not exist")
	// ErrForeignNamespace: a namespace of the lab's name exists, but the
	// lab did not create it.
	ErrForeignNamespace = errors.New("namespace was not created by crashlab")
	// ErrNamespaceTaken: the namespace is the lab's, but another incident
	// or learner uses it.
	ErrNamespaceTaken = errors.New("namespace belongs to another lab deployment")
	// ErrNoCurrentContext: the kubeconfig names no current context.
	ErrNoCurrentContext = errors.New("kubeconfig has no current context")
	// ErrNoLabContext: the kubeconfig has no context of the lab's cluster.
	ErrNoLabContext = errors.New("no lab cluster in kubeconfig")
	// ErrUnreachable: the cluster of the context does not answer.
	ErrUnreachable = errors.New("cannot reach the cluster")
	// ErrOldContainerd: a node's containerd does not read per-registry
	// configuration (the cluster predates it); see OldContainerdError.
	ErrOldContainerd = errors.New("node's containerd does not read per-registry configuration")
	// ErrNoAuditLog: the cluster does not record API requests where the
	// lab can read them (an existing cluster, or a lab cluster created
	// before crashlab turned auditing on).
	ErrNoAuditLog = errors.New("cluster does not record API requests")
)

// OldContainerdError names the node whose containerd does not read the
// registry configuration, and the registry that was to be trusted.
type OldContainerdError struct {
	Node, Dir, Registry string
}

func (e *OldContainerdError) Error() string {
	return fmt.Sprintf("node %s's containerd does not read %s (the cluster was made by an older crashlab)", e.Node, e.Dir)
}

func (e *OldContainerdError) Unwrap() error { return ErrOldContainerd }

// factError is an error whose text is the fact with its data, and that
// errors.Is knows by its sentinel.
type factError struct {
	kind error
	msg  string
}

func (e *factError) Error() string { return e.msg }
func (e *factError) Unwrap() error { return e.kind }

func factf(kind error, format string, a ...any) error {
	return &factError{kind: kind, msg: fmt.Sprintf(format, a...)}
}
