package v2x

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSniffType(t *testing.T) {
	typ, err := sniffType([]byte(`{"a":[1,{"b":null},"x",true,-2],"message_type":"cpm"}`), false)
	require.NoError(t, err, "skips members before message_type")
	require.Equal(t, TypeCPM, typ)
	_, err = sniffType([]byte(`{"a":1.5,"message_type":"cpm"}`), false)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = sniffType([]byte(strings.Repeat(`{"a":`, 40)), false)
	require.ErrorIs(t, err, ErrMalformed, "deep nesting")
	_, err = sniffType([]byte(`{"a":nul}`), false)
	require.ErrorIs(t, err, ErrMalformed)
}
