//go:build !unix

package uplink

import (
	"os"
	"path/filepath"
)

// lockDir only creates dir/LOCK where advisory locks are not available: running two queues on
// one directory is then the operator's mistake to avoid.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
}
