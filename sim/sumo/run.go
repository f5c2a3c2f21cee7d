package sumo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
)

// Spec is the sumo section of a scenario: exactly one of FCD (replay a file), Listen (accept
// SUMO's live output) and Config or Net (run SUMO). Relative paths are relative to the scenario.
type Spec struct {
	FCD    string `yaml:"fcd"`    // FCD file written with --fcd-output
	Listen string `yaml:"listen"` // host:port to accept `sumo --fcd-output host:port` on
	Config string `yaml:"config"` // .sumocfg to run
	Net    string `yaml:"net"`    // .net.xml to run (with Routes)
	Routes string `yaml:"routes"` // .rou.xml
	// Geo: the FCD's x/y are lon/lat (--fcd-output.geo); false: metres east/north of the
	// scenario origin. Default true. SUMO runs started here always write geo output.
	Geo *bool `yaml:"geo"`
	// Begin is the FCD time that becomes virtual time 0 (skip SUMO's warm-up).
	Begin time.Duration `yaml:"begin"`
	// StepLength of a SUMO run, default 100 ms (the FCD is sampled, not interpolated, so keep it
	// at most the scenario's step).
	StepLength time.Duration `yaml:"step_length"`
	Args       []string      `yaml:"args"`   // more sumo arguments
	Binary     string        `yaml:"binary"` // default "sumo" on PATH
	// AcceptTimeout bounds the wait for SUMO to connect (Listen and runs), default 30 s.
	AcceptTimeout time.Duration `yaml:"accept_timeout"`
	// Incidents SUMO is made to have (runs on a net only): michi-sim adds their vehicles in a
	// route file of its own and reads what really happened from the FCD.
	Incidents []Incident `yaml:"incidents"`
}

// ErrNoSUMO is returned when a scenario needs SUMO and it is not installed.
var ErrNoSUMO = errors.New("sumo is not installed (Debian: apt-get install sumo sumo-tools; SUMO_HOME=/usr/share/sumo)")

func (s *Spec) setDefaults() {
	if s.Geo == nil {
		t := true
		s.Geo = &t
	}
	if s.StepLength == 0 {
		s.StepLength = 100 * time.Millisecond
	}
	if s.Binary == "" {
		s.Binary = "sumo"
	}
	if s.AcceptTimeout == 0 {
		s.AcceptTimeout = 30 * time.Second
	}
}

// Validate applies the defaults and checks the section; dir resolves relative paths.
func (s *Spec) Validate(dir string) error {
	s.setDefaults()
	var errs []error
	bad := func(path, format string, a ...any) {
		errs = append(errs, &sim.FieldError{Path: "sumo." + path, Msg: fmt.Sprintf(format, a...)})
	}
	run := s.Config != "" || s.Net != ""
	n := 0
	for _, b := range []bool{s.FCD != "", s.Listen != "", run} {
		if b {
			n++
		}
	}
	if n != 1 {
		bad("fcd", "give exactly one of fcd (a file), listen (SUMO's live output) and config or net (run SUMO)")
	}
	if s.FCD != "" {
		if _, err := os.Stat(resolve(dir, s.FCD)); err != nil {
			bad("fcd", "%v", err)
		}
	}
	if s.Listen != "" {
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			bad("listen", "%q: want host:port", s.Listen)
		}
	}
	if s.Net != "" && s.Routes == "" {
		bad("routes", "a net needs routes")
	}
	for field, f := range map[string]string{"config": s.Config, "net": s.Net, "routes": s.Routes} {
		if f != "" {
			if _, err := os.Stat(resolve(dir, f)); err != nil {
				bad(field, "%v", err)
			}
		}
	}
	if s.Begin < 0 || s.StepLength <= 0 {
		bad("begin", "begin ≥ 0 and step_length > 0")
	}
	if len(s.Incidents) > 0 {
		errs = append(errs, s.validateIncidents(dir)...)
	}
	return errors.Join(errs...)
}

