//go:build linux

package broker

import (
	"syscall"
	"unsafe"
)

// writeNonBlocking writes what the socket takes at once and returns how much that was (0 when
// its send buffer is full or the write fails; the caller queues the rest).
//
// A raw system call: the socket is non-blocking, so the call is short, and the runtime need not
// be told. Through syscall.Write the runtime would hand the goroutine's P to another thread
// whenever a write outlasted a sysmon tick (20 µs, easily reached on a loaded loopback), and the
// fan-out goroutine would then queue behind every runnable telemetry reader to get it back —
// milliseconds, a few hundred times per hazard.
func writeNonBlocking(raw syscall.RawConn, b []byte) int {
	if len(b) == 0 {
		return 0
	}
	var n int
	_ = raw.Write(func(fd uintptr) bool {
		for {
			m, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			if errno == syscall.EINTR {
				continue
			}
			if errno == 0 {
				n = int(m)
			}
			return true // never wait for the poller: the caller queues what is left
		}
	})
	return n
}
