package edge_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// tokens of the credentials file writeCredentials makes.
type tokens struct{ car, rsu, city, fleet string }

// writeCredentials writes a credentials file: com_car_1 a vehicle, com_rsu_1 a sensor, city an
// authority, and a fleet token any vehicle may use.
func writeCredentials(t *testing.T) (string, tokens) {
	t.Helper()
	tk := tokens{car: auth.NewToken(), rsu: auth.NewToken(), city: auth.NewToken(), fleet: auth.NewToken()}
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	file := "credentials:\n" + auth.Entry("com_car_1", auth.Vehicle, tk.car) + auth.Entry("com_rsu_1", auth.Sensor, tk.rsu) +
		auth.Entry("city", auth.Authority, tk.city) + auth.Entry("*", auth.Vehicle, tk.fleet)
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	return path, tk
}

// login connects an MQTT 3.1.1 client (paho) with a user name and password (3.1.1 only: paho
// would retry a refused connection as MQTT 3.1).
func login(n *edge.Node, user, password string) (paho.Client, error) {
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + n.MQTTAddr()).SetClientID(user + "-" + auth.NewToken()[:6]).
		SetProtocolVersion(4).SetUsername(user).SetPassword(password).SetConnectRetry(false).SetAutoReconnect(false))
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		return nil, errors.New("connect timed out")
	}
	return c, tok.Error()
}

