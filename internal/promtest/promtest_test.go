package promtest

import (
	"strings"
	"testing"
)

func TestSum(t *testing.T) {
	text := `# HELP michi_x_total X.
michi_x_total{reason="a",type="cam"} 2
michi_x_total{reason="b",type="cam"} 3
michi_x_total{reason="a",type="denm"} 4
michi_y 7.5
`
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"michi_x_total", nil, 9},
		{"michi_x_total", []string{"reason=a"}, 6},
		{"michi_x_total", []string{"reason=a", "type=cam"}, 2},
		{"michi_x_total", []string{"reason=c"}, 0},
		{"michi_y", nil, 7.5},
		{"michi_x", nil, 0},
	} {
		got, err := Sum(strings.NewReader(text), c.name, c.labels...)
		if err != nil || got != c.want {
			t.Errorf("Sum(%s, %v) = %g, %v; want %g", c.name, c.labels, got, err, c.want)
		}
	}
}
