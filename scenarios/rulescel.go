package scenarios

import (
	"fmt"
	"strings"

	"github.com/crashlab/crashlab/grader/celcheck"
)

// The declarative rules are shorthands for CEL checks: spec writes the check
// a rule stands for, which runs in the same engine as an incident's own
// `checks:`.

// missingContainer is every rule's first case: the target container gone.
var missingContainer = celcheck.Case{
	When:              "container == null",
	Fail:              "the container is missing from the workload",
	MessageExpression: "'container %s is missing from %s %s'.format([target.container, target.kind, target.name])",
}

// probeField is a probe kind's field in a container.
func probeField(kind string) string { return kind + "Probe" }

// celQuote is s as a CEL string literal.
func celQuote(s string) string { return fmt.Sprintf("%q", s) }

// spec is the CEL check of a rule.
func (r Rule) spec() celcheck.Spec {
	switch r.Rule {
	case "hardeningKept":
		return hardeningKeptSpec()
	case "keep":
		return r.keepSpec()
	case "probeKept":
		f := probeField(r.Probe)
		return celcheck.Spec{Name: r.Name, Cases: []celcheck.Case{
			missingContainer,
			{When: "!has(container." + f + ")", Fail: r.Fail},
			{Pass: r.Pass},
		}}
	case "probeOnHealth":
		return r.probeOnHealthSpec()
	default: // memoryLimit; validate admitted nothing else
		return r.memoryLimitSpec()
	}
}

func (r Rule) keepSpec() celcheck.Spec {
	name := r.Name
	if name == "" {
		name = "app-unchanged"
	}
	var same []string
	for _, p := range r.Parts {
		switch p {
		case "image":
			same = append(same, "container.?image.orValue('') == base.?image.orValue('')")
		case "command", "args":
			same = append(same, fmt.Sprintf("container.?%[1]s.orValue([]) == base.?%[1]s.orValue([])", p))
		case "livenessProbe", "readinessProbe", "startupProbe":
			same = append(same, fmt.Sprintf("sameProbe(container.?%[1]s.orValue(null), base.?%[1]s.orValue(null))", p))
		case "memoryLimit", "cpuLimit":
			res := strings.TrimSuffix(p, "Limit")
			a, b := "container.?resources.?limits[?'"+res+"']", "base.?resources.?limits[?'"+res+"']"
			same = append(same, fmt.Sprintf("(%[1]s.hasValue() == %[2]s.hasValue() && (!%[1]s.hasValue() || quantity(%[1]s.value()).compareTo(quantity(%[2]s.value())) == 0))", a, b))
		}
	}
	return celcheck.Spec{Name: name, Cases: []celcheck.Case{
		missingContainer,
		{When: "base == null", Fail: "the lab's record of the released container is missing"},
		{When: "!(" + strings.Join(same, " && ") + ")", Fail: r.Fail},
		{Pass: r.Pass},
	}}
}

// probeOnHealthSpec: every probe of the listed kinds the container has asks
// the app's health endpoint, the released liveness probe's HTTP GET. A TCP
// or exec probe says nothing about whether the app works.
func (r Rule) probeOnHealthSpec() celcheck.Spec {
	s := celcheck.Spec{Name: r.Name,
		Variables: []celcheck.Variable{
			{Name: "path", Expression: "base == null ? '' : base.?livenessProbe.?httpGet.?path.orValue('')"},
			{Name: "port", Expression: "base == null || !base.?livenessProbe.?httpGet.hasValue() ? 0 : containerPort(base, base.livenessProbe.httpGet.port)"},
		},
		Cases: []celcheck.Case{missingContainer}}
	for _, k := range r.Probes {
		p := "container." + probeField(k)
		has := "has(" + p + ")"
		off := func(when, why string) celcheck.Case {
			return celcheck.Case{When: has + " && " + when,
				Fail:              fmt.Sprintf("the %s probe does not ask the app's health endpoint, so it says nothing about whether the app works", k),
				MessageExpression: fmt.Sprintf("'the %s probe %%s: it must ask the app\\'s health endpoint (HTTP GET %%s on port %%d), otherwise it says nothing about whether the app works'.format([%s, variables.path, variables.port])", k, why)}
		}
		s.Cases = append(s.Cases,
			off("has("+p+".exec)", celQuote("runs a command instead of asking the app")),
			off("has("+p+".tcpSocket)", celQuote("only checks that the port accepts connections, which it does long before the app is ready and even when it hangs")),
			off("has("+p+".grpc)", celQuote("uses gRPC, which the app does not serve")),
			off("!has("+p+".httpGet)", celQuote("has no check at all")),
			off(p+".httpGet.?path.orValue('') != variables.path", "'asks path \"%s\"'.format(["+p+".httpGet.?path.orValue('')])"),
			off("containerPort(container, "+p+".httpGet.port) != variables.port", "'asks port %s'.format(["+p+".httpGet.port])"),
			off(p+".httpGet.?host.orValue('') != ''", "'asks host \"%s\" instead of the pod'.format(["+p+".httpGet.host])"),
			off(p+".httpGet.?scheme.orValue('HTTP') != 'HTTP'", "'uses %s, which the app does not serve'.format(["+p+".httpGet.scheme])"),
		)
	}
	s.Cases = append(s.Cases, celcheck.Case{Pass: "the probes ask the app's health endpoint",
		MessageExpression: "'the probes ask the app\\'s health endpoint %s on port %d'.format([variables.path, variables.port])"})
	return s
}

