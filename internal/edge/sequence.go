package edge

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
)

// seqFile, in DataDir, holds the sequence number a restarted edge resumes its hazards' action ids
// from: a block ahead of the last one handed out (hazard.Options.Reserve). Without it a restart
// would start again at 1, and a new hazard would take the action id of one that vehicles and the
// hub still know — the hub keeps one row per (edge, action id), so the two would merge.
const seqFile = "hazard-seq"

// resumeSequence reads DataDir/hazard-seq, if there is one, and resumes the hazard manager there.
func (n *Node) resumeSequence() error {
	path := filepath.Join(n.opts.DataDir, seqFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		n.hazards.Resume(n.opts.Hazards.FirstSequence)
		return nil
	}
	if err != nil {
		return err
	}
	next, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16)
	if err != nil {
		return fmt.Errorf("%s: want the next hazard sequence number, 0 … 65535: %w", path, err)
	}
	n.hazards.Resume(uint16(next))
	n.log.Info("hazard sequence resumed", "next", next)
	return nil
}

// saveSequence stores where the next run resumes, atomically and durably. A failure is logged:
// the hazard still goes out, and only a restart could then reuse its number.
func (n *Node) saveSequence(next uint16) {
	dir := n.opts.DataDir
	err := renameio.WriteFile(filepath.Join(dir, seqFile), []byte(strconv.Itoa(int(next))+"\n"), 0o644)
	if err == nil {
		var d *os.File
		if d, err = os.Open(dir); err == nil { // the rename itself must survive a power loss
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		n.log.Error("hazard sequence not saved: a restart may reuse action ids", "error", err)
	}
}
