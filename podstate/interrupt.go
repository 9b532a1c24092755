package podstate

import (
	"context"
	"errors"
	"fmt"
)

// ErrInterrupted means a wait ended because the caller's context did (Ctrl-C,
// SIGTERM, the command's own deadline), not because of anything the cluster
// did. Such a wait proves nothing: it is never reported as a pass, and never as
// a timeout that did not happen.
var ErrInterrupted = errors.New("interrupted")

// Interrupted wraps the context's own error too, so that errors.Is finds
// context.Canceled or context.DeadlineExceeded as well as ErrInterrupted.
func Interrupted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
}