// validateIncidents checks the incidents against the net they happen on.
func (s *Spec) validateIncidents(dir string) []error {
	var errs []error
	var net *Net
	if s.Net == "" {
		errs = append(errs, &sim.FieldError{Path: "sumo.incidents", Msg: "incidents need a SUMO run on a net and routes (not fcd, listen or config)"})
	} else if n, err := ReadNet(resolve(dir, s.Net)); err != nil {
		errs = append(errs, &sim.FieldError{Path: "sumo.net", Msg: err.Error()})
	} else {
		net = n
	}
	for i := range s.Incidents {
		errs = append(errs, s.Incidents[i].validate(fmt.Sprintf("sumo.incidents[%d]", i), i, net, s.Incidents)...)
	}
	return errs
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// Open opens the traffic source the spec describes: a file, a socket SUMO connects to, or a
// SUMO run (started here, writing to such a socket). origin puts non-geo FCD on the map and
// centres the projection given to networks without one; seed is passed to SUMO.
func Open(ctx context.Context, s Spec, dir string, origin geo.Point, seed uint64) (*Source, error) {
	if err := s.Validate(dir); err != nil {
		return nil, err
	}
	switch {
	case s.FCD != "":
		f, err := os.Open(resolve(dir, s.FCD))
		if err != nil {
			return nil, err
		}
		return NewSource(NewReader(bufio.NewReader(f)), *s.Geo, origin, s.Begin, f), nil
	case s.Listen != "":
		ln, err := net.Listen("tcp", s.Listen)
		if err != nil {
			return nil, fmt.Errorf("sumo listen: %w", err)
		}
		conn, err := accept(ctx, ln, s.AcceptTimeout, nil)
		if err != nil {
			return nil, err
		}
		return NewSource(NewReader(bufio.NewReader(conn)), *s.Geo, origin, s.Begin, conn), nil
	}
	return start(ctx, s, dir, origin, seed)
}

// accept waits for one connection; exited, when set, reports a process that ended first.
func accept(ctx context.Context, ln net.Listener, timeout time.Duration, exited <-chan error) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	defer ln.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.c, r.err
	case err := <-exited:
		return nil, fmt.Errorf("sumo ended before it connected: %v", err)
	case <-t.C:
		return nil, fmt.Errorf("sumo did not connect to %s within %s", ln.Addr(), timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start runs SUMO with its FCD going to a local socket.
func start(ctx context.Context, s Spec, dir string, origin geo.Point, seed uint64) (*Source, error) {
	bin, err := exec.LookPath(s.Binary)
	if err != nil {
		return nil, ErrNoSUMO
	}
	tmp, err := os.MkdirTemp("", "michi-sumo-")
	if err != nil {
		return nil, err
	}
	args := []string{"--no-step-log", "--seed", strconv.FormatUint(seed%(1<<31), 10),
		"--step-length", strconv.FormatFloat(s.StepLength.Seconds(), 'f', -1, 64), "--fcd-output.geo"}
	if s.Config != "" {
		args = append(args, "-c", resolve(dir, s.Config))
	} else {
		netFile, err := Project(ctx, resolve(dir, s.Net), tmp, origin)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		routes := resolve(dir, s.Routes)
		if len(s.Incidents) > 0 {
			f := filepath.Join(tmp, "incidents.rou.xml")
			if routes, err = writeIncidents(f, routes, s); err != nil {
				os.RemoveAll(tmp)
				return nil, err
			}
		}
		args = append(args, "-n", netFile, "-r", routes)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	args = append(append(args, s.Args...), "--fcd-output", ln.Addr().String())
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SUMO_HOME="+sumoHome())
	stderr := &sumoLog{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		ln.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start sumo: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	conn, err := accept(ctx, ln, s.AcceptTimeout, exited)
	if err != nil {
		_ = cmd.Process.Kill()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("%w; sumo said: %s", err, strings.TrimSpace(stderr.String()))
	}
	src := NewSource(NewReader(bufio.NewReader(conn)), true, origin, s.Begin, conn)
	src.truth, src.log = newTruth(s.Incidents), stderr
	src.wait = func() error {
		_ = cmd.Process.Kill() // closing the socket usually ends it; make sure
		<-exited
		return os.RemoveAll(tmp)
	}
	return src, nil
}

// writeIncidents writes the incidents' route file f and returns the route files to give SUMO.
func writeIncidents(f, routes string, s Spec) (string, error) {
	out, err := os.Create(f)
	if err != nil {
		return "", err
	}
	if err := WriteRoutes(out, s.Incidents, s.Begin); err != nil {
		out.Close()
		return "", err
	}
	return routes + "," + f, out.Close()
}

// sumoLog is SUMO's stderr: it counts the teleports SUMO reports and keeps the last lines for
// error messages.
type sumoLog struct {
	mu        sync.Mutex
	tail      []byte
	teleports int
	partial   string
}

func (l *sumoLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	text := l.partial + string(p)
	lines := strings.Split(text, "\n")
	l.partial = lines[len(lines)-1]
	for _, ln := range lines[:len(lines)-1] {
		if strings.Contains(ln, "Teleporting vehicle") {
			l.teleports++
		}
	}
	l.tail = append(l.tail, p...)
	if len(l.tail) > 4096 {
		l.tail = l.tail[len(l.tail)-4096:]
	}
	return len(p), nil
}

func (l *sumoLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.tail)
}

// Teleports is how many times SUMO has teleported a vehicle so far (a jam it gave up on).
func (l *sumoLog) Teleports() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.teleports
}

func sumoHome() string {
	if h := os.Getenv("SUMO_HOME"); h != "" {
		return h
	}
	return "/usr/share/sumo"
}

// Project returns netFile itself when it has a geo-projection, or a copy written into dir by
// netconvert with a transverse Mercator projection centred on origin (network (0,0) = origin).
func Project(ctx context.Context, netFile, dir string, origin geo.Point) (string, error) {
	b, err := os.ReadFile(netFile)
	if err != nil {
		return "", err
	}
	head := string(b[:min(len(b), 4096)])
	if !strings.Contains(head, `projParameter="!"`) {
		return netFile, nil
	}
	bin, err := exec.LookPath("netconvert")
	if err != nil {
		return "", fmt.Errorf("%s has no geo-projection and netconvert is not installed: %w", netFile, ErrNoSUMO)
	}
	out := filepath.Join(dir, "projected.net.xml")
	cmd := exec.CommandContext(ctx, bin, "-s", netFile, "--proj", ProjString(origin), "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("netconvert --proj: %v: %s", err, msg)
	}
	return out, nil
}

// ProjString is the PROJ definition that puts network coordinate (0,0) on origin.
func ProjString(origin geo.Point) string {
	return fmt.Sprintf("+proj=tmerc +lat_0=%.7f +lon_0=%.7f +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs", origin.Lat, origin.Lon)
}
