// Package tlsconf builds the *tls.Config values michi's listeners and clients use: server
// configurations from certificate files or, for development, from a freshly generated
// self-signed certificate, and client configurations that verify the server in one of three
// explicit ways.
//
// It owns:
//   - DevCertificate: a self-signed ECDSA P-256 certificate for development and demos.
//   - Fingerprint / ParseFingerprint: the SHA-256 fingerprint of a certificate's DER, written as
//     upper-case hex pairs separated by colons ("AB:CD:…", 95 characters), the same form as
//     `openssl x509 -noout -fingerprint -sha256`, so an operator can compare the two by eye.
//     Pins are accepted in any case, with or without colons or spaces, and with an optional
//     "sha256:" or "SHA256 Fingerprint=" prefix.
//   - ServerConfig: a server *tls.Config from a certificate and key file, or a generated development
//     certificate when both file names are empty (reported as generated, with its fingerprint, so the
//     caller can log it and clients can pin it).
//   - ClientConfig: a client *tls.Config that verifies the server by a CA file, by a pinned
//     certificate fingerprint, or — only when asked for explicitly — not at all. Giving none of the
//     three is an error (ErrNoVerification): plaintext-equivalent security is never a default.
//     With CertFile/KeyFile it also presents a client certificate (mutual TLS, TLS 1.3).
//   - Mutual TLS (mtls.go), used by the edge↔hub uplink: MutualServerConfig (files) and
//     MutualServerTLS (in memory) require a client certificate verified against a client CA
//     (tls.RequireAndVerifyClientCert, TLS 1.3); MutualClientTLS is the in-memory client side;
//     PeerIdentity gives the verified peer's CommonName (the edge id), CertificateIdentity the
//     CommonName of one's own certificate.
//   - A small PKI (pki.go) so an operator sets mutual TLS up in a few commands: NewCA, LoadCA /
//     ParseCA, CA.IssueServer (the hub), CA.IssueClient (one per edge, CommonName = edge id),
//     CA.Issue for anything else, CA.Pool / CertPEM, and CA.WriteFiles / WriteKeyPair, which
//     write PEM files (keys 0600) and never overwrite an existing file (os.ErrExist). Keys are
//     ECDSA P-256; the CA is valid for 10 years, issued certificates for 2 (never beyond the CA).
//     Revocation (CRLs, OCSP) is not provided: to shut an edge out, re-key the CA or add an
//     explicit deny-list at the server.
//
// Pinning is checked in tls.Config.VerifyConnection rather than VerifyPeerCertificate because
// VerifyConnection also runs on resumed sessions. A pin identifies the exact certificate, like an
// SSH host key, so the certificate's name and validity period are not checked in that mode; a CA
// file combined with a pin checks both the chain (names, validity) and the pin.
//
// Every configuration has MinVersion TLS 1.2; QUIC users get TLS 1.3 regardless, as QUIC requires
// it. Certificate reloading (rotation without restart) is not provided here.
//
// This package imports only the standard library. It must not import anything from michi, nor
// QUIC or MQTT libraries: it is shared by the MQTT/TLS, QUIC and uplink code alike.
package tlsconf
