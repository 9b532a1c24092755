package replay_test

import (
	"fmt"
	"time"

	"github.com/crashlab/crashlab/replay"
)

// The whole flow, as `crashlab replay` uses it: read the logs, keep the
// learner's requests in the incident's namespace from the page on, build
// the timeline with the lab's own commands, and compare it with the
// incident's expert path.
func Example() {
	page := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	log, err := replay.ReadDir("testdata/investigation")
	if err != nil {
		panic(err)
	}
	events := replay.Filter{Namespaces: []string{"crashlab-orders-api-down-after-config"}, From: page}.Apply(log.Events)
	diagnosed := page.Add(4*time.Minute + 10*time.Second)
	tl := replay.Build(events, page, []replay.LabCommand{{Time: diagnosed, Command: "diagnose"}})
	for _, e := range tl.Entries {
		fmt.Printf("%-6s %s\n", e.Since.Truncate(time.Second), e.Command)
		for _, c := range e.Changes {
			fmt.Printf("         %s = %s\n", c.Path, c.Value)
		}
	}
	path := []replay.Step{
		{Look: "get", Kind: "pod"},
		{Look: "describe", Kind: "pod"},
		{Look: "logs", Previous: true, Evidence: true},
		{Look: "get", Kind: "secret", Name: "orders-db", Evidence: true},
	}
	sum := replay.Compare(tl, path, diagnosed)
	fmt.Println("evidence after", sum.EvidenceAfter.Round(time.Second), "in order:", sum.InOrder, "missed:", len(sum.Missed), "writes before the diagnosis:", len(sum.WritesBefore))
	fmt.Println("skipped lines:", log.Skipped)
	// Output:
	// 12s    kubectl get pods
	// 31s    kubectl describe pod orders-api-6d8f7c9b5d-x2x4q
	// 58s    kubectl logs orders-api-6d8f7c9b5d-x2x4q --previous
	// 1m35s  kubectl get deployment orders-api
	// 2m20s  kubectl edit deployment orders-api
	//          spec.template.spec.containers[app].resources.limits.memory = 256Mi
	// 3m0s   kubectl get pods -w
	// 3m45s  kubectl get secret orders-database
	// 3m51s  kubectl get secret orders-db
	// 4m10s  crashlab diagnose
	// 4m22s  kubectl edit deployment orders-api
	//          spec.template.spec.containers[app].env[DATABASE_URL].valueFrom.secretKeyRef.key = database_url
	// 5m0s   kubectl rollout restart deployment/orders-api
	//          spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] = 2026-12-06T18:05:00Z
	// 5m20s  kubectl delete pod orders-api-6d8f7c9b5d-7kq9z
	// evidence after 58s in order: true missed: 0 writes before the diagnosis: 1
	// skipped lines: 3
}
