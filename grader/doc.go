// Package grader judges diagnoses and fixes against the live cluster; the
// answer key is always the cluster, never a constant. What the cluster shows
// it takes from package podstate (the one reading of pod state); what it adds
// is the judging: verdicts, diagnosis questions and their evidence, the static
// rules a fixed workload must keep (as-deployed, hardening, probes, limits,
// incident checks) and the live judge that watches a fix hold.
package grader
