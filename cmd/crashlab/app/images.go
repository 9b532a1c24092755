package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/images"
)

func newImagesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "images", Short: "Work with the lab's container images"}
	cmd.AddCommand(newImagesExportCommand(g), newImagesPushCommand(g))
	return cmd
}

// imagesFlags are what export and push share: which node architectures,
// and where crashlab's own image comes from.
type imagesFlags struct {
	arches []string
	// crashlabBinaries are --crashlab-binary linux/ARCH=PATH values.
	crashlabBinaries []string
	// crashlabImage is --crashlab-image; crashlabImageSet says it was given.
	crashlabImage    bool
	crashlabImageSet bool
}

func (f *imagesFlags) register(cmd *cobra.Command, verb string) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.arches, "arch", images.Arches, "node architectures to "+verb+" images for")
	fl.StringArrayVar(&f.crashlabBinaries, "crashlab-binary", nil, "a static crashlab for crashlab's own image, as linux/ARCH=PATH (repeat per architecture); this crashlab serves its own architecture when it is a static Linux build")
	fl.BoolVar(&f.crashlabImage, "crashlab-image", true, "include crashlab's own image ("+images.CrashlabRepository+"), to run crashlab inside a cluster; true or --crashlab-binary makes a missing architecture an error instead of a warning")
}

// selfExecutable is crashlab's own binary; tests point it elsewhere.
var selfExecutable = os.Executable

// crashlabImage builds crashlab's own image for arches, from the
// --crashlab-binary files and, for its own architecture, this crashlab.
// With neither --crashlab-image nor --crashlab-binary given, an
// architecture it has no binary for leaves the image out with a warning:
// `images export` mostly serves admins who import the workload's images,
// with whatever crashlab they have (a macOS one, or a cgo build). Asked for
// explicitly, as a release does, a missing one is an error.
func (f *imagesFlags) crashlabIndex(g *globals, cmd *cobra.Command) (*images.Index, error) {
	f.crashlabImageSet = cmd.Flags().Changed("crashlab-image")
	return f.index(g)
}

// index is crashlabIndex once crashlabImageSet says whether the image was
// asked for explicitly (a missing architecture is then an error).
func (f *imagesFlags) index(g *globals) (*images.Index, error) {
	if !f.crashlabImage {
		if len(f.crashlabBinaries) > 0 {
			return nil, usageError{errors.New("--crashlab-binary builds crashlab's own image, which --crashlab-image=false leaves out: drop one")}
		}
		return nil, nil
	}
	bins := map[string][]byte{}
	for _, v := range f.crashlabBinaries {
		arch, path, err := parseCrashlabBinary(v)
		if err != nil {
			return nil, usageError{err}
		}
		if !slices.Contains(f.arches, arch) {
			return nil, usageError{fmt.Errorf("--crashlab-binary %s: --arch does not include %s", v, arch)}
		}
		if bins[arch] != nil {
			return nil, usageError{fmt.Errorf("--crashlab-binary names linux/%s twice", arch)}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, usageError{fmt.Errorf("--crashlab-binary %s: %w", v, err)}
		}
		if err := images.CheckStaticBinary(arch, b); err != nil {
			return nil, usageError{fmt.Errorf("--crashlab-binary %s: %w; %s", v, err, buildAdvice(arch))}
		}
		bins[arch] = b
	}
	var missing []string
	var why string
	for _, arch := range f.arches {
		if bins[arch] != nil {
			continue
		}
		if b, reason := selfBinary(arch); b != nil {
			bins[arch] = b
			continue
		} else if reason != "" {
			why = reason + "; "
		}
		missing = append(missing, arch)
	}
	if len(missing) > 0 {
		var pass []string
		for _, a := range missing {
			pass = append(pass, "--crashlab-binary linux/"+a+"=PATH")
		}
		msg := fmt.Sprintf("%sno static crashlab for linux/%s to build crashlab's own image: pass %s (%s), or --crashlab-image=false",
			why, strings.Join(missing, ", linux/"), strings.Join(pass, " "), buildAdvice("ARCH"))
		if f.crashlabImageSet || len(f.crashlabBinaries) > 0 {
			return nil, usageError{errors.New(msg)}
		}
		g.warn(msg)
		return nil, nil
	}
	x, err := images.Crashlab(bins)
	if err != nil {
		return nil, err
	}
	return &x, nil
}

