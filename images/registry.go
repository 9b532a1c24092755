package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryRepository is where the lab's images live in a registry:
// REGISTRY/crashlab/workload, with the same tags as on the nodes.
const RegistryRepository = "crashlab/workload"

// labHost is the registry part of the lab's own image names: a name no
// registry answers to, replaced by the registry's host when there is one.
const labHost = "crashlab.local/"

// RefInRegistry returns ref (one of this package's names,
// crashlab.local/NAME:TAG) as it is named in registry (host[:port], or
// host[:port]/path): REGISTRY/crashlab/NAME:TAG, same tag.
//
// A ref already named in a registry is returned as it is: the lab names its
// images in the registry once (lab.deployImages) and then asks the registry
// for them (MissingInRegistry), and naming them twice would ask for
// REGISTRY/crashlab/REGISTRY/crashlab/... (found by the e2e suite).
func RefInRegistry(ref, registry string) string {
	rest, ok := strings.CutPrefix(ref, labHost)
	if !ok {
		return ref
	}
	return strings.TrimSuffix(registry, "/") + "/crashlab/" + rest
}

// InRegistry returns the image as it is named in registry: same content,
// same tag.
func InRegistry(img Image, registry string) Image {
	img.Ref = RefInRegistry(img.Ref, registry)
	return img
}

// Errors of ValidateRegistry; the caller words what to do.
var (
	// ErrRegistryURL is a registry given as a URL (http://…) or not at all.
	ErrRegistryURL = errors.New("a registry is a host, not a URL")
	// ErrNotARegistry is a name that does not start with a registry host:
	// "team" alone would mean Docker Hub's repository team/….
	ErrNotARegistry = errors.New("not a registry host")
)

// ValidateRegistry refuses what cannot prefix an image name as its registry
// (host[:port], or host[:port]/path), parsed as go-containerregistry parses
// the images' names.
func ValidateRegistry(registry string) error {
	if registry == "" || strings.Contains(registry, "://") {
		return fmt.Errorf("%w: %q", ErrRegistryURL, registry)
	}
	repo, err := name.NewRepository(strings.TrimSuffix(registry, "/")+"/"+RegistryRepository, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotARegistry, err)
	}
	host, _, _ := strings.Cut(registry, "/")
	reg, err := name.NewRegistry(host, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotARegistry, err)
	}
	// Without a dot, a port or "localhost" the first part is a path on
	// Docker Hub, not a host: the nodes would pull from somewhere else.
	if repo.RegistryStr() != reg.RegistryStr() {
		return fmt.Errorf("%w: %q would be a path on %s", ErrNotARegistry, host, repo.RegistryStr())
	}
	return nil
}

// DefaultTimeout is how long a registry may take to answer one request
// before the lab gives up on it. It bounds the wait for an answer (the
// connection, the TLS handshake, the response's first bytes after the
// request was sent), not a transfer: a slow upload is never cut short.
const DefaultTimeout = 30 * time.Second

// Remote is how the lab talks to a registry.
type Remote struct {
	// Insecure: go-containerregistry speaks plain HTTP to localhost and to
	// private (RFC 1918) addresses, which is where a room's registry runs;
	// Insecure extends that to any host.
	Insecure bool
	// Timeout is DefaultTimeout when zero.
	Timeout time.Duration
}

func (o Remote) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// NotAnsweringError says a registry did not answer: it took longer than
// the timeout, or nothing accepted the connection.
type NotAnsweringError struct {
	Registry string
	// Timeout is set when the registry took longer than it.
	Timeout time.Duration
	// Err is the connection's error when it failed outright.
	Err error
}

func (e *NotAnsweringError) Error() string {
	switch {
	case e.Timeout > 0:
		return fmt.Sprintf("registry %s did not answer within %s", e.Registry, e.Timeout)
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return fmt.Sprintf("registry %s did not answer: connection refused", e.Registry)
	}
	return fmt.Sprintf("registry %s did not answer: %v", e.Registry, e.Err)
}

func (e *NotAnsweringError) Unwrap() error { return e.Err }

// session is one operation's connection to a registry: its transport
// bounds every wait for an answer, and remembers why a request got none,
// whatever go-containerregistry wraps the error in.
type session struct {
	registry string
	opts     Remote
	next     http.RoundTripper

	mu       sync.Mutex
	timedOut bool
	dialErr  error
}

