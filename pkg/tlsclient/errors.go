package tlsclient

import "errors"

var (
	// ErrNoVerification is returned by Config when no way to verify the server was given: a CA
	// file, a pinned fingerprint, or Insecure.
	ErrNoVerification = errors.New("tlsconf: no server verification configured (set a CA file, a pinned fingerprint, or insecure explicitly)")
	// ErrConflictingVerification is returned by Config when Insecure is combined with a CA file
	// or a pin.
	ErrConflictingVerification = errors.New("tlsconf: insecure cannot be combined with a CA file or a pinned fingerprint")
	// ErrPinMismatch is returned by the handshake when the server's certificate does not have the
	// pinned fingerprint.
	ErrPinMismatch = errors.New("tlsconf: server certificate does not match the pinned fingerprint")
	// ErrBadFingerprint is returned when a pinned fingerprint is not 32 bytes of hex.
	ErrBadFingerprint = errors.New("tlsconf: fingerprint must be 64 hex digits (SHA-256), colons optional")
	// ErrKeyPair is returned when only one of a certificate and its key file is given.
	ErrKeyPair = errors.New("tlsconf: certificate and key file must be given together (or both left empty for a development certificate)")
)
