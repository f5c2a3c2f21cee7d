//go:build unix

package edge

import "syscall"

// writeNonBlocking writes what the socket takes at once and returns how much that was (0 when
// its send buffer is full or the write fails; the caller queues the rest).
func writeNonBlocking(raw syscall.RawConn, b []byte) int {
	var n int
	_ = raw.Write(func(fd uintptr) bool {
		for {
			m, err := syscall.Write(int(fd), b)
			if err == syscall.EINTR {
				continue
			}
			if m > 0 {
				n = m
			}
			return true // never wait for the poller: the caller queues what is left
		}
	})
	return n
}
