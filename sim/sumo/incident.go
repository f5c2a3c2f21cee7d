package sumo

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
)

// Kinds of incident SUMO can be made to have.
const (
	// Breakdown: a vehicle enters the lane's edge shortly before Start and stands at PosM on
	// the lane for Duration (a <stop>), then drives off to the end of the edge and leaves.
	Breakdown = "breakdown"
)

// IncidentPrefix starts the SUMO ids of the incident vehicles michi-sim adds.
const IncidentPrefix = "michi-incident-"

// Incident is an incident SUMO makes happen in a run started on a net and routes: a vehicle of
// michi-sim's own, always a connected client, added to the routes in a route file of its own.
// What really happened is read back from SUMO's FCD: the incident begins when the vehicle
// stands at its stop and ends when it moves on or leaves; one that never stood there (not
// inserted, teleported, held up in a queue) did not happen.
type Incident struct {
	ID   string  `yaml:"id"`    // default "<kind>-<index>"
	Kind string  `yaml:"kind"`  // breakdown
	Lane string  `yaml:"lane"`  // SUMO lane id, e.g. B1C1_0
	PosM float64 `yaml:"pos_m"` // where it stands, metres from the start of the lane
	// Start is the run time (after sumo.begin) it should be standing: the vehicle enters its
	// edge at the edge's start long enough before to drive there.
	Start    time.Duration `yaml:"start"`
	Duration time.Duration `yaml:"duration"` // how long it stands, default 90 s
	// Parking: the vehicle stands beside the lane (SUMO parking="true": traffic passes it) or
	// in it (traffic must change lanes). Default: beside when the lane is its edge's only one.
	Parking *bool `yaml:"parking"`

	edgeID string
	lane   int     // index of the lane on its edge
	speed  float64 // the lane's speed limit
}

func (in *Incident) setDefaults(i int) {
	if in.ID == "" {
		in.ID = fmt.Sprintf("%s-%d", in.Kind, i)
	}
	if in.Duration == 0 {
		in.Duration = 90 * time.Second
	}
}

// validate checks the incident against the network (nil when the net could not be read).
func (in *Incident) validate(path string, i int, net *Net, all []Incident) []error {
	in.setDefaults(i)
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &sim.FieldError{Path: path + field, Msg: fmt.Sprintf(format, a...)})
	}
	if in.Kind != Breakdown {
		bad(".kind", "%q: want %s", in.Kind, Breakdown)
	}
	if in.Start < 0 || in.Duration <= 0 {
		bad(".start", "start must not be negative and duration must be positive")
	}
	for j := range i {
		if all[j].ID == in.ID {
			bad(".id", "%q is used twice", in.ID)
		}
	}
	if net == nil {
		return errs
	}
	e, l, ok := net.Lane(in.Lane)
	switch {
	case !ok:
		bad(".lane", "%q: no such lane in the net", in.Lane)
	case e.Internal():
		bad(".lane", "%q is inside a junction", in.Lane)
	case in.PosM < 5 || in.PosM > l.Length-5:
		bad(".pos_m", "%g: want 5 … %g m along the %g m lane", in.PosM, l.Length-5, l.Length)
	default:
		in.edgeID, in.lane, in.speed = e.ID, l.Index, l.Speed
		if in.Parking == nil {
			p := len(e.Lanes) == 1
			in.Parking = &p
		}
	}
	return errs
}

// vehicle is the SUMO id of the incident's vehicle.
func (in *Incident) vehicle() string { return IncidentPrefix + in.ID }

// depart is the SUMO time the vehicle enters its edge: early enough to reach its stop at
// Start at 60 % of the speed limit.
func (in *Incident) depart(begin time.Duration) float64 {
	drive := in.PosM/(0.6*max(in.speed, 1)) + 1
	return max(0, (begin+in.Start).Seconds()-drive)
}

