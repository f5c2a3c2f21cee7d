package native

import (
	"reflect"
	"testing"
)

// Every counter lands in its own Stats field.
func TestCountersSnapshot(t *testing.T) {
	seen := map[string]counter{}
	for k := range nCounters {
		var c counters
		c.add(k)
		v := reflect.ValueOf(c.snapshot())
		var set []string
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.Uint64 && f.Uint() != 0 {
				set = append(set, v.Type().Field(i).Name)
			}
		}
		if len(set) != 1 {
			t.Fatalf("counter %d sets %v", k, set)
		}
		if other, dup := seen[set[0]]; dup {
			t.Fatalf("counters %d and %d both set %s", other, k, set[0])
		}
		seen[set[0]] = k
	}
}
