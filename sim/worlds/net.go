package worlds

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Speeds, m/s.
const (
	urbanMPS    = 13.89 // 50 km/h
	ringMPS     = 8.33  // 30 km/h on a roundabout
	rampMPS     = 22.22 // 80 km/h
	motorwayMPS = 33.33 // 120 km/h
)

// buildNet writes the world's network into dir/NetFile.
func buildNet(ctx context.Context, s Spec, dir string) error {
	out := filepath.Join(dir, NetFile)
	common := []string{"--no-turnarounds", "true", "--seed", strconv.FormatUint(s.Seed%(1<<31), 10), "-o", out}
	if s.LeftHand {
		common = append(common, "--lefthand")
	}
	lanes := strconv.Itoa(s.Lanes)
	switch s.Kind {
	case Spider:
		return tool(ctx, dir, "netgenerate", append([]string{"--spider", "--spider.arm-number", "6", "--spider.circle-number", "4",
			"--spider.space-radius", "150", "--spider.omit-center", "true", "--default-junction-type", "priority",
			"--default.lanenumber", lanes, "--default.speed", ftoa(urbanMPS)}, common...)...)
	case GridTLS:
		return tool(ctx, dir, "netgenerate", append([]string{"--grid", "--grid.number", "5", "--grid.length", "200",
			"--grid.attach-length", "150", "--default-junction-type", "traffic_light",
			"--default.lanenumber", lanes, "--default.speed", ftoa(urbanMPS)}, common...)...)
	}
	var p plain
	if s.Kind == Roundabout {
		p = roundabouts(s.Lanes)
	} else {
		p = motorway(s.Lanes)
		common = append(common, "--ramps.guess", "true")
	}
	if s.LeftHand {
		p.mirror() // the mirror image of right-hand traffic is left-hand traffic
	}
	nod, edg := filepath.Join(dir, "world.nod.xml"), filepath.Join(dir, "world.edg.xml")
	if err := p.write(nod, edg); err != nil {
		return err
	}
	return tool(ctx, dir, "netconvert", append([]string{"--node-files", nod, "--edge-files", edg}, common...)...)
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// tool runs one of SUMO's tools in dir.
func tool(ctx context.Context, dir, name string, args ...string) error {
	bin, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not installed (Debian: apt-get install sumo sumo-tools): %w", name, err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SUMO_HOME="+sumoHome())
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(string(msg)))
	}
	return nil
}

func sumoHome() string {
	if h := os.Getenv("SUMO_HOME"); h != "" {
		return h
	}
	return "/usr/share/sumo"
}

// plain is a network in SUMO's plain XML (nodes and edges) for netconvert.
type plain struct {
	nodes       []node
	edges       []edge
	roundabouts [][]string // the nodes of each ring, in driving order
}

type node struct {
	id   string
	x, y float64
}

type edge struct {
	id, from, to string
	lanes        int
	speed        float64
	priority     int
	shape        [][2]float64 // optional geometry, from → to
}

func (p *plain) node(id string, x, y float64) { p.nodes = append(p.nodes, node{id, x, y}) }

func (p *plain) edge(id, from, to string, lanes int, speed float64, prio int) {
	p.edges = append(p.edges, edge{id: id, from: from, to: to, lanes: lanes, speed: speed, priority: prio})
}

// road adds an edge each way between a and b.
func (p *plain) road(a, b string, lanes int, speed float64, prio int) {
	p.edge(a+"_"+b, a, b, lanes, speed, prio)
	p.edge(b+"_"+a, b, a, lanes, speed, prio)
}

func (p *plain) mirror() {
	for i := range p.nodes {
		p.nodes[i].y = -p.nodes[i].y
	}
	for i := range p.edges {
		for j := range p.edges[i].shape {
			p.edges[i].shape[j][1] = -p.edges[i].shape[j][1]
		}
	}
}

