package edge_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/promtest"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// metric returns the sum of the samples of name whose labels contain every "k=v" given.
func metric(t *testing.T, n *edge.Node, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.HTTPAddr() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	v, err := promtest.Sum(resp.Body, name, labels...)
	require.NoError(t, err)
	return v
}

// camJSON builds a CAM and lets the test edit its JSON form.
func camJSON(t *testing.T, source string, id uint32, at time.Time, p geo.Point, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := json.Marshal(v2x.NewCAM(v2x.CAMSpec{SourceUUID: source, StationID: id, StationType: v2x.StationPassengerCar, Pos: p, SpeedMPS: 10, HeadingDeg: 90, At: at}))
	require.NoError(t, err)
	if edit == nil {
		return b
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	edit(m)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	return b
}

func camTopic(source string, p geo.Point) string {
	return v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: source, Quadkey: geo.Quadkey(p, 22)}.String()
}

func TestBadInputIsRejectedCountedAndHarmless(t *testing.T) {
	n, clk := startNode(t)
	const src = "com_car_5"
	c := connect(t, "tcp://"+n.MQTTAddr(), "bad-client")
	now := clk.Now()
	far := geo.Destination(here, 0, 5000)
	setLat := func(v any) func(map[string]any) {
		return func(m map[string]any) {
			m["message"].(map[string]any)["basic_container"].(map[string]any)["reference_position"].(map[string]any)["latitude"] = v
		}
	}

	cases := []struct {
		reason  string
		topic   string
		payload []byte
	}{
		{edge.ReasonMalformed, camTopic(src, here), []byte(`{"message_type":"cam",`)},
		{edge.ReasonMalformed, camTopic(src, here), []byte(`{"message_type":"cam","latitude":NaN}`)},
		{edge.ReasonInvalid, camTopic(src, here), camJSON(t, src, 5, now, here, setLat(950000000))},
		{edge.ReasonInvalid, camTopic(src, here), camJSON(t, src, 5, now, here, func(m map[string]any) { m["version"] = "9.9.9" })},
		{edge.ReasonOversize, camTopic(src, here), append(camJSON(t, src, 5, now, here, nil), []byte(strings.Repeat(" ", 20<<10))...)},
		{edge.ReasonClockSkew, camTopic(src, here), camJSON(t, src, 5, now.Add(-time.Hour), here, nil)},
		{edge.ReasonSourceMismatch, camTopic("com_car_6", here), camJSON(t, src, 5, now, here, nil)},
		{edge.ReasonTileMismatch, camTopic(src, far), camJSON(t, src, 5, now, here, nil)},
		{edge.ReasonTopic, "michi/inQueue/v2x/bogus/" + src + "/0", camJSON(t, src, 5, now, here, nil)},
		{edge.ReasonTopic, "michi/inQueue/v2x/cam/" + src + "/0123x", camJSON(t, src, 5, now, here, nil)},
	}
	for _, tc := range cases {
		publish(t, c, tc.topic, tc.payload)
	}
	// The same connection then sends a good CAM (bound to src), then as another station.
	publish(t, c, camTopic(src, here), camJSON(t, src, 5, now, here, nil))
	publish(t, c, camTopic("com_car_9", here), camJSON(t, "com_car_9", 9, now, here, nil))
	// … and replays the good one.
	publish(t, c, camTopic(src, here), camJSON(t, src, 5, now, here, nil))

	want := map[string]float64{edge.ReasonImpersonation: 1, edge.ReasonReplay: 1}
	for _, tc := range cases {
		want[tc.reason]++
	}
	testutil.CheckFor(t, 5*time.Second, func() error {
		for reason, count := range want {
			if got := metric(t, n, "michi_edge_rejected_total", "reason="+reason); got != count {
				return fmt.Errorf("reason %s: counted %v, want %v", reason, got, count)
			}
		}
		return nil
	})
	require.Equal(t, 1.0, metric(t, n, "michi_edge_ingested_total", "type=cam"))

	// Nothing else was disturbed: the connection still works, and so does everyone else.
	require.True(t, c.IsConnectionOpen())
	newVehicle(t, n, 42).cam(t, clk.Now(), geo.Destination(here, 90, 50), 12, 90)
	testutil.CheckFor(t, 5*time.Second, func() error {
		if _, ok := n.LDM().Vehicle(42); !ok {
			return errNotYet
		}
		return nil
	})
	_, ok := n.LDM().Vehicle(9)
	require.False(t, ok, "the impersonated station was not tracked")
	v, ok := n.LDM().Vehicle(5)
	require.True(t, ok)
	require.InDelta(t, here.Lat, v.Pos.Lat, 1e-6)
}

func TestAPIRejectsBadBBox(t *testing.T) {
	n, _ := startNode(t)
	for _, q := range []string{"1,2,3", "a,b,c,d", "10,50,9,51", "0,95,1,96"} {
		resp, err := http.Get("http://" + n.HTTPAddr() + "/api/v1/ldm?bbox=" + q)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, q)
	}
}
