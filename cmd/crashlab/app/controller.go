package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/controller"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/workshop"
)

type controllerFlags struct {
	leaderElect bool
	sealKeyFile string
	metricsAddr string
	healthAddr  string
	workers     int
	auditRelay  string
}

func newControllerCommand(g *globals) *cobra.Command {
	var f controllerFlags
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the lab's controller: it judges the Attempts of workshops (crashlab's image runs this in the cluster)",
		Long: "Runs the controller that judges workshop learners' Attempts under its own identity and writes their status, which learners cannot write. " +
			"`crashlab workshop create` installs it as a Deployment in the " + controller.SystemNamespace + " namespace; run it by hand only to debug, with --context naming the cluster.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runController(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.leaderElect, "leader-elect", false, "take a lease first, so that one of several controllers judges")
	fl.StringVar(&f.sealKeyFile, "seal-key-file", "", "the file holding the key statuses are sealed with (the Secret "+controller.SystemNamespace+"/crashlab-controller-seal)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", ":8080", "where Prometheus metrics are served (0: not served)")
	fl.StringVar(&f.healthAddr, "health-addr", ":8081", "where /healthz and /readyz are served (0: not served)")
	intRangeVar(fl, &f.workers, "workers", 8, 1, 256, "each worker reconciles one Attempt at a time; a running check holds none", "how many Attempts are reconciled at once")
	fl.StringVar(&f.auditRelay, "audit-relay", "", "the `URL` of the audit relay (crashlab audit-relay) to read the cluster's audit log from, to keep each learner's investigation; none: no investigations")
	return cmd
}

type auditRelayFlags struct {
	dir    string
	listen string
}

func newAuditRelayCommand(g *globals) *cobra.Command {
	var f auditRelayFlags
	cmd := &cobra.Command{
		Use:   "audit-relay",
		Short: "Serve the API server's audit log to the lab's controller (crashlab's image runs this beside the controller)",
		Long: "Reads the audit log's files in --dir, which the API server writes as root with mode 0600, and serves them on --listen to the lab's controller, " +
			"which runs as another user. `crashlab workshop create` runs it in the controller's pod, on the control-plane node, as root without capabilities, " +
			"with the log's folder mounted read-only and the loopback address only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.dir == "" {
				return usageError{errors.New("--dir is required: the folder of the API server's audit log")}
			}
			if err := checkListenAddress("--listen", f.listen); err != nil {
				return err
			}
			if fi, err := os.Stat(f.dir); err != nil || !fi.IsDir() {
				return usageError{fmt.Errorf("--dir %s: not a folder this process can read", f.dir)}
			}
			err := controller.ServeAuditRelay(cmd.Context(), f.dir, f.listen)
			if cmd.Context().Err() != nil {
				return cmd.Context().Err()
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "the `folder` of the API server's audit log (audit.log and its rotated files)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8090", "the `HOST:PORT` to serve on")
	return cmd
}

