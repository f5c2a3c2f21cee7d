package report

import (
	"math"
	"slices"
)

// Dist summarises a latency distribution (milliseconds).
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Lead summarises warning lead times (seconds): the worst, the 5th percentile and the median.
type Lead struct {
	N   int     `json:"n"`
	Min float64 `json:"min"`
	P5  float64 `json:"p5"`
	P50 float64 `json:"p50"`
}

// Delay summarises detection delays (seconds).
type Delay struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	Max float64 `json:"max"`
}

// quantile is the nearest-rank q-quantile of sorted samples (0 when empty).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func dist(samples []float64) Dist {
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s) == 0 {
		return Dist{}
	}
	return Dist{N: len(s), P50: round(quantile(s, 0.5), 3), P90: round(quantile(s, 0.9), 3),
		P99: round(quantile(s, 0.99), 3), Max: round(s[len(s)-1], 3)}
}

func lead(samples []float64) Lead {
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s) == 0 {
		return Lead{}
	}
	return Lead{N: len(s), Min: round(s[0], 2), P5: round(quantile(s, 0.05), 2), P50: round(quantile(s, 0.5), 2)}
}

func delay(samples []float64) Delay {
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s) == 0 {
		return Delay{}
	}
	return Delay{N: len(s), P50: round(quantile(s, 0.5), 2), Max: round(s[len(s)-1], 2)}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a)/float64(b), 4)
}
