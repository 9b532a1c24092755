package podstate

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What a pod needs from the cluster and does not get: the node it asks for,
// its claims, its config volumes. The scheduler and the kubelet say that
// something is missing; these facts name what, from the objects themselves.

// ownerOf names the pod's controller ("" for a bare pod) and, when it is a
// Job among those read, what the Job counts.
func ownerOf(p *corev1.Pod, jobs []batchv1.Job) (string, *JobFacts) {
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return "", nil
	}
	owner := ref.Kind + "/" + ref.Name
	if ref.Kind != KindJob {
		return owner, nil
	}
	for i := range jobs {
		j := &jobs[i]
		if j.Name != ref.Name || (j.UID != "" && ref.UID != "" && j.UID != ref.UID) {
			continue
		}
		// The API server defaults backoffLimit to 6; a Job read from a
		// fake or an old server may leave it nil.
		jf := &JobFacts{Name: j.Name, BackoffLimit: 6, Failed: j.Status.Failed, Succeeded: j.Status.Succeeded, Active: j.Status.Active}
		if j.Spec.BackoffLimit != nil {
			jf.BackoffLimit = *j.Spec.BackoffLimit
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				jf.FailedReason, jf.FailedMessage = c.Reason, c.Message
			}
		}
		return owner, jf
	}
	return owner, nil
}

// fieldContainer is the container an event's fieldPath names
// ("spec.containers{app}" is app), "" for the pod itself.
func fieldContainer(fieldPath string) string {
	i, j := strings.Index(fieldPath, "{"), strings.LastIndex(fieldPath, "}")
	if i < 0 || j < i {
		return ""
	}
	return fieldPath[i+1 : j]
}

// unmetOf names, for a pod no node has accepted, what it asks that the nodes
// do not offer. It goes the scheduler's way: nodes whose labels match, then
// those whose taints it tolerates, then those with room, so that the first
// filter that leaves no node is the one named; a later filter is checked on
// the nodes that passed the earlier ones (or all of them).
func unmetOf(p *corev1.Pod, s *State) []Unmet {
	out := claimsUnmet(p, s)
	if len(s.Nodes) == 0 {
		return out
	}
	nodes := s.Nodes
	for _, filter := range []func(*corev1.Pod, []corev1.Node) ([]Unmet, []corev1.Node){selectorUnmet, affinityUnmet, taintUnmet} {
		unmet, passed := filter(p, nodes)
		out = append(out, unmet...)
		if len(passed) > 0 {
			nodes = passed
		}
	}
	return append(out, resourceUnmet(p, nodes, s.NodePods)...)
}

func selectorUnmet(p *corev1.Pod, nodes []corev1.Node) ([]Unmet, []corev1.Node) {
	if len(p.Spec.NodeSelector) == 0 {
		return nil, nodes
	}
	var passed []corev1.Node
	for _, n := range nodes {
		ok := true
		for k, v := range p.Spec.NodeSelector {
			if lv, has := n.Labels[k]; !has || lv != v {
				ok = false
			}
		}
		if ok {
			passed = append(passed, n)
		}
	}
	if len(passed) > 0 {
		return nil, passed
	}
	var out []Unmet
	keys := sortedKeys(p.Spec.NodeSelector)
	for _, k := range keys {
		v := p.Spec.NodeSelector[k]
		if !slices.ContainsFunc(nodes, func(n corev1.Node) bool { return n.Labels[k] == v && hasKey(n.Labels, k) }) {
			out = append(out, Unmet{Kind: "nodeSelector", Name: k + "=" + v, Why: labelWhy(k, nodes), Labels: []string{k}})
		}
	}
	if len(out) == 0 {
		var pairs []string
		for _, k := range keys {
			pairs = append(pairs, k+"="+p.Spec.NodeSelector[k])
		}
		out = append(out, Unmet{Kind: "nodeSelector", Name: strings.Join(pairs, ","), Why: "each label is on some node, but no node has all of them", Labels: keys})
	}
	return out, nil
}