func buildAdvice(arch string) string {
	return "a static build: CGO_ENABLED=0 GOOS=linux GOARCH=" + arch + " go build ./cmd/crashlab"
}

// selfBinary is this crashlab's own bytes when it can be the linux/arch
// image's, else nil and, when it is the right platform but cannot be,
// why: a cgo build (go install's default where a C compiler is found) is
// dynamically linked, and an image without a C library cannot run it.
func selfBinary(arch string) ([]byte, string) {
	if runtime.GOOS != "linux" || runtime.GOARCH != arch {
		return nil, ""
	}
	exe, err := selfExecutable()
	if err != nil {
		return nil, ""
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		return nil, ""
	}
	if err := images.CheckStaticBinary(arch, b); errors.Is(err, images.ErrDynamicELF) {
		return nil, fmt.Sprintf("this crashlab (%s) is dynamically linked (a cgo build), which an image without a C library cannot run", exe)
	} else if err != nil {
		return nil, fmt.Sprintf("this crashlab (%s) cannot be the image's: %v", exe, err)
	}
	return b, ""
}

func parseCrashlabBinary(v string) (arch, path string, err error) {
	platform, path, ok := strings.Cut(v, "=")
	goos, arch, ok2 := strings.Cut(platform, "/")
	if !ok || !ok2 || goos != "linux" || path == "" {
		return "", "", fmt.Errorf("--crashlab-binary %q: give it as linux/ARCH=PATH, for example linux/arm64=dist/crashlab_linux_arm64/crashlab", v)
	}
	if !slices.Contains(images.Arches, arch) {
		return "", "", fmt.Errorf("--crashlab-binary %q: crashlab builds images for linux/%s", v, strings.Join(images.Arches, " and linux/"))
	}
	return arch, path, nil
}

// checkArches refuses an unknown or repeated --arch before any work:
// a repeated one would write every image twice.
func checkArches(arches []string) error {
	if len(arches) == 0 {
		return usageError{errors.New("--arch needs at least one architecture")}
	}
	seen := map[string]bool{}
	for _, a := range arches {
		if _, err := images.OtherArch(a); err != nil {
			return usageError{err}
		}
		if seen[a] {
			return usageError{fmt.Errorf("--arch %s is given twice", a)}
		}
		seen[a] = true
	}
	return nil
}

// checkExportPath refuses to write anywhere but a new or a regular file:
// the archive replaces PATH by a rename, which would replace a symlink
// (not its target), a FIFO or, as root, a device such as /dev/stdout.
// Lstat, so that a symlink is seen as one.
func checkExportPath(path string) error {
	if strings.HasSuffix(path, string(filepath.Separator)) {
		return usageError{fmt.Errorf("%s names a directory: images export writes a new or regular file", path)}
	}
	// The archive is written in PATH's own directory: it must be one.
	if di, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("export images: %w", err)
	} else if !di.IsDir() {
		return fmt.Errorf("export images: %s is not a directory", filepath.Dir(path))
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("export images: %w", err)
	case fi.Mode().IsRegular():
		return nil
	}
	return usageError{fmt.Errorf("%s is %s: images export writes only a new or regular file", path, exportPathKind(fi.Mode()))}
}

func exportPathKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func newImagesExportCommand(g *globals) *cobra.Command {
	flags := &imagesFlags{}
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Write the lab's images to an archive an admin imports into each node of an existing cluster",
		Long: "Writes a docker-save style archive: the workload's images and crashlab's own (" + images.CrashlabRepository + ", one image per architecture). Import it on every node, e.g. `ctr -n k8s.io images import FILE` (containerd) or `k3s ctr images import FILE`, `minikube image load FILE`. " +
			"FILE must be new or a regular file, which is replaced. A release builds crashlab's image for both architectures with --crashlab-binary linux/amd64=PATH --crashlab-binary linux/arm64=PATH (static builds).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImagesExport(g, cmd, flags, args[0])
		},
	}
	flags.register(cmd, "export")
	return cmd
}

