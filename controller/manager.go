package controller

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/lab"
)

// Options configure a running controller.
type Options struct {
	// Namespace is the controller's own (leader election's lease).
	Namespace string
	// Holder names this controller in the checks it runs (its pod's name).
	Holder string
	// SealKey is the key statuses are sealed with.
	SealKey []byte
	// LeaderElection makes one of several replicas the one that judges.
	LeaderElection bool
	// MetricsAddr and HealthAddr serve Prometheus metrics and /healthz,
	// /readyz ("0" turns one off).
	MetricsAddr, HealthAddr string
	// Workers is how many attempts are reconciled at once; a running check
	// does not hold a worker.
	Workers int
	// LabOptions go to every lab service the controller judges with.
	LabOptions []lab.Option
	// Audit, when set, is where the controller reads the cluster's audit
	// log, to keep each started Attempt's investigation in its status
	// (every AuditEvery, 5 s when zero).
	Audit      AuditSource
	AuditEvery time.Duration
}

// Scheme is the scheme the controller and the lab's clients of Attempts use.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	return s
}

// Run runs the controller until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	sealer, err := NewSealer(o.SealKey)
	if err != nil {
		return err
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        Scheme(),
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.HealthAddr,
		LeaderElection:                o.LeaderElection,
		LeaderElectionID:              "crashlab-controller",
		LeaderElectionNamespace:       o.Namespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("start the controller's manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ar := &AttemptReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Kube: kube, Sealer: sealer, Holder: o.Holder, LabOptions: o.LabOptions, Base: ctx}
	if err := ar.SetupWithManager(mgr, o.Workers); err != nil {
		return err
	}
	if err := (&WorkshopReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if o.Audit != nil {
		every := o.AuditEvery
		if every <= 0 {
			every = 5 * time.Second
		}
		iv := &investigations{r: ar, tail: newAuditTail(o.Audit), every: every, last: map[types.NamespacedName]string{}}
		if err := mgr.Add(iv); err != nil {
			return err
		}
	}
	return mgr.Start(ctx)
}