// loggedIn is login that must succeed; the client disconnects when the test ends.
func loggedIn(t *testing.T, n *edge.Node, user, password string) paho.Client {
	t.Helper()
	c, err := login(n, user, password)
	require.NoError(t, err)
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// tracked waits until the LDM tracks vehicle id.
func tracked(t *testing.T, n *edge.Node, id uint32) {
	t.Helper()
	testutil.CheckFor(t, 5*time.Second, func() error {
		if _, ok := n.LDM().Vehicle(id); !ok {
			return errNotYet
		}
		return nil
	})
}

func TestCredentialsAndRolesOverMQTT(t *testing.T) {
	path, tk := writeCredentials(t)
	bindSource := false // credentials bind a connection to its source whatever bind_source says
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials, o.BindSource = path, &bindSource })

	for _, c := range []struct{ user, password string }{{"", ""}, {"com_car_1", ""}, {"com_car_1", tk.rsu}, {"com_car_2", tk.car}} {
		_, err := login(n, c.user, c.password)
		require.Error(t, err, "%q / %q", c.user, c.password)
		require.Regexp(t, "(?i)not authori[sz]ed|bad user name or password", err.Error()) // mochi answers v3.1.1 with 0x05
	}
	require.Equal(t, 4.0, metric(t, n, "michi_edge_auth_refused_total", "transport=mqtt"))

	now := clk.Now()
	pub := func(c paho.Client, typ v2x.MessageType, source string, p geo.Point, m any) {
		t.Helper()
		publish(t, c, v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: typ, SourceID: source, Quadkey: geo.Quadkey(p, 22)}.String(), m)
	}
	cam := func(source string, id uint32) *v2x.CAM {
		return v2x.NewCAM(v2x.CAMSpec{SourceUUID: source, StationID: id, StationType: v2x.StationPassengerCar, Pos: here, SpeedMPS: 10, HeadingDeg: 90, At: now})
	}
	denm := func(source string, id uint32, cause uint8) *v2x.DENM {
		return v2x.NewDENM(v2x.DENMSpec{SourceUUID: source, StationID: id, StationType: v2x.StationPassengerCar,
			ActionID: v2x.ActionID{OriginatingStationID: id, SequenceNumber: 1}, Cause: cause, Pos: here, At: now})
	}
	car := loggedIn(t, n, "com_car_1", tk.car)
	pub(car, v2x.TypeCAM, "com_car_1", here, cam("com_car_1", 1))
	tracked(t, n, 1)
	// As another source, a CPM, road works: each refused, the connection kept.
	pub(car, v2x.TypeCAM, "com_car_9", here, cam("com_car_9", 9))
	pub(car, v2x.TypeCPM, "com_car_1", here, v2x.NewCPM(v2x.CPMSpec{SourceUUID: "com_car_1", StationID: 1, Pos: here, At: now}))
	pub(car, v2x.TypeDENM, "com_car_1", here, denm("com_car_1", 1, v2x.CauseRoadworks))
	require.Equal(t, 1.0, metric(t, n, "michi_edge_rejected_total", "type=cam", "reason=impersonation"))
	require.Equal(t, 1.0, metric(t, n, "michi_edge_rejected_total", "type=cpm", "reason=forbidden"))
	require.Equal(t, 1.0, metric(t, n, "michi_edge_rejected_total", "type=denm", "reason=forbidden"))
	// The same at QoS 0, which the connection's lane ingests past the broker (internal/broker/inbound.go).
	cpm, err := json.Marshal(v2x.NewCPM(v2x.CPMSpec{SourceUUID: "com_car_1", StationID: 1, Pos: here, At: now}))
	require.NoError(t, err)
	car.Publish(v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCPM, SourceID: "com_car_1", Quadkey: geo.Quadkey(here, 22)}.String(), 0, false, cpm)
	testutil.CheckFor(t, 5*time.Second, func() error {
		if metric(t, n, "michi_edge_rejected_total", "type=cpm", "reason=forbidden") != 2 {
			return errNotYet
		}
		return nil
	})
	require.Equal(t, 1.0, metric(t, n, "michi_edge_mqtt_direct_publishes_total"))
	require.True(t, car.IsConnected())
	_, ok := n.LDM().Vehicle(9)
	require.False(t, ok)

	// A sensor publishes CPMs; an authority road works.
	rsu := loggedIn(t, n, "com_rsu_1", tk.rsu)
	pub(rsu, v2x.TypeCPM, "com_rsu_1", here, v2x.NewCPM(v2x.CPMSpec{SourceUUID: "com_rsu_1", StationID: 2, Pos: here, At: now,
		Objects: []v2x.PerceivedObject{{ObjectID: 1, EastM: 5, NorthM: 5}}}))
	require.Equal(t, 1.0, metric(t, n, "michi_edge_ingested_total", "type=cpm"))
	city := loggedIn(t, n, "city", tk.city)
	pub(city, v2x.TypeDENM, "city", here, denm("city", 3, v2x.CauseRoadworks))
	require.Equal(t, 1.0, metric(t, n, "michi_edge_ingested_total", "type=denm"))

	// Vehicles and sensors read what is published for them, outQueue; an authority anything.
	granted := func(c paho.Client, filter string) bool {
		t.Helper()
		tok := c.Subscribe(filter, 0, func(paho.Client, paho.Message) {})
		require.True(t, tok.WaitTimeout(5*time.Second))
		require.NoError(t, tok.Error())
		return tok.(*paho.SubscribeToken).Result()[filter] < 0x80
	}
	require.True(t, granted(car, "michi/outQueue/v2x/denm/+/1202/#"))
	for _, f := range []string{"michi/inQueue/#", "#", "michi/#", "michi/+/v2x/cam/#", "$SYS/#"} {
		require.False(t, granted(car, f), f)
		require.False(t, granted(rsu, f), f)
	}
	require.True(t, granted(city, "michi/inQueue/#"))
	require.True(t, granted(city, "#"))

	// A fleet token lets any vehicle in, each as itself only.
	van := loggedIn(t, n, "com_van_7", tk.fleet)
	pub(van, v2x.TypeCAM, "com_van_7", here, cam("com_van_7", 7))
	tracked(t, n, 7)
	pub(van, v2x.TypeCAM, "com_car_1", here, cam("com_car_1", 1))
	require.Equal(t, 2.0, metric(t, n, "michi_edge_rejected_total", "type=cam", "reason=impersonation"))

	// Reloading the file takes a credential away from new connections.
	rest := "credentials:\n" + auth.Entry("city", auth.Authority, tk.city)
	require.NoError(t, os.WriteFile(path, []byte(rest), 0o600))
	require.NoError(t, n.ReloadCredentials())
	_, err = login(n, "com_car_1", tk.car)
	require.Error(t, err)
	_, err = login(n, "city", tk.city)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte("credentials: [oops"), 0o600))
	require.Error(t, n.ReloadCredentials(), "a file that does not load is refused")
	_, err = login(n, "city", tk.city)
	require.NoError(t, err, "and changes nothing")
}