func affinityUnmet(p *corev1.Pod, nodes []corev1.Node) ([]Unmet, []corev1.Node) {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil, nodes
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	var passed []corev1.Node
	for _, n := range nodes {
		if slices.ContainsFunc(terms, func(t corev1.NodeSelectorTerm) bool { return termMatches(t, &n) }) {
			passed = append(passed, n)
		}
	}
	if len(passed) > 0 {
		return nil, passed
	}
	// The terms are alternatives: each one fails, so each is named with
	// the part of it that no node has.
	var out []Unmet
	for _, t := range terms {
		before := len(out)
		for _, r := range t.MatchExpressions {
			if !slices.ContainsFunc(nodes, func(n corev1.Node) bool { return requirementMatches(r, n.Labels) }) {
				out = append(out, Unmet{Kind: "nodeAffinity", Name: requirementText(r), Why: labelWhy(r.Key, nodes), Labels: []string{r.Key}})
			}
		}
		for _, r := range t.MatchFields {
			if !slices.ContainsFunc(nodes, func(n corev1.Node) bool { return requirementMatches(r, fieldsOf(&n)) }) {
				out = append(out, Unmet{Kind: "nodeAffinity", Name: requirementText(r), Why: "no node has that name"})
			}
		}
		if len(out) == before {
			var parts, keys []string
			for _, r := range t.MatchExpressions {
				parts, keys = append(parts, requirementText(r)), append(keys, r.Key)
			}
			for _, r := range t.MatchFields {
				parts = append(parts, requirementText(r))
			}
			out = append(out, Unmet{Kind: "nodeAffinity", Name: strings.Join(parts, " and "), Why: "each part matches some node, but no node matches all of it", Labels: keys})
		}
	}
	return out, nil
}

// termMatches is the scheduler's rule: every expression and field of the
// term holds; an empty term matches no node.
func termMatches(t corev1.NodeSelectorTerm, n *corev1.Node) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	for _, r := range t.MatchExpressions {
		if !requirementMatches(r, n.Labels) {
			return false
		}
	}
	for _, r := range t.MatchFields {
		if !requirementMatches(r, fieldsOf(n)) {
			return false
		}
	}
	return true
}

func fieldsOf(n *corev1.Node) map[string]string { return map[string]string{"metadata.name": n.Name} }

func requirementMatches(r corev1.NodeSelectorRequirement, labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return has && slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpNotIn:
		return !has || !slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpExists:
		return has
	case corev1.NodeSelectorOpDoesNotExist:
		return !has
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !has || len(r.Values) != 1 {
			return false
		}
		got, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return (r.Operator == corev1.NodeSelectorOpGt && got > want) || (r.Operator == corev1.NodeSelectorOpLt && got < want)
	}
	return false
}

func requirementText(r corev1.NodeSelectorRequirement) string {
	if len(r.Values) == 0 {
		return fmt.Sprintf("%s %s", r.Key, r.Operator)
	}
	return fmt.Sprintf("%s %s [%s]", r.Key, r.Operator, strings.Join(r.Values, ", "))
}

// labelWhy says what the nodes have for a label key: its values, or, when no
// node has it, the labels they do have.
func labelWhy(key string, nodes []corev1.Node) string {
	var values []string
	for _, n := range nodes {
		if v, ok := n.Labels[key]; ok {
			values = append(values, fmt.Sprintf("%s=%s on %s", key, v, n.Name))
		}
	}
	if len(values) > 0 {
		return "the nodes have " + strings.Join(capList(values, 4), "; ")
	}
	var each []string
	for _, n := range nodes {
		var ls []string
		for _, k := range sortedKeys(n.Labels) {
			ls = append(ls, k+"="+n.Labels[k])
		}
		each = append(each, fmt.Sprintf("node %s has %s", n.Name, strings.Join(ls, ", ")))
	}
	return fmt.Sprintf("no node has a label %s (%s)", key, strings.Join(capList(each, 3), "; "))
}

