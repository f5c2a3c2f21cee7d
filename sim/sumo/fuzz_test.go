package sumo

import (
	"strings"
	"testing"
)

// FuzzReader: the FCD decoder never panics and never returns a frame with a vehicle lacking an
// id, whatever arrives on the socket.
func FuzzReader(f *testing.F) {
	f.Add(`<fcd-export><timestep time="0.00"><vehicle id="0" x="4.83" y="45.76" angle="90" speed="1"/></timestep></fcd-export>`)
	f.Add(`<fcd-export><timestep time="1"><person id="p" x="1" y="2"/></timestep>`)
	f.Add(`<timestep time="x">`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewReader(strings.NewReader(in))
		for range 100 {
			fr, err := rd.Next()
			if err != nil {
				return
			}
			for _, v := range fr.Vehicles {
				if v.ID == "" {
					t.Fatalf("vehicle without id in %q", in)
				}
			}
		}
	})
}
