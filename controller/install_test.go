package controller

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/workshop"
)

func TestTheCRDsKeepStatusForTheController(t *testing.T) {
	crds, err := CRDs()
	require.NoError(t, err)
	kinds := map[string]apiextensionsv1.CustomResourceDefinition{}
	for _, c := range crds {
		kinds[c.Spec.Names.Kind] = *c
		assert.Equal(t, cluster.ManagedBy, c.Labels[cluster.LabelManagedBy], "the lab's label on %s", c.Name)
		require.Len(t, c.Spec.Versions, 1)
		v := c.Spec.Versions[0]
		require.NotNil(t, v.Subresources)
		assert.NotNil(t, v.Subresources.Status, "%s: status is a subresource, which RBAC grants apart from spec", c.Name)
		assert.NotEmpty(t, v.AdditionalPrinterColumns, "%s: kubectl get shows more than names", c.Name)
		assert.NotNil(t, v.Schema.OpenAPIV3Schema.Properties["spec"])
	}
	require.Contains(t, kinds, "Attempt")
	require.Contains(t, kinds, "Workshop")
	spec := kinds["Attempt"].Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	rules := map[string]bool{}
	for _, r := range spec.XValidations {
		rules[r.Message] = true
	}
	for _, f := range []string{"learner", "incident", "namespace"} {
		require.Len(t, spec.Properties[f].XValidations, 1, "%s never changes", f)
		assert.Equal(t, "self == oldSelf", spec.Properties[f].XValidations[0].Rule)
	}
	assert.True(t, rules["hints asked for cannot be given back"])
	assert.True(t, rules["a give-up cannot be taken back"])
}

func TestTheControllersRightsAreNarrow(t *testing.T) {
	objs, err := Objects(InstallOptions{Image: "crashlab.local/crashlab:test"})
	require.NoError(t, err)
	for _, o := range objs {
		assert.Equal(t, cluster.ManagedBy, o.GetLabels()[cluster.LabelManagedBy], "%T %s carries the lab's label", o, o.GetName())
		if ns := o.GetNamespace(); ns != "" {
			assert.Equal(t, SystemNamespace, ns, "%T %s lives in the lab's namespace", o, o.GetName())
		}
	}
	for name, rules := range map[string][]rbacv1.PolicyRule{"cluster-wide": ControllerRules(), "per namespace": IncidentRules()} {
		for _, r := range rules {
			assert.NotContains(t, r.Verbs, "*", name)
			assert.NotContains(t, r.Resources, "*", name)
			assert.NotContains(t, r.Verbs, "create", "%s: the controller creates nothing", name)
			for _, res := range r.Resources {
				if !strings.HasSuffix(res, "/status") {
					assert.NotContains(t, r.Verbs, "update", "%s: the controller changes no learner object (%s)", name, res)
					assert.NotContains(t, r.Verbs, "patch", "%s: the controller changes no learner object (%s)", name, res)
				}
			}
			if name == "cluster-wide" {
				assert.NotContains(t, r.Resources, "secrets", "secrets only where a workshop binds it")
				assert.NotContains(t, r.Verbs, "delete", "deletes only where a workshop binds it")
			}
		}
	}
	for _, r := range ControllerRules() {
		for _, res := range r.Resources {
			if res == "attempts/status" {
				assert.ElementsMatch(t, []string{"get", "update", "patch"}, r.Verbs)
			}
		}
	}
}

func TestUninstallRemovesOnlyTheLabsClusterWideObjects(t *testing.T) {
	objs, err := Objects(InstallOptions{Image: "x"})
	require.NoError(t, err)
	foreign := &rbacv1.ClusterRole{}
	foreign.Name = IncidentRoleName // same name, not the lab's
	var seed []client.Object
	for _, o := range objs {
		if o.GetName() == IncidentRoleName {
			continue
		}
		seed = append(seed, o)
	}
	seed = append(seed, foreign)
	c := fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(seed...).Build()
	deleted, err := Uninstall(context.Background(), c)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"CustomResourceDefinition attempts.crashlab.dev", "CustomResourceDefinition workshops.crashlab.dev",
		"ClusterRole " + Name, "ClusterRoleBinding " + Name,
	}, deleted)
	var kept rbacv1.ClusterRole
	assert.NoError(t, c.Get(context.Background(), client.ObjectKey{Name: IncidentRoleName}, &kept), "a ClusterRole the lab did not create stays")
	var ns corev1.Namespace
	assert.NoError(t, c.Get(context.Background(), client.ObjectKey{Name: SystemNamespace}, &ns), "the namespace goes with the lab's namespaces, not here")
	again, err := Uninstall(context.Background(), c)
	require.NoError(t, err)
	assert.Empty(t, again, "nothing left to delete")
}

// A room's packs reach the controller as ConfigMaps its pod mounts, one
// folder per pack, read with --incidents; a changed pack rolls the pod.
func TestPacksTravelInConfigMapsTheControllerMounts(t *testing.T) {
	pack := workshop.PackFiles{Name: "starter.pack", Files: map[string][]byte{
		"pack.yaml": []byte("name: starter.pack\n"), "quotes/scenario.yaml": []byte("id: quotes\n"), "quotes/manifests.yaml": []byte("kind: x\n"),
	}}
	objs, err := Objects(InstallOptions{Image: "crashlab:dev", Packs: []workshop.PackFiles{pack}})
	require.NoError(t, err)
	var cm *corev1.ConfigMap
	var dep *appsv1.Deployment
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			cm = o
		case *appsv1.Deployment:
			dep = o
		}
	}
	require.NotNil(t, cm)
	require.NotNil(t, dep)
	assert.Equal(t, SystemNamespace, cm.Namespace)
	assert.Equal(t, cluster.ManagedBy, cm.Labels[cluster.LabelManagedBy])
	spec := dep.Spec.Template.Spec
	var vol *corev1.Volume
	for i := range spec.Volumes {
		if spec.Volumes[i].ConfigMap != nil && spec.Volumes[i].ConfigMap.Name == cm.Name {
			vol = &spec.Volumes[i]
		}
	}
	require.NotNil(t, vol, "the pod mounts the pack's ConfigMap")
	got := map[string]string{}
	for _, it := range vol.ConfigMap.Items {
		got[it.Path] = string(cm.BinaryData[it.Key])
	}
	want := map[string]string{}
	for k, v := range pack.Files {
		want[k] = string(v)
	}
	assert.Equal(t, want, got, "every file back at its path")
	args := strings.Join(spec.Containers[0].Args, " ")
	assert.Contains(t, args, "--incidents "+PacksMountPath+"/starter.pack")
	first := dep.Spec.Template.Annotations["crashlab.dev/packs"]
	assert.NotEmpty(t, first)

	pack.Files["quotes/scenario.yaml"] = []byte("id: quotes\ntitle: changed\n")
	objs, err = Objects(InstallOptions{Image: "crashlab:dev", Packs: []workshop.PackFiles{pack}})
	require.NoError(t, err)
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			assert.NotEqual(t, first, d.Spec.Template.Annotations["crashlab.dev/packs"], "a changed pack rolls the controller")
		}
	}

	big := workshop.PackFiles{Name: "big", Files: map[string][]byte{"pack.yaml": make([]byte, 1<<20)}}
	_, err = Objects(InstallOptions{Image: "crashlab:dev", Packs: []workshop.PackFiles{big}})
	assert.ErrorIs(t, err, ErrPackTooLarge)
}