// memoryLimitSpec: the limit fits the need the released args state, with
// headroom, and is no more than maxFactor times the need nor more than a
// node can give.
func (r Rule) memoryLimitSpec() celcheck.Spec {
	flag := strings.TrimLeft(r.NeedArg, "-")
	headroom := fmt.Sprint(r.MinHeadroomMiB)
	if r.HeadroomDivisor > 0 {
		headroom = fmt.Sprintf("(variables.need / %[1]d > %[2]d ? variables.need / %[1]d : %[2]d)", r.HeadroomDivisor, r.MinHeadroomMiB)
	}
	const limit = "container.resources.limits.memory"
	const mib = 1 << 20
	// The largest allocatable memory of any node: a limit above it can
	// never be reached on this cluster (0 when no node says).
	nodeMax := "nodes.filter(n, has(n.status) && has(n.status.allocatable) && 'memory' in n.status.allocatable).map(n, quantity(n.status.allocatable.memory).asInteger())"
	return celcheck.Spec{Name: r.Name,
		Variables: []celcheck.Variable{
			{Name: "arg", Expression: "base == null ? '' : flag(base.?args.orValue([]), " + celQuote(flag) + ")"},
			{Name: "need", Expression: "variables.arg.matches('^[0-9]+$') ? int(variables.arg) : 0"},
			{Name: "low", Expression: "variables.need + " + headroom},
			{Name: "high", Expression: fmt.Sprintf("variables.need * %d", r.MaxFactor)},
			{Name: "hasLimit", Expression: "container != null && container.?resources.?limits[?'memory'].hasValue() && quantity(" + limit + ").compareTo(quantity('0')) != 0"},
			{Name: "nodes", Expression: nodeMax},
		},
		Cases: []celcheck.Case{
			{When: "base == null || !hasFlag(base.?args.orValue([]), " + celQuote(flag) + ")", Fail: "the lab cannot tell what the app needs: the released arguments have no " + r.NeedArg},
			{When: "variables.need <= 0", Fail: "the lab cannot tell what the app needs: " + r.NeedArg + " is not a positive number"},
			missingContainer,
			{When: "!variables.hasLimit", Fail: "the container has no memory limit any more: one leak could then take the node's memory from every other pod",
				MessageExpression: "'the container has no memory limit any more: one leak could then take the node\\'s memory from every other pod; set a limit of at least %dMi (the %d MiB working set plus headroom)'.format([variables.low, variables.need])"},
			{When: fmt.Sprintf("quantity(%s).asInteger() < variables.low * %d", limit, mib), Fail: "the memory limit leaves too little room for the app's working set plus the runtime around it",
				MessageExpression: "'a memory limit of %s leaves too little room for the app\\'s %d MiB working set plus the runtime around it: set at least %dMi'.format([" + limit + ", variables.need, variables.low])"},
			{When: fmt.Sprintf("size(variables.nodes) > 0 && quantity(%s).asInteger() > variables.nodes.max()", limit), Fail: "the memory limit is more than the node can give: it would never stop a leak",
				MessageExpression: fmt.Sprintf("'a memory limit of %%s is more than the node can give (%%dMi allocatable): it would never stop a leak; size it to the working set plus headroom (%%dMi to %%dMi)'.format([%s, variables.nodes.max() / %d, variables.low, variables.high])", limit, mib)},
			{When: fmt.Sprintf("%d > 0 && quantity(%s).asInteger() > variables.high * %d", r.MaxFactor, limit, mib), Fail: "the memory limit is far more than the app needs: it would hardly stop a leak",
				MessageExpression: fmt.Sprintf("'a memory limit of %%s is more than %d times what the app needs (%%d MiB): it would hardly stop a leak; size it to the working set plus headroom (%%dMi to %%dMi)'.format([%s, variables.need, variables.low, variables.high])", r.MaxFactor, limit)},
			{When: "container.?resources.?requests[?'memory'].hasValue() && quantity(container.resources.requests.memory).compareTo(quantity(" + limit + ")) > 0", Fail: "the memory request is above the limit: the request must not exceed the limit",
				MessageExpression: "'the memory request %s is above the limit %s: the request must not exceed the limit'.format([container.resources.requests.memory, " + limit + "])"},
			{Pass: "the memory limit fits the app's working set with headroom", Approach: r.Approach,
				MessageExpression: "'the memory limit %s fits the app\\'s %d MiB working set with headroom'.format([" + limit + ", variables.need])"},
		}}
}

