// Package replay turns a kube-apiserver audit log into the timeline of a
// learner's investigation of one incident and compares it with the
// incident's expert path.
package replay
