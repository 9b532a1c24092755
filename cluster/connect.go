package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ConnectOptions says which cluster the user wants. Context is only what the user
// typed with --context: an empty Context means "the lab's own cluster".
type ConnectOptions struct {
	Kubeconfig string
	Context    string
	// CurrentContext lets an empty Context mean the kubeconfig's current
	// context, as kubectl does; only read-only commands (explain POD) set it.
	CurrentContext bool
	// UserAgent names the lab in every request it sends (default
	// DefaultUserAgent): the replay of an investigation leaves the lab's own
	// requests out by it, so it must not depend on the binary's file name,
	// which client-go's default would.
	UserAgent string
}

// DefaultUserAgent is the lab's user agent when ConnectOptions names none.
const DefaultUserAgent = "crashlab"

// Conn is a client for one cluster the lab may act on.
type Conn struct {
	Client     kubernetes.Interface
	REST       *rest.Config
	Context    string
	Kubeconfig string // the file(s) the context came from, for messages
	// Namespace is the context's namespace ("" when it sets none).
	Namespace string
	// IsLab is true on the cluster `crashlab up` created; image loading through
	// the kind node only works there.
	IsLab bool
}

// WorkshopContextPrefix starts the context name of a workshop learner's
// kubeconfig.
const WorkshopContextPrefix = "crashlab-workshop-"

// IsWorkshopContext tells whether a context is a workshop learner's.
func IsWorkshopContext(name string) bool { return strings.HasPrefix(name, WorkshopContextPrefix) }

// WorkshopContext names a learner's context: crashlab-workshop-<workshop>.<learner>
// (a dot is in neither name, so both can be read back without the cluster).
func WorkshopContext(workshop, learner string) string {
	return WorkshopContextPrefix + workshop + "." + learner
}

// ParseWorkshopContext reads the workshop and learner from a learner's
// context name.
func ParseWorkshopContext(name string) (workshop, learner string, ok bool) {
	rest, ok := strings.CutPrefix(name, WorkshopContextPrefix)
	if !ok {
		return "", "", false
	}
	workshop, learner, ok = strings.Cut(rest, ".")
	return workshop, learner, ok && workshop != "" && learner != ""
}

// CurrentWorkshopContext returns the current context of the kubeconfig when
// it is a workshop learner's (else ""). It reads only the local file.
func CurrentWorkshopContext(kubeconfig string) string {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	raw, err := rules.Load()
	if err != nil || !IsWorkshopContext(raw.CurrentContext) {
		return ""
	}
	return raw.CurrentContext
}

// ErrNotLabContext is returned when the kubeconfig's context is not the lab's and
// the user did not name it explicitly.
var ErrNotLabContext = errors.New("context is not the lab's")

// Connect builds a client, refusing any context the lab did not create unless the
// user named it with --context: a workshop laptop often points at production.
func Connect(o ConnectOptions) (*Conn, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	if err := missingKubeconfig(rules); err != nil {
		return nil, err
	}
	where := kubeconfigDescription(rules)
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig %s: %w", where, err)
	}
	// Without --context the lab never falls back to the current context: a
	// workshop laptop often points at production.
	ctxName := o.Context
	if ctxName == "" && o.CurrentContext {
		if raw.CurrentContext == "" {
			return nil, factf(ErrNoCurrentContext, "kubeconfig %s has no current context", where)
		}
		ctxName = raw.CurrentContext
	}
	// A workshop learner's kubeconfig (written by `crashlab workshop
	// kubeconfigs`) is the lab's own: its current context is used as it is.
	if ctxName == "" && strings.HasPrefix(raw.CurrentContext, WorkshopContextPrefix) {
		ctxName = raw.CurrentContext
	}
	if ctxName == "" {
		if _, ok := raw.Contexts[ContextName]; !ok {
			return nil, factf(ErrNoLabContext, "no lab cluster in kubeconfig %s (context %q missing)", where, ContextName)
		}
		ctxName = ContextName
	}
	if _, ok := raw.Contexts[ctxName]; !ok {
		return nil, fmt.Errorf("context %q not found in kubeconfig %s: check `kubectl config get-contexts`", ctxName, where)
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, ctxName, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load context %q from %s: %w", ctxName, where, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = o.UserAgent
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	// Every request gets a deadline even when the server stops answering;
	// watches are cut at it too, and every watch loop in the lab re-lists and
	// watches again, so a long wait is unaffected.
	if cfg.Timeout == 0 {
		cfg.Timeout = RequestTimeout
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt} })
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for context %q: %w", ctxName, err)
	}
	return &Conn{Client: client, REST: cfg, Context: ctxName, Kubeconfig: where, IsLab: ctxName == ContextName, Namespace: raw.Contexts[ctxName].Namespace}, nil
}

