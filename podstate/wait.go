package podstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SignatureHolds reports whether every piece of evidence holds on the facts.
func SignatureHolds(f Facts, container string, signature []string) (bool, error) {
	if !f.Found || len(f.Pods) == 0 {
		return false, nil
	}
	for _, e := range signature {
		ok, err := Evidence(f, container, e)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// ErrFailureNotShown is a wait for a failure signature that timed out.
var ErrFailureNotShown = errors.New("failure not shown")

// WaitForSignature watches the namespace's pods until the failure signature
// holds, re-reading the facts on every pod event.
func (o *Observer) WaitForSignature(ctx context.Context, t Target, signature []string, timeout time.Duration, progress func(string)) (Facts, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last Facts
	for {
		list, err := o.Client.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return last, timeoutOr(ctx, err, timeout, signature, last)
		}
		last, err = o.Observe(ctx, t)
		if err != nil {
			return last, timeoutOr(ctx, err, timeout, signature, last)
		}
		ok, err := SignatureHolds(last, t.Container, signature)
		if err != nil || ok {
			return last, err
		}
		if progress != nil {
			// Never the signature itself: it is what the learner is there to find.
			progress(fmt.Sprintf("waiting for the failure to show on %s", t.Name))
		}
		w, err := o.Client.CoreV1().Pods(t.Namespace).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			return last, timeoutOr(ctx, err, timeout, signature, last)
		}
		select {
		case <-ctx.Done():
			w.Stop()
			return last, timeoutOr(ctx, ctx.Err(), timeout, signature, last)
		case <-w.ResultChan():
		}
		w.Stop()
	}
}

func timeoutOr(ctx context.Context, err error, timeout time.Duration, signature []string, f Facts) error {
	if ctx.Err() == nil {
		return err
	}
	var seen []string
	for _, p := range f.Pods {
		seen = append(seen, p.Name+" "+p.Summary())
	}
	// The signature stays out of the error, which a learner reads (start
	// --wait --timeout 1ns must not print what the incident's failure is);
	// what the pods showed is what kubectl shows anyway.
	return fmt.Errorf("%w: the failure did not show within %s (seen: %s)", ErrFailureNotShown, timeout, strings.Join(seen, "; "))
}
