package images

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The committed workload binaries are what `go install` embeds, so they must
// be exactly what the workload source builds to. The build is reproducible
// for one toolchain (and only one: another Go gives other bytes), which is
// why images/bin/BUILD records the toolchain next to the sha256 of each.
// These must stay the Makefile's WORKLOAD_ENV and WORKLOAD_FLAGS: if they
// drift, the byte comparison below fails, which is the point.
var (
	workloadEnv   = []string{"CGO_ENABLED=0", "GOOS=linux", "GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT=", "GOFLAGS=-mod=mod"}
	workloadFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}
)

const stale = "images/bin is stale: run `make workload` and commit"

// buildRecord is images/bin/BUILD: the go version, then "sha256  file" lines.
type buildRecord struct {
	goVersion string
	sums      map[string]string
}

func readBuildRecord(t *testing.T) buildRecord {
	t.Helper()
	f, err := os.Open(filepath.Join("bin", "BUILD"))
	require.NoError(t, err, "images/bin/BUILD records how the committed binaries were built: %s", stale)
	defer f.Close()
	rec := buildRecord{sums: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch fields := strings.Fields(line); {
		case line == "":
		case rec.goVersion == "":
			rec.goVersion = line
		case len(fields) == 2:
			rec.sums[fields[1]] = fields[0]
		default:
			t.Fatalf("images/bin/BUILD: unreadable line %q: %s", line, stale)
		}
	}
	require.NoError(t, sc.Err())
	require.True(t, strings.HasPrefix(rec.goVersion, "go"), "images/bin/BUILD must start with the go version: %s", stale)
	return rec
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestCommittedWorkloadBinariesMatchTheirRecord is the cheap half: a binary
// replaced without `make workload` (copied from elsewhere, built with other
// flags) no longer matches BUILD.
func TestCommittedWorkloadBinariesMatchTheirRecord(t *testing.T) {
	rec := readBuildRecord(t)
	for _, arch := range []string{"amd64", "arm64"} {
		file := "workload-linux-" + arch
		committed, err := binaries.ReadFile("bin/" + file)
		require.NoError(t, err)
		require.Equal(t, rec.sums[file], sha256Hex(committed), "%s differs from its sha256 in images/bin/BUILD: %s", file, stale)
	}
}

// TestCommittedWorkloadBinariesAreCurrent rebuilds both binaries from the
// workload source and compares them byte for byte with the committed ones.
//
// It builds with the toolchain BUILD records (GOTOOLCHAIN), not with
// whichever Go runs the test: with the same toolchain a difference can only
// mean the source changed without a rebuild, and with another one the
// comparison would fail for no fault of the tree, or be skipped and so
// prove nothing. The go command runs the recorded toolchain when it is the
// local one and fetches it otherwise; where it cannot (offline), the test
// fails and says so rather than passing without having compared.
func TestCommittedWorkloadBinariesAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: rebuilding the workload binaries takes seconds")
	}
	rec := readBuildRecord(t)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	out := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		file := "workload-linux-" + arch
		args := append([]string{"build"}, workloadFlags...)
		cmd := exec.Command("go", append(args, "-o", filepath.Join(out, file), "./workload")...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), workloadEnv...)
		cmd.Env = append(cmd.Env, "GOARCH="+arch, "GOTOOLCHAIN="+rec.goVersion)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rebuild %s with %s (the toolchain images/bin/BUILD records): %v\n%s\nThe go command could not run %s; run the test where it can, or, if the workload changed, %s",
				file, rec.goVersion, err, msg, rec.goVersion, strings.TrimPrefix(stale, "images/bin is stale: "))
		}
		rebuilt, err := os.ReadFile(filepath.Join(out, file))
		require.NoError(t, err)
		committed, err := binaries.ReadFile("bin/" + file)
		require.NoError(t, err)
		if !bytes.Equal(rebuilt, committed) {
			t.Fatalf("%s: the workload source builds to other bytes (sha256 %s, committed %s): %s", file, sha256Hex(rebuilt)[:12], sha256Hex(committed)[:12], stale)
		}
	}
}
