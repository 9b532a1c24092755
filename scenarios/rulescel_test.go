package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/grader/celcheck"
	"github.com/crashlab/crashlab/podstate"
)

// celRules are every kind of rule that stands for a CEL check.
var celRules = []Rule{
	{Rule: "keep", Parts: keepParts, Fail: "changed", Pass: "as released"},
	{Rule: "keep", Name: "app-kept", Parts: []string{"image", "args"}, Fail: "changed", Pass: "as released"},
	{Rule: "probeKept", Name: "liveness-kept", Probe: "liveness", Fail: "gone", Pass: "kept"},
	{Rule: "probeKept", Name: "readiness-kept", Probe: "readiness", Fail: "gone", Pass: "kept"},
	{Rule: "probeOnHealth", Name: "on-health", Probes: grader.ProbeKinds},
	{Rule: "memoryLimit", Name: "memory-limit", NeedArg: "--alloc-mb", MinHeadroomMiB: 16, HeadroomDivisor: 4, MaxFactor: 4, Approach: "limit-raised"},
	{Rule: "memoryLimit", Name: "memory-flat", NeedArg: "--alloc-mb", MinHeadroomMiB: 24, MaxFactor: 2},
}

// A rule is not bound to a kind of workload: its check type-checks for
// every kind the lab watches, the variables typed by it.
func TestRulesCompileForEveryKind(t *testing.T) {
	for _, kind := range podstate.WorkloadKinds {
		for _, r := range celRules {
			_, err := celcheck.CompileFor(r.spec(), kind)
			assert.NoError(t, err, "%s %s on a %s", r.Rule, r.Name, kind)
		}
	}
}

// The rules are CEL now; grader keeps their Go twins for the incidents that
// still carry Go. Both must say the same of every container: pass or fail,
// the sentence and the approach.
func TestRulesInCELJudgeAsTheirGoTwins(t *testing.T) {
	httpProbe := func(path string, port intstr.IntOrString) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: port}}}
	}
	base := corev1.Container{Name: "app", Image: "img:1", Command: []string{"/app"}, Args: []string{"--alloc-mb=96", "--listen=:8080"},
		Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		LivenessProbe:  httpProbe("/healthz", intstr.FromInt32(8080)),
		ReadinessProbe: httpProbe("/healthz", intstr.FromString("http")),
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi"), corev1.ResourceCPU: resource.MustParse("500m")},
			Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}}}
	edits := map[string]func(c *corev1.Container){
		"unchanged":         func(*corev1.Container) {},
		"image":             func(c *corev1.Container) { c.Image = "img:2" },
		"command removed":   func(c *corev1.Container) { c.Command = nil },
		"args":              func(c *corev1.Container) { c.Args = []string{"--alloc-mb=96"} },
		"liveness defaults": func(c *corev1.Container) { c.LivenessProbe.PeriodSeconds, c.LivenessProbe.FailureThreshold = 10, 3 },
		"liveness slower":   func(c *corev1.Container) { c.LivenessProbe.PeriodSeconds = 30 },
		"liveness removed":  func(c *corev1.Container) { c.LivenessProbe = nil },
		"readiness removed": func(c *corev1.Container) { c.ReadinessProbe = nil },
		"readiness tcp": func(c *corev1.Container) {
			c.ReadinessProbe.HTTPGet = nil
			c.ReadinessProbe.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}
		},
		"readiness exec": func(c *corev1.Container) {
			c.ReadinessProbe.HTTPGet = nil
			c.ReadinessProbe.Exec = &corev1.ExecAction{Command: []string{"true"}}
		},
		"readiness path":     func(c *corev1.Container) { c.ReadinessProbe.HTTPGet.Path = "/" },
		"readiness port":     func(c *corev1.Container) { c.ReadinessProbe.HTTPGet.Port = intstr.FromInt32(9090) },
		"readiness bad name": func(c *corev1.Container) { c.ReadinessProbe.HTTPGet.Port = intstr.FromString("web") },
		"readiness host":     func(c *corev1.Container) { c.ReadinessProbe.HTTPGet.Host = "example.com" },
		"readiness https":    func(c *corev1.Container) { c.ReadinessProbe.HTTPGet.Scheme = corev1.URISchemeHTTPS },
		"startup added tcp": func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}}
		},
		"limit same, bytes":   func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("67108864") },
		"limit raised":        func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("160Mi") },
		"limit barely":        func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("119Mi") },
		"limit huge":          func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("1Gi") },
		"limit over the node": func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("64Gi") },
		"limit removed":       func(c *corev1.Container) { delete(c.Resources.Limits, corev1.ResourceMemory) },
		"limit zero":          func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("0") },
		"request over limit": func(c *corev1.Container) {
			c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("160Mi")
			c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("200Mi")
		},
		"cpu limit removed": func(c *corev1.Container) { delete(c.Resources.Limits, corev1.ResourceCPU) },
	}
	goTwin := func(r Rule, b *corev1.Container) grader.Check {
		switch r.Rule {
		case "keep":
			has := func(p string) bool {
				for _, x := range r.Parts {
					if x == p {
						return true
					}
				}
				return false
			}
			return grader.AppUnchanged(b, grader.AppParts{Image: has("image"), Command: has("command"), Args: has("args"),
				LivenessProbe: has("livenessProbe"), ReadinessProbe: has("readinessProbe"), StartupProbe: has("startupProbe"),
				MemoryLimit: has("memoryLimit"), CPULimit: has("cpuLimit")}, r.Fail, r.Pass)
		case "probeKept":
			return probeKeptTwin(r.Name, r.Probe, r.Fail, r.Pass)
		case "probeOnHealth":
			return probeOnHealthTwin(r.Name, b, r.Probes)
		}
		return grader.MemoryLimitWithin(grader.LimitRule{Name: r.Name, NeedArg: r.NeedArg, MinHeadroomMiB: r.MinHeadroomMiB,
			HeadroomDivisor: r.HeadroomDivisor, MaxFactor: r.MaxFactor, Approach: r.Approach}, b)
	}
	node := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}}}
	for _, r := range celRules {
		require := r.validate()
		assert.NoError(t, require, r.Rule)
		b := Baseline{Workload: Workload{Kind: podstate.KindDeployment, Name: "api", Container: "app", Replicas: 1},
			Objects: []runtime.Object{deploymentWith(base)}}
		cel := r.check(b)
		twin := goTwin(r, b.TargetContainer())
		outcomes := map[bool]int{}
		for name, edit := range edits {
			c := *base.DeepCopy()
			edit(&c)
			st := &podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"},
				Deployment: deploymentWith(c), Nodes: []corev1.Node{node}}
			got, want := cel.Run(st), twin.Run(st)
			assert.Equal(t, want, got, "%s %s, %s", r.Rule, r.Name, name)
			outcomes[got.Passed]++
		}
		assert.NotZero(t, outcomes[true], "%s %s: some edit passes", r.Rule, r.Name)
		assert.NotZero(t, outcomes[false], "%s %s: some edit fails", r.Rule, r.Name)
		// The workload gone: the same refusal.
		gone := &podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"}}
		assert.Equal(t, twin.Run(gone), cel.Run(gone), "%s %s, workload gone", r.Rule, r.Name)
	}
}

func deploymentWith(c corev1.Container) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"}}
	d.Spec.Template.Spec.Containers = []corev1.Container{c}
	return d
}
