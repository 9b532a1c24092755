// Package lab runs the lab's verbs (start, status, diagnose, check, reset,
// hint, explain, down) against one cluster for one learner and returns typed
// results, leaving every word on the terminal to the CLI.
package lab

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// ErrNotStarted means the scenario has no namespace on the cluster yet; the
// CLI tells the learner how to start it.
var ErrNotStarted = errors.New("not started")

// errNoCluster is a caller's mistake: a cluster verb on a Service built
// without a client.
var errNoCluster = errors.New("no cluster client: the lab service was built for the catalogue only")

// Catalog is where the scenarios come from; scenarios/catalog by default.
type Catalog interface {
	All() []scenarios.Scenario
	Get(id string) (scenarios.Scenario, error)
}

type builtinCatalog struct{}

func (builtinCatalog) All() []scenarios.Scenario                 { return catalog.All() }
func (builtinCatalog) Get(id string) (scenarios.Scenario, error) { return catalog.Get(id) }

// ImageEnsurer makes the lab's images available to the cluster's nodes before
// a scenario is deployed, so no pod waits on a pull that can never succeed.
type ImageEnsurer interface {
	EnsureImages(ctx context.Context, imgs []images.Image) error
}

// Service runs the lab's verbs for one learner on one cluster context. Its
// results are data and its errors wrap sentinels (ErrNotStarted,
// scenarios.ErrAlreadyStarted, the record problems of scenarios.LoadAttempt),
// so that the caller decides what to tell the learner.
type Service struct {
	client      kubernetes.Interface
	contextName string
	learner     string
	nodeArch    string
	catalog     Catalog
	images      ImageEnsurer
	progressDir string
	logs        podstate.LogReader
	currentLogs podstate.LogReader
	onProgress  func(string)
	onWarning   func(string)
	// workshopNS is the workshop namespace of a workshop learner, where the
	// learner's progress is mirrored for the trainer's board ("" outside a
	// workshop).
	workshopNS string
	// placement, when set, is where the service's scenario lives (an
	// interview's namespace) instead of the learner's namespace of it.
	placement Placement
	// registry, when set, is where the nodes pull the lab's images from
	// (REGISTRY/crashlab/workload), instead of images imported into them.
	registry         string
	registryInsecure bool
	// variant is the seed Start and Reset deploy a blind variant with (0:
	// the base incident, or on Reset the seed the record holds).
	variant uint64
	// store, when set, keeps the learner's progress instead of the local
	// file: the lab's controller keeps it in an Attempt's status.
	store ProgressStore
	// auditLog reads the cluster's audit log for Replay; nil: it has none.
	auditLog AuditLogSource
	// auditUser, when set, is the only identity whose requests Replay
	// shows (a candidate's or a workshop learner's ServiceAccount).
	auditUser string
	// unnoted are the lab commands note does not record: ones the caller
	// runs on its own, not at the learner's request.
	unnoted map[string]bool
	// remote, when set, judges and records instead of this service.
	remote Remote
}

// ProgressStore is where a learner's progress lives: the local progress
// file (*progress.Store) for self-paced use, or an Attempt's status when the
// lab's controller judges. Update re-reads the entry and applies fn to what
// is saved, so a counter raised in fn is never lost to a concurrent update.
type ProgressStore interface {
	Entry(id string, aliases ...string) progress.Entry
	UpdateAliased(id string, aliases []string, fn func(*progress.Entry)) error
}

// WithProgressStore keeps the learner's progress in st instead of the local
// progress file (and nothing is mirrored for a board: st is the record).
func WithProgressStore(st ProgressStore) Option {
	return optionFunc(func(s *Service) { s.store = st })
}

// Option configures a Service.
type Option interface {
	apply(*Service)
}

type optionFunc func(*Service)

func (f optionFunc) apply(s *Service) { f(s) }

// WithContextName names the kubeconfig context the client talks to; progress
// is kept per context. The default is the lab's own, cluster.ContextName.
func WithContextName(name string) Option {
	return optionFunc(func(s *Service) { s.contextName = name })
}

// WithLearner gives a learner of a shared cluster their own namespaces and
// progress.
func WithLearner(learner string) Option {
	return optionFunc(func(s *Service) { s.learner = learner })
}

// WithWorkshop says the learner is one of a workshop whose namespace is ns:
// every step of their progress is also written to their progress ConfigMap
// there, which the trainer's board watches.
func WithWorkshop(ns string) Option {
	return optionFunc(func(s *Service) { s.workshopNS = ns })
}

// WithRegistry deploys the lab's images by their names in registry (filled
// by `crashlab images push`), so that the nodes pull them: for a cluster the
// lab cannot load images into. insecure allows plain HTTP to any host.
func WithRegistry(registry string, insecure bool) Option {
	return optionFunc(func(s *Service) { s.registry, s.registryInsecure = registry, insecure })
}

