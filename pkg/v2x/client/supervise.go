package client

import (
	"context"
	"errors"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// duplicate counts a copy of a version already passed on, checked before its signature is: a
// hazard arrives once per subscribed tile it covers, and only the first copy needs verifying.
func (c *Client) duplicate(d *v2x.DENM) bool {
	if !c.dedup.seenBefore(d) {
		return false
	}
	c.stats.received.Add(1)
	c.stats.duplicate.Add(1)
	return true
}

// deliver passes an alert a session received through de-duplication onto the Alerts channel.
func (c *Client) deliver(a Alert) {
	c.stats.received.Add(1)
	if !c.dedup.fresh(a.DENM, a.Received) {
		c.stats.duplicate.Add(1)
		return
	}
	c.alerts.push(a, &c.stats)
}

// connect makes one connection attempt, bounded by DialTimeout.
func (c *Client) connect() (session, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.DialTimeout)
	defer cancel()
	s, err := c.dial(ctx)
	if err != nil {
		c.stats.connectFailures.Add(1)
		return nil, err
	}
	return s, nil
}

func (c *Client) install(s session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
	close(c.up)
}

func (c *Client) uninstall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		c.sess = nil
		c.up = make(chan struct{})
	}
}

// run supervises the sessions: it waits for the current one to end, then reconnects with backoff,
// until the client's context ends.
func (c *Client) run(s session) {
	defer c.finish()
	for {
		select {
		case <-s.lost():
			c.uninstall()
			s.close()
			if c.ctx.Err() != nil {
				return
			}
			c.log.Warn("connection lost", "error", s.cause())
		case <-c.ctx.Done():
			c.uninstall()
			s.close()
			return
		}
		if s = c.reconnect(); s == nil {
			return
		}
	}
}

// reconnect retries with backoff until a session is up and following the vehicle's tile, or
// returns nil when the client's context ends.
func (c *Client) reconnect() session {
	for n := 0; ; n++ {
		t := time.NewTimer(c.opts.Backoff.delay(n, jitter))
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s, err := c.connect()
		if err != nil {
			if c.ctx.Err() != nil {
				return nil
			}
			if ce, ok := errors.AsType[*ConnectError](err); ok && !ce.Retryable() {
				c.log.Error("the server refuses this vehicle: giving up", "error", err)
				c.cancel(err)
				return nil
			}
			c.log.Warn("reconnect failed", "attempt", n+1, "error", err)
			continue
		}
		c.install(s)
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.DialTimeout)
		err = s.follow(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			c.log.Warn("restore subscriptions", "error", err) // the session is probably lost: run sees it
		}
		c.stats.connects.Add(1)
		c.log.Info("reconnected", "attempts", n+1)
		return s
	}
}

func (c *Client) finish() {
	c.alerts.close()
	c.err = context.Cause(c.ctx)
	c.log.Info("closed", "cause", c.err)
	close(c.done)
}
