package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/homedir"
	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/exec"
	"sigs.k8s.io/kind/pkg/log"
)

const (
	// Name is the kind cluster the lab owns; the lab never touches another.
	Name = "crashlab"
	// ContextName is the kubeconfig context kind writes for Name.
	ContextName = "kind-" + Name
	// BackoffCap is the kubelet crashLoopBackOff.maxContainerRestartPeriod the
	// lab asks for: with the default 5m cap a learner waits minutes between
	// restarts, with 10s the back-off visibly doubles and then levels off.
	BackoffCap = 10 * time.Second
)

const (
	// defaultWaitForReady covers a cold node on a small laptop; a warm one
	// is Ready in about 45s.
	defaultWaitForReady = 5 * time.Minute
	// defaultProbeTimeout bounds `docker info`: a daemon behind an
	// unreachable DOCKER_HOST can make the CLI hang for minutes.
	defaultProbeTimeout = 15 * time.Second
	// crashLoopBackOffGate guards crashLoopBackOff.maxContainerRestartPeriod.
	crashLoopBackOffGate = "KubeletCrashLoopBackOffMax"
	// kindProviderEnv is how the kind CLI lets users pick a runtime; the lab
	// honours it so `kind get clusters` and the lab agree.
	kindProviderEnv = "KIND_EXPERIMENTAL_PROVIDER"
)

// Versions of the kubelet that know maxContainerRestartPeriod: alpha (gate
// off by default) from 1.32, beta and on by default from 1.35.
var (
	backoffCapAlpha = version.MajorMinor(1, 32)
	backoffCapBeta  = version.MajorMinor(1, 35)
	// cgroupV1Refused is the first kubelet that refuses a cgroup v1 host
	// unless failCgroupV1 is false (KEP-5573).
	cgroupV1Refused = version.MajorMinor(1, 35)
)

// ErrClusterUnresponsive means the lab's cluster exists but does not answer
// and could not be re-created.
var ErrClusterUnresponsive = errors.New("the lab's kind cluster does not answer")

// Lab creates, reuses and deletes the lab's kind cluster.
type Lab struct {
	name     string
	logger   log.Logger
	provider kindProvider
	// runtime is the runtime the user forced with KIND_EXPERIMENTAL_PROVIDER;
	// empty means whichever kind detects.
	runtime string

	// Preflight's view of the host, replaceable so every branch can be tested
	// without a container runtime.
	lookPath     func(file string) (string, error)
	run          func(ctx context.Context, name string, args ...string) (combinedOutput []byte, err error)
	getenv       func(key string) string
	probeTimeout time.Duration
	// cgroupVersion is the host's cgroup version as the runtime's info
	// reports it (1 or 2), 0 when Preflight did not learn it.
	cgroupVersion int
}

// kindProvider is the part of kind's *cluster.Provider the lab uses; tests
// substitute it to exercise what the lab does around kind.
type kindProvider interface {
	Create(name string, options ...kindcluster.CreateOption) error
	Delete(name, explicitKubeconfigPath string) error
	List() ([]string, error)
	ExportKubeConfig(name string, explicitPath string, internal bool) error
	ListInternalNodes(name string) ([]nodes.Node, error)
}

// LabOption configures a Lab.
type LabOption interface {
	apply(*Lab)
}

type labOptionAdapter func(*Lab)

func (a labOptionAdapter) apply(l *Lab) { a(l) }

// WithLogger sends progress (the lab's and kind's own) to logger.
func WithLogger(logger log.Logger) LabOption {
	return labOptionAdapter(func(l *Lab) {
		// A nil logger is "no logger": the caller had none to give.
		if logger != nil {
			l.logger = logger
		}
	})
}

// WithProvider uses p instead of detecting a container runtime, for tests or
// for a runtime the user configured explicitly. p keeps its own logger.
func WithProvider(p *kindcluster.Provider) LabOption {
	return labOptionAdapter(func(l *Lab) { l.provider = p })
}

func withKindProvider(p kindProvider) LabOption {
	return labOptionAdapter(func(l *Lab) { l.provider = p })
}

func withLookPath(f func(string) (string, error)) LabOption {
	return labOptionAdapter(func(l *Lab) { l.lookPath = f })
}

func withRun(f func(context.Context, string, ...string) ([]byte, error)) LabOption {
	return labOptionAdapter(func(l *Lab) { l.run = f })
}