// WithVariant makes Start deploy the blind variant of seed
// (scenarios.Scenario.Variant): the incident's names and values drawn from
// it, the same for the same seed. The seed goes into the attempt record, and
// every other verb plays the variant the record names, so only Start (and
// Reset, to deal another one) reads this option. Seed 0 is the base incident.
func WithVariant(seed uint64) Option {
	return optionFunc(func(s *Service) { s.variant = seed })
}

// WithNodeArch sets the nodes' architecture instead of reading it from the
// cluster when a scenario is rendered.
func WithNodeArch(arch string) Option {
	return optionFunc(func(s *Service) { s.nodeArch = arch })
}

// WithCatalog replaces the built-in catalogue.
func WithCatalog(c Catalog) Option {
	return optionFunc(func(s *Service) { s.catalog = c })
}

// WithImageEnsurer sets how Start and Reset get the images onto the nodes.
// Without it they only check the nodes' image lists (ClusterImages without
// IsLab), which loads nothing.
func WithImageEnsurer(e ImageEnsurer) Option {
	return optionFunc(func(s *Service) { s.images = e })
}

// WithProgressDir keeps progress files in dir instead of progress.DefaultDir().
func WithProgressDir(dir string) Option {
	return optionFunc(func(s *Service) { s.progressDir = dir })
}

// WithLogReader replaces how previous container logs are read; the fake
// clientset cannot serve logs, so tests pass their own.
func WithLogReader(r podstate.LogReader) Option {
	return optionFunc(func(s *Service) { s.logs = r })
}

// WithProgress receives what a long wait is waiting for, while it waits.
func WithProgress(fn func(message string)) Option {
	return optionFunc(func(s *Service) { s.onProgress = fn })
}

// WithWarnings receives what went wrong beside a verb's outcome (progress not
// saved, a damaged progress file moved aside, a preflight concern), which the
// outcome does not depend on but the learner should hear about.
func WithWarnings(fn func(message string)) Option {
	return optionFunc(func(s *Service) { s.onWarning = fn })
}

// New returns a Service on client. client may be nil for the verbs that need
// no cluster (Scenarios, Scenario, Namespace, List, Hint, Explain). A learner
// name that cannot be part of a namespace is refused here, before any verb
// has done part of its work.
func New(client kubernetes.Interface, opts ...Option) (*Service, error) {
	s := &Service{
		client:      client,
		contextName: cluster.ContextName,
		catalog:     builtinCatalog{},
		onProgress:  func(string) {},
		onWarning:   func(string) {},
	}
	for _, o := range opts {
		if o != nil {
			o.apply(s)
		}
	}
	if client != nil && s.logs == nil {
		s.logs = podstate.KubeLogs(client)
		s.currentLogs = podstate.KubeCurrentLogs(client)
	}
	if _, err := cluster.NamespaceFor(s.learner, "x"); err != nil {
		return nil, err
	}
	return s, nil
}

// ContextName is the context the service acts on.
func (s *Service) ContextName() string { return s.contextName }

// Scenarios returns the catalogue, ordered by level then id.
func (s *Service) Scenarios() []scenarios.Scenario { return s.catalog.All() }

// Scenario finds a scenario of the catalogue by id.
func (s *Service) Scenario(id string) (scenarios.Scenario, error) { return s.lookup(id) }

// lookup is the one place the service resolves an id given by the learner.
func (s *Service) lookup(id string) (scenarios.Scenario, error) { return s.catalog.Get(id) }

// Namespace is the learner's namespace of a scenario.
func (s *Service) Namespace(id string) (string, error) {
	if s.placement.Namespace != "" {
		return s.placement.Namespace, nil
	}
	return cluster.NamespaceFor(s.learner, id)
}

// scenarioIn resolves a scenario id and the learner's namespace of it.
func (s *Service) scenarioIn(id string) (scenarios.Scenario, string, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return sc, "", err
	}
	ns, err := s.Namespace(sc.ID)
	return sc, ns, err
}

// played is the scenario as the attempt in ns deployed it: the variant of
// the seed its record holds. Without a record it can read (none yet, no
// client, or one that was altered) it is the base incident, so status and
// hints still answer; check, which needs the record, says what is wrong.
func (s *Service) played(ctx context.Context, sc scenarios.Scenario, ns string) scenarios.Scenario {
	if s.client == nil {
		return sc
	}
	a, err := scenarios.LoadAttempt(ctx, s.client, sc, ns)
	if err != nil {
		return sc
	}
	return a.Variant
}

// playedNow is played for the verbs that take no context (hints, explain):
// one read of the record, bounded.
func (s *Service) playedNow(sc scenarios.Scenario) scenarios.Scenario {
	ns, err := s.Namespace(sc.ID)
	if err != nil || s.client == nil {
		return sc
	}
	ctx, cancel := context.WithTimeout(context.Background(), playedTimeout)
	defer cancel()
	return s.played(ctx, sc, ns)
}

// playedTimeout bounds playedNow's read of the record: past it the base
// incident's texts are shown rather than none.
const playedTimeout = 10 * time.Second

func (s *Service) cluster() (kubernetes.Interface, error) {
	if s.client == nil {
		return nil, errNoCluster
	}
	return s.client, nil
}