// hardeningKeptSpec: what the released pod template turns on for security
// stays on, with the same values, and nothing privileged comes in, in any
// container of the pod. The pod's
// and the container's securityContext are merged as the kubelet merges
// them: the container's own setting wins.
func hardeningKeptSpec() celcheck.Spec {
	// effective is a securityContext field as the kubelet applies it.
	effective := func(c, pod, field string) string {
		return fmt.Sprintf("%[1]s.?securityContext.?%[3]s.or(%[2]s.?securityContext.?%[3]s)", c, pod, field)
	}
	sc := func(c, field string) string { return c + ".?securityContext.?" + field }
	lost := []string{
		fmt.Sprintf("(%s.orValue(false) && !%s.orValue(false) ? ['runAsNonRoot is no longer true'] : [])",
			effective("base", "basePod", "runAsNonRoot"), effective("container", "pod", "runAsNonRoot")),
		fmt.Sprintf("(%s.orValue(0) != 0 && %s.orValue(-1) == 0 ? ['the container runs as root (runAsUser 0)'] : [])",
			effective("base", "basePod", "runAsUser"), effective("container", "pod", "runAsUser")),
		fmt.Sprintf("(%s.orValue(false) && !%s.orValue(false) ? ['readOnlyRootFilesystem is no longer true'] : [])",
			sc("base", "readOnlyRootFilesystem"), sc("container", "readOnlyRootFilesystem")),
		fmt.Sprintf("(%s.orValue(true) == false && %s.orValue(true) != false ? ['allowPrivilegeEscalation is no longer false'] : [])",
			sc("base", "allowPrivilegeEscalation"), sc("container", "allowPrivilegeEscalation")),
		fmt.Sprintf("('ALL' in %s.orValue([]) && !('ALL' in %s.orValue([])) ? ['capabilities no longer drop ALL'] : [])",
			sc("base", "capabilities.?drop"), sc("container", "capabilities.?drop")),
		fmt.Sprintf("(%s.orValue(false) ? ['the container runs privileged'] : [])", sc("container", "privileged")),
		fmt.Sprintf("(size(%[1]s.orValue([])) > 0 ? ['capabilities [%%s] are added'.format([%[1]s.orValue([]).join(' ')])] : [])", sc("container", "capabilities.?add")),
		"(pod.?hostNetwork.orValue(false) || pod.?hostPID.orValue(false) || pod.?hostIPC.orValue(false) ? ['the pod shares the node\\'s network, PID or IPC namespace'] : [])",
		// Every other container of the pod, init containers too: a
		// privileged init container can rewrite the pod's namespaced
		// sysctls (seen on kind: it lowered ip_unprivileged_port_start and
		// the app bound port 80 with its own context untouched).
		"variables.others.map(o, [" +
			"o.?securityContext.?privileged.orValue(false) ? 'container %s runs privileged'.format([o.name]) : '', " +
			"size(o.?securityContext.?capabilities.?add.orValue([])) > 0 ? 'container %s adds capabilities [%s]'.format([o.name, o.securityContext.capabilities.add.join(' ')]) : '', " +
			effective("base", "basePod", "runAsUser") + ".orValue(0) != 0 && " + effective("o", "pod", "runAsUser") + ".orValue(-1) == 0 ? 'container %s runs as root (runAsUser 0)'.format([o.name]) : ''" +
			"].filter(m, m != '').join('; ')).filter(m, m != '')",
		// Each released sysctl, by its first entry of that name now.
		"basePod.?securityContext.?sysctls.orValue([]).map(w, !variables.sysctls.exists(g, g.name == w.name) ? 'sysctl %s=%s is gone'.format([w.name, w.value]) : " +
			"variables.sysctls.filter(g, g.name == w.name)[0].value != w.value ? 'sysctl %s is %s instead of %s'.format([w.name, variables.sysctls.filter(g, g.name == w.name)[0].value, w.value]) : '').filter(m, m != '')",
	}
	return celcheck.Spec{Name: "hardening-kept",
		Variables: []celcheck.Variable{
			{Name: "sysctls", Expression: "pod == null ? [] : pod.?securityContext.?sysctls.orValue([])"},
			{Name: "others", Expression: "pod == null || container == null ? [] : (pod.?initContainers.orValue([]) + pod.?containers.orValue([])).filter(o, o.name != container.name)"},
			{Name: "lost", Expression: "container == null || base == null ? [] : " + strings.Join(lost, " + ")},
		},
		Cases: []celcheck.Case{
			missingContainer,
			{When: "base == null", Fail: "the lab's record of the released container is missing"},
			{When: "size(variables.lost) > 0", Fail: "the security baseline is weakened. The baseline stays; make the app work within it",
				MessageExpression: "'the security baseline is weakened: %s. The baseline stays; make the app work within it'.format([variables.lost.join('; ')])"},
			{Pass: "the security baseline is kept as released"},
		}}
}
