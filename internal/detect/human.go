package detect

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

// CauseHumanPresenceOnTheRoad is DENM cause 12.
const CauseHumanPresenceOnTheRoad = 12

// HumanOptions configures the human-presence detector. Zero = default.
type HumanOptions struct {
	// MaxAge: a track not updated for this long is ignored (the LDM's own TTL may be longer);
	// default 2 s.
	MaxAge time.Duration `yaml:"max_age"`
}

func (o *HumanOptions) setDefaults() {
	if o.MaxAge == 0 {
		o.MaxAge = 2 * time.Second
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *HumanOptions) Validate() error {
	o.setDefaults()
	if o.MaxAge < 0 {
		return errors.New("human.max_age: must not be negative")
	}
	return nil
}

// Human flags a pedestrian that roadside sensors perceive (ldm KindPedestrian, reported by a CPM,
// so at least one source that is not the object itself) standing or walking on the road, as the
// LDM has learned it from where vehicles drive (ldm.Map.OnRoad). One finding per track, keyed by
// the LDM id, at the pedestrian, without heading.
type Human struct {
	o    HumanOptions
	mu   sync.Mutex
	cand []humanCand
}

type humanCand struct {
	id  uint64
	pos geo.Point
	src []string
}

// NewHuman builds the detector.
func NewHuman(o HumanOptions) *Human {
	o.setDefaults()
	return &Human{o: o}
}

// Name is "human".
func (d *Human) Name() string { return NameHuman }

// Detect implements Detector.
func (d *Human) Detect(now time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cand = d.cand[:0]
	m.Each(func(o *ldm.Object) bool {
		if o.Kind != ldm.KindPedestrian || now.Sub(o.Updated) > d.o.MaxAge || !o.Pos.Valid() {
			return true
		}
		var src []string
		for _, s := range o.Sources {
			if !s.Self && s.StationID != 0 {
				src = append(src, stationSource(s.StationID))
			}
		}
		if len(src) > 0 {
			d.cand = append(d.cand, humanCand{o.ID, o.Pos, src})
		}
		return true
	})
	var out []hazard.Finding
	for _, c := range d.cand { // OnRoad locks the map: never from inside Each
		if !m.OnRoad(c.pos) {
			continue
		}
		out = append(out, hazard.Finding{
			Key: "obj:" + strconv.FormatUint(c.id, 10), Cause: CauseHumanPresenceOnTheRoad,
			Pos: c.pos, Sources: sortedUnique(c.src),
		})
	}
	return out
}
