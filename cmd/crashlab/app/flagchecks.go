package app

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// maxNodes is the most nodes `up` makes: each is a container on this
// machine, and ten is a room's worth on one laptop.
const maxNodes = 10

// maxLevel is the highest level of the catalogue: a --level above it can
// only be a mistake, refused while parsing.
func maxLevel() int {
	top := 0
	for _, sc := range catalog.All() {
		top = max(top, sc.Level)
	}
	return top
}

// checkLevel refuses a level no incident has (0 is every level); the
// catalogue's levels need not be contiguous.
func checkLevel(level int) error {
	if level == 0 {
		return nil
	}
	var levels []int
	for _, sc := range catalog.All() {
		if !slices.Contains(levels, sc.Level) {
			levels = append(levels, sc.Level)
		}
	}
	if slices.Contains(levels, level) {
		return nil
	}
	slices.Sort(levels)
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = strconv.Itoa(l)
	}
	return usageError{fmt.Errorf("--level %d: no incident has that level; give one of %s", level, strings.Join(names, ", "))}
}

// registryProblem words images.ValidateRegistry's errors for the flag or
// argument that named the registry.
func registryProblem(what, registry string) error {
	err := images.ValidateRegistry(registry)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, images.ErrRegistryURL):
		return usageError{fmt.Errorf("%s %q: give it as HOST[:PORT], without http:// (for example 172.18.0.1:5000)", what, registry)}
	}
	return usageError{fmt.Errorf("%s %q is not a registry: give HOST[:PORT] (a host with a dot, a port or localhost; lower-case letters, digits, '.', '-' and '/'), like registry.example.com or 172.18.0.1:5000", what, registry)}
}

// checkNodeImage parses `up --image` as kind would hand it to docker.
func checkNodeImage(image string) error {
	if image == "" {
		return nil
	}
	if _, err := name.ParseReference(image); err != nil {
		return usageError{fmt.Errorf("--image %q is not an image name: give one like kindest/node:v1.35.0", image)}
	}
	return nil
}

// checkListenAddress parses `workshop board --addr` before anything starts.
func checkListenAddress(flag, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return usageError{fmt.Errorf("%s %q: give HOST:PORT with a port from 0 to 65535, like 127.0.0.1:8080", flag, addr)}
	}
	return nil
}

// noDuplicates refuses a list flag that names one thing twice.
func noDuplicates(flag string, values []string) error {
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			return usageError{fmt.Errorf("--%s names %s twice: give each once", flag, v)}
		}
		seen[v] = true
	}
	return nil
}
