package api

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Event types on the stream.
const (
	EventHazard    = "hazard"    // a hazard lifecycle event an edge reported (GeoJSON Feature)
	EventTraffic   = "traffic"   // the traffic aggregates of one stored batch ({"edge_id", "cells": […]})
	EventEdge      = "edge"      // an edge connected, disconnected or reported health
	EventAuthority = "authority" // an authority hazard issued, updated or terminated (GeoJSON Feature)
)

// EventTypes lists every event type, in a stable order.
var EventTypes = []string{EventHazard, EventTraffic, EventEdge, EventAuthority}

// Event is one message of the live stream, encoded once for every subscriber.
type Event struct {
	ID   uint64 // increasing per Broker; the SSE id
	Type string
	Data []byte // JSON
}

// Broker fans events out to stream subscribers. Publish never blocks: each subscriber has a
// bounded buffer, and a subscriber whose buffer is full is dropped (its channel closed), so a
// slow browser can never stall ingest. Safe for concurrent use; one mutex guards the
// subscriber set and is never held while anything blocks.
type Broker struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	nextID atomic.Uint64

	// OnDrop and OnPublish, when set before use, count drops and events (metrics).
	OnDrop    func()
	OnPublish func(typ string)
}

// Subscription is one subscriber's channel. C is closed when the subscriber was dropped for
// being slow or the Broker closed it; Dropped tells which.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	types   map[string]bool // nil = all
	dropped atomic.Bool
	closed  bool // guarded by Broker.mu
}

// Dropped reports whether the subscription was ended because its buffer overflowed.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// NewBroker returns an empty Broker.
func NewBroker() *Broker { return &Broker{subs: map[*Subscription]struct{}{}} }

// Subscribe registers a subscriber with a buffer of buf events, receiving the given types
// (none = all).
func (b *Broker) Subscribe(buf int, types ...string) *Subscription {
	s, _ := b.SubscribeAtMost(0, buf, types...)
	return s
}

// SubscribeAtMost is Subscribe unless limit (> 0) subscribers are there already; then it
// registers nothing and returns false.
func (b *Broker) SubscribeAtMost(limit, buf int, types ...string) (*Subscription, bool) {
	c := make(chan Event, max(buf, 1))
	s := &Subscription{C: c, c: c}
	if len(types) > 0 {
		s.types = map[string]bool{}
		for _, t := range types {
			s.types[t] = true
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if limit > 0 && len(b.subs) >= limit {
		return nil, false
	}
	b.subs[s] = struct{}{}
	return s, true
}

// Unsubscribe removes s and closes its channel; idempotent.
func (b *Broker) Unsubscribe(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeLocked(s)
}

func (b *Broker) closeLocked(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	delete(b.subs, s)
	close(s.c)
}

// Subscribers returns the number of subscribers.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Publish encodes v as JSON and offers it to every subscriber of typ without blocking.
func (b *Broker) Publish(typ string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // our own types always encode
	}
	ev := Event{ID: b.nextID.Add(1), Type: typ, Data: data}
	if b.OnPublish != nil {
		b.OnPublish(typ)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.types != nil && !s.types[typ] {
			continue
		}
		select {
		case s.c <- ev:
		default:
			s.dropped.Store(true)
			b.closeLocked(s)
			if b.OnDrop != nil {
				b.OnDrop()
			}
		}
	}
}

// Close ends every subscription.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		b.closeLocked(s)
	}
}
