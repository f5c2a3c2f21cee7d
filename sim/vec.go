package sim

import "math"

// Vec is a point or a direction on the local plane: metres east (X) and north (Y) of the origin.
type Vec struct {
	X float64 `yaml:"x" json:"x"`
	Y float64 `yaml:"y" json:"y"`
}

// Add returns v+o.
func (v Vec) Add(o Vec) Vec { return Vec{v.X + o.X, v.Y + o.Y} }

// Sub returns v-o.
func (v Vec) Sub(o Vec) Vec { return Vec{v.X - o.X, v.Y - o.Y} }

// Scale returns k·v.
func (v Vec) Scale(k float64) Vec { return Vec{v.X * k, v.Y * k} }

// Dot is the dot product.
func (v Vec) Dot(o Vec) float64 { return v.X*o.X + v.Y*o.Y }

// Len is the length of v.
func (v Vec) Len() float64 { return math.Hypot(v.X, v.Y) }

// Dist is the distance between two points.
func (v Vec) Dist(o Vec) float64 { return math.Hypot(v.X-o.X, v.Y-o.Y) }

// unit returns the unit vector of heading h (degrees clockwise from north).
func unit(h float64) Vec {
	s, c := math.Sincos(h * math.Pi / 180)
	return Vec{s, c}
}

// headingOf returns the heading of direction d in degrees [0,360).
func headingOf(d Vec) float64 {
	h := math.Atan2(d.X, d.Y) * 180 / math.Pi
	if h < 0 {
		h += 360
	}
	return h
}

// angleDiff is the smallest |a-b| of two headings, in [0,180].
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	if d > 180 {
		d = 360 - d
	}
	return d
}

// rng is a small deterministic generator (SplitMix64), one per purpose, so that adding a draw
// in one place does not shift every other sequence.
type rng struct{ s uint64 }

func newRNG(seed uint64, stream uint64) *rng {
	r := &rng{s: seed ^ (stream+1)*0x9E3779B97F4A7C15}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// float returns a uniform number in [0,1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn returns a uniform integer in [0,n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// norm returns a standard normal number (Box–Muller).
func (r *rng) norm() float64 {
	u := r.float()
	if u < 1e-300 {
		u = 1e-300
	}
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}
