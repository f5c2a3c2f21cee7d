package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBrokerDropsSlowSubscriberWithoutBlocking(t *testing.T) {
	b := NewBroker()
	drops := 0
	b.OnDrop = func() { drops++ }
	fast := b.Subscribe(100)
	slow := b.Subscribe(2)
	onlyEdge := b.Subscribe(100, EventEdge)
	for i := range 10 {
		b.Publish(EventHazard, map[string]int{"i": i}) // never blocks though slow never reads
	}
	b.Publish(EventEdge, map[string]string{"id": "e"})

	require.Equal(t, 1, drops)
	require.True(t, slow.Dropped())
	n := 0
	for range slow.C { // closed after the two it could hold
		n++
	}
	require.Equal(t, 2, n)
	require.Len(t, fast.C, 11)
	ev := <-fast.C
	require.Equal(t, uint64(1), ev.ID)
	require.JSONEq(t, `{"i":0}`, string(ev.Data))
	require.Len(t, onlyEdge.C, 1)
	require.Equal(t, EventEdge, (<-onlyEdge.C).Type)
	require.Equal(t, 2, b.Subscribers())

	b.Unsubscribe(fast)
	b.Unsubscribe(fast) // idempotent
	b.Close()
	_, open := <-onlyEdge.C
	require.False(t, open)
	require.False(t, onlyEdge.Dropped())
}
