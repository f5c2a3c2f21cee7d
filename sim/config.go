package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Config describes one simulated world. The zero value of every field means its default.
type Config struct {
	Origin   geo.Point     `yaml:"-"`        // centre of the local plane (the scenario's origin)
	Seed     uint64        `yaml:"seed"`     // every random draw derives from it
	Step     time.Duration `yaml:"step"`     // virtual time per Step, default 100 ms
	Roads    []RoadSpec    `yaml:"roads"`    // generated networks the model drives on
	Traffic  Traffic       `yaml:"traffic"`  // vehicles on Roads
	Sensors  []SensorSpec  `yaml:"sensors"`  // roadside sensors
	Hazards  []HazardSpec  `yaml:"hazards"`  // injected events
	External bool          `yaml:"external"` // vehicles come from SetExternal (SUMO) instead of the model
}

// Traffic configures the vehicles the model drives.
type Traffic struct {
	Vehicles int `yaml:"vehicles"` // spread over every lane in proportion to its length
	// Connected is the share of vehicles that are real clients of an edge node (0 … 1); nil =
	// 0.5. In external mode it is the share of the replayed vehicles.
	Connected *float64 `yaml:"connected"`
	IDM       IDM      `yaml:"idm"`
	// SpeedSpread: each vehicle's desired speed is the lane's limit times 1 ± SpeedSpread
	// (uniform), default 0.1.
	SpeedSpread float64 `yaml:"speed_spread"`
	// ReactFactor: a warned vehicle drives at this share of its desired speed until it has
	// passed the hazard, default 0.6; 1 = vehicles ignore alerts.
	ReactFactor float64 `yaml:"react_factor"`
	// FirstStation is the ETSI station id of vehicle 0; vehicle i has FirstStation+i.
	// Default 100000.
	FirstStation uint32 `yaml:"first_station"`
}

func (c *Config) setDefaults() {
	if c.Step == 0 {
		c.Step = 100 * time.Millisecond
	}
	t := &c.Traffic
	if t.Connected == nil {
		v := 0.5
		t.Connected = &v
	}
	t.IDM.setDefaults()
	if t.SpeedSpread == 0 {
		t.SpeedSpread = 0.1
	}
	if t.ReactFactor == 0 {
		t.ReactFactor = 0.6
	}
	if t.FirstStation == 0 {
		t.FirstStation = 100000
	}
}

// Validate applies the defaults and reports every problem at once; each is a *FieldError
// naming the field's path.
func (c *Config) Validate() error {
	c.setDefaults()
	var errs []error
	bad := func(path, format string, a ...any) {
		errs = append(errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, a...)})
	}
	if c.Step < time.Millisecond || c.Step > time.Second {
		bad("step", "%s: want 1ms … 1s", c.Step)
	}
	if c.External && (len(c.Roads) > 0 || c.Traffic.Vehicles > 0) {
		bad("roads", "external (SUMO) vehicles replace the model: no roads or traffic.vehicles with them")
	}
	if !c.External && len(c.Roads) == 0 {
		bad("roads", "at least one road (highway or grid), or SUMO vehicles")
	}
	for i := range c.Roads {
		errs = append(errs, c.Roads[i].validate(fmt.Sprintf("roads[%d]", i))...)
	}
	t := c.Traffic
	if t.Vehicles < 0 || t.Vehicles > 200000 {
		bad("traffic.vehicles", "%d: want 0 … 200000", t.Vehicles)
	}
	if *t.Connected < 0 || *t.Connected > 1 {
		bad("traffic.connected", "%g: want a share 0 … 1", *t.Connected)
	}
	if t.SpeedSpread < 0 || t.SpeedSpread >= 1 {
		bad("traffic.speed_spread", "%g: want 0 … <1", t.SpeedSpread)
	}
	if t.ReactFactor <= 0 || t.ReactFactor > 1 {
		bad("traffic.react_factor", "%g: want >0 … 1", t.ReactFactor)
	}
	p := t.IDM
	if p.AccelMPS2 <= 0 || p.DecelMPS2 <= 0 || p.HeadwayS <= 0 || p.MinGapM <= 0 || p.LengthM <= 0 {
		bad("traffic.idm", "every parameter must be positive")
	}
	for i := range c.Sensors {
		errs = append(errs, c.Sensors[i].validate(fmt.Sprintf("sensors[%d]", i))...)
	}
	for i := range c.Hazards {
		errs = append(errs, c.Hazards[i].validate(fmt.Sprintf("hazards[%d]", i), i, c)...)
	}
	return errors.Join(errs...)
}
