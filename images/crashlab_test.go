package images

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeELF is an ELF64 executable header for machine with one program
// header of type prog: all debug/elf reads of a binary's linking.
func fakeELF(t *testing.T, machine elf.Machine, prog elf.ProgType) []byte {
	t.Helper()
	var b bytes.Buffer
	hdr := elf.Header64{
		Ident:     [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)},
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(machine),
		Version:   uint32(elf.EV_CURRENT),
		Phoff:     64,
		Ehsize:    64,
		Phentsize: 56,
		Phnum:     1,
	}
	require.NoError(t, binary.Write(&b, binary.LittleEndian, hdr))
	require.NoError(t, binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(prog)}))
	return b.Bytes()
}

// staticBinaries are real static Go binaries of both architectures: the
// workload's stand in for crashlab, which is built the same way.
func staticBinaries(t *testing.T) map[string][]byte {
	t.Helper()
	bins := map[string][]byte{}
	for _, a := range Arches {
		b, err := readBinary(a)
		require.NoError(t, err)
		bins[a] = b
	}
	return bins
}

func TestCheckStaticBinary(t *testing.T) {
	bins := staticBinaries(t)
	tests := []struct {
		name string
		arch string
		bin  []byte
		want error
	}{
		{"static amd64", "amd64", bins["amd64"], nil},
		{"static arm64", "arm64", bins["arm64"], nil},
		{"static with only a load segment", "amd64", fakeELF(t, elf.EM_X86_64, elf.PT_LOAD), nil},
		{"arm64 binary given as amd64", "amd64", bins["arm64"], ErrWrongArch},
		{"amd64 binary given as arm64", "arm64", bins["amd64"], ErrWrongArch},
		{"cgo build: program interpreter", "amd64", fakeELF(t, elf.EM_X86_64, elf.PT_INTERP), ErrDynamicELF},
		{"dynamic section", "arm64", fakeELF(t, elf.EM_AARCH64, elf.PT_DYNAMIC), ErrDynamicELF},
		{"a script", "amd64", []byte("#!/bin/sh\necho crashlab\n"), ErrNotLinuxELF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckStaticBinary(tt.arch, tt.bin)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
	assert.Error(t, CheckStaticBinary("riscv64", bins["amd64"]), "an architecture crashlab builds no images for")
}

// layerFiles returns the single layer's regular files and directories.
func layerFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	files := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		require.NoError(t, err)
		files[h.Name] = h
	}
}

func crashlabBytes(t *testing.T, img v1.Image) []byte {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		require.NoError(t, err, "the layer has no /crashlab")
		if h.Name == "crashlab" {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			return b
		}
	}
}

func TestCrashlabImage(t *testing.T) {
	bins := staticBinaries(t)
	x, err := Crashlab(bins)
	require.NoError(t, err)

	tag, err := name.NewTag(x.Ref, name.StrictValidation)
	require.NoError(t, err)
	assert.Equal(t, CrashlabRepository, tag.Context().Name())
	assert.Regexp(t, `^[0-9a-f]{12}$`, tag.TagStr(), "content-named, never latest")
	d, err := x.V1().Digest()
	require.NoError(t, err)
	assert.Equal(t, d.Hex[:12], tag.TagStr())

	m, err := x.V1().IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 2)
	require.Len(t, x.Images, 2)
	for i, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			assert.Equal(t, v1.Platform{OS: "linux", Architecture: arch}, *m.Manifests[i].Platform)
			img := x.Images[i]
			assert.Equal(t, arch, img.Arch)
			assert.Regexp(t, `^`+CrashlabRepository+`:[0-9a-f]{12}-`+arch+`$`, img.Ref)
			id, err := img.V1().Digest()
			require.NoError(t, err)
			assert.Equal(t, m.Manifests[i].Digest, id, "the index lists the very image")

			cfg, err := img.V1().ConfigFile()
			require.NoError(t, err)
			assert.Equal(t, "linux", cfg.OS)
			assert.Equal(t, arch, cfg.Architecture)
			assert.Equal(t, []string{"/crashlab"}, cfg.Config.Entrypoint)
			assert.Equal(t, "65532:65532", cfg.Config.User)
			assert.Contains(t, cfg.Config.Env, "HOME=/tmp")

			files := layerFiles(t, img.V1())
			require.Contains(t, files, "crashlab")
			assert.Equal(t, int64(0o755), files["crashlab"].Mode)
			assert.Equal(t, int64(0o1777), files["tmp/"].Mode, "HOME is writable by any user")
			assert.Len(t, files, 2, "nothing but /crashlab and /tmp")
			assert.True(t, bytes.Equal(bins[arch], crashlabBytes(t, img.V1())), "the layer holds the exact binary")
		})
	}

	again, err := Crashlab(bins)
	require.NoError(t, err)
	assert.Equal(t, x.Ref, again.Ref, "the same binaries give the same image")

	one, err := Crashlab(map[string][]byte{"arm64": bins["arm64"]})
	require.NoError(t, err)
	assert.Len(t, one.Images, 1)
	assert.NotEqual(t, x.Ref, one.Ref)
}

func TestCrashlabImageRefuses(t *testing.T) {
	bins := staticBinaries(t)
	tests := []struct {
		name string
		bins map[string][]byte
		want error
	}{
		{"a dynamic ELF", map[string][]byte{"amd64": fakeELF(t, elf.EM_X86_64, elf.PT_INTERP), "arm64": bins["arm64"]}, ErrDynamicELF},
		{"an ELF of the wrong arch", map[string][]byte{"amd64": bins["amd64"], "arm64": bins["amd64"]}, ErrWrongArch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Crashlab(tt.bins)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	_, err := Crashlab(nil)
	assert.Error(t, err)
}

func TestPushIndexGivesOneNameForBothArches(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	x, err := Crashlab(staticBinaries(t))
	require.NoError(t, err)

	ref, err := PushIndex(context.Background(), host, x, Remote{}, func(string) {})
	require.NoError(t, err)
	_, tag, _ := strings.Cut(x.Ref, ":")
	assert.Equal(t, host+"/crashlab/crashlab:"+tag, ref)

	pushed, err := name.ParseReference(ref)
	require.NoError(t, err)
	got, err := remote.Index(pushed)
	require.NoError(t, err)
	gd, err := got.Digest()
	require.NoError(t, err)
	wd, err := x.V1().Digest()
	require.NoError(t, err)
	assert.Equal(t, wd, gd)
	for _, arch := range Arches {
		img, err := remote.Image(pushed, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: arch}))
		require.NoError(t, err)
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		assert.Equal(t, arch, cfg.Architecture)
	}
}
