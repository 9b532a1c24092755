package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crashlab/crashlab/internal/relpath"
)

// A pack travels as an OCI artifact: an OCI image manifest whose config
// has the pack media type and whose one layer is the pack's folder as a
// gzipped tar. Registries that hold a workshop's images hold it too.
const (
	PackConfigMediaType types.MediaType = "application/vnd.crashlab.pack.config.v1+json"
	PackLayerMediaType  types.MediaType = "application/vnd.crashlab.pack.layer.v1.tar+gzip"
	// PackFixesDir is left out of a pushed pack unless asked: it holds the
	// intended answers, and a room's learners can often pull from the
	// room's registry.
	PackFixesDir = "fixes"
	// MaxPackBytes bounds a pack's unpacked size: a pack is text.
	MaxPackBytes = 32 << 20
)

var (
	// ErrNotAPack is an artifact that is not a crashlab pack.
	ErrNotAPack = errors.New("not a crashlab pack")
	// ErrUnsafePack is a pack whose archive writes outside its folder, or
	// holds something other than folders and regular files.
	ErrUnsafePack = errors.New("the pack's archive is unsafe")
)

// PackOptions tune PushPack.
type PackOptions struct {
	Remote
	// WithFixes keeps every incident's fixes/ in the artifact (for another
	// trainer's `author test`); by default they stay behind.
	WithFixes bool
	// Annotations go on the manifest (name, version of the pack).
	Annotations map[string]string
}

// PushPack writes the pack folder dir to ref (REGISTRY/NAME:TAG) and
// returns the manifest's digest.
func PushPack(ctx context.Context, ref, dir string, opts PackOptions) (string, error) {
	layer, err := packLayer(dir, opts.WithFixes)
	if err != nil {
		return "", err
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{Layer: layer, MediaType: PackLayerMediaType})
	if err != nil {
		return "", err
	}
	img = mutate.ConfigMediaType(img, PackConfigMediaType)
	if len(opts.Annotations) > 0 {
		img = mutate.Annotations(img, opts.Annotations).(v1.Image)
	}
	tag, s, err := packSession(ref, opts.Remote)
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, s.options(ctx)...); err != nil {
		return "", pushError(tag.String(), s.explain(err))
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// PullPack reads the pack at ref into dest, which must be absent or an
// empty folder. Only folders and regular files inside dest are written.
func PullPack(ctx context.Context, ref, dest string, opts Remote) error {
	tag, s, err := packSession(ref, opts)
	if err != nil {
		return err
	}
	img, err := remote.Image(tag, s.options(ctx)...)
	if err != nil {
		return fmt.Errorf("pull %s: %w", tag, s.explain(err))
	}
	m, err := img.Manifest()
	if err != nil {
		return fmt.Errorf("pull %s: %w", tag, s.explain(err))
	}
	if m.Config.MediaType != PackConfigMediaType {
		return fmt.Errorf("%s: %w (its config is %s)", tag, ErrNotAPack, m.Config.MediaType)
	}
	var layer v1.Layer
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		if mt, err := l.MediaType(); err == nil && mt == PackLayerMediaType {
			layer = l
		}
	}
	if layer == nil {
		return fmt.Errorf("%s: %w (no pack layer)", tag, ErrNotAPack)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return fmt.Errorf("pull %s: %w", tag, s.explain(err))
	}
	defer rc.Close()
	return unpack(rc, dest)
}

func packSession(ref string, opts Remote) (name.Tag, *session, error) {
	host, _, _ := strings.Cut(ref, "/")
	s := newSession(host, opts)
	tag, err := s.tag(ref)
	return tag, s, err
}

// PackFiles are the files of the pack folder dir that travel: its folders'
// regular files by slash-separated path, hidden ones and (unless
// withFixes) every fixes/ folder left out, in a stable order.
func PackFiles(dir string, withFixes bool) ([]string, map[string][]byte, error) {
	var paths []string
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		base := d.Name()
		switch {
		case strings.HasPrefix(base, "."):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir() && base == PackFixesDir && !withFixes:
			return filepath.SkipDir
		case d.Type().IsRegular():
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			paths, files[rel] = append(paths, rel), raw
		}
		return nil
	})
	sort.Strings(paths)
	return paths, files, err
}

// packLayer tars what PackFiles returns, so that the same pack pushes the
// same digest.
func packLayer(dir string, withFixes bool) (v1.Layer, error) {
	paths, files, err := PackFiles(dir, withFixes)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, f := range paths {
		// Each folder once, before its first file.
		for d := path.Dir(f); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range paths {
		raw := files[f]
		if err := tw.WriteHeader(&tar.Header{Name: f, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(raw)), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(raw); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return static.NewLayer(buf.Bytes(), PackLayerMediaType), nil
}

// unpack writes a pack archive into dest: absent or an empty folder;
// nothing outside it, nothing but folders and regular files, at most
// MaxPackBytes.
func unpack(r io.Reader, dest string) error {
	if entries, err := os.ReadDir(dest); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: pull into a new folder", dest)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotAPack, err)
	}
	tr := tar.NewReader(gz)
	var total int64
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotAPack, err)
		}
		clean, inside := relpath.Inside(h.Name)
		if !inside {
			return fmt.Errorf("%w: %q is outside the pack's folder", ErrUnsafePack, h.Name)
		}
		target := filepath.Join(dest, filepath.FromSlash(clean))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			total += h.Size
			if total > MaxPackBytes {
				return fmt.Errorf("%w: more than %d MiB", ErrUnsafePack, MaxPackBytes>>20)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, h.Size))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %q is not a folder or a regular file", ErrUnsafePack, h.Name)
		}
	}
}
