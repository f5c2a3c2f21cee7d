package harness

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrape reads the counters the bench reports from michi's /metrics: CAMs ingested, messages
// rejected, deliveries dropped and clients evicted, and the bytes of goroutine stacks and heap in
// use. Nil when the target has no HTTP address or
// does not answer.
func (r *runner) scrape() map[string]float64 {
	if r.t.HTTPAddr == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.t.HTTPAddr+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.o.Log.Warn("cannot scrape the target's metrics", "error", err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	return parseMetrics(resp.Body)
}

// parseMetrics picks the bench's counters out of the Prometheus text format.
func parseMetrics(rd io.Reader) map[string]float64 {
	out := map[string]float64{"cam": 0, "rejected": 0, "dropped": 0, "evicted": 0}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		name, labels, _ := strings.Cut(series, "{")
		switch name {
		case "michi_edge_ingested_total":
			if strings.Contains(labels, `type="cam"`) {
				out["cam"] += v
			}
		case "michi_edge_rejected_total":
			out["rejected"] += v
		case "michi_edge_mqtt_dropped_total":
			out["dropped"] += v
		case "michi_edge_mqtt_evicted_total":
			out["evicted"] += v
		case "go_memstats_stack_inuse_bytes":
			out["stack"] = v
		case "go_memstats_heap_inuse_bytes":
			out["heap"] = v
		}
	}
	return out
}
