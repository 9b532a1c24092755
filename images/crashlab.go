package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// CrashlabRepository holds crashlab's own image, so that crashlab can run
// inside a cluster. It sits next to Repository and is named the same way:
// in a registry it is REGISTRY/crashlab/crashlab.
const CrashlabRepository = "crashlab.local/crashlab"

// Arches are the architectures crashlab builds images for.
var Arches = []string{"amd64", "arm64"}

// Why a binary cannot be crashlab's image's: the CLI words the advice.
var (
	// ErrNotLinuxELF: not an ELF executable for Linux (a macOS crashlab, a script).
	ErrNotLinuxELF = errors.New("not a Linux executable")
	// ErrDynamicELF: it needs a dynamic loader and a C library, which the
	// image does not have (a crashlab built with cgo, go install's default
	// where a C compiler is found).
	ErrDynamicELF = errors.New("dynamically linked")
	// ErrWrongArch: an ELF for another architecture than the one it was given for.
	ErrWrongArch = errors.New("built for another architecture")
)

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// CheckStaticBinary says whether bin can be the only file of a linux/arch
// image: a Linux ELF executable for arch with no program interpreter and no
// dynamic section, i.e. one that runs with nothing else in the file system.
func CheckStaticBinary(arch string, bin []byte) error {
	want, ok := elfMachine[arch]
	if !ok {
		return fmt.Errorf("architecture %q: crashlab builds images for %v", arch, Arches)
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrNotLinuxELF, err)
	}
	defer f.Close()
	// Go's linux binaries carry OSABI NONE (System V); FreeBSD's carry their own.
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("%w (ELF type %s, OS ABI %s)", ErrNotLinuxELF, f.Type, f.OSABI)
	}
	if f.Machine != want {
		return fmt.Errorf("%w: it is for %s, not linux/%s", ErrWrongArch, f.Machine, arch)
	}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			return fmt.Errorf("%w: it needs a program interpreter (built with cgo)", ErrDynamicELF)
		case elf.PT_DYNAMIC:
			return fmt.Errorf("%w: it has a dynamic section (built with cgo)", ErrDynamicELF)
		}
	}
	return nil
}

// Index is a multi-platform image: crashlab's own, one image per
// architecture under one name.
type Index struct {
	// Ref is CrashlabRepository:TAG, TAG the first 12 hex of the index's
	// digest: content-named like the workload's images, never "latest".
	Ref string
	// Images are the per-architecture images, each tagged like a workload
	// image (12 hex of its layer's sha256 + "-" + arch). A docker-save
	// archive cannot hold an index, so `images export` writes these.
	Images []Image
	idx    v1.ImageIndex
}

// V1 returns the go-containerregistry index.
func (x Index) V1() v1.ImageIndex { return x.idx }

// Crashlab builds crashlab's own image from static Linux binaries of
// crashlab, keyed by architecture. Every binary is checked first
// (CheckStaticBinary): a wrong one would only fail in the cluster.
func Crashlab(binaries map[string][]byte) (Index, error) {
	if len(binaries) == 0 {
		return Index{}, errors.New("build crashlab's image: no binaries given")
	}
	arches := make([]string, 0, len(binaries))
	for a := range binaries {
		arches = append(arches, a)
	}
	// Sorted so that the same binaries always give the same index digest.
	slices.Sort(arches)
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	var imgs []Image
	for _, arch := range arches {
		if err := CheckStaticBinary(arch, binaries[arch]); err != nil {
			return Index{}, fmt.Errorf("crashlab binary for linux/%s: %w", arch, err)
		}
		img, err := crashlabImage(arch, binaries[arch])
		if err != nil {
			return Index{}, err
		}
		imgs = append(imgs, img)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img.img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	d, err := idx.Digest()
	if err != nil {
		return Index{}, fmt.Errorf("build crashlab's image index: %w", err)
	}
	return Index{Ref: CrashlabRepository + ":" + d.Hex[:12], Images: imgs, idx: idx}, nil
}

// crashlabHome is HOME in crashlab's image: where it keeps progress
// (os.UserConfigDir), writable whatever user the pod runs as.
const crashlabHome = "/tmp"

// crashlabUser is the image's default user. A cluster that enforces
// runAsNonRoot refuses an image that runs as root, and crashlab needs no
// privilege inside a container. 65532 is the conventional "nonroot".
const crashlabUser = "65532:65532"

func crashlabImage(arch string, bin []byte) (Image, error) {
	layerTar, err := crashlabRootfs(bin)
	if err != nil {
		return Image{}, fmt.Errorf("build crashlab's %s layer: %w", arch, err)
	}
	img, tag, err := singleLayerImage(layerTar, arch, v1.Config{
		Entrypoint: []string{"/crashlab"},
		Env:        []string{"PATH=/", "HOME=" + crashlabHome},
		WorkingDir: crashlabHome,
		User:       crashlabUser,
	}, "crashlab: /crashlab for linux/"+arch)
	if err != nil {
		return Image{}, fmt.Errorf("build crashlab's %s image: %w", arch, err)
	}
	return Image{Ref: CrashlabRepository + ":" + tag, Arch: arch, BinaryArch: arch, img: img}, nil
}

// crashlabRootfs is /crashlab and a world-writable /tmp, nothing else: the
// binary is static and talks to the API server with the pod's service
// account, whose CA the kubelet mounts.
func crashlabRootfs(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Typeflag: tar.TypeReg, Name: "crashlab", Mode: 0o755}, bin},
		{tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil},
	} {
		hdr := e.hdr
		hdr.Size, hdr.ModTime, hdr.Format = int64(len(e.body)), epoch(), tar.FormatUSTAR
		if err := tw.WriteHeader(&hdr); err != nil {
			return nil, fmt.Errorf("write tar header of /%s: %w", hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("write /%s: %w", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