func withGetenv(f func(string) string) LabOption {
	return labOptionAdapter(func(l *Lab) { l.getenv = f })
}

func withProbeTimeout(d time.Duration) LabOption {
	return labOptionAdapter(func(l *Lab) { l.probeTimeout = d })
}

// NewLab returns a Lab for the cluster Name. Without WithProvider it picks the
// container runtime the way the kind CLI does: KIND_EXPERIMENTAL_PROVIDER if
// set, else the first of docker, nerdctl and podman that answers `-v`, else
// docker (so that Preflight, not a later kind call, explains what is missing).
func NewLab(opts ...LabOption) *Lab {
	l := &Lab{
		name:         Name,
		logger:       log.NoopLogger{},
		lookPath:     osexec.LookPath,
		run:          runCombined,
		getenv:       os.Getenv,
		probeTimeout: defaultProbeTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(l)
		}
	}
	if l.provider == nil {
		var runtimeOpt kindcluster.ProviderOption
		runtimeOpt, l.runtime = runtimeFromEnv(l.getenv(kindProviderEnv))
		if runtimeOpt == nil {
			runtimeOpt, _ = kindcluster.DetectNodeProvider()
		}
		if runtimeOpt == nil {
			runtimeOpt = kindcluster.ProviderWithDocker()
		}
		l.provider = kindcluster.NewProvider(kindcluster.ProviderWithLogger(l.logger), runtimeOpt)
	}
	return l
}

// runtimeFromEnv mirrors the kind CLI's handling of KIND_EXPERIMENTAL_PROVIDER.
func runtimeFromEnv(v string) (kindcluster.ProviderOption, string) {
	switch v {
	case "docker":
		return kindcluster.ProviderWithDocker(), v
	case "podman":
		return kindcluster.ProviderWithPodman(), v
	case "nerdctl", "finch", "nerdctl.lima":
		return kindcluster.ProviderWithNerdctl(v), v
	}
	return nil, ""
}

func runCombined(ctx context.Context, name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	err := exec.CommandContext(ctx, name, args...).SetStdout(&out).SetStderr(&out).Run()
	return out.Bytes(), err
}

// runtimeHelp says how to reach and start each runtime kind supports.
type runtimeHelp struct {
	hostEnv string // variable that points the CLI at the daemon
	start   string // how to start the daemon, as a user would type it
}

func helpFor(runtime string) runtimeHelp {
	switch runtime {
	case "podman":
		return runtimeHelp{hostEnv: "CONTAINER_HOST", start: "`podman machine start` (macOS/Windows) or `systemctl --user start podman.socket`"}
	case "finch":
		return runtimeHelp{hostEnv: "CONTAINERD_ADDRESS", start: "`finch vm start`"}
	case "nerdctl", "nerdctl.lima":
		return runtimeHelp{hostEnv: "CONTAINERD_ADDRESS", start: "`sudo systemctl start containerd`"}
	default:
		return runtimeHelp{hostEnv: "DOCKER_HOST", start: "`sudo systemctl start docker` (Linux) or open Docker Desktop"}
	}
}