// mosquitto_pub, a client michi did not write, is refused without credentials and heard with them.
func TestCredentialsWithMosquittoClients(t *testing.T) {
	requireTool(t, "mosquitto_pub")
	path, tk := writeCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials = path })
	src := "com_car_1"
	body := camJSON(t, src, 1, clk.Now(), here, nil)

	out, err := mosquittoPub(t, n.MQTTAddr(), camTopic(src, here), body, "-u", src, "-P", tk.rsu)
	require.Error(t, err)
	require.Contains(t, strings.ToLower(out), "bad user name or password", out)
	out, err = mosquittoPub(t, n.MQTTAddr(), camTopic(src, here), body, "-u", src, "-P", tk.car)
	require.NoError(t, err, out)
	tracked(t, n, 1)
	// A v5 client at QoS 1 is told why its CPM was refused.
	cpm, err := json.Marshal(v2x.NewCPM(v2x.CPMSpec{SourceUUID: src, StationID: 1, Pos: here, At: clk.Now()}))
	require.NoError(t, err)
	topic := v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCPM, SourceID: src, Quadkey: geo.Quadkey(here, 22)}.String()
	out, _ = mosquittoPub(t, n.MQTTAddr(), topic, cpm, "-u", src, "-P", tk.car)
	require.Contains(t, strings.ToLower(out), "not authori", out)
}

func TestCredentialsAndRolesOverNativeQUIC(t *testing.T) {
	path, tk := writeCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials, o.QUICAddr = path, "127.0.0.1:0" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conf := pinned(t, n.TLSFingerprint(), native.ALPN)
	hello := func(source, token string) native.Hello {
		return native.Hello{StationID: 1, StationType: v2x.StationPassengerCar, SourceUUID: source, Token: token}
	}

	for _, h := range []native.Hello{hello("com_car_1", ""), hello("com_car_1", tk.rsu), hello("com_car_2", tk.car)} {
		_, err := native.Dial(ctx, n.QUICAddr(), conf, h)
		e, ok := errors.AsType[*native.Error](err)
		require.True(t, ok, "%v", err)
		require.Equal(t, native.CodeUnauthorized, e.Code)
	}
	require.Equal(t, 3.0, metric(t, n, "michi_edge_auth_refused_total", "transport=native"))

	refused := make(chan *native.Error, 4)
	c, err := native.Dialer{OnError: func(e *native.Error) { refused <- e }}.Dial(ctx, n.QUICAddr(), conf, hello("com_car_1", tk.car))
	require.NoError(t, err)
	defer c.Close()
	now := clk.Now()
	require.NoError(t, c.SendDENM(ctx, v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_1", StationID: 1, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 1}, Cause: v2x.CauseRoadworks, Pos: here, At: now})))
	select {
	case e := <-refused:
		require.Equal(t, native.CodeForbidden, e.Code)
		require.Contains(t, e.Reason, "only authorities")
	case <-time.After(5 * time.Second):
		t.Fatal("road works from a vehicle were not refused")
	}
	require.NoError(t, c.SendCAM(v2x.NewCAM(v2x.CAMSpec{SourceUUID: "com_car_1", StationID: 1, StationType: v2x.StationPassengerCar,
		Pos: here, SpeedMPS: 10, HeadingDeg: 90, At: now})))
	tracked(t, n, 1)
}
