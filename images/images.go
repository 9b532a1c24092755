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
	sum := sha256.Sum256(bin)
	// The binary's hash keeps the two images of one architecture apart.
	tag := hex.EncodeToString(sum[:])[:12] + "-" + arch

	layerTar, err := rootfs(bin)
	if err != nil {
		return Image{}, fmt.Errorf("build %s layer: %w", binArch, err)
	}
	// Uncompressed, like `docker save` output: the form every containerd
	// version's importer has always handled.
	layer := static.NewLayer(layerTar, types.DockerUncompressedLayer)

	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Created:      v1.Time{Time: epoch()},
		OS:           "linux",
		Architecture: arch,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: []string{"/workload"},
			Env:        []string{"PATH=/"},
			WorkingDir: "/",
			Labels:     map[string]string{BinaryArchLabel: binArch},
		},
	})
	if err != nil {
		return Image{}, fmt.Errorf("build %s image config: %w", arch, err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: epoch()},
			CreatedBy: fmt.Sprintf("crashlab: /workload built for linux/%s", binArch),
		},
	})
	if err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", arch, err)
	}
	return Image{Ref: repo + ":" + tag, Arch: arch, BinaryArch: binArch, img: img}, nil
}

// rootfs returns a tar holding only /workload. The program needs nothing else:
// it is static, and the runtime creates the mount points (/etc/hosts,
// /dev/termination-log, ...) that Kubernetes adds.
func rootfs(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     "workload",
		Mode:     0o755,
		Size:     int64(len(bin)),
		ModTime:  epoch(),
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("write tar header: %w", err)
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, fmt.Errorf("write /workload: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
