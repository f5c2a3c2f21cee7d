//go:build race

package scenario

// raceEnabled: the tests run under the race detector.
const raceEnabled = true
