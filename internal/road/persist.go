package road

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/google/renameio/v2"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/michi-v2x/michi/pkg/geo"
)

// fileVersion is the version of the saved model's format.
const fileVersion = 1

// file is the saved model.
type file struct {
	Version int       `msgpack:"version"`
	CellM   float64   `msgpack:"cell_m"`
	Origin  geo.Point `msgpack:"origin"`
	Cells   []record  `msgpack:"cells"`
}

type record struct {
	Key      uint64       `msgpack:"k"`
	Dir      [bins]uint16 `msgpack:"d"`
	Slow     uint16       `msgpack:"l,omitempty"`
	Stops    uint16       `msgpack:"s,omitempty"`
	Episodes uint16       `msgpack:"e,omitempty"`
	Dwell    uint16       `msgpack:"w,omitempty"`
	Flags    uint8        `msgpack:"f,omitempty"`
	StopEnd  uint32       `msgpack:"x,omitempty"`
	First    uint32       `msgpack:"i,omitempty"`
	Seen     uint32       `msgpack:"t"`
}

// ErrNoPath is returned by Save and Load when Options.Path is empty.
var ErrNoPath = errors.New("road model: no path")

// Save writes the model to Options.Path atomically (a crash leaves the previous file whole).
func (md *Model) Save() error {
	if md.o.Path == "" {
		return ErrNoPath
	}
	md.mu.RLock()
	f := file{Version: fileVersion, CellM: md.o.CellM, Origin: md.proj.Origin(), Cells: make([]record, 0, len(md.cells))}
	has := md.hasProj
	for k, c := range md.cells {
		f.Cells = append(f.Cells, record{Key: k, Dir: c.dir, Slow: c.slow, Stops: c.stops, Episodes: c.episodes,
			Dwell: c.dwell, Flags: c.flags, StopEnd: c.stopEnd, First: c.first, Seen: c.seen})
	}
	md.mu.RUnlock()
	if !has {
		return nil // nothing learned yet
	}
	b, err := msgpack.Marshal(&f)
	if err != nil {
		return fmt.Errorf("road model: encode: %w", err)
	}
	if err := renameio.WriteFile(md.o.Path, b, 0o644); err != nil {
		return fmt.Errorf("road model: %w", err)
	}
	return nil
}

// Load replaces what the model knows by what Options.Path holds. A missing file is no error
// (a new edge); a file of another cell size or format is, and changes nothing.
func (md *Model) Load() (cells int, err error) {
	if md.o.Path == "" {
		return 0, ErrNoPath
	}
	b, err := os.ReadFile(md.o.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("road model: %w", err)
	}
	var f file
	if err := msgpack.Unmarshal(b, &f); err != nil {
		return 0, fmt.Errorf("road model %s: %w", md.o.Path, err)
	}
	if f.Version != fileVersion || f.CellM != md.o.CellM || !f.Origin.Valid() {
		return 0, fmt.Errorf("road model %s: version %d, cell %g m, origin %v: want version %d, cell %g m",
			md.o.Path, f.Version, f.CellM, f.Origin, fileVersion, md.o.CellM)
	}
	md.mu.Lock()
	defer md.mu.Unlock()
	md.proj, md.hasProj = geo.NewProjection(f.Origin), true
	md.cells = make(map[uint64]cell, len(f.Cells))
	for _, r := range f.Cells {
		md.cells[r.Key] = cell{dir: r.Dir, slow: r.Slow, stops: r.Stops, episodes: r.Episodes, dwell: r.Dwell,
			flags: r.Flags, stopEnd: r.StopEnd, first: r.First, seen: r.Seen}
	}
	return len(md.cells), nil
}
