// Package podstate reads a lab namespace from the cluster and names the state
// of its pods. It exists so that there is one reading of pod state: the same
// phase, reason, readiness, restart count, waiting reason and last termination
// of a pod, taken from the same current pods of a workload, whoever asks. The
// facts a diagnosis is graded against, the live judge of a fix, `status`,
// `explain` and the workshop board all read pods through it, so none of them
// can disagree with another about what a pod is doing.
//
// It holds the readers (Read, ReadPod, CurrentPods and the watch-based Cache),
// the Facts an Observer makes of what was read, a pod's status Family, the
// evidence predicates on facts, waiting for a failure to show, and
// ExplainPod, the analysis of any pod. It decides nothing: whether a
// diagnosis or a fix passes is package grader's, which imports this one.
package podstate
