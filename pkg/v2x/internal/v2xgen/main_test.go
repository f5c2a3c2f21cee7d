package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The committed *_gen.go files must be what the generator writes today.
func TestGeneratedFilesUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..")
	out, err := Generate(dir)
	require.NoError(t, err)
	require.NotEmpty(t, out)
	onDisk, err := filepath.Glob(filepath.Join(dir, "*_gen.go"))
	require.NoError(t, err)
	require.Len(t, onDisk, len(out), "stale or missing *_gen.go files: run go generate ./pkg/v2x")
	for name, src := range out {
		have, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, string(src), string(have), "%s is stale: run go generate ./pkg/v2x", name)
	}
}

func TestParseFieldRules(t *testing.T) {
	lo, hi, err := parsePair("1,")
	require.NoError(t, err)
	require.Equal(t, bound{true, 1}, lo)
	require.False(t, hi.set)
	_, _, err = parsePair("7")
	require.Error(t, err)
}