// ErrKubeconfigMissing is what a *KubeconfigMissingError is.
var ErrKubeconfigMissing = errors.New("kubeconfig does not exist")

// KubeconfigMissingError means no kubeconfig file the user pointed at
// exists. client-go would load an empty config instead (it skips missing
// files in $KUBECONFIG and ~/.kube/config), and the user would be told the
// lab's context or the current context is missing, not the file.
type KubeconfigMissingError struct {
	// Paths are the files looked for: the explicit path, or every path of
	// $KUBECONFIG, or ~/.kube/config.
	Paths []string
	// Explicit is true when the path came from ConnectOptions.Kubeconfig.
	Explicit bool
}

func (e *KubeconfigMissingError) Error() string {
	return fmt.Sprintf("kubeconfig %s does not exist", strings.Join(e.Paths, string(os.PathListSeparator)))
}

// Is makes errors.Is(err, ErrKubeconfigMissing) true.
func (e *KubeconfigMissingError) Is(target error) bool { return target == ErrKubeconfigMissing }

// missingKubeconfig returns a *KubeconfigMissingError when none of the files
// rules would read exists. An explicit path must exist (client-go errors on
// it too, with a bare stat error); of a list in $KUBECONFIG client-go reads
// those that exist, so only a list where none does is missing.
func missingKubeconfig(rules *clientcmd.ClientConfigLoadingRules) error {
	if rules.ExplicitPath != "" {
		if _, err := os.Stat(rules.ExplicitPath); errors.Is(err, fs.ErrNotExist) {
			return &KubeconfigMissingError{Paths: []string{rules.ExplicitPath}, Explicit: true}
		}
		return nil
	}
	var paths []string
	for _, p := range rules.Precedence {
		if p == "" || slices.Contains(paths, p) {
			continue
		}
		// Any other stat error (a file we may not read) is left to
		// client-go, which names it.
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil
	}
	return &KubeconfigMissingError{Paths: paths}
}

// requests counts the API requests this process sent, for `make bench`.
var requests atomic.Int64

// Requests is the number of API requests sent through Connect's clients so far.
func Requests() int64 { return requests.Load() }

type countingTransport struct{ next http.RoundTripper }

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	requests.Add(1)
	if traceRequests {
		// CRASHLAB_TRACE_REQUESTS=1: one line per API request on stderr, to
		// see what a command asks the API server (kubectl's -v=6, smaller).
		fmt.Fprintf(os.Stderr, "request %s %s\n", r.Method, r.URL.RequestURI())
	}
	return t.next.RoundTrip(r)
}

var traceRequests = os.Getenv("CRASHLAB_TRACE_REQUESTS") != ""

// WrappedRoundTripper lets client-go reach the transport underneath, to cancel
// a request that timed out.
func (t countingTransport) WrappedRoundTripper() http.RoundTripper { return t.next }

// RequestTimeout bounds every API request of the lab.
const RequestTimeout = 30 * time.Second

// Reachable turns "connection refused" into a sentence that names what was
// tried. It carries ctx, so Ctrl-C ends it at once.
func (c *Conn) Reachable(ctx context.Context) error {
	if err := c.Client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return factf(ErrUnreachable, "cannot reach the cluster of context %q (kubeconfig %s): %v; is it running?", c.Context, c.Kubeconfig, err)
	}
	return nil
}

func kubeconfigDescription(rules *clientcmd.ClientConfigLoadingRules) string {
	if rules.ExplicitPath != "" {
		return rules.ExplicitPath
	}
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		return env
	}
	return filepath.Join(clientcmd.RecommendedConfigDir, clientcmd.RecommendedFileName)
}
