package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Uint32 binds a flag onto a uint32 field.
func Uint32(fs *flag.FlagSet, p *uint32, name, usage string) { fs.Var((*uint32Value)(p), name, usage) }

type uint32Value uint32

func (v *uint32Value) String() string { return strconv.FormatUint(uint64(*v), 10) }
func (v *uint32Value) Set(s string) error {
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return fmt.Errorf("want a number from 0 to %d", uint32(1<<32-1))
	}
	*v = uint32Value(n)
	return nil
}

// List binds a flag onto a []string field: comma- or space-separated items, empty ones dropped.
func List(fs *flag.FlagSet, p *[]string, name, usage string) { fs.Var((*listValue)(p), name, usage) }

type listValue []string

func (v *listValue) String() string { return strings.Join(*v, ",") }
func (v *listValue) Set(s string) error {
	*v = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	return nil
}

// Point binds a flag onto a geo.Point field, written lat,lon in degrees.
func Point(fs *flag.FlagSet, p *geo.Point, name, usage string) { fs.Var((*pointValue)(p), name, usage) }

type pointValue geo.Point

func (v *pointValue) String() string {
	if v.Lat == 0 && v.Lon == 0 {
		return ""
	}
	return strconv.FormatFloat(v.Lat, 'g', -1, 64) + "," + strconv.FormatFloat(v.Lon, 'g', -1, 64)
}

func (v *pointValue) Set(s string) error {
	la, lo, ok := strings.Cut(s, ",")
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(la), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if !ok || err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return fmt.Errorf("want lat,lon in degrees, e.g. 45.7578,4.832")
	}
	*v = pointValue{Lat: lat, Lon: lon}
	return nil
}
