package v2x

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The edge's ingest target is 200k CAM/s per core for decode + validate +
// index, so decode + validate of a typical CAM must stay well under 5 µs.

var benchFixtures = []string{"cam_car", "cam_rsu", "denm_accident", "cpm_rsu"}

func BenchmarkDecodeValidate(b *testing.B) {
	for _, name := range benchFixtures {
		f := fixtureByName(b, name)
		js := f.compact(b)
		b.Run(name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(js)))
			for b.Loop() {
				m, err := Decode(js)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
		mp := f.decode(b).AppendMsgpack(nil)
		b.Run(name+"/msgpack", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(mp)))
			for b.Loop() {
				m, err := DecodeMsgpack(mp)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnmarshalCAM(b *testing.B) {
	js := fixtureByName(b, "cam_car").compact(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalCAM(js); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateCAM(b *testing.B) {
	m, err := UnmarshalCAM(fixtureByName(b, "cam_car").compact(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, name := range benchFixtures {
		m := fixtureByName(b, name).decode(b)
		buf := make([]byte, 0, 4096)
		b.Run(name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = m.AppendJSON(buf[:0])
			}
		})
		b.Run(name+"/msgpack", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = m.AppendMsgpack(buf[:0])
			}
		})
	}
}

// plainCAM has CAM's fields without its codec methods, so encoding/json and
// vmihailenco/msgpack fall back to reflection: the baselines the generated
// codec was measured against.
type plainCAM CAM

func BenchmarkBaselineCAM(b *testing.B) {
	js := fixtureByName(b, "cam_car").compact(b)
	b.Run("encoding-json-decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m plainCAM
			dec := json.NewDecoder(bytes.NewReader(js))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-decode-validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m plainCAM
			dec := json.NewDecoder(bytes.NewReader(js))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				b.Fatal(err)
			}
			if err := (*CAM)(&m).Validate(); err != nil {
				b.Fatal(err)
			}
		}
	})
	var m plainCAM
	if err := json.Unmarshal(js, &m); err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-json-encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
	mp, err := msgpack.Marshal(&m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("vmihailenco-msgpack-decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m plainCAM
			if err := msgpack.Unmarshal(mp, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vmihailenco-msgpack-encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := msgpack.Marshal(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
