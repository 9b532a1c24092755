package images

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// Repository holds the images whose binary matches the declared architecture.
	Repository = "crashlab.local/workload"
	// ForeignRepository holds the deliberately mismatched images ("exec format
	// error"). It is the same repository, and the tag names the declared
	// architecture only, as a mislabelled image in the wild would: the name
	// must not give the scenario away.
	ForeignRepository = Repository
)

// BinaryArchLabel is the config label recording the architecture of /workload,
// since for a foreign image it differs from the config's architecture.
const BinaryArchLabel = "dev.crashlab.workload.binary-arch"

// epoch fixes every timestamp so that the same binary always gives the same
// digest: a rebuilt crashlab then re-imports nothing that did not change.
func epoch() time.Time { return time.Unix(0, 0).UTC() }

// Image is one image the lab runs. Ref never uses the tag "latest", so the
// default imagePullPolicy is IfNotPresent and the kubelet uses the imported
// image instead of trying to pull from crashlab.local.
type Image struct {
	Ref        string // e.g. crashlab.local/workload:3f2a9c1b7d4e-amd64 (tag = first 12 hex of the binary's sha256 + "-" + arch)
	Arch       string // architecture the image config declares (what containerd/kubelet see)
	BinaryArch string // architecture the /workload binary inside is compiled for
	img        v1.Image
}

// V1 returns the go-containerregistry image, for callers that need digests or
// layers. After WriteArchive and an import, the config digest (the image ID
// crictl shows) is preserved but the manifest digest is not: docker-save
// archives carry no manifest, so the importer writes its own.
func (i Image) V1() v1.Image { return i.img }

// ForArch returns the image whose binary and config are both for arch.
func ForArch(arch string) (Image, error) {
	return build(Repository, arch, arch)
}

// Foreign returns an image that claims nodeArch but carries the other
// architecture's binary: the node pulls and starts it happily, and the
// container dies with "exec format error", a classic CrashLoopBackOff cause.
func Foreign(nodeArch string) (Image, error) {
	binArch, err := OtherArch(nodeArch)
	if err != nil {
		return Image{}, err
	}
	return build(ForeignRepository, nodeArch, binArch)
}

// OtherArch returns the architecture crashlab carries besides arch.
func OtherArch(arch string) (string, error) {
	switch arch {
	case "amd64":
		return "arm64", nil
	case "arm64":
		return "amd64", nil
	}
	return "", unknownArch(arch)
}

// ForNode returns every image a node of nodeArch needs: ForArch then Foreign.
func ForNode(nodeArch string) ([]Image, error) {
	native, err := ForArch(nodeArch)
	if err != nil {
		return nil, err
	}
	foreign, err := Foreign(nodeArch)
	if err != nil {
		return nil, err
	}
	return []Image{native, foreign}, nil
}

// WriteArchive writes imgs as one docker-save style tarball, the format both
// `ctr -n k8s.io images import` and kind's nodeutils.LoadImageArchive accept.
func WriteArchive(w io.Writer, imgs ...Image) error {
	if len(imgs) == 0 {
		return fmt.Errorf("write image archive: no images given")
	}
	refs := make(map[name.Reference]v1.Image, len(imgs))
	for _, i := range imgs {
		if i.img == nil {
			return fmt.Errorf("write image archive: image %q was not built by this package", i.Ref)
		}
		tag, err := name.NewTag(i.Ref)
		if err != nil {
			return fmt.Errorf("write image archive: parse %q: %w", i.Ref, err)
		}
		refs[tag] = i.img
	}
	if err := tarball.MultiRefWrite(refs, w); err != nil {
		return fmt.Errorf("write image archive: %w", err)
	}
	return nil
}

func unknownArch(arch string) error {
	return fmt.Errorf("no workload binary for architecture %q (crashlab carries amd64 and arm64)", arch)
}

