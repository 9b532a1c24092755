// Package cluster owns the lab's local Kubernetes cluster: a one-node kind
// cluster named Name whose kubelet caps CrashLoopBackOff at BackoffCap, so a
// crashing container is restarted within seconds instead of the default five
// minutes and a learner can watch the back-off grow and level off in one
// sitting.
//
// Lab wraps kind's library (sigs.k8s.io/kind/pkg/cluster) rather than its CLI,
// so the lab needs no kind binary; it only ever creates, loads images into or
// deletes the cluster named Name. Connect and the namespace helpers act on a
// cluster through its API server and work on any cluster the user points
// them at.
package cluster