func capList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("and %d more", len(items)-n))
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// taintUnmet names the taints that keep the pod off every node: a node
// with a NoSchedule or NoExecute taint the pod does not tolerate is closed
// to it.
func taintUnmet(p *corev1.Pod, nodes []corev1.Node) ([]Unmet, []corev1.Node) {
	var passed []corev1.Node
	blocking := map[string][]string{}
	for _, n := range nodes {
		free := true
		for i := range n.Spec.Taints {
			t := &n.Spec.Taints[i]
			if t.Effect == corev1.TaintEffectPreferNoSchedule || tolerated(p.Spec.Tolerations, t) {
				continue
			}
			free = false
			blocking[t.ToString()] = append(blocking[t.ToString()], n.Name)
		}
		if free {
			passed = append(passed, n)
		}
	}
	if len(passed) > 0 {
		return nil, passed
	}
	var out []Unmet
	for _, taint := range sortedKeys(blocking) {
		out = append(out, Unmet{Kind: "taint", Name: taint, Why: fmt.Sprintf("%s carries it and the pod has no toleration for it", strings.Join(capList(blocking[taint], 3), ", "))})
	}
	return out, nil
}

func tolerated(ts []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range ts {
		if ts[i].ToleratesTaint(taint) {
			return true
		}
	}
	return false
}

// resourceUnmet names each resource the pod requests that no node has
// room for, and by how much the node closest to it falls short: its
// allocatable less what the pods already on it request. When those pods
// could not be read (nodePods nil), only a request above a node's whole
// allocatable is certain to be short.
func resourceUnmet(p *corev1.Pod, nodes []corev1.Node, nodePods []corev1.Pod) []Unmet {
	want := podRequests(&p.Spec)
	used := map[string]corev1.ResourceList{}
	count := map[string]int{}
	for i := range nodePods {
		q := &nodePods[i]
		if q.Spec.NodeName == "" || q.UID == p.UID && q.Name == p.Name || q.Status.Phase == corev1.PodSucceeded || q.Status.Phase == corev1.PodFailed {
			continue
		}
		if used[q.Spec.NodeName] == nil {
			used[q.Spec.NodeName] = corev1.ResourceList{}
		}
		addResources(used[q.Spec.NodeName], podRequests(&q.Spec))
		count[q.Spec.NodeName]++
	}
	var names []string
	for name := range want {
		names = append(names, string(name))
	}
	sort.Strings(names)
	var out []Unmet
	for _, name := range names {
		q := want[corev1.ResourceName(name)]
		if q.IsZero() || corev1.ResourceName(name) == corev1.ResourcePods {
			continue
		}
		var best *Unmet
		var bestShort resource.Quantity
		for _, n := range nodes {
			alloc := n.Status.Allocatable[corev1.ResourceName(name)]
			free := alloc.DeepCopy()
			taken := used[n.Name][corev1.ResourceName(name)]
			if nodePods != nil {
				free.Sub(taken)
			}
			if free.Cmp(q) >= 0 {
				best = nil
				break
			}
			short := q.DeepCopy()
			short.Sub(free)
			if best != nil && short.Cmp(bestShort) >= 0 {
				continue
			}
			why := fmt.Sprintf("the pod requests %s %s; node %s has %s allocatable", quantityText(name, q), name, n.Name, quantityText(name, alloc))
			switch {
			case nodePods == nil:
				why += " (what other pods request there could not be read)"
			case count[n.Name] > 0:
				why += fmt.Sprintf(", of which %d other pods request %s", count[n.Name], quantityText(name, taken))
			}
			why += ": " + quantityText(name, short) + " short"
			best, bestShort = &Unmet{Kind: "resource", Name: name, Short: quantityText(name, short), Node: n.Name, Why: why}, short
			if nodePods == nil && q.Cmp(alloc) <= 0 {
				// Room may be taken by pods not read: not certain.
				best = nil
				break
			}
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	return out
}

// podRequests is what the scheduler reserves for a pod: its pod-level
// requests when set, else the larger of its app containers (with sidecars)
// and its biggest init container (with the sidecars started before it),
// plus the runtime's overhead.
func podRequests(spec *corev1.PodSpec) corev1.ResourceList {
	if spec.Resources != nil && len(spec.Resources.Requests) > 0 {
		out := spec.Resources.Requests.DeepCopy()
		addResources(out, spec.Overhead)
		return out
	}
	sum := corev1.ResourceList{}
	for _, c := range spec.Containers {
		addResources(sum, c.Resources.Requests)
	}
	sidecars := corev1.ResourceList{}
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addResources(sum, c.Resources.Requests)
			addResources(sidecars, c.Resources.Requests)
			continue
		}
		init := sidecars.DeepCopy()
		addResources(init, c.Resources.Requests)
		for name, q := range init {
			if cur, ok := sum[name]; !ok || q.Cmp(cur) > 0 {
				sum[name] = q.DeepCopy()
			}
		}
	}
	addResources(sum, spec.Overhead)
	return sum
}