// Preflight checks, before anything is created, that a container runtime is
// installed, its daemon answers, and it can hold a cluster of nodes nodes:
// enough memory, memory limits enforced, and for a rootless runtime the
// cgroup setup kind itself refuses to run without. Each problem is one line
// that says what is missing; kind's own errors for these are a bare exec
// failure, a node that never becomes Ready, or an OOM incident that never
// gets killed.
func (l *Lab) Preflight(nodes int) error {
	candidates := []string{"docker", "nerdctl", "podman"} // kind's detection order
	if l.runtime != "" {
		candidates = []string{l.runtime}
	}
	runtime := ""
	for _, c := range candidates {
		if _, err := l.lookPath(c); err == nil {
			runtime = c
			break
		}
	}
	if runtime == "" {
		if l.runtime != "" {
			return fmt.Errorf("%s=%s but no %s binary found on PATH: install it, or unset %s to use Docker", kindProviderEnv, l.runtime, l.runtime, kindProviderEnv)
		}
		return errors.New("no container runtime found: install Docker (or podman/nerdctl) and start it")
	}

	help := helpFor(runtime)
	host := fmt.Sprintf("%s=%s", help.hostEnv, l.getenv(help.hostEnv))
	if l.getenv(help.hostEnv) == "" {
		host = help.hostEnv + " not set: the default socket"
		if runtime == "docker" {
			host += " or the current `docker context`"
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), l.probeTimeout)
	defer cancel()
	args := infoArgs(runtime)
	out, err := l.run(ctx, runtime, args...)
	if err == nil {
		info, ok := parseRuntimeInfo(runtime, out)
		if !ok {
			// An info we cannot read is no reason to stop: kind reads the
			// same fields and fails with its own message if it must.
			l.cgroupVersion = cgroupVersionOf(out)
			l.logger.V(1).Infof("could not read `%s %s`: skipping the memory and cgroup checks", runtime, strings.Join(args, " "))
			return nil
		}
		l.cgroupVersion = info.cgroupVersion
		return info.check(runtime, nodes)
	}
	detail := probeDetail(out)
	if ctx.Err() != nil {
		detail = fmt.Sprintf("no answer within %s", l.probeTimeout)
	}
	// A daemon that refuses the user is running; starting it again would not help.
	if strings.Contains(strings.ToLower(string(out)), "permission denied") {
		return fmt.Errorf("%s is running but you may not use it (%s): add yourself to the %s group (`sudo usermod -aG %s $USER`, then log in again) or run as root: %s info: %s: %w",
			runtime, host, runtime, runtime, runtime, detail, err)
	}
	return fmt.Errorf("%s is installed but its daemon is not answering (%s): start it, e.g. %s: %s info: %s: %w",
		runtime, host, help.start, runtime, detail, err)
}

// infoArgs asks the runtime for its info as JSON, the form kind itself reads
// (providers/{docker,nerdctl,podman}/provider.go): docker, nerdctl and its
// variants take a Go template, podman a format name.
func infoArgs(runtime string) []string {
	if runtime == "podman" {
		return []string{"info", "--format", "json"}
	}
	return []string{"info", "--format", "{{json .}}"}
}

// cgroupInfo matches the cgroup version in plain `docker info` and `nerdctl info`
// ("Cgroup Version: 1") and `podman info` ("cgroupVersion: v1"): the fallback
// when a runtime's info is not the JSON Preflight asks for.
var cgroupInfo = regexp.MustCompile(`(?im)^\s*cgroup\s?version:\s*v?([12])\s*$`)

// cgroupVersionOf reads the host's cgroup version from a runtime's info
// output; 0 when it does not say.
func cgroupVersionOf(info []byte) int {
	m := cgroupInfo.FindSubmatch(info)
	if m == nil {
		return 0
	}
	return int(m[1][0] - '0')
}

// probeDetail picks the line of `docker info` output that explains a failure;
// the rest is the client's own, healthy, section.
func probeDetail(out []byte) string {
	var last string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lower := strings.ToLower(line)
		// `docker info --format '{{json .}}'` prints its JSON even when the
		// daemon is down, with the error inside; the CLI's line that follows
		// says it more plainly.
		if strings.HasPrefix(line, "{") {
			continue
		}
		if strings.Contains(lower, "error") || strings.Contains(lower, "cannot connect") || strings.Contains(lower, "permission denied") {
			return line
		}
		last = line
	}
	if last == "" {
		return "no output"
	}
	return last
}

// Exists reports whether the cluster Name has nodes.
func (l *Lab) Exists() (bool, error) {
	clusters, err := l.provider.List()
	if err != nil {
		return false, fmt.Errorf("list kind clusters: %w", err)
	}
	return slices.Contains(clusters, l.name), nil
}

// UpOption configures Up.
type UpOption interface {
	apply(*upOptions)
}

type upOptions struct {
	nodeImage      string
	waitForReady   time.Duration
	kubeconfigPath string
	nodes          int
	auditDir       string
}

type upOptionAdapter func(*upOptions)

func (a upOptionAdapter) apply(o *upOptions) { a(o) }

// WithNodes creates the cluster with n nodes: one control plane, which also
// runs pods, and n-1 workers. It applies at creation only.
func WithNodes(n int) UpOption {
	return upOptionAdapter(func(o *upOptions) { o.nodes = n })
}

// WithNodeImage creates the cluster from image, like `kind create cluster
// --image`; empty means kind's default node image.
func WithNodeImage(image string) UpOption {
	return upOptionAdapter(func(o *upOptions) { o.nodeImage = image })
}

// WithWaitForReady bounds the wait for the node to become Ready and for its
// kubelet to report its configuration. The default is 5 minutes.
func WithWaitForReady(d time.Duration) UpOption {
	return upOptionAdapter(func(o *upOptions) { o.waitForReady = d })
}

