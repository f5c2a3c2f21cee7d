package uplink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// On-disk format of the queue (all integers little-endian):
//
//	segment file  NNNNNNNNNNNNNNNNNNNN.seg   (20 digits: the seq of its first record when created)
//	  header      8 bytes  "MICHIUQ" 0x01
//	  records     repeated:
//	    length    u32      payload length L, 1..MaxRecordBytes
//	    crc       u32      CRC-32C (Castagnoli) of the next 9+L bytes
//	    seq       u64
//	    kind      u8
//	    payload   L bytes  msgpack of the Record (Seq included), sent to the hub as it is
//
//	state file    "state", replaced atomically (write state.tmp, fsync, rename, fsync dir)
//	  magic       8 bytes  "MICHIQS" 0x01
//	  acked       u64      every seq at or below it is acknowledged by the hub
//	  floor       u64      no seq at or below it may be assigned again
//	  crc         u32      CRC-32C of the 24 bytes before
const (
	segmentMagic    = "MICHIUQ\x01"
	stateMagic      = "MICHIQS\x01"
	segmentSuffix   = ".seg"
	stateFile       = "state"
	lockFile        = "LOCK"
	recordHeaderLen = 17
	stateLen        = 28
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// entry is the index of one record in a segment.
type entry struct {
	seq  uint64
	off  int64 // of the record header in the file
	size int32 // header and payload
	kind Kind
}

// segment is one file of the queue. Its entries are in ascending seq order and, except after
// an interrupted rewrite (see scanSegment), contiguous in the file from the header on.
type segment struct {
	path      string
	f         file
	size      int64 // bytes in the file, header included
	entries   []entry
	live      int64 // sum of the entries' sizes
	nonHazard int   // entries of other kinds than KindHazard
	dirty     bool  // written since the last fsync
}

func segmentPath(dir string, base uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, segmentSuffix))
}

func (s *segment) lastSeq() uint64 { return s.entries[len(s.entries)-1].seq }

// search returns the index of the first entry with seq > after.
func (s *segment) search(after uint64) int {
	return sort.Search(len(s.entries), func(i int) bool { return s.entries[i].seq > after })
}

// reindex recomputes live and nonHazard from the entries.
func (s *segment) reindex() {
	s.live, s.nonHazard = 0, 0
	for _, e := range s.entries {
		s.live += int64(e.size)
		if e.kind != KindHazard {
			s.nonHazard++
		}
	}
}

// putRecordHeader fills the 17-byte header in front of payload (b = header + payload).
func putRecordHeader(b []byte, seq uint64, kind Kind) {
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(b)-recordHeaderLen))
	binary.LittleEndian.PutUint64(b[8:16], seq)
	b[16] = byte(kind)
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], castagnoli))
}

// scanSegment indexes the records in data, a whole segment file. It stops at the first record
// that is incomplete, fails its CRC, or has an impossible length or kind, and returns how many
// bytes are valid: a torn tail is what lies beyond. A sound record whose seq does not exceed
// prevSeq (or the seq before it) is skipped, not indexed: a copy left by a shedding rewrite
// that a crash interrupted (see Queue.shed). A missing or foreign header is ErrCorrupt (a header
// shorter than 8 bytes is a segment torn while being created: valid = 0).
func scanSegment(data []byte, maxRecord int, prevSeq uint64) (entries []entry, valid int64, err error) {
	if len(data) < len(segmentMagic) {
		if bytes.HasPrefix([]byte(segmentMagic), data) {
			return nil, 0, nil
		}
		return nil, 0, fmt.Errorf("%w: bad segment header", ErrCorrupt)
	}
	if string(data[:len(segmentMagic)]) != segmentMagic {
		return nil, 0, fmt.Errorf("%w: bad segment header", ErrCorrupt)
	}
	off := len(segmentMagic)
	for len(data)-off >= recordHeaderLen {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n < 1 || n > maxRecord || n > len(data)-off-recordHeaderLen {
			break
		}
		end := off + recordHeaderLen + n
		if crc32.Checksum(data[off+8:end], castagnoli) != binary.LittleEndian.Uint32(data[off+4:]) {
			break
		}
		seq := binary.LittleEndian.Uint64(data[off+8:])
		kind := Kind(data[off+16])
		if !kind.Valid() {
			break
		}
		if seq <= prevSeq {
			off = end
			continue
		}
		entries = append(entries, entry{seq: seq, off: int64(off), size: int32(end - off), kind: kind})
		prevSeq = seq
		off = end
	}
	return entries, int64(off), nil
}

// listSegments returns the segment files in dir in ascending order of their base seq, and
// removes leftover temporary files of an interrupted compaction or state write.
func listSegments(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type named struct {
		base uint64
		path string
	}
	var segs []named
	for _, de := range des {
		name := de.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			_ = os.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, segmentSuffix) && de.Type().IsRegular():
			base, err := strconv.ParseUint(strings.TrimSuffix(name, segmentSuffix), 10, 64)
			if err != nil {
				continue // not ours
			}
			segs = append(segs, named{base, filepath.Join(dir, name)})
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].base < segs[j].base })
	paths := make([]string, len(segs))
	for i, s := range segs {
		paths[i] = s.path
	}
	return paths, nil
}

// file is what the queue needs of an open file; *os.File is one. Tests open failing ones in its
// place (QueueOptions.open), as a disk would fail.
type file interface {
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	Close() error
}

// openFunc opens a file as os.OpenFile does.
type openFunc func(path string, flag int, perm os.FileMode) (file, error)

func openOS(path string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return f, nil
}

// queueState is what the state file holds.
type queueState struct {
	acked, floor uint64
}

func readState(dir string) (queueState, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return queueState{}, nil
	}
	if err != nil {
		return queueState{}, err
	}
	if len(b) != stateLen || string(b[:8]) != stateMagic ||
		crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:]) {
		return queueState{}, fmt.Errorf("%w: state file damaged (remove the queue directory to start over)", ErrCorrupt)
	}
	return queueState{acked: binary.LittleEndian.Uint64(b[8:]), floor: binary.LittleEndian.Uint64(b[16:])}, nil
}

// writeState replaces the state file atomically and durably.
func writeState(dir string, st queueState) error {
	b := make([]byte, stateLen)
	copy(b, stateMagic)
	binary.LittleEndian.PutUint64(b[8:], st.acked)
	binary.LittleEndian.PutUint64(b[16:], st.floor)
	binary.LittleEndian.PutUint32(b[24:], crc32.Checksum(b[:24], castagnoli))
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := writeFileSync(openOS, tmp, b); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

func writeFileSync(open openFunc, path string, b []byte) error {
	f, err := open(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