func runController(ctx context.Context, g *globals, f controllerFlags) error {
	if f.sealKeyFile == "" {
		return usageError{errors.New("--seal-key-file is required: the controller seals every status it writes")}
	}
	key, err := os.ReadFile(f.sealKeyFile)
	if err != nil {
		return usageError{fmt.Errorf("--seal-key-file %s: cannot read it (%v)", f.sealKeyFile, errors.Unwrap(err))}
	}
	if len(key) < controller.MinSealKey {
		return usageError{fmt.Errorf("--seal-key-file %s: %d bytes, at least %d are needed", f.sealKeyFile, len(key), controller.MinSealKey)}
	}
	var audit controller.AuditSource
	if f.auditRelay != "" {
		u, err := url.Parse(f.auditRelay)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Errorf("--audit-relay %q: give the relay's URL, like %s", f.auditRelay, controller.AuditRelayURL)}
		}
		audit = controller.HTTPAuditSource{Base: f.auditRelay}
	}
	for _, a := range []struct{ flag, addr string }{{"--metrics-addr", f.metricsAddr}, {"--health-addr", f.healthAddr}} {
		if a.addr != "0" {
			if err := checkListenAddress(a.flag, a.addr); err != nil {
				return err
			}
		}
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(g.streams.Err, &slog.HandlerOptions{Level: slog.LevelInfo})))
	var cfg *rest.Config
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && g.context == "" {
		if cfg, err = rest.InClusterConfig(); err != nil {
			return err
		}
	} else {
		conn, err := g.dial(ctx)
		if err != nil {
			return err
		}
		cfg = conn.REST
	}
	cfg.UserAgent = "crashlab-controller"
	holder, _ := os.Hostname()
	if p := os.Getenv("POD_NAME"); p != "" {
		holder = p
	}
	ns := controller.SystemNamespace
	if p := os.Getenv("POD_NAMESPACE"); p != "" {
		ns = p
	}
	err = controller.Run(ctx, cfg, controller.Options{
		Namespace: ns, Holder: holder, SealKey: key, LeaderElection: f.leaderElect,
		MetricsAddr: f.metricsAddr, HealthAddr: f.healthAddr, Workers: f.workers, Audit: audit,
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// controllerTimeout bounds the wait for the controller's pod to be ready.
const controllerTimeout = 3 * time.Minute

// installController puts crashlab's own image where the nodes find it (the
// lab cluster's nodes, or the registry's name for it), installs the CRDs,
// the controller and its RBAC, and waits for its pod to be ready.
func (g *globals) installController(ctx context.Context, conn *cluster.Conn, bins []string) (controller.Maker, error) {
	c, err := client.New(conn.REST, client.Options{Scheme: controller.Scheme()})
	if err != nil {
		return controller.Maker{}, err
	}
	arch, err := lab.NodeArch(ctx, conn.Client, conn.Context)
	if err != nil {
		return controller.Maker{}, err
	}
	f := imagesFlags{arches: []string{arch}, crashlabBinaries: bins, crashlabImage: true, crashlabImageSet: true}
	x, err := f.index(g)
	if err != nil {
		return controller.Maker{}, err
	}
	ref := ""
	if g.registry != "" {
		// `crashlab images push` pushed it under this name for every
		// architecture; the node pulls its own.
		ref = images.RefInRegistry(x.Ref, g.registry)
	} else {
		img := x.Images[0]
		ensurer := lab.ClusterImages{Client: conn.Client, IsLab: conn.IsLab, Logger: newLogger(g)}
		if err := ensurer.EnsureImages(ctx, []images.Image{img}); err != nil {
			return controller.Maker{}, err
		}
		ref = img.Ref
	}
	o := controller.InstallOptions{Image: ref, Report: func(m string) { g.say("%s", m) }}
	// The packs this room runs travel to the controller in ConfigMaps,
	// without their fixes/ (the intended answers).
	for _, p := range catalog.Packs() {
		_, files, err := images.PackFiles(p.Dir, false)
		if err != nil {
			return controller.Maker{}, err
		}
		o.Packs = append(o.Packs, workshop.PackFiles{Name: p.Name, Files: files})
	}
	if conn.IsLab {
		// The lab's own kind cluster may record requests: then the
		// controller keeps each learner's investigation.
		has, err := cluster.NewLab(cluster.WithLogger(newLogger(g))).HasAuditLog(ctx)
		if err != nil && ctx.Err() != nil {
			return controller.Maker{}, ctx.Err()
		}
		if has {
			o.AuditLogDir = cluster.AuditLogNodeDir
		}
	}
	if err := controller.Install(ctx, c, o); err != nil {
		return controller.Maker{}, err
	}
	if err := waitControllerReady(ctx, conn, ref); err != nil {
		return controller.Maker{}, err
	}
	return controller.Maker{Client: c}, nil
}

// waitControllerReady waits until the controller's Deployment runs the
// image it was given, ready; a pod that cannot start is named with why.
func waitControllerReady(ctx context.Context, conn *cluster.Conn, ref string) error {
	var why string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, controllerTimeout, true, func(ctx context.Context) (bool, error) {
		d, err := conn.Client.AppsV1().Deployments(controller.SystemNamespace).Get(ctx, controller.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		pods, err := conn.Client.CoreV1().Pods(controller.SystemNamespace).List(ctx, metav1.ListOptions{LabelSelector: "crashlab.dev/role=controller"})
		if err == nil {
			for _, p := range pods.Items {
				why = podWhy(&p)
			}
		}
		return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas >= 1 && d.Status.AvailableReplicas >= 1 && d.Status.Replicas == d.Status.UpdatedReplicas && d.Spec.Template.Spec.Containers[0].Image == ref && isAvailable(d), nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("the lab's controller (%s/%s, image %s) was not ready within %s: %s", controller.SystemNamespace, controller.Name, ref, controllerTimeout, why)
	}
	return nil
}

func isAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func podWhy(p *corev1.Pod) string {
	for _, st := range p.Status.ContainerStatuses {
		if w := st.State.Waiting; w != nil {
			return fmt.Sprintf("pod %s: %s %s", p.Name, w.Reason, w.Message)
		}
	}
	return fmt.Sprintf("pod %s: %s", p.Name, p.Status.Phase)
}

var quietOnce sync.Once

// quietControllerRuntime gives controller-runtime's clients and caches,
// which the learner's crashlab and the board use, a logger that writes
// nothing: without one, controller-runtime prints a stack trace after 30 s
// into a learner's terminal. Only `crashlab controller`, which never comes
// here, logs through it.
func quietControllerRuntime() {
	quietOnce.Do(func() { ctrl.SetLogger(logr.Discard()) })
}

// workshopRemote is a workshop learner's judge: their Attempts, when the
// workshop has the lab's controller (its Workshop object is there), else
// nil and the learner's crashlab judges as before.
func workshopRemote(ctx context.Context, conn *cluster.Conn, who workshop.Identity) (lab.Remote, error) {
	quietControllerRuntime()
	c, err := client.New(conn.REST, client.Options{Scheme: attempts.Scheme()})
	if err != nil {
		return nil, err
	}
	var w v1alpha1.Workshop
	err = c.Get(ctx, client.ObjectKey{Namespace: workshop.Namespace(who.Workshop), Name: who.Workshop}, &w)
	switch {
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err), meta.IsNoMatchError(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return attempts.New(conn.REST, workshop.Namespace(who.Workshop), who.Learner)
}

// gradedWorkshop is the AttemptMaker of a workshop the lab's controller
// judges (its Workshop object is there), else nil.
func gradedWorkshop(ctx context.Context, conn *cluster.Conn, name string) (workshop.AttemptMaker, error) {
	quietControllerRuntime()
	c, err := client.New(conn.REST, client.Options{Scheme: controller.Scheme()})
	if err != nil {
		return nil, err
	}
	var w v1alpha1.Workshop
	err = c.Get(ctx, client.ObjectKey{Namespace: workshop.Namespace(name), Name: name}, &w)
	switch {
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return controller.Maker{Client: c, Namespace: workshop.Namespace(name)}, nil
}
