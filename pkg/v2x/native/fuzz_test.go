package native

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeFrame: whatever the bytes, DecodeFrame returns a frame or an *Error, never panics,
// and a frame it returns encodes and decodes back to itself.
func FuzzDecodeFrame(f *testing.F) {
	for _, fx := range frameFixtures() {
		f.Add(fx.golden(f))
	}
	for _, c := range rejectCases(f) {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if _, ok := errors.AsType[*Error](err); !ok {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		again, err := EncodeFrame(fr)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", fr, err)
		}
		back, err := DecodeFrame(again)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalized(back), normalized(fr)) {
			t.Fatalf("round trip changed the frame:\n%+v\n%+v", fr, back)
		}
	})
}
