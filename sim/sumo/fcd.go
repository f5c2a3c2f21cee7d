package sumo

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Frame is one FCD timestep.
type Frame struct {
	Time     float64 // seconds
	Vehicles []Vehicle
}

// Vehicle is one vehicle (or person) in a timestep, in the FCD's units: x/y are longitude/
// latitude with --fcd-output.geo, metres otherwise; angle is degrees clockwise from north.
type Vehicle struct {
	ID      string
	X, Y    float64
	Angle   float64
	Speed   float64
	Lane    string  // SUMO lane id (absent when the FCD was written without it)
	LanePos float64 // metres along Lane
	Person  bool
}

// Reader decodes FCD XML as a stream, one timestep at a time, so it works on a live socket.
type Reader struct {
	dec  *xml.Decoder
	line func() int
}

// NewReader reads FCD from r.
func NewReader(r io.Reader) *Reader {
	d := xml.NewDecoder(r)
	return &Reader{dec: d}
}

// Next returns the next timestep, or io.EOF after the last one.
func (rd *Reader) Next() (Frame, error) {
	var f Frame
	in := false
	for {
		tok, err := rd.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && in {
				return f, fmt.Errorf("fcd: stream ended inside timestep %g: %w", f.Time, io.ErrUnexpectedEOF)
			}
			if errors.Is(err, io.EOF) {
				return f, io.EOF
			}
			return f, fmt.Errorf("fcd: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "timestep":
				v, ok := attr(t, "time")
				if !ok {
					return f, fmt.Errorf("fcd: timestep without a valid time")
				}
				f, in = Frame{Time: v}, true
			case "vehicle", "person":
				if !in {
					continue
				}
				var v Vehicle
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "id":
						v.ID = a.Value
					case "lane":
						v.Lane = a.Value
					}
				}
				x, okx := attr(t, "x")
				y, oky := attr(t, "y")
				if v.ID == "" || !okx || !oky {
					return f, fmt.Errorf("fcd: timestep %g: %s without id, x or y", f.Time, t.Name.Local)
				}
				v.X, v.Y = x, y
				v.Angle, _ = attr(t, "angle")
				v.Speed, _ = attr(t, "speed")
				v.LanePos, _ = attr(t, "pos")
				v.Person = t.Name.Local == "person"
				f.Vehicles = append(f.Vehicles, v)
			}
		case xml.EndElement:
			if t.Name.Local == "timestep" && in {
				return f, nil
			}
		}
	}
}

func attr(e xml.StartElement, name string) (float64, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			v, err := strconv.ParseFloat(a.Value, 64)
			return v, err == nil
		}
	}
	return 0, false
}
