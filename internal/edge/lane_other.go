//go:build !linux

package edge

import "syscall"

// writeNonBlocking writes nothing where non-blocking socket writes are not wired: the lane's
// flusher goroutine writes everything.
func writeNonBlocking(syscall.RawConn, []byte) int { return 0 }
