package main

import (
	"syscall"
	"unsafe"
)

// sigaction is the kernel's struct sigaction on linux/amd64 and linux/arm64
// (both define SA_RESTORER, so the layout is the same).
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// segfault dies of a real SIGSEGV, as a crashing native library does. The Go
// runtime turns faults into panics (exit 2), and a signal a process sends
// itself is dropped when it is PID 1 of a container; a fault with the
// default action is neither: the kernel kills even PID 1, and the runtime
// reports signal 11 (exit 139).
func segfault() {
	dfl := sigaction{} // handler 0 is SIG_DFL
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	var p *int
	bad := (*int)(unsafe.Add(unsafe.Pointer(p), 8))
	*bad = 1 //nolint:govet // the point is the fault
}
