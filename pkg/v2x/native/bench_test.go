package native

import "testing"

func benchFixture(b *testing.B, name string) Frame {
	for _, fx := range frameFixtures() {
		if fx.name == name {
			return fx.frame
		}
	}
	b.Fatalf("no fixture %q", name)
	return nil
}

func BenchmarkEncodeFrame(b *testing.B) {
	for _, name := range []string{"cam", "alert", "ping"} {
		f := benchFixture(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = AppendFrame(buf[:0], f); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
	b.Run("alert_cached", func(b *testing.B) {
		a := NewAlert(fixtureHazard(fixtureTime, false))
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			a.Seq++
			buf, _ = AppendFrame(buf[:0], &a)
		}
		b.SetBytes(int64(len(buf)))
	})
}

func BenchmarkDecodeFrame(b *testing.B) {
	for _, name := range []string{"cam", "alert", "ping"} {
		enc, err := EncodeFrame(benchFixture(b, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := DecodeFrame(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
