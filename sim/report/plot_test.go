package report

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHistogramTicksAreBinEdgesAndCountsWhole is the lead-time histogram of the issue (2 s
// bins, an axis that read 9.5 / 19 / 28.5 and counts in quarters) and a few other shapes: every
// x tick is a bin edge, every y tick a whole count, the bins hold every sample once.
func TestHistogramTicksAreBinEdgesAndCountsWhole(t *testing.T) {
	for name, s := range map[string][]float64{
		"issue: 0..38 s":        {0.9, 3, 4.1, 7, 7.5, 12.9, 15.47, 19, 19.58, 23.7, 25.8, 30, 35.49, 37.9},
		"negative and wide":     {-3.2, 0, 1, 2, 50, 75.4, 120, 181.3},
		"one value":             {4.17},
		"many in one bin":       {1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6},
		"sub-second leads":      {0.1, 0.2, 0.25},
		"a bin edge at the top": {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 40},
	} {
		t.Run(name, func(t *testing.T) {
			h := binned(s)
			total := 0
			for _, c := range h.counts {
				total += c
			}
			require.Equal(t, len(s), total, "every sample in one bin")
			require.LessOrEqual(t, h.lo, minOf(s))
			require.Greater(t, h.lo+float64(len(h.counts))*h.bin, maxOf(s), "the last bin holds the largest")
			require.GreaterOrEqual(t, len(h.xticks), 2)
			for _, x := range h.xticks {
				k := (x - h.lo) / h.bin
				require.InDelta(t, math.Round(k), k, 1e-9, "x tick %v is a bin edge (bins of %v from %v)", x, h.bin, h.lo)
				require.InDelta(t, math.Round(x/h.bin), x/h.bin, 1e-9, "x tick %v is a multiple of the bin width", x)
			}
			require.Equal(t, h.lo, h.xticks[0])
			require.Equal(t, float64(h.top), h.yticks[len(h.yticks)-1], "the y axis ends on a tick")
			for _, y := range h.yticks {
				require.Equal(t, math.Trunc(y), y, "y tick %v is a whole count", y)
			}
			for _, c := range h.counts {
				require.LessOrEqual(t, c, h.top)
			}
		})
	}
}

// TestHistogramSVGPrintsTheTicks checks the page shows those ticks as plain numbers.
func TestHistogramSVGPrintsTheTicks(t *testing.T) {
	r := &Report{leads: []float64{0.9, 3, 4.1, 7, 7.5, 12.9, 15.47, 19, 19.58, 23.7, 25.8, 30, 35.49, 37.9}}
	out := r.leadHistogram()
	h := binned(r.leads)
	for class, want := range map[string][]float64{"xtick": h.xticks, "ytick": h.yticks} {
		var got []float64
		for _, m := range regexp.MustCompile(`class="`+class+`"[^>]*>([^<]*)<`).FindAllStringSubmatch(out, -1) {
			v, err := strconv.ParseFloat(m[1], 64)
			require.NoError(t, err, "tick %q is a plain number", m[1])
			got = append(got, v)
		}
		require.Equal(t, want, got, class)
	}
	require.Contains(t, out, "bins of 2 s")
}

// TestCDFTicksAreRound: the latency axis reads in round steps (not 12.5 / 37.5).
func TestCDFTicksAreRound(t *testing.T) {
	r := &Report{latencies: []float64{0.8, 3.2, 8.7, 21.3, 41.969}}
	out := r.latencyCDF()
	var got []string
	for _, m := range regexp.MustCompile(`class="xtick"[^>]*>([^<]*)<`).FindAllStringSubmatch(out, -1) {
		got = append(got, m[1])
	}
	require.Equal(t, []string{"0", "10", "20", "30", "40", "50"}, got)
	require.Contains(t, out, "event accepted at the edge → alert read by the vehicle")
}

func TestFmtNumRoundsForPeople(t *testing.T) {
	for v, want := range map[float64]string{
		8.709: "8.7", 41.969: "42", 0.13: "0.13", 0.01: "0.01", 10.12: "10", 9.96: "10", 120: "120",
		2: "2", -3.25: "-3.2", 1.5: "1.5", 0: "0", 197.487: "197",
	} {
		require.Equal(t, want, fmtNum(v), "%v", v)
	}
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct {
		span float64
		n    int
		want float64
	}{{38, 20, 2}, {182, 20, 10}, {42, 5, 10}, {7, 4, 2}, {0, 4, 1}, {100, 4, 50}, {20, 4, 5}} {
		require.Equal(t, c.want, niceStep(c.span, c.n), "%v/%d", c.span, c.n)
	}
}