func addResources(to, from corev1.ResourceList) {
	for name, q := range from {
		cur := to[name]
		cur.Add(q)
		to[name] = cur
	}
}

// quantityText writes CPU in cores or millicores and bytes in the largest
// binary unit that keeps it short: what `kubectl describe node` shows.
func quantityText(name string, q resource.Quantity) string {
	switch corev1.ResourceName(name) {
	case corev1.ResourceCPU:
		m := q.MilliValue()
		if m%1000 == 0 {
			return strconv.FormatInt(m/1000, 10)
		}
		return strconv.FormatInt(m, 10) + "m"
	case corev1.ResourceMemory, corev1.ResourceEphemeralStorage, corev1.ResourceStorage:
		b := float64(q.Value())
		for _, u := range []struct {
			unit string
			size float64
		}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
			if b >= u.size {
				return strings.TrimSuffix(strconv.FormatFloat(b/u.size, 'f', 1, 64), ".0") + u.unit
			}
		}
	}
	return q.String()
}

// claimsUnmet names each claim of the pod that keeps it from a node: one
// that does not exist, or is unbound and will stay so (no StorageClass, a
// class that does not exist or has no provisioner, no volume to bind).
func claimsUnmet(p *corev1.Pod, s *State) []Unmet {
	if s.Claims == nil {
		return nil
	}
	var out []Unmet
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim == nil || s.Unread["PersistentVolumeClaim/"+v.PersistentVolumeClaim.ClaimName] {
			continue
		}
		name := v.PersistentVolumeClaim.ClaimName
		c := s.Claims[name]
		if c == nil {
			out = append(out, Unmet{Kind: "missingClaim", Name: name, Why: fmt.Sprintf("its volume names PersistentVolumeClaim %s, which does not exist in namespace %s", name, p.Namespace)})
			continue
		}
		if why := claimWhy(c, s); why != "" {
			out = append(out, Unmet{Kind: "claim", Name: name, Why: why})
		}
	}
	return out
}

const noProvisioner = "kubernetes.io/no-provisioner"

func claimWhy(c *corev1.PersistentVolumeClaim, s *State) string {
	switch c.Status.Phase {
	case corev1.ClaimBound:
		return ""
	case corev1.ClaimLost:
		return fmt.Sprintf("claim %s is Lost: its PersistentVolume %s is gone", c.Name, c.Spec.VolumeName)
	}
	class := ""
	if c.Spec.StorageClassName != nil {
		class = *c.Spec.StorageClassName
	}
	said := ""
	if e := claimEvent(c.Name, s.Events); e != "" {
		said = fmt.Sprintf("; its events say %q", e)
	}
	size := c.Spec.Resources.Requests[corev1.ResourceStorage]
	switch sc, known := s.StorageClasses[class]; {
	case class == "":
		return fmt.Sprintf("claim %s is unbound and names no StorageClass, so nothing provisions a volume for it: only a PersistentVolume without a class can bind it%s%s", c.Name, pvWhy(class, size, s), said)
	case s.StorageClasses == nil:
		return fmt.Sprintf("claim %s is unbound (its StorageClass %s could not be read)%s", c.Name, class, said)
	case !known:
		return fmt.Sprintf("claim %s is unbound: its StorageClass %s does not exist (the cluster has: %s), so nothing provisions a volume for it%s", c.Name, class, classList(s), said)
	case sc.Provisioner == noProvisioner:
		return fmt.Sprintf("claim %s is unbound: StorageClass %s has no provisioner (%s), so only a PersistentVolume made by hand can bind it%s%s", c.Name, class, noProvisioner, pvWhy(class, size, s), said)
	case said == "" && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == "WaitForFirstConsumer":
		// The claim waits for the pod to get a node: not why it has none.
		return ""
	}
	return fmt.Sprintf("claim %s is unbound: provisioner %s of StorageClass %s has not made a volume for it%s", c.Name, s.StorageClasses[class].Provisioner, class, said)
}

