package road

import "math"

// Stats summarises the model (the edge's /api/v1/road).
type Stats struct {
	Cells     int `json:"cells"`
	Known     int `json:"known_cells"`
	Junction  int `json:"junction_cells"`
	StopCells int `json:"routine_stop_cells"`
	Vehicles  int `json:"vehicles_tracked"`
	// Bytes estimates the model's memory (cells and vehicle memories).
	Bytes int `json:"bytes"`
	// KeepsRight and KeepsLeft count the places where the model saw opposite flows side by side
	// with the traffic keeping right, or left, of its opposite flow; Side names the majority
	// ("right", "left", "" while unknown).
	KeepsRight int    `json:"keeps_right"`
	KeepsLeft  int    `json:"keeps_left"`
	Side       string `json:"side"`
}

// bytesPerCell and bytesPerVehicle are the measured footprints (BenchmarkModelMemory).
const (
	bytesPerCell    = 105
	bytesPerVehicle = 120
)

// Stats counts what the model holds and which side traffic keeps to.
func (md *Model) Stats() Stats {
	md.mu.RLock()
	defer md.mu.RUnlock()
	s := Stats{Cells: len(md.cells), Vehicles: len(md.vehs)}
	s.Bytes = s.Cells*bytesPerCell + s.Vehicles*bytesPerVehicle
	for k, c := range md.cells {
		if c.passes() >= md.o.MinPasses {
			s.Known++
			if md.isJunction(&c) {
				s.Junction++
			} else {
				md.side(k, &c, &s)
			}
		}
		if c.episodes >= 2 {
			s.StopCells++
		}
	}
	switch {
	case s.KeepsRight > 2*s.KeepsLeft && s.KeepsRight >= 10:
		s.Side = "right"
	case s.KeepsLeft > 2*s.KeepsRight && s.KeepsLeft >= 10:
		s.Side = "left"
	}
	return s
}

// side looks across a clear one-way cell for the nearest known cell of the opposite flow (up to
// 8 m to either side) and counts on which side of its traffic that flow passes.
func (md *Model) side(k uint64, c *cell, s *Stats) {
	b := c.dominant()
	if c.flow(b).Along < 0.9 {
		return
	}
	h := float64(b) * (360 / bins) * math.Pi / 180
	rx, ry := math.Cos(h), -math.Sin(h) // to the right of heading (east, north) = (sin h, cos h)
	cs := md.o.CellM
	x0, y0 := (float64(int32(uint32(k>>32)))+0.5)*cs, (float64(int32(uint32(k)))+0.5)*cs
	for d := cs; d <= 8; d += cs / 2 {
		for _, sgn := range [2]float64{1, -1} {
			o, ok := md.cells[md.key(x0+sgn*d*rx, y0+sgn*d*ry)]
			if !ok || o.passes() < md.o.MinPasses || o.flow(b).Against < 0.9 {
				continue
			}
			if sgn > 0 { // the opposite flow passes on its right: it keeps left
				s.KeepsLeft++
			} else {
				s.KeepsRight++
			}
			return
		}
	}
}
