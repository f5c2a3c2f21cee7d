package tlsconf

import "github.com/michi-v2x/michi/pkg/tlsclient"

// The client side's errors are pkg/tlsclient's, so errors.Is matches whichever package a caller
// names.
var (
	ErrNoVerification          = tlsclient.ErrNoVerification
	ErrConflictingVerification = tlsclient.ErrConflictingVerification
	ErrPinMismatch             = tlsclient.ErrPinMismatch
	ErrBadFingerprint          = tlsclient.ErrBadFingerprint
	// ErrKeyPair is returned by ServerConfig when only one of the certificate and key files is given.
	ErrKeyPair = tlsclient.ErrKeyPair
)