func readBinary(arch string) ([]byte, error) {
	if arch != "amd64" && arch != "arm64" {
		return nil, unknownArch(arch)
	}
	b, err := binaries.ReadFile("bin/workload-linux-" + arch)
	if err != nil {
		return nil, fmt.Errorf("read embedded workload binary: %w", err)
	}
	return b, nil
}

func build(repo, arch, binArch string) (Image, error) {
	bin, err := readBinary(binArch)
	if err != nil {
		return Image{}, err
	}
	layerTar, err := rootfs(bin)
	if err != nil {
		return Image{}, fmt.Errorf("build %s layer: %w", binArch, err)
	}
	img, tag, err := singleLayerImage(layerTar, arch, v1.Config{
		Entrypoint: []string{"/workload"},
		Env:        []string{"PATH=/"},
		WorkingDir: "/",
		Labels:     map[string]string{BinaryArchLabel: binArch},
	}, fmt.Sprintf("crashlab: /workload built for linux/%s", binArch))
	if err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", arch, err)
	}
	return Image{Ref: repo + ":" + tag, Arch: arch, BinaryArch: binArch, img: img}, nil
}

// singleLayerImage is a linux/arch image of one layer, layerTar, and its
// tag: the layer's hash (binary and file tree) keeps two images of one
// architecture apart, and gives a changed tree a new tag, since a node that
// holds the old image under the same tag would otherwise keep using it.
func singleLayerImage(layerTar []byte, arch string, cfg v1.Config, createdBy string) (v1.Image, string, error) {
	sum := sha256.Sum256(layerTar)
	tag := hex.EncodeToString(sum[:])[:12] + "-" + arch
	// Uncompressed, like `docker save` output: the form every containerd
	// version's importer has always handled.
	layer := static.NewLayer(layerTar, types.DockerUncompressedLayer)
	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Created:      v1.Time{Time: epoch()},
		OS:           "linux",
		Architecture: arch,
		RootFS:       v1.RootFS{Type: "layers"},
		Config:       cfg,
	})
	if err != nil {
		return nil, "", fmt.Errorf("config: %w", err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch()}, CreatedBy: createdBy},
	})
	return img, tag, err
}

// releaseScript is /app/server: the start script of a release whose
// packaging lost the execute bit (mode 0644). Run directly it fails with
// "permission denied"; through the shell (`sh /app/server`) it works.
const releaseScript = `#!/bin/sh
# start script of the release: prepares nothing yet, then hands over to the server
exec /workload --listen=:8080 --log="server started from /app/server"
`

// rootfs returns the image's file tree: /workload, the one program, plus
// /bin/sh and /sbin/tini as hard links to it (it plays a minimal shell and
// init when called by those names, for the wrapper-script incidents), and
// the non-executable /app/server. The program is static, and the runtime
// creates the mount points (/etc/hosts, /dev/termination-log, /tmp is not
// one: the root filesystem holds it) that Kubernetes adds.
func rootfs(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Typeflag: tar.TypeReg, Name: "workload", Mode: 0o755}, bin},
		{tar.Header{Typeflag: tar.TypeDir, Name: "app/", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeReg, Name: "app/server", Mode: 0o644}, []byte(releaseScript)},
		{tar.Header{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeLink, Name: "bin/sh", Linkname: "workload", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeDir, Name: "sbin/", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeLink, Name: "sbin/tini", Linkname: "workload", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil},
	}
	// A hard link's header carries the mode too, and containerd applies it
	// to the shared inode: a link written with mode 0 makes /workload itself
	// non-executable (seen on the lab node: "exec: /workload: permission
	// denied"). The links therefore repeat the binary's mode.
	for _, e := range entries {
		hdr := e.hdr
		hdr.Size = int64(len(e.body))
		hdr.ModTime = epoch()
		hdr.Format = tar.FormatUSTAR
		if err := tw.WriteHeader(&hdr); err != nil {
			return nil, fmt.Errorf("write tar header of /%s: %w", hdr.Name, err)
		}
		if len(e.body) > 0 {
			if _, err := tw.Write(e.body); err != nil {
				return nil, fmt.Errorf("write /%s: %w", hdr.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
