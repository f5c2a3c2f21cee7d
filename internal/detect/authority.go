package detect

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

// NameAuthority is the name of the detector over hazards the cloud hub sends down.
const NameAuthority = "authority"

// Authority is a hazard the edge did not see itself but was told about by the cloud hub, in
// SI units: a road authority's road works, closure or weather warning, or a neighbouring
// edge's hazard that the hub relayed because its relevance area reaches this edge.
type Authority struct {
	ID              string // identity across updates (the hub's id)
	Cause, SubCause uint8
	Pos             geo.Point
	RadiusM         float64 // relevance radius; 0 = the cause default
	HeadingDeg      float64 // direction of the affected traffic, when HasHeading
	HasHeading      bool
	Start           time.Time     // active from (zero: at once)
	Validity        time.Duration // active until Start+Validity; 0 = DefaultAuthorityValidity
}

// DefaultAuthorityValidity is the validity of an authority hazard that carries none (the ETSI
// DENM default).
const DefaultAuthorityValidity = 600 * time.Second

// maxDENMValidity is the largest validity_duration a DENM carries (ETSI: 0…86400 s).
const maxDENMValidity = 86400 * time.Second

// MaxAuthorities bounds the store; Upsert refuses new ids beyond it.
const MaxAuthorities = 10000

// Authorities stores the hazards the hub sends down and is itself the "authority" detector:
// every round it yields one finding per active hazard, keyed by its id, with the hazard's
// radius, heading and validity and Sources ["authority:<id>"]. A hazard is active from Start
// to Start+Validity; a Terminate, or the end of its validity, yields a Terminate finding in
// the next round and forgets it. Upsert with an id the store holds replaces that hazard.
//
// The validity a finding carries is what is left of the hazard's at the round it is first
// yielded (at most 86400 s), fixed from then on, so the edge's DENM expires when the authority
// said and repeated rounds do not look like changes.
//
// Safe for concurrent use (one mutex).
type Authorities struct {
	mu    sync.Mutex
	items map[string]*authority
	ended map[string]bool // ids to terminate in the next round
}

type authority struct {
	Authority
	shown    bool          // yielded at least once (active)
	validity time.Duration // the validity findings carry, fixed when first shown
}

// NewAuthorities returns an empty store.
func NewAuthorities() *Authorities {
	return &Authorities{items: map[string]*authority{}, ended: map[string]bool{}}
}

// Name is "authority".
func (a *Authorities) Name() string { return NameAuthority }

// Upsert adds h, or replaces the hazard with its id. It reports false when h has no id or an
// invalid position, or when the store is full.
func (a *Authorities) Upsert(h Authority) bool {
	if h.ID == "" || !h.Pos.Valid() || h.RadiusM < 0 || math.IsNaN(h.RadiusM) {
		return false
	}
	if h.Validity <= 0 {
		h.Validity = DefaultAuthorityValidity
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.items[h.ID]
	if old == nil && len(a.items) >= MaxAuthorities {
		return false
	}
	it := &authority{Authority: h}
	if old != nil && old.shown {
		it.shown = true
		it.validity = old.validity
		if !old.Start.Equal(h.Start) || old.Validity != h.Validity {
			it.validity = 0 // its time changed: fixed again at the next round
		}
	}
	a.items[h.ID] = it
	delete(a.ended, h.ID)
	return true
}

// Terminate ends the hazard with id; the next round yields its termination.
func (a *Authorities) Terminate(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.items, id)
	a.ended[id] = true
}

// Len is the number of hazards held (active or not yet started).
func (a *Authorities) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.items)
}

// Detect implements Detector; the map is not used. Findings are sorted by id.
func (a *Authorities) Detect(now time.Time, _ *ldm.Map) []hazard.Finding {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []hazard.Finding
	for id := range a.ended {
		out = append(out, hazard.Finding{Key: id, Terminate: true})
	}
	clear(a.ended)
	for id, it := range a.items {
		end := it.Start.Add(it.Validity)
		switch {
		case !now.Before(end):
			delete(a.items, id)
			out = append(out, hazard.Finding{Key: id, Terminate: true})
			continue
		case now.Before(it.Start):
			if it.shown { // moved into the future by an update
				it.shown = false
				out = append(out, hazard.Finding{Key: id, Terminate: true})
			}
			continue
		}
		if !it.shown || it.validity == 0 {
			it.shown = true
			it.validity = min(time.Duration(math.Ceil(end.Sub(now).Seconds()))*time.Second, maxDENMValidity)
		}
		out = append(out, hazard.Finding{
			Key: id, Cause: it.Cause, SubCause: it.SubCause, Pos: it.Pos,
			HeadingDeg: it.HeadingDeg, HasHeading: it.HasHeading, RadiusM: it.RadiusM,
			Sources: []string{AuthoritySource(id)}, Validity: it.validity,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Terminate && !out[j].Terminate
	})
	return out
}

// AuthoritySourcePrefix starts the source name of a hazard the hub sent down.
const AuthoritySourcePrefix = "authority:"

// AuthoritySource is the source name of the hub's hazard id, "authority:<id>".
func AuthoritySource(id string) string { return AuthoritySourcePrefix + id }
