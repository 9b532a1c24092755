package scenarios

import (
	"fmt"
	"strings"

	"github.com/crashlab/crashlab/grader/celcheck"
)

// The declarative rules are shorthands for CEL checks: spec writes the check
// a rule stands for, which runs in the same engine as an incident's own
// `checks:`. hardeningKept is the one rule still judged in Go.

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

// spec is the CEL check of a rule (every rule but hardeningKept).
func (r Rule) spec() celcheck.Spec {
	switch r.Rule {
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
