package broker

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(tb testing.TB) (server, client *net.TCPConn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(tb, err)
	s, err := ln.Accept()
	require.NoError(tb, err)
	tb.Cleanup(func() { c.Close(); s.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}

// record is a stand-in for an MQTT packet: kind, sequence number, length, then length bytes of kind.
func record(kind byte, seq uint32, n int) []byte {
	b := make([]byte, 7+n)
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], seq)
	binary.BigEndian.PutUint16(b[5:], uint16(n))
	for i := range n {
		b[7+i] = kind
	}
	return b
}

// The broker's writes and the lane's never interleave inside a packet, even when the socket takes
// only part of a lane write and the rest waits behind a blocked broker write; the lane keeps its
// order, refuses what exceeds its bound, and everything it accepted arrives.
func TestLaneKeepsPacketsWhole(t *testing.T) {
	s, c := tcpPair(t)
	require.NoError(t, s.SetWriteBuffer(64<<10))
	require.NoError(t, c.SetReadBuffer(64<<10))
	lane := newLaneConn(s, 64<<10)

	// Nobody reads yet: the first lane write goes out in part, the next ones queue until the
	// bound refuses one.
	var accepted uint32
	for ; ; accepted++ {
		if !lane.send(record('A', accepted, 1000+int(accepted%7)*300)) {
			break
		}
		require.Less(t, accepted, uint32(1000), "the lane never refused anything")
	}

	const brokerWrites = 200
	var wg sync.WaitGroup
	wg.Go(func() { // the broker's writer, blocked behind the lane until the reader drains
		for i := range uint32(brokerWrites) {
			_, err := lane.Write(record('B', i, 50+int(i%13)*200))
			assert.NoError(t, err)
		}
	})
	wg.Go(func() { // more alerts meanwhile
		for i := uint32(0); i < 200; i++ {
			if lane.send(record('A', accepted, 700)) {
				accepted++
			}
		}
	})

	r := bufio.NewReaderSize(c, 512)
	var nextA, nextB uint32
	head := make([]byte, 7)
	readAll := make(chan error, 1)
	go func() {
		for {
			if _, err := io.ReadFull(r, head); err != nil {
				readAll <- err
				return
			}
			kind, seq, n := head[0], binary.BigEndian.Uint32(head[1:]), int(binary.BigEndian.Uint16(head[5:]))
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				readAll <- err
				return
			}
			for _, b := range body {
				if b != kind {
					readAll <- io.ErrUnexpectedEOF
					return
				}
			}
			switch kind {
			case 'A':
				if seq != nextA {
					readAll <- io.ErrShortBuffer
					return
				}
				nextA++
			case 'B':
				if seq != nextB {
					readAll <- io.ErrShortBuffer
					return
				}
				nextB++
			default:
				readAll <- io.ErrNoProgress
				return
			}
		}
	}()
	wg.Wait()
	for { // every queued lane byte is out once no flusher runs
		lane.qmu.Lock()
		idle := !lane.flushing
		lane.qmu.Unlock()
		if idle {
			break
		}
		runtime.Gosched()
	}
	require.NoError(t, s.CloseWrite())
	require.ErrorIs(t, <-readAll, io.EOF, "a torn or out-of-order record")
	require.Equal(t, uint32(brokerWrites), nextB)
	require.Equal(t, accepted, nextA)
}

// A lane write that finds the broker writing waits for it, without blocking the sender.
func TestLaneWaitsForBrokerWrite(t *testing.T) {
	s, c := tcpPair(t)
	lane := newLaneConn(s, 64<<10)
	lane.wmu.Lock() // the broker is in the middle of a write
	require.True(t, lane.send(record('A', 0, 10)))
	require.True(t, lane.send(record('A', 1, 10)), "queued behind the first")
	require.False(t, lane.send(record('A', 2, 65<<10)), "over the bound")
	_, err := s.Write(record('B', 0, 10)) // what the broker was writing
	require.NoError(t, err)
	lane.wmu.Unlock()
	want := append(append(record('B', 0, 10), record('A', 0, 10)...), record('A', 1, 10)...)
	got := make([]byte, len(want))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// BenchmarkLaneSend is one 700-byte alert written to each of 240 connections whose peers read
// all the time: the cost of a write on loopback.
func BenchmarkLaneSend(b *testing.B) {
	lanes := make([]*laneConn, 240)
	for i := range lanes {
		s, c := tcpPair(b)
		go func() { _, _ = io.Copy(io.Discard, c) }()
		lanes[i] = newLaneConn(s, 1<<20)
	}
	msg := make([]byte, 700)
	b.ResetTimer()
	for range b.N {
		for _, l := range lanes {
			l.send(msg)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lanes)), "ns/recipient")
}
