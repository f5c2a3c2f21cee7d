package tlsconf

import "testing"

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1883": true, "127.9.9.9:0": true, "[::1]:8080": true, "localhost:1883": true,
		":1883": false, "0.0.0.0:1883": false, "[::]:1883": false, "192.168.1.10:1883": false,
		"edge.example.org:1883": false, "127.0.0.1": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
