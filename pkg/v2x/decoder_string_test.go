package v2x

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeAcceptsWhiteSpaceAndEscapes(t *testing.T) {
	// The indented golden files decode; so do escaped member names.
	m, err := UnmarshalCAM(camWith(t, `"source_uuid":`, " \n\t\"source\\u005fuuid\" \r: "))
	require.NoError(t, err)
	require.Equal(t, "com_car_4294967295", m.SourceUUID)
	m, err = UnmarshalCAM(camWith(t, `"com_car_4294967295"`, `"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude97"`))
	require.NoError(t, err)
	require.Equal(t, "a\"\\/\b\f\n\r\té🚗", m.SourceUUID)
	back, err := UnmarshalCAM(m.AppendJSON(nil))
	require.NoError(t, err)
	require.Equal(t, m, back)
}

func TestJSONStringScan(t *testing.T) {
	// Long plain runs, then each special byte at every offset of a word.
	for n := range 20 {
		for _, special := range []string{`"`, `\n"`, `\u00e9"`, "é\"", "\x01\""} {
			in := `"` + strings.Repeat("a", n) + special
			d := decoder{buf: []byte(in)}
			s := d.jsonStr(true)
			// finish also wants the input consumed
			d.pos = len(d.buf)
			switch special {
			case "\x01\"":
				require.Error(t, d.finish(), "%q", in)
			default:
				require.NoError(t, d.finish(), "%q", in)
				require.Equal(t, n+map[string]int{`"`: 0, `\n"`: 1, `\u00e9"`: 2, "é\"": 2}[special], len(s), "%q", in)
			}
		}
	}
}