// WithAudit creates the cluster with API auditing (PrepareAudit): the
// policy is written under dir, which the control-plane node mounts, and the
// API server records what people do in the cluster for `crashlab replay`.
// It applies at creation only; empty means no auditing.
func WithAudit(dir string) UpOption {
	return upOptionAdapter(func(o *upOptions) { o.auditDir = dir })
}

// WithKubeconfigPath is where kind writes or merges the kubeconfig, like
// `kind --kubeconfig`; empty means $KUBECONFIG or ~/.kube/config.
func WithKubeconfigPath(p string) UpOption {
	return upOptionAdapter(func(o *upOptions) { o.kubeconfigPath = p })
}

// UpResult describes the cluster Up left running.
type UpResult struct {
	// Created is false when the cluster already existed.
	Created bool
	// Kubeconfig is the file that holds the ContextName context.
	Kubeconfig string
	// NodeVersion is the kubelet version the node reports.
	NodeVersion string
	// BackoffCap is the CrashLoopBackOff cap in force, as the running kubelet
	// reports it; 0 when the kubelet has no such setting (before 1.32) or
	// does not report it.
	BackoffCap time.Duration
	// FeatureGates are the gates the kubelet's configuration sets.
	FeatureGates map[string]bool
	// CgroupV1 is true when the host runs cgroup v1 and the lab told a
	// 1.35+ kubelet to accept it.
	CgroupV1 bool
}

// Up creates the cluster, or reuses it when it already exists, and reads back
// from the running kubelet the CrashLoopBackOff cap actually in force: a node
// image can silently ignore the lab's request (an old kubelet) and the lab's
// timings depend on it.
func (l *Lab) Up(ctx context.Context, opts ...UpOption) (UpResult, error) {
	o := upOptions{waitForReady: defaultWaitForReady}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	res := UpResult{Kubeconfig: kubeconfigPath(o.kubeconfigPath, l.getenv)}

	exists, err := l.Exists()
	if err != nil {
		return res, err
	}
	if exists {
		l.logger.V(0).Infof("Reusing kind cluster %q", l.name)
		// The cluster may have been created with another kubeconfig, or its
		// API server port may have changed after a runtime restart.
		if err := l.provider.ExportKubeConfig(l.name, o.kubeconfigPath, false); err != nil {
			return res, fmt.Errorf("export kubeconfig of existing cluster %q to %s (if its node container is stopped, run down and up again): %w", l.name, res.Kubeconfig, err)
		}
	} else {
		if err := l.create(ctx, o); err != nil {
			return res, err
		}
		res.Created = true
	}

	client, err := clientFor(res.Kubeconfig)
	if err != nil {
		return res, err
	}
	readTimeout := o.waitForReady
	if readTimeout <= 0 || !res.Created {
		readTimeout = time.Minute
	}
	node, cfg, err := l.readKubelet(ctx, client, readTimeout)
	if err != nil && !res.Created && ctx.Err() == nil {
		// Nothing on a cluster that does not answer can be read or kept:
		// an interrupted `up` or a stopped runtime leaves one. Start over.
		l.logger.Warnf("the existing cluster %q does not answer (%v): deleting it and creating it again", l.name, err)
		if derr := l.provider.Delete(l.name, o.kubeconfigPath); derr != nil {
			return res, fmt.Errorf("%w: %w (delete it by hand: kind delete cluster --name %s)", ErrClusterUnresponsive, derr, l.name)
		}
		if err := l.create(ctx, o); err != nil {
			return res, err
		}
		res.Created = true
		if client, err = clientFor(res.Kubeconfig); err != nil {
			return res, err
		}
		node, cfg, err = l.readKubelet(ctx, client, o.waitForReady)
	}
	if err != nil {
		return res, err
	}
	res.NodeVersion = node.Status.NodeInfo.KubeletVersion
	res.BackoffCap = cfg.MaxContainerRestartPeriod
	res.FeatureGates = cfg.FeatureGates
	res.CgroupV1 = l.cgroupVersion == 1
	if res.BackoffCap != BackoffCap {
		l.logger.Warnf("kubelet %s on node %s caps CrashLoopBackOff at %s, not %s: restarts in the scenarios will be slower than the lab describes", res.NodeVersion, node.Name, capString(res.BackoffCap), BackoffCap)
	}
	return res, nil
}