func (p *plain) write(nodFile, edgFile string) error {
	var n strings.Builder
	n.WriteString("<nodes>\n")
	for _, x := range p.nodes {
		fmt.Fprintf(&n, "    <node id=%q x=\"%.2f\" y=\"%.2f\" type=\"priority\"/>\n", x.id, x.x, x.y)
	}
	n.WriteString("</nodes>\n")
	var e strings.Builder
	e.WriteString("<edges>\n")
	for _, x := range p.edges {
		fmt.Fprintf(&e, "    <edge id=%q from=%q to=%q numLanes=\"%d\" speed=\"%.2f\" priority=\"%d\"", x.id, x.from, x.to, x.lanes, x.speed, x.priority)
		if len(x.shape) > 0 {
			var pts []string
			for _, q := range x.shape {
				pts = append(pts, fmt.Sprintf("%.2f,%.2f", q[0], q[1]))
			}
			fmt.Fprintf(&e, " shape=%q", strings.Join(pts, " "))
		}
		e.WriteString("/>\n")
	}
	for _, ring := range p.roundabouts {
		var edges []string
		for i, a := range ring {
			edges = append(edges, a+"_"+ring[(i+1)%len(ring)])
		}
		fmt.Fprintf(&e, "    <roundabout nodes=%q edges=%q/>\n", strings.Join(ring, " "), strings.Join(edges, " "))
	}
	e.WriteString("</edges>\n")
	if err := os.WriteFile(nodFile, []byte(n.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(edgFile, []byte(e.String()), 0o644)
}

// roundabouts is two roundabouts 600 m apart on an east–west road, each with arms north and
// south (right-hand traffic: the rings turn anticlockwise).
func roundabouts(lanes int) plain {
	const radius, arm = 25.0, 400.0
	var p plain
	for _, c := range []struct {
		id string
		x  float64
	}{{"r1", -300}, {"r2", 300}} {
		var ring []string
		for k, dir := range []string{"e", "n", "w", "s"} { // anticlockwise
			a := float64(k) * math.Pi / 2
			id := c.id + dir
			p.node(id, c.x+radius*math.Cos(a), radius*math.Sin(a))
			ring = append(ring, id)
		}
		for k := range ring {
			a0, from, to := float64(k)*math.Pi/2, ring[k], ring[(k+1)%4]
			var shape [][2]float64
			for j := 0; j <= 6; j++ {
				a := a0 + float64(j)*math.Pi/12
				shape = append(shape, [2]float64{c.x + radius*math.Cos(a), radius * math.Sin(a)})
			}
			p.edges = append(p.edges, edge{id: from + "_" + to, from: from, to: to, lanes: 1, speed: ringMPS, priority: 3, shape: shape})
		}
		p.roundabouts = append(p.roundabouts, ring)
		p.node(c.id+"N", c.x, arm)
		p.node(c.id+"S", c.x, -arm)
		p.road(c.id+"n", c.id+"N", lanes, urbanMPS, 2)
		p.road(c.id+"s", c.id+"S", lanes, urbanMPS, 2)
	}
	p.node("W", -300-arm, 0)
	p.node("E", 300+arm, 0)
	p.road("W", "r1w", lanes, urbanMPS, 2)
	p.road("r1e", "r2w", lanes, urbanMPS, 2)
	p.road("r2e", "E", lanes, urbanMPS, 2)
	return p
}

// motorway is a 3 km dual carriageway with two interchanges, each carriageway with an off-ramp
// and an on-ramp to a local road (right-hand traffic: eastbound south of the median).
func motorway(lanes int) plain {
	var p plain
	// One carriageway: dir is +1 eastbound (y < 0), -1 westbound (y > 0).
	carriageway := func(name string, dir float64) {
		y := -8 * dir
		xs := []float64{-1500, -400, -200, 600, 800, 1500} // start, diverge, merge, diverge, merge, end
		var ids []string
		for i, x := range xs {
			id := fmt.Sprintf("%s%d", name, i)
			p.node(id, dir*x, y)
			ids = append(ids, id)
		}
		for i := 0; i+1 < len(ids); i++ {
			p.edge(ids[i]+"_"+ids[i+1], ids[i], ids[i+1], lanes, motorwayMPS, 5)
		}
		for k, i := range []int{1, 3} { // interchanges: off-ramp at ids[i], on-ramp to ids[i+1]
			local := fmt.Sprintf("%sx%d", name, k)
			far := fmt.Sprintf("%sl%d", name, k)
			mid := dir * (xs[i] + xs[i+1]) / 2
			p.node(local, mid, y-dir*150)
			p.node(far, mid, y-dir*550)
			p.edge(ids[i]+"_"+local, ids[i], local, 1, rampMPS, 3)
			p.edge(local+"_"+ids[i+1], local, ids[i+1], 1, rampMPS, 3)
			p.road(local, far, 1, urbanMPS, 2)
		}
	}
	carriageway("eb", 1)
	carriageway("wb", -1)
	return p
}
