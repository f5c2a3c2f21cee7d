package edge

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/michi-v2x/michi/internal/broker"

	"github.com/michi-v2x/michi/internal/auth"
)

// Station ids bound to credentials (README "Credentials and roles").
//
// On an edge with credentials every connection speaks for the station ids its credential names
// (auth.Grant.Stations), or, when it names none, for the first station id the connection uses:
// that one is pinned to it for the connection's life. And a station id is spoken for by one
// identity at a time (auth.Grant.Identity): the stationBook below holds, for every station a live
// MQTT connection or native session uses, who holds it. Another identity's message for a held
// station is refused (reason "station": MQTT v5 0x87, native forbidden) and the holder goes on;
// the same identity on another connection (a vehicle reconnecting before its old connection
// timed out) takes the station over. A station is let go when its connection ends. Without
// credentials no connection has an identity and nothing is bound.

// stationBook is which live connection speaks for each station id, over every transport.
//
// Lock rule: mu is a leaf; a connection's stationBinding.mu may be held while taking it.
type stationBook struct {
	mu   sync.Mutex
	held map[uint32]stationHolder
}

// stationHolder is the identity holding a station and the connection it does so on: the MQTT
// connection's *mqttSession, or the native session's id.
type stationHolder struct {
	identity string
	conn     any
}

func newStationBook() *stationBook { return &stationBook{held: map[uint32]stationHolder{}} }

// claim makes conn the holder of station id for identity, unless another identity holds it.
func (b *stationBook) claim(id uint32, identity string, conn any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h, ok := b.held[id]; ok && h.identity != identity {
		return fmt.Errorf("station %d is held by a live connection of another credential", id)
	}
	b.held[id] = stationHolder{identity: identity, conn: conn}
	return nil
}

// release lets go of the stations conn holds; those another connection took over stay its.
func (b *stationBook) release(conn any, ids ...uint32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		if b.held[id].conn == conn {
			delete(b.held, id)
		}
	}
}

// holders is the number of stations held (a metric).
func (b *stationBook) holders() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.held)
}

// stationBinding is what one MQTT connection holds in the book.
type stationBinding struct {
	last atomic.Uint64 // 1 + the station id last admitted: the per-message fast path
	mu   sync.Mutex
	held []uint32 // at most one without a list of stations: the pinned one
}

// bindStation admits a message of station id from the MQTT connection st: the connection must
// be allowed to speak for it (its credential's stations, or the station it is pinned to), and
// no other identity may hold it.
func (n *Node) bindStation(st *mqttSession, typ string, id uint32) error {
	if st.identity == "" || st.bound.last.Load() == uint64(id)+1 {
		return nil
	}
	b := &st.bound
	b.mu.Lock()
	defer b.mu.Unlock()
	var err error
	switch {
	case slices.Contains(b.held, id):
	case st.stations != nil && !st.stations.Contains(id):
		err = fmt.Errorf("station %d is not among the credential's stations (%s)", id, st.stations)
	case st.stations == nil && len(b.held) > 0:
		err = fmt.Errorf("the connection speaks for station %d, not %d", b.held[0], id)
	default:
		if err = n.stations.claim(id, st.identity, st); err == nil {
			b.held = append(b.held, id)
		}
	}
	if err != nil {
		return n.rejected(reject(typ, ReasonStation, broker.CodeNotAuthorized, err))
	}
	b.last.Store(uint64(id) + 1)
	return nil
}

// unbindStations lets go of what an MQTT connection held.
func (n *Node) unbindStations(st *mqttSession) {
	st.bound.mu.Lock()
	held := st.bound.held
	st.bound.held = nil
	st.bound.mu.Unlock()
	st.bound.last.Store(0)
	n.stations.release(st, held...)
}

// nativeGrant is what a native hello's credentials grant, refused with forbidden when the hello
// names a station id its credential does not list.
func nativeGrant(g auth.Grant, station uint32) error {
	if g.Stations != nil && !g.Stations.Contains(station) {
		return fmt.Errorf("station %d is not among the credential's stations (%s)", station, g.Stations)
	}
	return nil
}