// pvWhy says whether a PersistentVolume by hand could bind a claim of that
// class and size ("" when the volumes could not be read).
func pvWhy(class string, size resource.Quantity, s *State) string {
	if s.PersistentVolumes == nil {
		return ""
	}
	n := 0
	for _, pv := range s.PersistentVolumes {
		capacity := pv.Spec.Capacity[corev1.ResourceStorage]
		if pv.Spec.StorageClassName == class && pv.Status.Phase == corev1.VolumeAvailable && pv.Spec.ClaimRef == nil && capacity.Cmp(size) >= 0 {
			n++
		}
	}
	if n == 0 {
		return fmt.Sprintf(", and no PersistentVolume of class %q with at least %s is Available", class, quantityText("storage", size))
	}
	return fmt.Sprintf(" (%d Available PersistentVolumes of class %q are large enough: compare their access modes)", n, class)
}

func classList(s *State) string {
	if len(s.StorageClasses) == 0 {
		return "no StorageClass"
	}
	var names []string
	for _, n := range sortedKeys(s.StorageClasses) {
		sc := s.StorageClasses[n]
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			n += " (default)"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// claimEvent is the last warning about a claim, when its events were read.
func claimEvent(name string, events []corev1.Event) string {
	msg := ""
	for _, e := range events {
		if e.InvolvedObject.Kind == "PersistentVolumeClaim" && e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning {
			msg = e.Message
		}
	}
	return msg
}

// missingConfig lists what the pod's volumes name and the namespace lacks:
// a ConfigMap or Secret (plain or in a projected volume) or a key of its
// items. An optional source may be missing; one that could not be read is
// unknown, so neither is listed.
func missingConfig(p *corev1.Pod, s *State) []MissingConfig {
	var out []MissingConfig
	check := func(volume, kind, name string, items []corev1.KeyToPath, optional *bool) {
		if optional != nil && *optional || s.Unread[kind+"/"+name] {
			return
		}
		var keys []string
		found := false
		if kind == "ConfigMap" {
			if cm := s.ConfigMaps[name]; cm != nil {
				found, keys = true, append(sortedKeys(cm.Data), sortedKeys(cm.BinaryData)...)
			}
		} else if sec := s.Secrets[name]; sec != nil {
			found, keys = true, append(sortedKeys(sec.Data), sortedKeys(sec.StringData)...)
		}
		if !found {
			out = append(out, MissingConfig{Volume: volume, Kind: kind, Name: name})
			return
		}
		for _, it := range items {
			if !slices.Contains(keys, it.Key) {
				out = append(out, MissingConfig{Volume: volume, Kind: kind, Name: name, Key: it.Key, Has: keys})
			}
		}
	}
	for _, v := range p.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			check(v.Name, "ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional)
		case v.Secret != nil:
			check(v.Name, "Secret", v.Secret.SecretName, v.Secret.Items, v.Secret.Optional)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					check(v.Name, "ConfigMap", src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional)
				}
				if src.Secret != nil {
					check(v.Name, "Secret", src.Secret.Name, src.Secret.Items, src.Secret.Optional)
				}
			}
		}
	}
	return out
}

// configRefs names the ConfigMaps and Secrets the pod's volumes mount, for
// ReadPod to fetch.
func configRefs(spec *corev1.PodSpec) (configMaps, secrets []string) {
	for _, v := range spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			configMaps = append(configMaps, v.ConfigMap.Name)
		case v.Secret != nil:
			secrets = append(secrets, v.Secret.SecretName)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					configMaps = append(configMaps, src.ConfigMap.Name)
				}
				if src.Secret != nil {
					secrets = append(secrets, src.Secret.Name)
				}
			}
		}
	}
	sort.Strings(configMaps)
	sort.Strings(secrets)
	return slices.Compact(configMaps), slices.Compact(secrets)
}
