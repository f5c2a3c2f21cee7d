package sumo

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

// Net is what michi-sim needs of a SUMO network (.net.xml): its edges and lanes, its driving
// side, its roundabouts and traffic lights.
type Net struct {
	LeftHand bool `xml:"lefthand,attr"`
	// Location.Proj is the geo-projection, "!" for none.
	Location struct {
		Proj string `xml:"projParameter,attr"`
	} `xml:"location"`
	Edges       []NetEdge       `xml:"edge"`
	Junctions   []NetJunction   `xml:"junction"`
	Roundabouts []NetRoundabout `xml:"roundabout"`
}

// NetEdge is an edge of the network; internal edges (inside junctions) have Function "internal".
type NetEdge struct {
	ID       string    `xml:"id,attr"`
	From     string    `xml:"from,attr"`
	To       string    `xml:"to,attr"`
	Function string    `xml:"function,attr"`
	Lanes    []NetLane `xml:"lane"`
}

// NetLane is a lane of an edge; index 0 is the outermost (rightmost in right-hand traffic).
type NetLane struct {
	ID     string  `xml:"id,attr"`
	Index  int     `xml:"index,attr"`
	Speed  float64 `xml:"speed,attr"` // m/s
	Length float64 `xml:"length,attr"`
}

// NetJunction is a junction (node) of the network.
type NetJunction struct {
	ID   string `xml:"id,attr"`
	Type string `xml:"type,attr"` // priority, traffic_light, internal, dead_end, …
}

// NetRoundabout lists the edges netconvert made a roundabout of.
type NetRoundabout struct {
	Nodes string `xml:"nodes,attr"`
	Edges string `xml:"edges,attr"`
}

// ReadNet reads a SUMO network file.
func ReadNet(path string) (*Net, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var n Net
	if err := xml.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(n.Edges) == 0 {
		return nil, fmt.Errorf("%s: no edges: not a SUMO network", path)
	}
	return &n, nil
}

// Lane finds a lane by id, with its edge.
func (n *Net) Lane(id string) (*NetEdge, *NetLane, bool) {
	i := strings.LastIndexByte(id, '_')
	if i < 0 {
		return nil, nil, false
	}
	for ei := range n.Edges {
		e := &n.Edges[ei]
		if e.ID != id[:i] {
			continue
		}
		for li := range e.Lanes {
			if e.Lanes[li].ID == id {
				return e, &e.Lanes[li], true
			}
		}
	}
	return nil, nil, false
}

// Internal reports whether the edge lies inside a junction.
func (e *NetEdge) Internal() bool { return e.Function == "internal" }
