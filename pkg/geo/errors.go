package geo

import "errors"

// ErrInvalidQuadkey is returned (wrapped) for a quadkey that is empty, longer than MaxZoom
// digits, or holds a character other than '0'..'3'.
var ErrInvalidQuadkey = errors.New("geo: invalid quadkey")
