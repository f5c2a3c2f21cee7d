package client

import (
	"context"
	"errors"
)

const nativeALPN = "michi-v2x/1"

func (c *Client) dialNative(ctx context.Context) (session, error) {
	return nil, &ConnectError{Transport: c.ep.transport, Addr: c.ep.host, Err: errors.New("native transport not built yet")}
}