func capString(d time.Duration) string {
	if d == 0 {
		return "the default 5m0s"
	}
	return d.String()
}

func (l *Lab) create(ctx context.Context, o upOptions) error {
	image := o.nodeImage
	if image == "" {
		image = defaults.Image
	}
	v := nodeVersionFromImage(image)
	switch {
	case v == nil:
		l.logger.V(1).Infof("Kubernetes version of node image %s unknown: assuming 1.34", image)
	case !v.AtLeast(backoffCapAlpha):
		l.logger.Warnf("node image %s is Kubernetes %s: its kubelet cannot cap CrashLoopBackOff, restarts will back off up to 5m", image, v)
	}

	cgroupV1 := l.cgroupVersion == 1 && (v == nil || v.AtLeast(cgroupV1Refused))
	if cgroupV1 {
		l.logger.Warnf("this host runs cgroup v1, which kubelets from Kubernetes 1.35 on refuse by default: the lab sets failCgroupV1: false on its node (%s) so that it starts; cgroup v1 support is in maintenance upstream, prefer a cgroup v2 host", image)
	}
	l.logger.V(0).Infof("Creating kind cluster %q (node image %s, CrashLoopBackOff cap %s)", l.name, image, BackoffCap)
	cfg := clusterConfig(v, cgroupV1, o.nodes)
	if o.auditDir != "" {
		audit, err := PrepareAudit(o.auditDir, v)
		if err != nil {
			return err
		}
		audit.ApplyTo(cfg)
	}
	createOpts := []kindcluster.CreateOption{
		kindcluster.CreateWithV1Alpha4Config(cfg),
		kindcluster.CreateWithWaitForReady(o.waitForReady),
		kindcluster.CreateWithKubeconfigPath(o.kubeconfigPath),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	}
	if o.nodeImage != "" {
		createOpts = append(createOpts, kindcluster.CreateWithNodeImage(o.nodeImage))
	}
	// kind's Create takes no context; it runs in the background so that
	// Ctrl-C ends `up` at once. A cluster left half-made is reused or, if it
	// does not answer, re-created by the next `up`.
	done := make(chan error, 1)
	go func() { done <- l.provider.Create(l.name, createOpts...) }()
	select {
	case <-ctx.Done():
		return fmt.Errorf("create kind cluster %q: %w", l.name, ctx.Err())
	case err := <-done:
		if err != nil {
			if l.cgroupVersion == 1 && !cgroupV1 {
				return fmt.Errorf("create kind cluster %q from %s on a cgroup v1 host: %w (kubelets from 1.35 on refuse cgroup v1 unless failCgroupV1 is false; the lab could not tell the node's version from the image tag, so use a cgroup v2 host or an image tagged with its version, like kindest/node:v1.37.0)", l.name, image, err)
			}
			return fmt.Errorf("create kind cluster %q from %s: %w", l.name, image, err)
		}
	}
	return nil
}

// Down deletes the cluster Name and its context in the default kubeconfig. It
// is not an error if the cluster does not exist.
func (l *Lab) Down() error {
	exists, err := l.Exists()
	if err != nil {
		return err
	}
	if !exists {
		l.logger.V(0).Infof("kind cluster %q does not exist, nothing to delete", l.name)
		return nil
	}
	l.logger.V(0).Infof("Deleting kind cluster %q", l.name)
	if err := l.provider.Delete(l.name, ""); err != nil {
		return fmt.Errorf("delete kind cluster %q: %w", l.name, err)
	}
	return nil
}

// clusterConfig is the lab's one-node cluster; v is the node's Kubernetes
// version, nil when unknown; allowCgroupV1 lets its kubelet run on a cgroup
// v1 host.
func clusterConfig(v *version.Version, allowCgroupV1 bool, nodes int) *v1alpha4.Cluster {
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Nodes:    []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}},
		// kind's documented pattern for a local registry: containerd reads
		// per-registry hosts.toml files from this directory at each pull, so
		// `up --registry` can add one to a running cluster (TrustRegistry).
		ContainerdConfigPatches: []string{containerdRegistryPatch},
	}
	for i := 1; i < nodes; i++ {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole})
	}
	// A cluster-wide patch reaches every node's kubelet (kind renders the
	// KubeletConfiguration for init and join alike): an incident behaves the
	// same on whichever node the scheduler picks.
	if patch := kubeletPatch(v, allowCgroupV1); patch != "" {
		cfg.KubeadmConfigPatches = []string{patch}
	}
	return cfg
}