// runImagesExport needs no cluster: it is how the images reach the nodes of
// a cluster the lab cannot load them into itself.
func runImagesExport(g *globals, cmd *cobra.Command, flags *imagesFlags, path string) error {
	if err := checkArches(flags.arches); err != nil {
		return err
	}
	if err := checkExportPath(path); err != nil {
		return err
	}
	crashlab, err := flags.crashlabIndex(g, cmd)
	if err != nil {
		return err
	}
	imgs, err := imagesFor(flags.arches)
	if err != nil {
		return err
	}
	if crashlab != nil {
		// A docker-save archive holds images, not an index: the nodes
		// import each architecture's image under its own tag.
		imgs = append(imgs, crashlab.Images...)
	}
	// Written next to the target, in its own directory, and renamed, so an
	// interrupted export never leaves a half archive under the real name.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".crashlab-images-*.tar")
	if err != nil {
		return fmt.Errorf("export images: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := images.WriteArchive(tmp, imgs...); err != nil {
		tmp.Close()
		return fmt.Errorf("export images: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export images: %w", err)
	}
	// Checked again right before the rename: PATH may have become
	// something else while the archive was written.
	if err := checkExportPath(path); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export images: %w", err)
	}
	if g.json() {
		return g.emit(map[string]any{"file": path, "images": refs(imgs)})
	}
	g.say("Wrote %d images to %s:", len(imgs), path)
	for _, r := range refs(imgs) {
		g.say("  %s", r)
	}
	g.say("Import on every node: ctr -n k8s.io images import %s", path)
	return nil
}

func refs(imgs []images.Image) []string {
	out := make([]string, len(imgs))
	for i, im := range imgs {
		out[i] = im.Ref
	}
	return out
}

func newImagesPushCommand(g *globals) *cobra.Command {
	flags := &imagesFlags{}
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "push REGISTRY",
		Short: "Push the lab's images to a registry (HOST[:PORT]) the cluster's nodes can pull from",
		Long: "Pushes the lab's images as REGISTRY/crashlab/workload:TAG, and crashlab's own as REGISTRY/crashlab/crashlab:TAG (one name for every architecture). Then deploy with `crashlab --registry REGISTRY start <id>` (or `workshop create`): the nodes pull the images instead of having them imported. " +
			"On the lab's kind cluster, `crashlab --registry REGISTRY up` also tells each node's containerd to pull from it over plain HTTP.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := registryProblem("REGISTRY", args[0]); err != nil {
				return err
			}
			if timeout <= 0 {
				return usageError{fmt.Errorf("--timeout %s: give a positive duration, such as 30s", timeout)}
			}
			if err := checkArches(flags.arches); err != nil {
				return err
			}
			crashlab, err := flags.crashlabIndex(g, cmd)
			if err != nil {
				return err
			}
			imgs, err := imagesFor(flags.arches)
			if err != nil {
				return err
			}
			opts := images.Remote{Insecure: g.insecureRegistry, Timeout: timeout}
			progress := func(ref string) { g.say("pushing %s", ref) }
			pushed, err := images.Push(cmd.Context(), args[0], imgs, opts, progress)
			if err != nil {
				return err
			}
			if crashlab != nil {
				ref, err := images.PushIndex(cmd.Context(), args[0], *crashlab, opts, progress)
				if err != nil {
					return err
				}
				pushed = append(pushed, ref)
			}
			if g.json() {
				return g.emit(pushed)
			}
			g.say("Pushed %d images to %s. Deploy from it with `crashlab --registry %s start <id>`.", len(pushed), args[0], args[0])
			return nil
		},
	}
	flags.register(cmd, "push")
	cmd.Flags().DurationVar(&timeout, "timeout", images.DefaultTimeout, "how long the registry may take to answer a request (a slow upload is not cut short)")
	return cmd
}

// imagesFor is every image the lab runs on nodes of the given architectures
// (each node's own build and its foreign twin); an unknown one is bad input.
func imagesFor(arches []string) ([]images.Image, error) {
	if len(arches) == 0 {
		return nil, usageError{errors.New("--arch names no architecture: give at least one, like amd64")}
	}
	// The same architecture twice would put every image in twice.
	if err := noDuplicates("arch", arches); err != nil {
		return nil, err
	}
	var imgs []images.Image
	for _, a := range arches {
		set, err := images.ForNode(a)
		if err != nil {
			return nil, usageError{err}
		}
		imgs = append(imgs, set...)
	}
	return imgs, nil
}