func (s *Service) observer() *podstate.Observer {
	return &podstate.Observer{Client: s.client, Logs: s.logs, CurrentLogs: s.currentLogs}
}

// RequireStarted returns nil when the scenario's namespace exists and is the
// lab's, an error wrapping ErrNotStarted when it does not exist, and the
// refusal when a namespace of that name was not created by the lab.
func (s *Service) RequireStarted(ctx context.Context, id string) error {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return err
	}
	return s.requireStarted(ctx, sc.ID, ns)
}

func (s *Service) requireStarted(ctx context.Context, id, ns string) error {
	_, err := s.startedNamespace(ctx, id, ns)
	return err
}

// startedNamespace is requireStarted that returns the namespace it read,
// for the verbs that go on to read the record on it (playedIn,
// scenarios.LoadAttemptOf) without a second GET.
func (s *Service) startedNamespace(ctx context.Context, id, ns string) (*corev1.Namespace, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	nsObj, err := cluster.GetOwned(ctx, c, ns)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("scenario %s is %w (no namespace %s)", id, ErrNotStarted, ns)
		}
		// Already names the namespace, or refuses one the lab did not create.
		return nil, err
	}
	return nsObj, nil
}

// playedIn is played on a namespace the caller has just read.
func (s *Service) playedIn(ctx context.Context, sc scenarios.Scenario, nsObj *corev1.Namespace) scenarios.Scenario {
	a, err := scenarios.LoadAttemptOf(ctx, s.client, sc, nsObj)
	if err != nil {
		return sc
	}
	return a.Variant
}

// CheckProgress reads the learner's progress on this context without
// changing anything, and returns progress.ErrNewerFormat when a newer
// crashlab wrote it: a command then refuses to run rather than show that
// progress as empty or lose it to a write. The verbs themselves only warn
// when progress cannot be read or saved, since their outcome stands either
// way; that is why the check is made before any verb.
func (s *Service) CheckProgress() error {
	if s.store != nil {
		return nil
	}
	dir := s.progressDir
	if dir == "" {
		d, err := progress.DefaultDir()
		if err != nil {
			return nil // the verbs warn about it, as before
		}
		dir = d
	}
	if err := progress.Check(dir, s.contextName, s.learner); errors.Is(err, progress.ErrNewerFormat) {
		return err
	}
	return nil
}

// openProgress opens the learner's progress on this context and passes on
// the warning of a damaged file that was moved aside.
func (s *Service) openProgress() (ProgressStore, error) {
	if s.store != nil {
		return s.store, nil
	}
	dir := s.progressDir
	if dir == "" {
		d, err := progress.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	st, err := progress.Open(dir, s.contextName, s.learner)
	if err != nil {
		return nil, err
	}
	if st.Warning != "" {
		s.onWarning(st.Warning)
	}
	return st, nil
}

// record saves a step of the learner's progress. The verb's own outcome
// stands either way, but progress that could not be saved is reported as a
// warning, never dropped in silence. What was saved under the scenario's
// earlier ids is carried over to its id.
func (s *Service) record(sc scenarios.Scenario, fn func(*progress.Entry)) {
	st, err := s.openProgress()
	if err == nil {
		err = st.UpdateAliased(sc.ID, sc.Aliases, fn)
	}
	if err != nil {
		s.onWarning(fmt.Sprintf("progress not saved: %v", err))
		return
	}
	if s.workshopNS != "" && s.client != nil && s.store == nil {
		if err := progress.Mirror(context.Background(), s.client, s.workshopNS, s.learner, sc.ID, entryOf(st, sc)); err != nil {
			s.onWarning(fmt.Sprintf("progress not shown to the trainer: %v", err))
		}
	}
}

// note records that the learner ran the lab command name on the scenario,
// in the record of the attempt (Entry.Commands: the local progress file,
// or the Attempt's status when the lab's controller judges), for the
// replay of the investigation. A learner judged remotely has the
// controller note it, and a command's outcome never depends on it.
func (s *Service) note(sc scenarios.Scenario, name string) {
	if s.remote != nil || s.unnoted[name] {
		return
	}
	st, err := s.openProgress()
	if err == nil {
		err = st.UpdateAliased(sc.ID, sc.Aliases, func(e *progress.Entry) { e.Note(name, time.Now()) })
	}
	if err != nil {
		s.onWarning(fmt.Sprintf("the command was not recorded for the replay: %v", err))
	}
}

// entries reads the learner's progress for reading only; progress that
// cannot be read is a warning and reads as empty.
func (s *Service) entries() ProgressStore {
	st, err := s.openProgress()
	if err != nil {
		s.onWarning(fmt.Sprintf("progress not read: %v", err))
		return &progress.Store{Entries: map[string]progress.Entry{}}
	}
	return st
}

// entry is the learner's progress of one scenario, with what was saved
// under its earlier ids.
func entryOf(st ProgressStore, sc scenarios.Scenario) progress.Entry {
	return st.Entry(sc.ID, sc.Aliases...)
}
