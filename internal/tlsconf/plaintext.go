package tlsconf

import "net"

// Loopback reports whether a listen address (host:port) only accepts connections from this
// machine: localhost or a loopback IP. An empty host (every interface) or any other name is not.
// DESIGN: TLS on every external listener; plaintext only where explicitly asked for.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
