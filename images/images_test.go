package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var machineFor = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// workloadFile returns the single layer's /workload entry and its bytes.
func workloadFile(t *testing.T, img v1.Image) (*tar.Header, []byte) {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	tr := tar.NewReader(rc)
	var hdr *tar.Header
	var body []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Name == "workload" {
			hdr = h
			body, err = io.ReadAll(tr)
			require.NoError(t, err)
		}
	}
	require.NotNil(t, hdr, "layer has no /workload")
	return hdr, body
}

func TestImages(t *testing.T) {
	tests := []struct {
		name    string
		build   func() (Image, error)
		repo    string
		arch    string
		binArch string
		tagEnds string
	}{
		{"native amd64", func() (Image, error) { return ForArch("amd64") }, Repository, "amd64", "amd64", "-amd64"},
		{"native arm64", func() (Image, error) { return ForArch("arm64") }, Repository, "arm64", "arm64", "-arm64"},
		{"foreign on amd64 node", func() (Image, error) { return Foreign("amd64") }, ForeignRepository, "amd64", "arm64", "-amd64"},
		{"foreign on arm64 node", func() (Image, error) { return Foreign("arm64") }, ForeignRepository, "arm64", "amd64", "-arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := tt.build()
			require.NoError(t, err)
			assert.Equal(t, tt.arch, img.Arch)
			assert.Equal(t, tt.binArch, img.BinaryArch)

			tag, err := name.NewTag(img.Ref, name.StrictValidation)
			require.NoError(t, err)
			assert.Equal(t, tt.repo, tag.Context().Name())
			assert.NotEqual(t, "latest", tag.TagStr())
			assert.Regexp(t, `^[0-9a-f]{12}`+tt.tagEnds+`$`, tag.TagStr())

			cfg, err := img.V1().ConfigFile()
			require.NoError(t, err)
			assert.Equal(t, "linux", cfg.OS)
			assert.Equal(t, tt.arch, cfg.Architecture)
			assert.Equal(t, []string{"/workload"}, cfg.Config.Entrypoint)
			assert.Equal(t, []string{"PATH=/"}, cfg.Config.Env)
			assert.Equal(t, "/", cfg.Config.WorkingDir)
			assert.Equal(t, tt.binArch, cfg.Config.Labels[BinaryArchLabel])

			hdr, body := workloadFile(t, img.V1())
			assert.Equal(t, int64(0o755), hdr.Mode)
			assert.Equal(t, int64(0), hdr.ModTime.Unix())
			f, err := elf.NewFile(bytes.NewReader(body))
			require.NoError(t, err)
			assert.Equal(t, machineFor[tt.binArch], f.Machine)
			assert.Equal(t, elf.ET_EXEC, f.Type)
		})
	}
}

func TestDigestReproducible(t *testing.T) {
	builders := map[string]func() (Image, error){
		"ForArch": func() (Image, error) { return ForArch("arm64") },
		"Foreign": func() (Image, error) { return Foreign("arm64") },
	}
	for label, build := range builders {
		t.Run(label, func(t *testing.T) {
			a, err := build()
			require.NoError(t, err)
			b, err := build()
			require.NoError(t, err)
			da, err := a.V1().Digest()
			require.NoError(t, err)
			db, err := b.V1().Digest()
			require.NoError(t, err)
			assert.Equal(t, da, db)
			assert.Equal(t, a.Ref, b.Ref)
		})
	}
}

func TestArchesDiffer(t *testing.T) {
	nodes, err := ForNode("amd64")
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	assert.Equal(t, Repository, strings.Split(nodes[0].Ref, ":")[0])
	assert.Equal(t, ForeignRepository, strings.Split(nodes[1].Ref, ":")[0])
	arm, err := ForArch("arm64")
	require.NoError(t, err)
	// The foreign image for amd64 carries the arm64 binary, so the hash part of
	// both tags is the same; the images themselves must still differ.
	assert.Equal(t, strings.SplitN(arm.Ref, ":", 2)[1][:12], strings.SplitN(nodes[1].Ref, ":", 2)[1][:12])
	da, err := arm.V1().Digest()
	require.NoError(t, err)
	df, err := nodes[1].V1().Digest()
	require.NoError(t, err)
	assert.NotEqual(t, da, df)
}

func TestUnknownArch(t *testing.T) {
	const want = `no workload binary for architecture "riscv64" (crashlab carries amd64 and arm64)`
	tests := []struct {
		name string
		call func() error
	}{
		{"ForArch", func() error { _, err := ForArch("riscv64"); return err }},
		{"Foreign", func() error { _, err := Foreign("riscv64"); return err }},
		{"OtherArch", func() error { _, err := OtherArch("riscv64"); return err }},
		{"ForNode", func() error { _, err := ForNode("riscv64"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.EqualError(t, tt.call(), want)
		})
	}
}

func TestOtherArch(t *testing.T) {
	for in, want := range map[string]string{"amd64": "arm64", "arm64": "amd64"} {
		got, err := OtherArch(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

func TestWriteArchive(t *testing.T) {
	var imgs []Image
	for _, arch := range []string{"amd64", "arm64"} {
		n, err := ForNode(arch)
		require.NoError(t, err)
		imgs = append(imgs, n...)
	}
	var buf bytes.Buffer
	require.NoError(t, WriteArchive(&buf, imgs...))
	archive := buf.Bytes()
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(archive)), nil }

	manifest, err := tarball.LoadManifest(opener)
	require.NoError(t, err)
	assert.Len(t, manifest, len(imgs))

	for _, want := range imgs {
		t.Run(want.Ref, func(t *testing.T) {
			tag, err := name.NewTag(want.Ref)
			require.NoError(t, err)
			got, err := tarball.Image(opener, &tag)
			require.NoError(t, err)
			// A docker-save archive carries no manifest, so the importer writes
			// its own; the config digest (the image ID) is what survives.
			gotID, err := got.ConfigName()
			require.NoError(t, err)
			wantID, err := want.V1().ConfigName()
			require.NoError(t, err)
			assert.Equal(t, wantID, gotID)
			cfg, err := got.ConfigFile()
			require.NoError(t, err)
			assert.Equal(t, want.Arch, cfg.Architecture)
			_, body := workloadFile(t, got)
			f, err := elf.NewFile(bytes.NewReader(body))
			require.NoError(t, err)
			assert.Equal(t, machineFor[want.BinaryArch], f.Machine)
		})
	}
}

func TestWriteArchiveRejects(t *testing.T) {
	tests := []struct {
		name    string
		imgs    []Image
		wantErr string
	}{
		{"nothing", nil, "no images given"},
		{"hand-made image", []Image{{Ref: Repository + ":x-amd64", Arch: "amd64"}}, "was not built by this package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteArchive(io.Discard, tt.imgs...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// Every hard link in the layer has the mode of its target, since the
// runtime applies a link's mode to the shared inode.
func TestLinksKeepTheBinaryExecutable(t *testing.T) {
	layer, err := rootfs([]byte("bin"))
	require.NoError(t, err)
	tr := tar.NewReader(bytes.NewReader(layer))
	modes := map[string]int64{}
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		modes[h.Name] = h.Mode
		if h.Typeflag == tar.TypeLink {
			links[h.Name] = h.Linkname
		}
	}
	require.NotEmpty(t, links)
	for link, target := range links {
		assert.Equal(t, modes[target], modes[link], "link %s -> %s", link, target)
	}
	assert.Equal(t, int64(0o644), modes["app/server"], "the start script ships without its execute bit")
}
