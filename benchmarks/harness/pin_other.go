//go:build !linux

package harness

import "errors"

func pinSelf(string) error { return errors.New("--pin: only on Linux") }
