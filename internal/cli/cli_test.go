package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

type nested struct {
	Origin  geo.Point `yaml:"origin"`
	Origins []string  `yaml:"origins"`
}

type options struct {
	Addr    string `yaml:"addr"`
	Token   string `yaml:"token"`
	Station uint32 `yaml:"station"`
	Verbose bool   `yaml:"verbose"`
	Max     int    `yaml:"max"`
	Nested  nested `yaml:"nested"`
}

func bind(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.Addr, "addr", "", "")
	fs.StringVar(&o.Token, "token", "", "")
	Uint32(fs, &o.Station, "station", "")
	fs.BoolVar(&o.Verbose, "v", false, "")
	fs.IntVar(&o.Max, "max", 0, "")
	Point(fs, &o.Nested.Origin, "origin", "")
	List(fs, &o.Nested.Origins, "origins", "")
}

func load(t *testing.T, args []string, env func(*options)) (options, *flag.FlagSet, error) {
	t.Helper()
	var o options
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bind(fs, &o)
	err := Load(fs, args, &o, env)
	return o, fs, err
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(f, []byte(text), 0o600))
	return f
}

func TestFileThenEnvironmentThenFlags(t *testing.T) {
	cfg := writeConfig(t, "addr: file:1\ntoken: from-file\nstation: 9\nmax: 3\nnested: {origin: {lat: 1, lon: 2}, origins: [a.org]}\n")
	env := func(o *options) {
		if o.Token == "from-file" {
			o.Token = "from-env"
		}
		o.Max = 4
	}
	// Flags before and after -config alike win over the file and the environment; what no flag
	// names keeps the file's or the environment's value.
	o, _, err := load(t, []string{"-addr", "flag:2", "-config", cfg, "-v", "-origins", "b.org, c.org", "-station", "42"}, env)
	require.NoError(t, err)
	require.Equal(t, options{Addr: "flag:2", Token: "from-env", Station: 42, Verbose: true, Max: 4,
		Nested: nested{Origin: geo.Point{Lat: 1, Lon: 2}, Origins: []string{"b.org", "c.org"}}}, o)

	o, _, err = load(t, []string{"-config", cfg, "-max", "7", "-origin", "45.7578,4.832"}, env)
	require.NoError(t, err)
	require.Equal(t, options{Addr: "file:1", Token: "from-env", Station: 9, Max: 7,
		Nested: nested{Origin: geo.Point{Lat: 45.7578, Lon: 4.832}, Origins: []string{"a.org"}}}, o)
}

func TestWithoutAFileFlagsAreAll(t *testing.T) {
	o, fs, err := load(t, []string{"-addr", "127.0.0.1:0", "rest"}, nil)
	require.NoError(t, err)
	require.Equal(t, options{Addr: "127.0.0.1:0"}, o)
	require.Equal(t, []string{"rest"}, fs.Args())

	o, _, err = load(t, []string{"-config", writeConfig(t, "")}, nil)
	require.NoError(t, err, "an empty file is no settings")
	require.Zero(t, o)
}

func TestBadInputIsNamed(t *testing.T) {
	_, _, err := load(t, []string{"-config", writeConfig(t, "addr: x\ncolour: red\n")}, nil)
	require.ErrorContains(t, err, "c.yaml")
	require.ErrorContains(t, err, "line 2: field colour not found")
	_, _, err = load(t, []string{"-config", filepath.Join(t.TempDir(), "missing.yaml")}, nil)
	require.ErrorIs(t, err, os.ErrNotExist)
	_, _, err = load(t, []string{"-origin", "north"}, nil)
	require.ErrorContains(t, err, `invalid value "north" for flag -origin: want lat,lon`)
	_, _, err = load(t, []string{"-origin", "91,0"}, nil)
	require.ErrorContains(t, err, "want lat,lon")
	_, _, err = load(t, []string{"-station", "4294967296"}, nil)
	require.ErrorContains(t, err, "want a number from 0 to 4294967295")
	_, _, err = load(t, []string{"-h"}, nil)
	require.ErrorIs(t, err, flag.ErrHelp)
}

func TestValuesPrintWhatTheyParse(t *testing.T) {
	for _, c := range []struct {
		v  flag.Value
		in string
	}{
		{new(uint32Value), "4294967295"},
		{new(listValue), "a.org,https://b.org"},
		{new(pointValue), "-33.86785,151.20732"},
		{new(pointValue), "0.1,-0.30000000000000004"},
	} {
		require.NoError(t, c.v.Set(c.in))
		require.Equal(t, c.in, c.v.String())
	}
}
