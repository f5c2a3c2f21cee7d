package sim

import "math"

// IDM holds the parameters of the Intelligent Driver Model (Treiber, Hennecke, Helbing 2000).
// Zero fields take the defaults in brackets.
type IDM struct {
	AccelMPS2 float64 `yaml:"accel_mps2"` // maximum acceleration a [1.5]
	DecelMPS2 float64 `yaml:"decel_mps2"` // comfortable deceleration b [2.0]
	HeadwayS  float64 `yaml:"headway_s"`  // desired time headway T [1.5]
	MinGapM   float64 `yaml:"min_gap_m"`  // jam distance s0 [2]
	LengthM   float64 `yaml:"length_m"`   // vehicle length [4.5]
}

func (p *IDM) setDefaults() {
	if p.AccelMPS2 == 0 {
		p.AccelMPS2 = 1.5
	}
	if p.DecelMPS2 == 0 {
		p.DecelMPS2 = 2
	}
	if p.HeadwayS == 0 {
		p.HeadwayS = 1.5
	}
	if p.MinGapM == 0 {
		p.MinGapM = 2
	}
	if p.LengthM == 0 {
		p.LengthM = 4.5
	}
}

// maxBrake bounds the deceleration the model may ask for (an emergency stop).
const maxBrake = 9.0

// accel is the IDM acceleration (exponent δ = 4) at speed v with desired speed v0, behind a
// leader gap metres ahead (bumper to bumper; +Inf for a free road) closing at dv m/s.
func (p *IDM) accel(v, v0, gap, dv float64) float64 {
	r := v / v0
	r *= r
	a := p.AccelMPS2 * (1 - r*r)
	if !math.IsInf(gap, 1) {
		sStar := p.MinGapM + max(0, v*p.HeadwayS+v*dv/(2*math.Sqrt(p.AccelMPS2*p.DecelMPS2)))
		g := max(gap, 0.1)
		q := sStar / g
		a -= p.AccelMPS2 * q * q
	}
	return max(a, -maxBrake)
}

// integrate advances speed v with acceleration a for dt seconds and returns the new speed and
// the distance covered (ballistic update; a vehicle never reverses).
func integrate(v, a, dt float64) (nv, ds float64) {
	nv = v + a*dt
	if nv < 0 {
		if a < 0 {
			return 0, -0.5 * v * v / a
		}
		return 0, 0
	}
	return nv, v*dt + 0.5*a*dt*dt
}