func newSession(registry string, opts Remote) *session {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	d := opts.timeout()
	t.DialContext = (&net.Dialer{Timeout: d, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = d
	t.ResponseHeaderTimeout = d
	return &session{registry: registry, opts: opts, next: t}
}

func (s *session) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	if err != nil && req.Context().Err() == nil {
		var ne net.Error
		var op *net.OpError
		s.mu.Lock()
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			s.timedOut = true
		case errors.As(err, &op) && op.Op == "dial":
			s.dialErr = op.Err
		}
		s.mu.Unlock()
	}
	return resp, err
}

func (s *session) options(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(s),
		remote.WithRetryPredicate(retryable),
	}
}

// retryable is go-containerregistry's default retry predicate, except that
// a request that timed out is not tried again: a registry that does not
// answer would otherwise cost the timeout three times over.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary() ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

func (s *session) tag(ref string) (name.Tag, error) {
	var opts []name.Option
	if s.opts.Insecure {
		opts = append(opts, name.Insecure)
	}
	return name.NewTag(ref, opts...)
}

// explain replaces err by a NotAnsweringError when the registry gave no
// answer, so that the message names the registry instead of a URL.
func (s *session) explain(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.timedOut:
		return &NotAnsweringError{Registry: s.registry, Timeout: s.opts.timeout(), Err: err}
	case s.dialErr != nil:
		return &NotAnsweringError{Registry: s.registry, Err: s.dialErr}
	}
	return err
}

// Push writes imgs into registry under InRegistry's names and returns those
// names. An image already there with the same digest is not sent again.
func Push(ctx context.Context, registry string, imgs []Image, opts Remote, progress func(ref string)) ([]string, error) {
	if err := ValidateRegistry(registry); err != nil {
		return nil, err
	}
	var out []string
	for _, im := range imgs {
		if im.img == nil {
			return out, fmt.Errorf("push %s: image was not built by this package", im.Ref)
		}
		ref := RefInRegistry(im.Ref, registry)
		s := newSession(registry, opts)
		tag, err := s.tag(ref)
		if err != nil {
			return out, fmt.Errorf("push %s: %w", ref, err)
		}
		progress(ref)
		if err := remote.Write(tag, im.img, s.options(ctx)...); err != nil {
			return out, pushError(ref, s.explain(err))
		}
		out = append(out, ref)
	}
	return out, nil
}

// PushIndex writes a multi-platform image (crashlab's own) into registry
// under its name there, and returns that name.
func PushIndex(ctx context.Context, registry string, x Index, opts Remote, progress func(ref string)) (string, error) {
	if err := ValidateRegistry(registry); err != nil {
		return "", err
	}
	if x.idx == nil {
		return "", fmt.Errorf("push %s: index was not built by this package", x.Ref)
	}
	ref := RefInRegistry(x.Ref, registry)
	s := newSession(registry, opts)
	tag, err := s.tag(ref)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	progress(ref)
	if err := remote.WriteIndex(tag, x.idx, s.options(ctx)...); err != nil {
		return "", pushError(ref, s.explain(err))
	}
	return ref, nil
}

func pushError(ref string, err error) error {
	var na *NotAnsweringError
	if errors.As(err, &na) {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return &PushError{Ref: ref, Err: err}
}

// ErrPush is a push the registry did not take, for a reason other than not
// answering at all (NotAnsweringError); see PushError.
var ErrPush = errors.New("push failed")

// PushError is a push of Ref that failed with Err. Its text states what
// failed; what to check (the registry, plain HTTP) is the caller's to say.
type PushError struct {
	Ref string
	Err error
}

func (e *PushError) Error() string { return fmt.Sprintf("push %s: %v", e.Ref, e.Err) }

// Unwrap gives ErrPush and the cause, so errors.Is finds either.
func (e *PushError) Unwrap() []error { return []error{ErrPush, e.Err} }

// MissingInRegistry returns the refs of imgs that registry does not hold.
func MissingInRegistry(ctx context.Context, registry string, imgs []Image, opts Remote) ([]string, error) {
	var missing []string
	for _, im := range imgs {
		ref := RefInRegistry(im.Ref, registry)
		s := newSession(registry, opts)
		tag, err := s.tag(ref)
		if err != nil {
			return nil, err
		}
		if _, err := remote.Head(tag, s.options(ctx)...); err != nil {
			var te *transport.Error
			if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
				missing = append(missing, ref)
				continue
			}
			err = s.explain(err)
			var na *NotAnsweringError
			if errors.As(err, &na) {
				return nil, err // it names the registry, and no image was asked about
			}
			return nil, fmt.Errorf("ask registry %s for %s: %w", registry, ref, err)
		}
	}
	return missing, nil
}
