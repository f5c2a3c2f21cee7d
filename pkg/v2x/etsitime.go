package v2x

import "time"

// ETSI time (CDD TS 102 894-2 TimestampIts): milliseconds since
// 2004-01-01T00:00:00.000Z.
//
// Leap seconds: the CDD counts elapsed SI milliseconds, so a strict reading
// adds the leap seconds inserted since 2004 (5 s as of 2017-01-01; none
// announced since). Orange's its-client, whose JSON michi speaks, does not:
// its Rust (ETSI_TIMESTAMP_OFFSET = 1072915200000) and Python (ETSI.EPOCH)
// libraries subtract the plain Unix offset of the epoch. michi does the same,
// so that its values equal its-client's; LeapSecondsSince2004 is there for
// whoever bridges to an ASN.1 stack that counts them.
const (
	// ItsEpochUnixMilli is 2004-01-01T00:00:00Z in Unix milliseconds.
	ItsEpochUnixMilli int64 = 1072915200000
	// LeapSecondsSince2004 is the number of leap seconds inserted between
	// the ETSI epoch and now (2005-12-31, 2008-12-31, 2012-06-30,
	// 2015-06-30, 2016-12-31). TimestampIts does not add them.
	LeapSecondsSince2004 = 5
	// MaxTimestampIts is the largest TimestampIts (2^42 - 1).
	MaxTimestampIts uint64 = 1<<42 - 1
)

// TimestampIts returns t as ms since 2004-01-01T00:00:00Z, its-client style
// (no leap seconds). Times before the epoch give 0, times after the 42-bit
// range give MaxTimestampIts.
func TimestampIts(t time.Time) uint64 {
	ms := t.UnixMilli() - ItsEpochUnixMilli
	switch {
	case ms < 0:
		return 0
	case uint64(ms) > MaxTimestampIts:
		return MaxTimestampIts
	}
	return uint64(ms)
}

// TimeFromIts is the inverse of TimestampIts, in UTC.
func TimeFromIts(ms uint64) time.Time {
	if ms > MaxTimestampIts {
		ms = MaxTimestampIts
	}
	return time.UnixMilli(int64(ms) + ItsEpochUnixMilli).UTC()
}

// GenerationDeltaTime returns the CAM generation_delta_time of t:
// TimestampIts(t) mod 65536 (EN 302 637-2 §B.3).
func GenerationDeltaTime(t time.Time) uint16 { return uint16(TimestampIts(t) % 65536) }

// GenerationTime recovers the full time of a generation_delta_time: the
// instant with that value nearest to ref (usually the reception time). The
// value wraps every 65.536 s, so ref must be within ±32.768 s of the truth.
func GenerationTime(gdt uint16, ref time.Time) time.Time {
	r := int64(TimestampIts(ref))
	t := r - r%65536 + int64(gdt)
	switch {
	case t-r > 32768:
		t -= 65536
	case r-t > 32768:
		t += 65536
	}
	if t < 0 {
		t += 65536
	}
	return TimeFromIts(uint64(t))
}
