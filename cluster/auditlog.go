package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster/constants"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// AuditLog streams the lab cluster's audit log: every file of it, oldest
// first (rotated files, then the current one), as JSON lines. A cluster
// whose API server writes none is ErrNoAuditLog. The caller closes the
// reader; ctx ends the read.
func (l *Lab) AuditLog(ctx context.Context) (io.ReadCloser, error) {
	cp, err := l.auditNode(ctx)
	if err != nil {
		return nil, err
	}
	// The rotated files' names carry their time (audit-<time>.log), so
	// name order is time order; the current audit.log is the newest.
	script := "cd " + AuditLogNodeDir + " && for f in $(ls audit-*.log 2>/dev/null | sort) audit.log; do cat \"$f\"; done"
	pr, pw := io.Pipe()
	cmd := cp.CommandContext(ctx, "sh", "-c", script)
	var stderr strings.Builder
	cmd.SetStdout(pw)
	cmd.SetStderr(&stderr)
	go func() {
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("read the audit log on node %s: %w (%s)", cp, err, strings.TrimSpace(stderr.String()))
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// HasAuditLog tells whether the lab's cluster records API requests: its
// control-plane node holds the audit log.
func (l *Lab) HasAuditLog(ctx context.Context) (bool, error) {
	_, err := l.auditNode(ctx)
	if errors.Is(err, ErrNoAuditLog) {
		return false, nil
	}
	return err == nil, err
}

// auditNode is the control-plane node, once it is seen to hold the log.
func (l *Lab) auditNode(ctx context.Context) (nodes.Node, error) {
	all, err := l.nodes()
	if err != nil {
		return nil, err
	}
	var cp nodes.Node
	for _, n := range all {
		if role, err := n.Role(); err == nil && role == constants.ControlPlaneNodeRoleValue {
			cp = n
			break
		}
	}
	if cp == nil {
		return nil, fmt.Errorf("kind cluster %q has no control-plane node", l.name)
	}
	if err := cp.CommandContext(ctx, "test", "-s", AuditLogNodeDir+"/"+AuditLogFile).Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("kind cluster %q: %w", l.name, ErrNoAuditLog)
	}
	return cp, nil
}
