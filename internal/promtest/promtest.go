// Package promtest reads samples out of a Prometheus text exposition (a /metrics answer), for
// tests that check what a server counted.
//
// It imports the standard library only; nothing but tests imports it.
package promtest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Sum is the sum of the samples of name whose labels contain every "key=value" given (all of
// name's samples without labels), 0 when none does.
func Sum(exposition io.Reader, name string, labels ...string) (float64, error) {
	sum := 0.0
	sc := bufio.NewScanner(exposition)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
lines:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			if !strings.Contains(line, fmt.Sprintf("%s=%q", k, v)) {
				continue lines
			}
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", line, err)
		}
		sum += f
	}
	return sum, sc.Err()
}
