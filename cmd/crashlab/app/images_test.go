package app

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// workloadBinary is a static linux binary of arch (the committed workload),
// standing in for a static crashlab: built the same way.
func workloadBinary(arch string) string {
	return filepath.Join("..", "..", "..", "images", "bin", "workload-linux-"+arch)
}

func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// withSelf makes path the running crashlab's executable for the test.
func withSelf(t *testing.T, path string) {
	t.Helper()
	old := selfExecutable
	selfExecutable = func() (string, error) { return path, nil }
	t.Cleanup(func() { selfExecutable = old })
}

// dynamicELF writes the header of a dynamically linked amd64 executable
// (a program interpreter), which is what debug/elf reads of a cgo build.
func dynamicELF(t *testing.T, machine elf.Machine) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, binary.Write(&b, binary.LittleEndian, elf.Header64{
		Ident: [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)},
		Type:  uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1,
	}))
	require.NoError(t, binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(elf.PT_INTERP)}))
	p := filepath.Join(t.TempDir(), "crashlab-cgo")
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o755))
	return p
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// export writes only a new or a regular file: anything else at PATH is
// refused in one line, exit 2, before anything is built or created.
func TestImagesExportRefusesWhatIsNotARegularFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"symlink to a file", func(t *testing.T, dir string) string {
			target := filepath.Join(dir, "target")
			require.NoError(t, os.WriteFile(target, []byte("keep me"), 0o644))
			require.NoError(t, os.Symlink(target, filepath.Join(dir, "link.tar")))
			return filepath.Join(dir, "link.tar")
		}, "is a symlink"},
		{"dangling symlink", func(t *testing.T, dir string) string {
			require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "link.tar")))
			return filepath.Join(dir, "link.tar")
		}, "is a symlink"},
		{"FIFO", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo.tar")
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			return p
		}, "is a FIFO"},
		{"directory", func(t *testing.T, dir string) string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
			return filepath.Join(dir, "sub")
		}, "is a directory"},
		{"directory with a slash", func(t *testing.T, dir string) string { return dir + "/" }, "names a directory"},
		{"socket", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.sock")
			l, err := net.Listen("unix", p)
			require.NoError(t, err)
			t.Cleanup(func() { l.Close() })
			return p
		}, "is a socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before := names(t, dir)
			code, _, stderr := run(t, "images", "export", "--arch", "amd64", "--crashlab-image=false", path)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			assert.Equal(t, before, names(t, dir), "nothing created")
			if b, err := os.ReadFile(filepath.Join(dir, "target")); err == nil {
				assert.Equal(t, "keep me", string(b), "the symlink's target is untouched")
			}
		})
	}
	// A device (/dev/null, or /dev/stdout as root) is refused by Lstat's
	// mode alone: nothing is opened.
	t.Run("device", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no character device to point at")
		}
		code, _, stderr := run(t, "images", "export", "--arch", "amd64", "--crashlab-image=false", os.DevNull)
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, os.DevNull+" is a device")
		fi, err := os.Lstat(os.DevNull)
		require.NoError(t, err)
		assert.NotZero(t, fi.Mode()&os.ModeCharDevice, "still the device")
	})
}

func TestImagesExportReplacesARegularFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "images.tar")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	code, _, stderr := run(t, "images", "export", "--arch", "amd64", "--crashlab-image=false", path)
	require.Equal(t, 0, code, stderr)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Greater(t, fi.Size(), int64(1<<20))
	assert.Equal(t, []string{"images.tar"}, names(t, dir))
}

func TestImagesFlagsAreCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.tar")
	cgo := dynamicELF(t, elf.EM_X86_64)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"export with a repeated arch", []string{"images", "export", "--arch", "amd64,amd64", out}, "--arch amd64 is given twice"},
		{"export with a repeated arch flag", []string{"images", "export", "--arch", "arm64", "--arch", "arm64", out}, "--arch arm64 is given twice"},
		{"push with a repeated arch", []string{"images", "push", "localhost:5000", "--arch", "arm64,amd64,arm64"}, "--arch arm64 is given twice"},
		{"crashlab binary not as linux/ARCH=PATH", []string{"images", "export", "--crashlab-binary", "arm64:/x", out}, "give it as linux/ARCH=PATH"},
		{"crashlab binary for an arch not exported", []string{"images", "export", "--arch", "amd64", "--crashlab-binary", "linux/arm64=" + workloadBinary("arm64"), out}, "--arch does not include arm64"},
		{"crashlab binary of the wrong arch", []string{"images", "export", "--crashlab-binary", "linux/arm64=" + workloadBinary("amd64"), out}, "built for another architecture"},
		{"crashlab binary dynamically linked", []string{"images", "export", "--crashlab-binary", "linux/amd64=" + cgo, out}, "dynamically linked"},
		{"crashlab binary twice", []string{"images", "export", "--crashlab-binary", "linux/arm64=" + workloadBinary("arm64"), "--crashlab-binary", "linux/arm64=" + workloadBinary("arm64"), out}, "names linux/arm64 twice"},
		{"crashlab binary and no crashlab image", []string{"images", "export", "--crashlab-image=false", "--crashlab-binary", "linux/arm64=" + workloadBinary("arm64"), out}, "drop one"},
		{"push with no timeout", []string{"images", "push", "localhost:5000", "--timeout", "0s"}, "--timeout 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withSelf(t, cgo)
			code, _, stderr := run(t, tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			assert.Empty(t, names(t, dir), "nothing written")
		})
	}
}

func exportedRefs(t *testing.T, args ...string) (int, []string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "images.tar")
	code, out, stderr := run(t, append([]string{"-o", "json", "images", "export", path}, args...)...)
	if code != 0 {
		return code, nil, stderr
	}
	var res struct {
		Images []string `json:"images"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	return code, res.Images, stderr
}

func crashlabRefs(refs []string) []string {
	var out []string
	for _, r := range refs {
		if strings.HasPrefix(r, "crashlab.local/crashlab:") {
			out = append(out, r)
		}
	}
	return out
}

func TestImagesExportIncludesCrashlabsOwnImage(t *testing.T) {
	t.Run("both binaries given, as a release does", func(t *testing.T) {
		withSelf(t, dynamicELF(t, elf.EM_X86_64))
		code, refs, stderr := exportedRefs(t, "--crashlab-binary", "linux/amd64="+workloadBinary("amd64"), "--crashlab-binary", "linux/arm64="+workloadBinary("arm64"))
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr)
		got := crashlabRefs(refs)
		require.Len(t, got, 2)
		assert.Regexp(t, `^crashlab.local/crashlab:[0-9a-f]{12}-amd64$`, got[0])
		assert.Regexp(t, `^crashlab.local/crashlab:[0-9a-f]{12}-arm64$`, got[1])
		assert.Len(t, refs, 6, "the workload's four and crashlab's two")
	})
	t.Run("this crashlab serves its own arch", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("a crashlab for another OS is not an image's")
		}
		withSelf(t, workloadBinary(runtime.GOARCH))
		code, refs, stderr := exportedRefs(t, "--crashlab-binary", "linux/"+otherArch()+"="+workloadBinary(otherArch()))
		require.Equal(t, 0, code, stderr)
		assert.Len(t, crashlabRefs(refs), 2)
		code, refs, stderr = exportedRefs(t, "--arch", runtime.GOARCH)
		require.Equal(t, 0, code, stderr)
		assert.Len(t, crashlabRefs(refs), 1)
	})
	t.Run("missing arch by default: left out, one warning line", func(t *testing.T) {
		withSelf(t, dynamicELF(t, elf.EM_X86_64))
		code, refs, stderr := exportedRefs(t)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, crashlabRefs(refs))
		assert.Len(t, refs, 4, "the workload's images are still written")
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		assert.Contains(t, stderr, "--crashlab-binary linux/arm64=PATH")
		assert.Contains(t, stderr, "--crashlab-image=false")
		if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
			assert.Contains(t, stderr, "is dynamically linked")
		}
	})
	t.Run("missing arch when asked for: exit 2, one line", func(t *testing.T) {
		withSelf(t, dynamicELF(t, elf.EM_X86_64))
		code, _, stderr := exportedRefs(t, "--crashlab-image", "--crashlab-binary", "linux/amd64="+workloadBinary("amd64"))
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, "no static crashlab for linux/arm64")
		assert.Contains(t, stderr, "pass --crashlab-binary linux/arm64=PATH")
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
	})
}

// A registry that does not answer is named, after --timeout, in one line.
func TestImagesPushNamesTheRegistryThatDoesNotAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	host := l.Addr().String()
	code, _, stderr := run(t, "images", "push", host, "--arch", "amd64", "--crashlab-image=false", "--timeout", "300ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "registry "+host+" did not answer within 300ms")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
}
