package hub

import "errors"

// ErrStarted is returned by a second call of Hub.Run.
var ErrStarted = errors.New("hub: already started")
