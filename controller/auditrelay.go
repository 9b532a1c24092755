package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crashlab/crashlab/replay"
)

// The API server writes its audit log as root with mode 0600, on the
// control-plane node. The controller runs as a non-root user, so a second
// container of its pod, the relay, reads the log: as root (the file's
// owner, which needs no capability: it runs with none), from a read-only
// host mount, and serves it to the controller on the pod's loopback only.
// It serves the files as they are; the controller keeps what it needs.

// AuditFile is one file of the audit log, as the relay lists it.
type AuditFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	// ID tells the file apart across a rotation, which renames audit.log:
	// its inode number.
	ID string `json:"id"`
}

// maxRelayChunk bounds one read of a file: a log read from its start
// comes in several polls.
const maxRelayChunk = 16 << 20

// ErrRotated is a read of a file that is no longer the one listed under
// that name: the log was rotated between the listing and the read.
var ErrRotated = errors.New("the audit log was rotated under the read")

// auditFiles lists the log's files oldest first, in the order the replay
// reads them (replay.OrderLogFiles).
func auditFiles(dir string) ([]AuditFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	var out []AuditFile
	for _, n := range replay.OrderLogFiles(names) {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			continue // rotated away between the listing and now
		}
		out = append(out, AuditFile{Name: n, Size: fi.Size(), ID: fileID(fi)})
	}
	return out, nil
}

func fileID(fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(st.Ino, 10)
	}
	return fi.Name()
}

// AuditRelayHandler serves dir's audit files: GET /files lists them, and
// GET /file?name=N&id=I&offset=O reads file N from byte O, at most
// maxRelayChunk bytes, 409 when N is no longer the file I.
func AuditRelayHandler(dir string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /files", func(w http.ResponseWriter, _ *http.Request) {
		files, err := auditFiles(dir)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(files)
	})
	mux.HandleFunc("GET /file", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		name := q.Get("name")
		offset, err := strconv.ParseInt(q.Get("offset"), 10, 64)
		if name == "" || name != filepath.Base(name) || err != nil || offset < 0 {
			http.Error(w, "name and offset are required", http.StatusBadRequest)
			return
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || fileID(fi) != q.Get("id") {
			http.Error(w, ErrRotated.Error(), http.StatusConflict)
			return
		}
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, io.LimitReader(f, maxRelayChunk))
	})
	return mux
}

// ServeAuditRelay serves dir on addr until ctx ends.
func ServeAuditRelay(ctx context.Context, dir, addr string) error {
	if _, err := auditFiles(dir); err != nil {
		return fmt.Errorf("audit log directory: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: AuditRelayHandler(dir), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		return err
	}
}

// HTTPAuditSource reads the audit log from the relay at Base
// ("http://127.0.0.1:8090").
type HTTPAuditSource struct {
	Base   string
	Client *http.Client
}

func (s HTTPAuditSource) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (s HTTPAuditSource) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.Base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode == http.StatusConflict {
			return nil, ErrRotated
		}
		return nil, fmt.Errorf("audit relay %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return resp, nil
}

// Files lists the log's files, oldest first.
func (s HTTPAuditSource) Files(ctx context.Context) ([]AuditFile, error) {
	resp, err := s.get(ctx, "/files")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []AuditFile
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("audit relay /files: %w", err)
	}
	return out, nil
}

// ReadFrom reads f from offset on (at most maxRelayChunk bytes).
func (s HTTPAuditSource) ReadFrom(ctx context.Context, f AuditFile, offset int64) ([]byte, error) {
	q := url.Values{"name": {f.Name}, "id": {f.ID}, "offset": {strconv.FormatInt(offset, 10)}}
	resp, err := s.get(ctx, "/file?"+q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
