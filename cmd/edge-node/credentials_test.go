package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
)

func TestCredentialsAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	add := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := credentials(append([]string{"add", "--file", path}, args...), &out)
		return strings.TrimSpace(out.String()), err
	}
	car, err := add("--source", "car_1")
	require.NoError(t, err)
	rsu, err := add("--source", "rsu_1", "--role", "sensor", "--stations", "5000-5099,7001")
	require.NoError(t, err)
	_, err = add("--source", "car_2", "--stations", "12-3")
	require.ErrorContains(t, err, `stations "12-3"`)
	_, err = add("--source", "x", "--role", "pilot")
	require.ErrorContains(t, err, `role "pilot"`)
	_, err = add("--source", "a/b")
	require.ErrorContains(t, err, "single topic level")

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file names who may connect: private")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(b), car, "the token itself is never written")

	s, err := auth.Load(path)
	require.NoError(t, err)
	require.Equal(t, 2, s.Len(), "refused entries are not appended")
	g, err := s.Check("car_1", car)
	require.NoError(t, err)
	require.Equal(t, auth.Vehicle, g.Role)
	g, err = s.Check("rsu_1", rsu)
	require.NoError(t, err)
	require.Equal(t, auth.Sensor, g.Role)
	require.Equal(t, "5000-5099,7001", g.Stations.String())

	require.Error(t, credentials(nil, &bytes.Buffer{}))
	require.ErrorContains(t, credentials([]string{"add", "--file", path}, &bytes.Buffer{}), "--source")
}
