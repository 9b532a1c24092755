//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package progress

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive flock on a sidecar file rather than on the progress
// file itself, because the progress file is replaced by rename and a lock on
// the old inode would not exclude a process that opened the new one. Each call
// opens its own descriptor, so the lock also excludes other goroutines of this
// process. The kernel drops the lock if the process dies, so a crash never
// leaves the store locked.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock progress: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock progress %s: %w", path, err)
	}
	return func() {
		// Closing the descriptor releases the flock.
		f.Close()
	}, nil
}
