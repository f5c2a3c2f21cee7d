package client

import (
	"context"
	"sync"
	"time"
)

// SenderOptions configures a Sender. The zero value sends by the ETSI rules on the wall clock.
type SenderOptions struct {
	// FixedHz, when positive, sends every Update at most this often, whatever the dynamics (the
	// fixed rate an application had with its own ticker before). Zero: the ETSI rules of
	// CAMGenerator (1 to 10 Hz by the vehicle's dynamics).
	FixedHz float64
	// Now is the clock the rules are checked against, default time.Now (tests pass a fake one).
	// It does not stamp the CAM: State.At does (zero: the wall clock when it is built).
	Now func() time.Time
}

// Sender paces a Client's CAMs: the application gives it the vehicle's state as often as it has
// one (Update), and it sends a CAM (Client.SendState) when the generation rules say so — by
// default ETSI EN 302 637-2 §6.1.3 (CAMGenerator). SendState stays available for an application
// that paces its CAMs itself. Safe for concurrent use.
type Sender struct {
	send func(context.Context, State) error // Client.SendState
	now  func() time.Time

	mu  sync.Mutex
	gen CAMGenerator
	cur State
	has bool
}

// senderTolerance is CAMGenerator.Tolerance in a Sender: an application's 100 ms ticker that
// fires a little early still meets T_GenCamMin.
const senderTolerance = 5 * time.Millisecond

// NewSender returns a Sender over c.
func NewSender(c *Client, o SenderOptions) *Sender {
	s := &Sender{send: c.SendState, now: o.Now, gen: CAMGenerator{Tolerance: senderTolerance}}
	if s.now == nil {
		s.now = time.Now
	}
	if o.FixedHz > 0 {
		s.gen.FixedInterval = time.Duration(float64(time.Second) / o.FixedHz)
	}
	return s
}

// Update takes the vehicle's current state and sends it as a CAM if the rules say one is due,
// returning why (CAMNotDue: nothing sent). The state is remembered for Run. An error is
// SendState's; the rules count the CAM as sent anyway (a fresher state follows), so a lost
// connection does not turn into a burst on reconnection.
func (s *Sender) Update(ctx context.Context, st State) (CAMTrigger, error) {
	s.mu.Lock()
	s.cur, s.has = st, true
	t := s.gen.Check(s.now(), st)
	s.mu.Unlock()
	if t == CAMNotDue {
		return t, nil
	}
	return t, s.send(ctx, st)
}

// Run checks the rules every TCheckCamGen against the last state Update gave, until ctx ends,
// so that an application that updates rarely still sends at least once per TGenCamMax. A state
// re-sent by Run is stamped when it is sent (its At is cleared). It returns ctx's error.
func (s *Sender) Run(ctx context.Context) error {
	tick := time.NewTicker(TCheckCamGen)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		s.mu.Lock()
		st, has := s.cur, s.has
		st.At = time.Time{}
		t := CAMNotDue
		if has {
			t = s.gen.Check(s.now(), st)
		}
		s.mu.Unlock()
		if t != CAMNotDue {
			_ = s.send(ctx, st) // failures are counted by the client; the next state follows
		}
	}
}
