package celcheck

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiservercel "k8s.io/apiserver/pkg/cel"

	"github.com/crashlab/crashlab/podstate"
)

func TestCompileRefusesFieldsTheKindLacks(t *testing.T) {
	tests := []struct {
		name, kind, expr string
		// variable puts expr in a variable rather than a case.
		variable bool
		// want are the words the error must hold: the check, where, the
		// field and the hint an author acts on.
		want []string
	}{
		{"misspelt container field", podstate.KindDeployment, "container.imagee == ''", false,
			[]string{"check typo", "case 1 when", "undefined field 'imagee'", `container is of type Container, which has no field "imagee": did you mean "image"?`}},
		{"misspelt field, any kind", "", "base.livenessprobe == null", false,
			[]string{"undefined field 'livenessprobe'", `did you mean "livenessProbe"?`}},
		{"misspelt optional field", podstate.KindJob, "container.?resources.?limitz.hasValue()", false,
			[]string{"undefined field 'limitz'", `container.?resources is of type ResourceRequirements, which has no field "limitz": did you mean "limits"?`}},
		{"misspelt Deployment field", podstate.KindDeployment, "workload.spec.replicass > 1", false,
			[]string{"undefined field 'replicass'", `workload.spec is of type DeploymentSpec (the workload is a Deployment), which has no field "replicass": did you mean "replicas"?`}},
		{"a CronJob's field on a Deployment", podstate.KindDeployment, "workload.spec.schedule == ''", false,
			[]string{"undefined field 'schedule'", `workload.spec is of type DeploymentSpec (the workload is a Deployment), which has no field "schedule"; its fields: minReadySeconds, paused`}},
		{"a Deployment's field on a Pod", podstate.KindPod, "workload.spec.replicas > 1", false,
			[]string{"undefined field 'replicas'", "workload.spec is of type PodSpec (the workload is a Pod)"}},
		{"pod template field", podstate.KindStatefulSet, "pod.nodeSelecter == {}", false,
			[]string{"undefined field 'nodeSelecter'", `pod is of type PodSpec, which has no field "nodeSelecter": did you mean "nodeSelector"?`}},
		{"inside a comprehension", podstate.KindDeployment, "nodes.exists(n, has(n.status.allocatablee))", false,
			[]string{"undefined field 'allocatablee'", `no field "allocatablee" there: did you mean "allocatable"?`}},
		{"a list's elements", podstate.KindCronJob, "jobs.exists(j, j.spec.backofLimit > 0)", false,
			[]string{"undefined field 'backofLimit'", `did you mean "backoffLimit"?`}},
		{"a variable", podstate.KindDeployment, "has(container.livenessProbe.httpGet.paht)", true,
			[]string{"variable v", "undefined field 'paht'", `container.livenessProbe.httpGet is of type HTTPGetAction, which has no field "paht": did you mean "path"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := Spec{Name: "typo", Cases: []Case{{When: tt.expr, Fail: "x"}, {Pass: "y"}}}
			if tt.variable {
				spec = Spec{Name: "typo", Variables: []Variable{{"v", tt.expr}}, Cases: []Case{{Pass: "y"}}}
			}
			_, err := CompileFor(spec, tt.kind)
			require.ErrorIs(t, err, ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestWorkloadIsTypedByItsKind(t *testing.T) {
	tests := []struct {
		expr string
		// ok lists the kinds the expression compiles for.
		ok []string
	}{
		{"workload.spec.schedule != ''", []string{podstate.KindCronJob}},
		{"workload.spec.replicas > 1", []string{podstate.KindDeployment, podstate.KindStatefulSet}},
		{"workload.spec.serviceName != ''", []string{podstate.KindStatefulSet}},
		{"workload.spec.backoffLimit > 1", []string{podstate.KindJob}},
		{"workload.spec.nodeName != ''", []string{podstate.KindPod}},
		{"workload.metadata.name != ''", podstate.WorkloadKinds},
	}
	for _, tt := range tests {
		for _, kind := range podstate.WorkloadKinds {
			_, err := CompileFor(Spec{Name: "k", Cases: []Case{{When: tt.expr, Pass: "y"}, {Fail: "n"}}}, kind)
			if assert.Equal(t, contains(tt.ok, kind), err == nil, "%s on a %s: %v", tt.expr, kind, err) && err != nil {
				assert.Contains(t, err.Error(), "the workload is a "+kind)
			}
		}
		// The kind unknown, workload is dyn: anything compiles.
		_, err := Compile(Spec{Name: "k", Cases: []Case{{When: tt.expr, Pass: "y"}, {Fail: "n"}}})
		assert.NoError(t, err, tt.expr)
	}
	_, err := CompileFor(Spec{Name: "k", Cases: []Case{{Pass: "y"}}}, "ReplicaSet")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), `workload kind "ReplicaSet"`)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Typed expressions read the same JSON maps as before: absent fields are
// absent, integers int64, quantities and times strings, int-or-string
// either.
func TestTypedChecksReadTheLiveJSON(t *testing.T) {
	created := metav1.NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	ctr := corev1.Container{Name: "app", Image: "img:1", Args: []string{"--alloc-mb=96", "--listen=:8080"},
		Env:   []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		LivenessProbe: &corev1.Probe{PeriodSeconds: 5, ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
			TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}}
	two := int32(2)
	d := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Labels: map[string]string{"app": "api"}, CreationTimestamp: created}}
	d.Spec.Replicas = &two
	d.Spec.Template.Spec.Containers = []corev1.Container{ctr}
	d.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/arch": "amd64"}
	pod := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api-1"}, Spec: d.Spec.Template.Spec,
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: 3}}}}
	node := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}}}
	backoff := int32(4)
	job := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate"}, Spec: batchv1.JobSpec{BackoffLimit: &backoff}}
	deployment := &podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"},
		Deployment: &d, Deployments: []appsv1.Deployment{d}, Pods: []corev1.Pod{pod}, Nodes: []corev1.Node{node}, Jobs: []batchv1.Job{job}}
	cron := batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "report"}, Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *"}}
	cron.Spec.JobTemplate.Spec.Template.Spec.Containers = []corev1.Container{ctr}
	cronJob := &podstate.State{Target: podstate.Target{Kind: podstate.KindCronJob, Name: "report", Container: "app"},
		CronJobs: []batchv1.CronJob{cron}}
	tests := []struct {
		name, kind string
		state      *podstate.State
		expr       string
		want       bool
	}{
		{"has a present field", podstate.KindDeployment, deployment, "has(container.livenessProbe)", true},
		{"has an absent field", podstate.KindDeployment, deployment, "has(container.startupProbe)", false},
		{"has an absent nested field", podstate.KindDeployment, deployment, "has(container.livenessProbe.exec)", false},
		{"optional present", podstate.KindDeployment, deployment, "container.?livenessProbe.?httpGet.?path.orValue('') == '/healthz'", true},
		{"optional absent", podstate.KindDeployment, deployment, "container.?startupProbe.?httpGet.?path.orValue('none') == 'none'", true},
		{"optional map entry", podstate.KindDeployment, deployment, "container.?resources.?requests[?'memory'].hasValue()", false},
		{"size of a list", podstate.KindDeployment, deployment, "size(container.args) == 2 && container.env.size() == 1", true},
		{"in a map", podstate.KindDeployment, deployment, "'memory' in container.resources.limits && !('cpu' in container.resources.limits)", true},
		{"quantity", podstate.KindDeployment, deployment, "quantity(container.resources.limits.memory).compareTo(quantity('100Mi')) > 0", true},
		{"int compare", podstate.KindDeployment, deployment, "workload.spec.replicas == 2 && workload.spec.replicas > 1 && container.ports[0].containerPort == 8080", true},
		{"int-or-string as a string", podstate.KindDeployment, deployment, "container.livenessProbe.httpGet.port == 'http'", true},
		{"int-or-string as an int", podstate.KindDeployment, deployment, "container.readinessProbe.tcpSocket.port == 8080", true},
		{"map field", podstate.KindDeployment, deployment, "workload.metadata.labels['app'] == 'api' && pod.nodeSelector['kubernetes.io/arch'] == 'amd64'", true},
		{"a field named as a CEL keyword", podstate.KindDeployment, deployment, "workload.metadata.namespace == 'shop'", true},
		{"time is a string", podstate.KindDeployment, deployment, "timestamp(workload.metadata.creationTimestamp) == timestamp('2024-05-01T12:00:00Z')", true},
		{"pods", podstate.KindDeployment, deployment, "pods.exists(p, p.status.phase == 'Running' && p.status.containerStatuses.exists(s, s.restartCount >= 3))", true},
		{"nodes", podstate.KindDeployment, deployment, "nodes.map(n, quantity(n.status.allocatable.memory).asInteger()).max() == 8 * 1024 * 1024 * 1024", true},
		{"deployments", podstate.KindDeployment, deployment, "deployments.exists(d, d.metadata.name == 'api' && d.spec.replicas == 2)", true},
		{"jobs", podstate.KindDeployment, deployment, "jobs.exists(j, j.spec.backoffLimit == 4) && cronJobs.size() == 0", true},
		{"lab functions take typed values", podstate.KindDeployment, deployment,
			"env(container, 'MODE').value == 'prod' && flag(container.args, 'alloc-mb') == '96' && hasFlag(container.args, 'listen') && " +
				"sameProbe(container.livenessProbe, base.livenessProbe) && runsProgram(pod, container) && containerPort(container, container.livenessProbe.httpGet.port) == 8080 && " +
				"probeBudget(container.livenessProbe) == duration('15s')", true},
		{"null against typed values", podstate.KindDeployment, deployment, "container != null && base != null && env(container, 'NOPE') == null", true},
		{"a CronJob", podstate.KindCronJob, cronJob, "workload.spec.schedule == '*/5 * * * *' && workload.spec.jobTemplate.spec.template.spec.containers.size() == 1 && !has(workload.spec.suspend)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CompileFor(Spec{Name: "read", Cases: []Case{{When: tt.expr, Pass: "yes"}, {Fail: "no"}}}, tt.kind)
			require.NoError(t, err)
			r := c.Grader(Inputs{Base: &ctr, BasePod: &d.Spec.Template.Spec}).Run(tt.state)
			assert.Equal(t, tt.want, r.Passed, r.Message)
		})
	}
}

func TestTypedNullsWhenTheWorkloadIsGone(t *testing.T) {
	c, err := CompileFor(Spec{Name: "gone", Cases: []Case{
		{When: "container == null && workload == null", Fail: "gone"},
		{Pass: "here"}}}, podstate.KindDeployment)
	require.NoError(t, err)
	r := c.Grader(Inputs{}).Run(&podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"}})
	assert.False(t, r.Passed)
	assert.Equal(t, "gone", r.Message)
}

func TestDeclaredTypesFollowTheAPI(t *testing.T) {
	types := declaredTypes()
	field := func(d *apiservercel.DeclType, path ...string) *apiservercel.DeclType {
		t.Helper()
		for _, p := range path {
			f, ok := d.FindField(p)
			require.True(t, ok, "%s has %s", d.TypeName(), p)
			d = f.Type
		}
		return d
	}
	assert.Equal(t, "io.k8s.api.core.v1.Container", types.container.TypeName())
	assert.Equal(t, "string", field(types.container, "image").TypeName())
	assert.Equal(t, "int", field(types.container, "livenessProbe", "periodSeconds").TypeName())
	assert.Equal(t, "dyn", field(types.container, "livenessProbe", "httpGet", "port").TypeName(), "int-or-string")
	assert.True(t, field(types.container, "args").IsList())
	limits := field(types.container, "resources", "limits")
	require.True(t, limits.IsMap())
	assert.Equal(t, "string", limits.ElemType.TypeName(), "a quantity")
	meta := field(types.deployment, "metadata")
	assert.Equal(t, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", meta.TypeName())
	assert.Equal(t, "string", field(meta, "creationTimestamp").TypeName(), "a time")
	assert.Equal(t, "dyn", field(meta, "managedFields").ElemType.Fields["fieldsV1"].Type.TypeName(), "raw JSON")
	_, inlined := types.deployment.FindField("apiVersion")
	assert.True(t, inlined, "TypeMeta's fields are the object's")
	assert.Equal(t, "string", field(types.node, "status", "images").ElemType.Fields["names"].Type.ElemType.TypeName())

	// A type that holds itself is dyn where it recurs, and the build ends.
	b := &declBuilder{built: map[reflect.Type]*apiservercel.DeclType{}, building: map[reflect.Type]bool{}, names: map[string]reflect.Type{}}
	props := b.declType(reflect.TypeFor[apiextensionsv1.JSONSchemaProps]())
	assert.Equal(t, "dyn", field(props, "not").TypeName())
	assert.Equal(t, "dyn", field(props, "properties").ElemType.TypeName())
}
