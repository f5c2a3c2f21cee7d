package v2x

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// camWith returns the compact cam_car fixture with one substring replaced.
func camWith(t *testing.T, old, new string) []byte {
	t.Helper()
	js := string(fixtureByName(t, "cam_car").compact(t))
	require.Contains(t, js, old)
	return []byte(strings.Replace(js, old, new, 1))
}

func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		name   string
		input  func(t *testing.T) []byte
		target error  // errors.Is must hold
		schema bool   // also errors.Is ErrInvalid
		field  string // DecodeError.Field, when target is ErrMalformed
	}{
		{"trailing garbage", func(t *testing.T) []byte { return append(fixtureByName(t, "cam_car").compact(t), 'x') }, ErrMalformed, false, ""},
		{"a second document", func(t *testing.T) []byte { return append(fixtureByName(t, "cam_car").compact(t), "{}"...) }, ErrMalformed, false, ""},
		{"unknown envelope member", func(t *testing.T) []byte { return camWith(t, `{"message_type"`, `{"extra":1,"message_type"`) }, ErrMalformed, true, ""},
		{"unknown nested member", func(t *testing.T) []byte { return camWith(t, `"station_type":5`, `"station_type":5,"colour":"red"`) }, ErrMalformed, true, "message.basic_container"},
		{"member name in another case", func(t *testing.T) []byte { return camWith(t, `"message_type"`, `"Message_Type"`) }, ErrMalformed, true, ""},
		{"duplicate member", func(t *testing.T) []byte {
			return camWith(t, `"version":"2.4.0"`, `"version":"2.4.0","version":"2.4.0"`)
		}, ErrMalformed, true, ""},
		{"missing message", func(t *testing.T) []byte {
			js := string(fixtureByName(t, "cam_car").compact(t))
			return []byte(js[:strings.Index(js, `,"message":`)] + "}")
		}, ErrMalformed, true, ""},
		{"missing station id", func(t *testing.T) []byte { return camWith(t, `"station_id":4294967295,`, ``) }, ErrMalformed, true, "message"},
		{"missing latitude", func(t *testing.T) []byte { return camWith(t, `"latitude":488566140,`, ``) }, ErrMalformed, true, "message.basic_container.reference_position"},
		{"null for an optional member", func(t *testing.T) []byte { return camWith(t, `"lane_position":0`, `"lane_position":null`) }, ErrMalformed, false, "message.high_frequency_container.basic_vehicle_container_high_frequency.lane_position"},
		{"fraction", func(t *testing.T) []byte { return camWith(t, `"vehicle_width":18`, `"vehicle_width":18.5`) }, ErrMalformed, true, "message.high_frequency_container.basic_vehicle_container_high_frequency.vehicle_width"},
		{"exponent", func(t *testing.T) []byte { return camWith(t, `"vehicle_width":18`, `"vehicle_width":1e1`) }, ErrMalformed, true, "message.high_frequency_container.basic_vehicle_container_high_frequency.vehicle_width"},
		{"leading zero", func(t *testing.T) []byte { return camWith(t, `"vehicle_width":18`, `"vehicle_width":018`) }, ErrMalformed, false, "message.high_frequency_container.basic_vehicle_container_high_frequency.vehicle_width"},
		{"station id beyond 32 bits", func(t *testing.T) []byte { return camWith(t, `"station_id":4294967295`, `"station_id":4294967296`) }, ErrMalformed, true, "message.station_id"},
		{"negative station id", func(t *testing.T) []byte { return camWith(t, `"station_id":4294967295`, `"station_id":-1`) }, ErrMalformed, true, "message.station_id"},
		{"huge integer", func(t *testing.T) []byte {
			return camWith(t, `"station_id":4294967295`, `"station_id":99999999999999999999999`)
		}, ErrMalformed, false, "message.station_id"},
		{"string for an integer", func(t *testing.T) []byte { return camWith(t, `"station_id":4294967295`, `"station_id":"42"`) }, ErrMalformed, false, "message.station_id"},
		{"integer for a boolean", func(t *testing.T) []byte { return camWith(t, `"fog_light_on":false`, `"fog_light_on":0`) }, ErrMalformed, false, "message.low_frequency_container.basic_vehicle_container_low_frequency.exterior_lights.fog_light_on"},
		{"invalid UTF-8", func(t *testing.T) []byte { return camWith(t, `"com_car_4294967295"`, "\"com_\xff\"") }, ErrMalformed, false, "source_uuid"},
		{"control character", func(t *testing.T) []byte { return camWith(t, `"com_car_4294967295"`, "\"com\x01\"") }, ErrMalformed, false, "source_uuid"},
		{"bad escape", func(t *testing.T) []byte { return camWith(t, `"com_car_4294967295"`, `"com\q"`) }, ErrMalformed, false, "source_uuid"},
		{"lone surrogate", func(t *testing.T) []byte { return camWith(t, `"com_car_4294967295"`, `"\ud800"`) }, ErrMalformed, false, "source_uuid"},
		{"trailing comma", func(t *testing.T) []byte { return camWith(t, `"delta_altitude":-2}`, `"delta_altitude":-2,}`) }, ErrMalformed, false, "message.low_frequency_container.basic_vehicle_container_low_frequency.path_history[1].path_position"},
		{"trailing comma in array", func(t *testing.T) []byte { return camWith(t, `"path_delta_time":100}]`, `"path_delta_time":100},]`) }, ErrMalformed, false, "message.low_frequency_container.basic_vehicle_container_low_frequency.path_history[2]"},
		{"truncated", func(t *testing.T) []byte { js := fixtureByName(t, "cam_car").compact(t); return js[:len(js)/2] }, ErrMalformed, false, "message.high_frequency_container.basic_vehicle_container_high_frequency"},
		{"empty", func(t *testing.T) []byte { return nil }, ErrMalformed, false, ""},
		{"not an object", func(t *testing.T) []byte { return []byte(`[1,2]`) }, ErrMalformed, false, ""},
		{"no message type", func(t *testing.T) []byte { return []byte(`{"version":"2.4.0"}`) }, ErrMalformed, true, ""},
		{"unknown message type", func(t *testing.T) []byte { return camWith(t, `"message_type":"cam"`, `"message_type":"mapem"`) }, ErrUnknownType, false, ""},
		{"too large", func(t *testing.T) []byte {
			return camWith(t, `"com_car_4294967295"`, `"`+strings.Repeat("a", MaxMessageSize)+`"`)
		}, ErrTooLarge, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.input(t)
			_, err := Decode(in)
			require.ErrorIs(t, err, c.target)
			if c.schema {
				require.ErrorIs(t, err, ErrInvalid)
			}
			var de *DecodeError
			if c.target == ErrMalformed {
				require.True(t, errors.As(err, &de), "%v", err)
				require.Equal(t, c.field, de.Field, de.Error())
				require.LessOrEqual(t, de.Offset, len(in))
			}
			if !errors.Is(err, ErrUnknownType) {
				_, err2 := UnmarshalCAM(in)
				require.ErrorIs(t, err2, c.target, "UnmarshalCAM agrees")
			}
		})
	}
}

func TestDecodeWrongType(t *testing.T) {
	_, err := UnmarshalDENM(fixtureByName(t, "cam_car").golden(t))
	require.ErrorIs(t, err, ErrMalformed, "a CAM is not a DENM")
	d, err := UnmarshalDENM(fixtureByName(t, "denm_accident").golden(t))
	require.NoError(t, err)
	d.MessageType = "cam"
	_, err = UnmarshalCAM(d.AppendJSON(nil))
	require.ErrorIs(t, err, ErrMalformed)
}
