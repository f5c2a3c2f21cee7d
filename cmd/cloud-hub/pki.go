package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/michi-v2x/michi/internal/tlsconf"
)

// Files in a PKI directory.
const (
	caCert  = "ca.crt"
	caKey   = "ca.key"
	hubCert = "hub.crt"
	hubKey  = "hub.key"
)

// errHelp is a subcommand's -h: its usage is printed, and the command ends successfully.
var errHelp = errors.New("help")

var edgeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// runPKI implements `cloud-hub pki init` and `cloud-hub pki issue-edge`, thin wrappers of
// internal/tlsconf's CA. Nothing is ever overwritten.
func runPKI(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("pki: want a subcommand: init or issue-edge")
	}
	fs := flag.NewFlagSet("cloud-hub pki "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "PKI directory (required)")
	parse := func() error {
		err := fs.Parse(args[1:])
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	switch args[0] {
	case "init":
		hosts := fs.String("hosts", "", "extra host names / IPs edges dial the hub by, comma-separated (localhost and 127.0.0.1 are always in)")
		name := fs.String("ca-name", "michi hub CA", "CommonName of the CA")
		if err := parse(); err != nil {
			return err
		}
		if *dir == "" || fs.NArg() > 0 {
			return errors.New("usage: cloud-hub pki init --dir DIR [--hosts h1,h2] [--ca-name NAME]")
		}
		return pkiInit(*dir, *name, splitList(*hosts), stdout)
	case "issue-edge":
		if err := parse(); err != nil {
			return err
		}
		if *dir == "" || fs.NArg() != 1 {
			return errors.New("usage: cloud-hub pki issue-edge --dir DIR NAME")
		}
		return pkiIssueEdge(*dir, fs.Arg(0), stdout)
	}
	return fmt.Errorf("pki: unknown subcommand %q (want init or issue-edge)", args[0])
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func pkiInit(dir, name string, hosts []string, stdout io.Writer) error {
	srv, err := writePKI(dir, name, hosts)
	if err != nil {
		return err
	}
	p := func(f string) string { return filepath.Join(dir, f) }
	fmt.Fprintf(stdout, `wrote %s (CA certificate), %s (CA key: keep it secret), %s and %s (hub)
hub certificate names: %s
run the hub:  cloud-hub --pki-dir %s --uplink-addr 0.0.0.0:7443
add an edge:  cloud-hub pki issue-edge --dir %s EDGE-ID
`, p(caCert), p(caKey), p(hubCert), p(hubKey), strings.Join(certNames(srv), ", "), dir, dir)
	return nil
}

// writePKI writes a new CA and the hub's certificate into dir, never replacing a file.
func writePKI(dir, name string, hosts []string) (tls.Certificate, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("pki init: %w", err)
	}
	ca, err := tlsconf.NewCA(name)
	if err != nil {
		return tls.Certificate{}, err
	}
	srv, err := ca.IssueServer("michi hub", hosts...)
	if err != nil {
		return tls.Certificate{}, err
	}
	p := func(f string) string { return filepath.Join(dir, f) }
	if err := ca.WriteFiles(p(caCert), p(caKey)); err != nil {
		return tls.Certificate{}, fmt.Errorf("pki init (an existing PKI is never replaced): %w", err)
	}
	if err := tlsconf.WriteKeyPair(srv, p(hubCert), p(hubKey)); err != nil {
		return tls.Certificate{}, fmt.Errorf("pki init: %w", err)
	}
	return srv, nil
}

// developmentPKI is the hub's PKI when it is started with --data-dir and no certificates: the
// one `pki init` writes, generated in dir on the first start and used again after, so the edges'
// certificates issued from it stay valid across restarts. It is announced as loudly as the edge
// announces its development certificate, with the next steps: the hub certificate names only
// localhost and 127.0.0.1, and the CA key lies next to the database.
func developmentPKI(dir string, log *slog.Logger) error {
	created := false
	if _, err := os.Stat(filepath.Join(dir, caCert)); errors.Is(err, os.ErrNotExist) {
		if _, err := writePKI(dir, "michi hub development CA", nil); err != nil {
			return fmt.Errorf("development PKI: %w", err)
		}
		created = true
	}
	log.Warn("no tls_cert/tls_key/client_ca: using a DEVELOPMENT PKI (CA key on this machine, hub certificate for localhost and 127.0.0.1 only); "+
		"for production run `cloud-hub pki init --dir pki --hosts HUB-NAME` and start with --pki-dir pki",
		"dir", dir, "generated", created, "issue_edge", "cloud-hub pki issue-edge --dir "+dir+" EDGE-ID", "hub_ca", filepath.Join(dir, caCert))
	return nil
}

// certNames lists a certificate's DNS and IP subject alternative names.
func certNames(c tls.Certificate) []string {
	names := append([]string(nil), c.Leaf.DNSNames...)
	for _, ip := range c.Leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

func pkiIssueEdge(dir, name string, stdout io.Writer) error {
	if !edgeName.MatchString(name) {
		return fmt.Errorf("pki issue-edge: edge id %q: want 1 to 64 of A-Z a-z 0-9 . _ - (it becomes the certificate's CommonName and the edge's id)", name)
	}
	ca, err := tlsconf.LoadCA(filepath.Join(dir, caCert), filepath.Join(dir, caKey))
	if err != nil {
		return fmt.Errorf("pki issue-edge (run `cloud-hub pki init --dir %s` first?): %w", dir, err)
	}
	cert, err := ca.IssueClient(name)
	if err != nil {
		return err
	}
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := tlsconf.WriteKeyPair(cert, certFile, keyFile); err != nil {
		return fmt.Errorf("pki issue-edge: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s and %s (client certificate, CN=%s)\ncopy them and %s (not the CA key) to the edge node\n",
		certFile, keyFile, name, filepath.Join(dir, caCert))
	return nil
}
