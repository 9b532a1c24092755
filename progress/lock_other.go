//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package progress

import (
	"fmt"
	"runtime"
)

// lock refuses on systems without flock: saving without a lock could lose a
// concurrent update, and the lab only supports Linux and macOS.
func lock(path string) (unlock func(), err error) {
	return nil, fmt.Errorf("lock progress %s: file locking is not supported on %s", path, runtime.GOOS)
}
