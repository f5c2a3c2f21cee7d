package httpsrv

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Defaults, applied where Timeouts leaves a field zero.
const (
	DefaultReadHeader = 10 * time.Second
	DefaultRead       = 30 * time.Second
	DefaultWrite      = 2 * time.Minute
	DefaultIdle       = 2 * time.Minute
)

// Timeouts bound an HTTP client. The zero value of every field means its default; a negative
// one means none (only for tests and for servers behind a proxy that bounds it).
type Timeouts struct {
	ReadHeader time.Duration `yaml:"read_header"` // request line and headers, default 10 s
	Read       time.Duration `yaml:"read"`        // the whole request, body included, default 30 s
	Write      time.Duration `yaml:"write"`       // from the end of the request to the end of the answer, default 2 min
	Idle       time.Duration `yaml:"idle"`        // a kept-alive connection between requests, default 2 min
}

func (t *Timeouts) setDefaults() {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&t.ReadHeader, DefaultReadHeader}, {&t.Read, DefaultRead}, {&t.Write, DefaultWrite}, {&t.Idle, DefaultIdle}} {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			*d.v = 0 // net/http: none
		}
	}
}

// Validate reports timeouts that cannot work.
func (t Timeouts) Validate() error {
	if t.Read > 0 && t.ReadHeader > t.Read {
		return errors.New("http timeouts: read_header must not exceed read")
	}
	return nil
}

// Server returns an http.Server for h with t's bounds; its error log (TLS handshake noise from
// scanners, mostly) goes to log at debug level.
func (t Timeouts) Server(h http.Handler, log *slog.Logger) *http.Server {
	t.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write,
		IdleTimeout: t.Idle, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
}
