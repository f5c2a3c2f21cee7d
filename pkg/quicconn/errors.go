package quicconn

import (
	"errors"
	"fmt"
	"io"

	"github.com/quic-go/quic-go"
)

// QUIC application error codes this package sends when it closes a connection.
const (
	// CodeNoError closes a connection normally.
	CodeNoError quic.ApplicationErrorCode = 0x0
	// CodeNoStream closes a connection whose client opened no stream within the stream timeout.
	CodeNoStream quic.ApplicationErrorCode = 0x1
)

var (
	// ErrNoTLSConfig is returned by Listen and Dial when the *tls.Config is nil: QUIC always
	// uses TLS, and this package does not pick certificates or skip verification by itself.
	ErrNoTLSConfig = errors.New("quicconn: a *tls.Config is required")
	// ErrNoCertificate is returned by Listen when the server's *tls.Config has no certificate.
	ErrNoCertificate = errors.New("quicconn: the server's *tls.Config has no certificate")
	// ErrPeerClosed is returned by Conn.Read when the peer closed the QUIC connection (with
	// CodeNoError) or reset the stream before ending its side of the stream, so data it wrote may
	// be missing, as when a TCP connection is reset. It wraps io.ErrUnexpectedEOF. A peer that
	// closes normally ends its side first, and Read reports io.EOF.
	ErrPeerClosed = fmt.Errorf("quicconn: peer closed the connection before ending its stream: %w", io.ErrUnexpectedEOF)
)
