package sim

import "fmt"

// SensorSpec is a roadside unit's sensor (camera, lidar, radar) that publishes what it
// perceives as a CPM. Zero fields take their defaults.
type SensorSpec struct {
	ID         string  `yaml:"id"` // default "rsu-<index>"
	At         Place   `yaml:"at"`
	RangeM     float64 `yaml:"range_m"`     // default 150 m
	NoiseM     float64 `yaml:"noise_m"`     // standard deviation of the position error per axis, default 0.5 m; negative = none
	Hz         float64 `yaml:"hz"`          // CPMs per second, default 5
	DetectProb float64 `yaml:"detect_prob"` // chance of seeing an object in range in one reading, default 1
	MaxObjects int     `yaml:"max_objects"` // nearest objects per CPM, default 48 (a CPM stays below 16 KiB)
	Station    uint32  `yaml:"station_id"`  // ETSI station id, default 9000+index
}

func (s *SensorSpec) setDefaults(i int) {
	if s.ID == "" {
		s.ID = fmt.Sprintf("rsu-%d", i)
	}
	if s.RangeM == 0 {
		s.RangeM = 150
	}
	if s.NoiseM == 0 {
		s.NoiseM = 0.5
	}
	if s.NoiseM < 0 {
		s.NoiseM = 0
	}
	if s.Hz == 0 {
		s.Hz = 5
	}
	if s.DetectProb == 0 {
		s.DetectProb = 1
	}
	if s.MaxObjects == 0 {
		s.MaxObjects = 48
	}
	if s.Station == 0 {
		s.Station = 9000 + uint32(i)
	}
}

func (s *SensorSpec) validate(path string) []error {
	var i int
	fmt.Sscanf(path, "sensors[%d]", &i)
	s.setDefaults(i)
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Path: path + field, Msg: fmt.Sprintf(format, a...)})
	}
	if !s.At.valid() {
		bad(".at", "give x and y (metres from the origin), or lat and lon")
	}
	if s.RangeM < 1 || s.RangeM > 1300 {
		bad(".range_m", "%g: want 1 … 1300 m (a CPM offset is at most ±1310 m)", s.RangeM)
	}
	if s.Hz <= 0 || s.Hz > 20 {
		bad(".hz", "%g: want >0 … 20", s.Hz)
	}
	if s.DetectProb < 0 || s.DetectProb > 1 {
		bad(".detect_prob", "%g: want 0 … 1", s.DetectProb)
	}
	if s.MaxObjects < 1 || s.MaxObjects > 128 {
		bad(".max_objects", "%d: want 1 … 128", s.MaxObjects)
	}
	return errs
}

// ObjectClass is what a sensor classifies an object as.
type ObjectClass uint8

// Object classes a sensor reports.
const (
	ClassVehicle ObjectClass = iota + 1
	ClassPedestrian
	ClassObstacle
)

// Seen is one object in a sensor reading, with the sensor's noise applied.
type Seen struct {
	ObjectID   uint16
	Class      ObjectClass
	Pos        Vec
	SpeedMPS   float64
	HeadingDeg float64
}

// Reading is what one sensor perceived at one step.
type Reading struct {
	Sensor  int
	Pos     Vec
	Objects []Seen
}

// Sensor is a sensor as the engine runs it.
type Sensor struct {
	Spec   SensorSpec
	Pos    Vec
	period int // steps between readings
	phase  int
	rng    *rng
}

// readings produces the readings of the sensors due at this step.
func (e *Engine) readings() {
	for si := range e.Sensors {
		s := &e.Sensors[si]
		if (e.steps+s.phase)%s.period != 0 {
			continue
		}
		rd := Reading{Sensor: si, Pos: s.Pos}
		add := func(id uint16, class ObjectClass, p Vec, speed, heading float64) {
			if p.Dist(s.Pos) > s.Spec.RangeM {
				return
			}
			if s.Spec.DetectProb < 1 && s.rng.float() >= s.Spec.DetectProb {
				return
			}
			if s.Spec.NoiseM > 0 {
				p = p.Add(Vec{s.rng.norm() * s.Spec.NoiseM, s.rng.norm() * s.Spec.NoiseM})
			}
			rd.Objects = append(rd.Objects, Seen{ObjectID: id, Class: class, Pos: p, SpeedMPS: speed, HeadingDeg: heading})
		}
		for i := range e.Vehicles {
			if v := &e.Vehicles[i]; v.Active {
				add(uint16(i%60000), ClassVehicle, v.Pos, v.Speed, v.Heading)
			}
		}
		for i := range e.Hazards {
			hz := &e.Hazards[i]
			if !hz.Active {
				continue
			}
			switch hz.Spec.Kind {
			case Pedestrian:
				add(uint16(60000+i%2000), ClassPedestrian, hz.Pos, hz.Spec.SpeedMPS, headingOf(hz.pedAxis.Scale(hz.pedDir)))
			case Obstacle:
				add(uint16(62000+i%2000), ClassObstacle, hz.Pos, 0, 0)
			}
		}
		if len(rd.Objects) > s.Spec.MaxObjects {
			sortByDist(rd.Objects, s.Pos)
			rd.Objects = rd.Objects[:s.Spec.MaxObjects]
		}
		e.res.Readings = append(e.res.Readings, rd)
	}
}

func sortByDist(objs []Seen, c Vec) {
	for i := 1; i < len(objs); i++ {
		for j := i; j > 0 && objs[j-1].Pos.Dist(c) > objs[j].Pos.Dist(c); j-- {
			objs[j-1], objs[j] = objs[j], objs[j-1]
		}
	}
}