// WriteRoutes writes the incident vehicles as a SUMO route file (sorted by departure, as SUMO
// wants). The incidents must have been validated against the net.
func WriteRoutes(w io.Writer, incidents []Incident, begin time.Duration) error {
	order := make([]int, len(incidents))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(incidents[a].depart(begin), incidents[b].depart(begin)) })
	var b strings.Builder
	b.WriteString("<routes>\n")
	for _, i := range order {
		in := &incidents[i]
		fmt.Fprintf(&b, "    <vehicle id=%q depart=\"%.2f\" departLane=\"%d\" departPos=\"0\" departSpeed=\"max\">\n",
			in.vehicle(), in.depart(begin), in.lane)
		fmt.Fprintf(&b, "        <route edges=%q/>\n", in.edgeID)
		fmt.Fprintf(&b, "        <stop lane=%q endPos=\"%.2f\" duration=\"%.2f\" parking=\"%t\"/>\n",
			in.Lane, in.PosM, in.Duration.Seconds(), in.Parking != nil && *in.Parking)
		b.WriteString("    </vehicle>\n")
	}
	b.WriteString("</routes>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// The ground truth: a vehicle stands at its stop while SUMO says it is on the stop's lane within
// atStopM of the stop (SUMO halts it with its front exactly there), slower than standingMPS; it
// has moved on once it is more than atStopM past the stop or off the lane (a vehicle that
// slows to a crawl just before its stop has not arrived yet). A jump of more than teleportM
// between two timesteps (beyond what its speed explains) is a teleport.
const (
	atStopM     = 1
	standingMPS = 0.1
	teleportM   = 50
)

// truth follows the incident vehicles in the FCD and says when each incident began and ended.
type truth struct {
	incidents []Incident
	byVehicle map[string]int
	state     []incidentState
	events    []sim.ExtIncident
}

type incidentState struct {
	seen, standing, over, teleported bool
	last                             Vehicle
	lastT                            float64
}

func newTruth(incidents []Incident) *truth {
	t := &truth{incidents: incidents, byVehicle: map[string]int{}, state: make([]incidentState, len(incidents))}
	for i := range incidents {
		t.byVehicle[incidents[i].vehicle()] = i
	}
	return t
}

// frame reads one FCD timestep; pos converts an FCD vehicle's x/y to a point.
func (t *truth) frame(f *Frame, pos func(Vehicle) geo.Point) {
	if len(t.incidents) == 0 {
		return
	}
	present := make([]bool, len(t.incidents))
	for _, v := range f.Vehicles {
		i, ok := t.byVehicle[v.ID]
		if !ok {
			continue
		}
		present[i] = true
		in, st := &t.incidents[i], &t.state[i]
		if st.seen && geo.Distance(pos(v), pos(st.last)) > teleportM+v.Speed*(f.Time-st.lastT) {
			st.teleported = true
		}
		st.seen, st.last, st.lastT = true, v, f.Time
		onLane := v.Lane == in.Lane
		switch {
		case st.over:
		case !st.standing && onLane && math.Abs(v.LanePos-in.PosM) <= atStopM && v.Speed < standingMPS:
			st.standing = true
			t.emit(i, sim.IncidentBegan, v, pos(v), "")
		case st.standing && (!onLane || v.LanePos > in.PosM+atStopM):
			st.standing, st.over = false, true
			t.emit(i, sim.IncidentEnded, v, pos(v), "")
		}
	}
	for i, st := range t.state {
		if !present[i] && st.seen && !st.over {
			t.state[i].over = true
			if st.standing {
				t.emit(i, sim.IncidentEnded, st.last, pos(st.last), "")
			} else {
				t.emit(i, sim.IncidentNotHappened, st.last, pos(st.last), t.whyNot(i, "it left"))
			}
		}
	}
}

// finish reports the incidents that have not happened by the end of the run.
func (t *truth) finish() {
	for i := range t.state {
		st := &t.state[i]
		if st.over || st.standing {
			continue
		}
		st.over = true
		reason := "its vehicle was never inserted by SUMO"
		if st.seen {
			reason = t.whyNot(i, "the run ended")
		}
		t.emit(i, sim.IncidentNotHappened, Vehicle{ID: t.incidents[i].vehicle()}, geo.Point{}, reason)
	}
}

func (t *truth) whyNot(i int, when string) string {
	in := &t.incidents[i]
	why := fmt.Sprintf("its vehicle did not stand at %s %.0f m before %s", in.Lane, in.PosM, when)
	if t.state[i].teleported {
		why += " (SUMO teleported it)"
	}
	return why
}

func (t *truth) emit(i int, ev sim.ExtEvent, v Vehicle, p geo.Point, reason string) {
	t.events = append(t.events, sim.ExtIncident{Index: i, ID: t.incidents[i].ID, Kind: sim.StoppedVehicle, Event: ev,
		Vehicle: v.ID, Pos: p, HeadingDeg: v.Angle, Reason: reason})
}

// take returns the events since the last call.
func (t *truth) take() []sim.ExtIncident {
	ev := t.events
	t.events = nil
	return ev
}
