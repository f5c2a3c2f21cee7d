// Package tlsclient builds the client *tls.Config that vehicle software and michi's own tools use
// to reach an edge or a hub: it verifies the server by a CA file, by a pinned SHA-256 certificate
// fingerprint, or — only when asked for explicitly — not at all, and presents a client
// certificate for mutual TLS when given one.
//
// It owns:
//   - Config / Options: giving none of the three ways of verification is an error
//     (ErrNoVerification): plaintext-equivalent security is never a default. With CertFile/KeyFile
//     the configuration also presents a client certificate (mutual TLS, TLS 1.3).
//   - Fingerprint / ParseFingerprint: the SHA-256 of a certificate's DER as upper-case hex pairs
//     separated by colons ("AB:CD:…", the form `openssl x509 -noout -fingerprint -sha256` prints);
//     pins are accepted in any case, with or without colons or spaces, with an optional "sha256:"
//     or "SHA256 Fingerprint=" prefix.
//
// Pinning is checked in tls.Config.VerifyConnection, which, unlike VerifyPeerCertificate, also
// runs on resumed sessions. A pin identifies the exact certificate, like an SSH host key, so its
// name and validity are not checked in that mode; a CA file combined with a pin checks both.
//
// It is the client half of internal/tlsconf (which re-exports it for the servers' side), public
// because the SDK (pkg/v2x/client) needs it. It imports only the standard library and must not
// import anything under internal/.
package tlsclient
