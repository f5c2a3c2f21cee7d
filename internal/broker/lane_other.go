//go:build !linux

package broker

import "syscall"

// writeNonBlocking writes nothing where non-blocking socket writes are not wired: the lane's
// flusher goroutine writes everything.
func writeNonBlocking(syscall.RawConn, []byte) int { return 0 }
