package tlsclient

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
)

// Fingerprint returns the SHA-256 of cert's DER encoding as upper-case hex pairs separated by
// colons, e.g. "3A:F0:…" (95 characters), the form printed by
// `openssl x509 -noout -fingerprint -sha256`.
func Fingerprint(cert *x509.Certificate) string {
	return formatFingerprint(sha256.Sum256(cert.Raw))
}

func formatFingerprint(sum [sha256.Size]byte) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, 3*len(sum)-1)
	for i, v := range sum {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[v>>4], digits[v&0x0f])
	}
	return string(b)
}

// ParseFingerprint parses a SHA-256 fingerprint as written by Fingerprint, or in any of the common
// variants: either case, with or without colons or spaces, with an optional "sha256:" or
// "SHA256 Fingerprint=" prefix.
func ParseFingerprint(s string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	t := strings.TrimSpace(s)
	for _, prefix := range []string{"sha256 fingerprint=", "sha256:", "sha256="} {
		if len(t) >= len(prefix) && strings.EqualFold(t[:len(prefix)], prefix) {
			t = t[len(prefix):]
			break
		}
	}
	t = strings.NewReplacer(":", "", " ", "", "-", "").Replace(t)
	if len(t) != 2*sha256.Size {
		return sum, fmt.Errorf("%w: got %q", ErrBadFingerprint, s)
	}
	if _, err := hex.Decode(sum[:], []byte(t)); err != nil {
		return sum, fmt.Errorf("%w: got %q", ErrBadFingerprint, s)
	}
	return sum, nil
}