// kubeletPatch returns the kubeadm config patch that caps CrashLoopBackOff
// at BackoffCap for a kubelet of version v (nil: unknown), or "" when that
// kubelet has no such setting: it would refuse to start with it.
func kubeletPatch(v *version.Version, allowCgroupV1 bool) string {
	// failCgroupV1 exists from 1.31 and defaults to true from 1.35: without
	// it such a kubelet exits at once on a cgroup v1 host, and kubeadm only
	// reports that the kubelet never became healthy.
	cgroup := ""
	if allowCgroupV1 {
		cgroup = "failCgroupV1: false\n"
	}
	if v != nil && !v.AtLeast(backoffCapAlpha) {
		if cgroup == "" {
			return ""
		}
		return "kind: KubeletConfiguration\n" + cgroup
	}
	patch := "kind: KubeletConfiguration\n" + cgroup +
		"crashLoopBackOff:\n" +
		"  maxContainerRestartPeriod: " + BackoffCap.String() + "\n"
	// While alpha, the kubelet rejects the field unless the gate is on. For
	// an unknown version enabling it is the safe guess: a beta gate may
	// still be set explicitly.
	if v == nil || !v.AtLeast(backoffCapBeta) {
		patch += "featureGates:\n" +
			"  " + crashLoopBackOffGate + ": true\n"
	}
	return patch
}

// imageTagVersion matches tags like kind's own node images use: v1.34.4,
// v1.35.0-rc.1, and local variants such as v1.34.4-debian.
var imageTagVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$`)

// nodeVersionFromImage reads the Kubernetes version from a node image's tag,
// which is how kind names its images; nil when the tag does not say.
func nodeVersionFromImage(image string) *version.Version {
	ref, _, _ := strings.Cut(image, "@")
	// A registry port ("localhost:5000/node") is not a tag: only look past
	// the last slash.
	last := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	if !ok || !imageTagVersion.MatchString(tag) {
		return nil
	}
	v, err := version.ParseGeneric(tag)
	if err != nil {
		return nil
	}
	return v
}

// kubeconfigPath is the file kind writes the context to for explicit, the
// --kubeconfig value; it follows kind's (and kubectl's) merge rules.
func kubeconfigPath(explicit string, getenv func(string) string) string {
	if explicit != "" {
		return explicit
	}
	var paths []string
	for _, p := range filepath.SplitList(getenv(clientcmd.RecommendedConfigPathEnvVar)) {
		if p != "" && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	switch len(paths) {
	case 0:
		return filepath.Join(homedir.HomeDir(), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)
	case 1:
		return paths[0]
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return paths[len(paths)-1]
}

// clientFor reads the context from the file kind wrote rather than from
// memory, so that Up fails if the kubeconfig users will rely on is wrong.
func clientFor(path string) (kubernetes.Interface, error) {
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig %s: %w", path, err)
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, ContextName, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("context %q in %s: %w", ContextName, path, err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for context %q: %w", ContextName, err)
	}
	return client, nil
}

// readKubelet waits for the control-plane node to be registered and its
// kubelet to answer /configz: on a reused cluster right after a runtime
// restart the API server can take a while to come back.
func (l *Lab) readKubelet(ctx context.Context, client kubernetes.Interface, timeout time.Duration) (*corev1.Node, KubeletConfig, error) {
	var (
		node    *corev1.Node
		cfg     KubeletConfig
		lastErr error
	)
	nodeName := l.name + "-control-plane" // kind names the node after its container
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		n, err := client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			lastErr = fmt.Errorf("get node %s: %w", nodeName, err)
			return false, nil
		}
		c, err := KubeletConfigz(ctx, client, nodeName)
		if apierrors.IsNotFound(err) {
			// The node exists, so it is /configz that is missing.
			l.logger.Warnf("kubelet on node %s does not serve /configz: cannot check its CrashLoopBackOff cap", nodeName)
			node, cfg = n, KubeletConfig{}
			return true, nil
		}
		if err != nil {
			lastErr = err
			return false, nil
		}
		node, cfg = n, c
		return true, nil
	})
	if err != nil {
		if lastErr == nil {
			lastErr = err
		}
		return nil, KubeletConfig{}, fmt.Errorf("kubelet of cluster %q not answering after %s: %w", l.name, timeout, lastErr)
	}
	return node, cfg, nil
}
