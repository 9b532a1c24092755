// Package rorootfs is the scenario where a security baseline makes the
// container's root filesystem read-only and the app, which writes a cache
// file under /tmp at start, exits 1 with "read-only file system".
package rorootfs

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "sessions-api-down-after-hardening"

func checks(b scenarios.Baseline) []grader.Check {
	return []grader.Check{grader.HardeningKept(b.TargetPodSpec(), b.TargetContainer()), writableDir(writtenFile(b))}
}

// writtenFile is the file the released app writes at start (its
// --write-file argument).
func writtenFile(b scenarios.Baseline) string {
	c := b.TargetContainer()
	if c == nil {
		return ""
	}
	for _, a := range c.Args {
		if f, ok := strings.CutPrefix(a, "--write-file="); ok {
			return f
		}
	}
	return ""
}

// writableDir passes when the directory the app writes into is a writable
// emptyDir volume, so the root filesystem can stay read-only.
func writableDir(file string) grader.Check {
	dir := path.Dir(file)
	return grader.Check{Name: "writable-" + strings.ReplaceAll(strings.Trim(dir, "/"), "/", "-"), Run: func(s *podstate.State) grader.Result {
		spec, c := s.TargetPodSpec(), s.Container()
		if spec == nil || c == nil {
			return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		if file == "" {
			return grader.Fail("the lab cannot find the file the release writes (--write-file)")
		}
		for _, m := range c.VolumeMounts {
			if path.Clean(m.MountPath) != dir {
				continue
			}
			var vol *string
			for i := range spec.Volumes {
				if spec.Volumes[i].Name == m.Name {
					v := describeVolume(spec.Volumes[i].VolumeSource)
					vol = &v
				}
			}
			switch {
			case vol == nil:
				return grader.Fail("volume %s mounted at %s is not defined in the pod", m.Name, dir)
			case m.ReadOnly:
				return grader.Fail("volume %s is mounted at %s read-only: the app still cannot write %s", m.Name, dir, file)
			case m.SubPath != "" || m.SubPathExpr != "":
				return grader.Fail("volume %s is mounted at %s through a subPath: mount the emptyDir itself", m.Name, dir)
			case *vol == "hostPath":
				return grader.Fail("%s is a hostPath volume: the pod would write into the node's own filesystem, shared with whatever else lives there; a scratch directory is an emptyDir", dir)
			case *vol != "emptyDir":
				return grader.Fail("%s is a %s volume: a cache the pod rebuilds at start belongs in an emptyDir, which lives and dies with the pod", dir, *vol)
			}
			return grader.Result{Passed: true, Approach: "scratch-volume", Message: fmt.Sprintf("an emptyDir is mounted at %s, so the app writes %s while the root filesystem stays read-only", dir, file)}
		}
		return grader.Fail("nothing writable is mounted at %s, where the app writes %s: on a read-only root filesystem it cannot create the file", dir, file)
	}}
}

// describeVolume names the volume's type as the pod spec does.
func describeVolume(v corev1.VolumeSource) string {
	switch {
	case v.EmptyDir != nil:
		return "emptyDir"
	case v.HostPath != nil:
		return "hostPath"
	case v.PersistentVolumeClaim != nil:
		return "persistentVolumeClaim"
	case v.ConfigMap != nil:
		return "configMap"
	case v.Secret != nil:
		return "secret"
	case v.Projected != nil:
		return "projected"
	case v.DownwardAPI != nil:
		return "downwardAPI"
	case v.Ephemeral != nil:
		return "ephemeral"
	}
	return "other"
}
