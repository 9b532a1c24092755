package images

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryRepository is where the lab's images live in a registry:
// REGISTRY/crashlab/workload, with the same tags as on the nodes.
const RegistryRepository = "crashlab/workload"

// InRegistry returns the image as it is named in registry (host[:port], or
// host[:port]/path): same content, same tag.
func InRegistry(img Image, registry string) Image {
	_, tag, _ := strings.Cut(img.Ref[strings.LastIndex(img.Ref, "/")+1:], ":")
	img.Ref = strings.TrimSuffix(registry, "/") + "/" + RegistryRepository + ":" + tag
	return img
}

// Errors of ValidateRegistry; the caller words what to do.
var (
	// ErrRegistryURL is a registry given as a URL (http://…) or not at all.
	ErrRegistryURL = errors.New("a registry is a host, not a URL")
	// ErrNotARegistry is a name that does not start with a registry host:
	// "team" alone would mean Docker Hub's repository team/….
	ErrNotARegistry = errors.New("not a registry host")
)

// ValidateRegistry refuses what cannot prefix an image name as its registry
// (host[:port], or host[:port]/path), parsed as go-containerregistry parses
// the images' names.
func ValidateRegistry(registry string) error {
	if registry == "" || strings.Contains(registry, "://") {
		return fmt.Errorf("%w: %q", ErrRegistryURL, registry)
	}
	repo, err := name.NewRepository(strings.TrimSuffix(registry, "/")+"/"+RegistryRepository, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotARegistry, err)
	}
	host, _, _ := strings.Cut(registry, "/")
	reg, err := name.NewRegistry(host, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotARegistry, err)
	}
	// Without a dot, a port or "localhost" the first part is a path on
	// Docker Hub, not a host: the nodes would pull from somewhere else.
	if repo.RegistryStr() != reg.RegistryStr() {
		return fmt.Errorf("%w: %q would be a path on %s", ErrNotARegistry, host, repo.RegistryStr())
	}
	return nil
}

// options: go-containerregistry speaks plain HTTP to localhost and to
// private (RFC 1918) addresses, which is where a room's registry runs;
// insecure extends that to any host.
func refOptions(insecure bool) []name.Option {
	if insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Push writes imgs into registry under InRegistry's names and returns those
// names. An image already there with the same digest is not sent again.
func Push(ctx context.Context, registry string, imgs []Image, insecure bool, progress func(ref string)) ([]string, error) {
	if err := ValidateRegistry(registry); err != nil {
		return nil, err
	}
	var out []string
	for _, im := range imgs {
		if im.img == nil {
			return out, fmt.Errorf("push %s: image was not built by this package", im.Ref)
		}
		ref := InRegistry(im, registry).Ref
		tag, err := name.NewTag(ref, refOptions(insecure)...)
		if err != nil {
			return out, fmt.Errorf("push %s: %w", ref, err)
		}
		progress(ref)
		if err := remote.Write(tag, im.img, remote.WithContext(ctx)); err != nil {
			return out, fmt.Errorf("push %s: %w (is the registry running and reachable from here? a registry over plain HTTP outside localhost and private addresses needs --insecure)", ref, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// MissingInRegistry returns the refs of imgs that registry does not hold.
func MissingInRegistry(ctx context.Context, registry string, imgs []Image, insecure bool) ([]string, error) {
	var missing []string
	for _, im := range imgs {
		ref := InRegistry(im, registry).Ref
		tag, err := name.NewTag(ref, refOptions(insecure)...)
		if err != nil {
			return nil, err
		}
		if _, err := remote.Head(tag, remote.WithContext(ctx)); err != nil {
			var te *transport.Error
			if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
				missing = append(missing, ref)
				continue
			}
			return nil, fmt.Errorf("ask registry %s for %s: %w", registry, ref, err)
		}
	}
	return missing, nil
}
