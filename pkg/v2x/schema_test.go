package v2x

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// schemaDir is the its-client schemas beside the repository (read-only).
const schemaDir = "../../../shared/its-json-schemas"

var schemaFiles = map[MessageType]string{
	TypeCAM:  "cam_schema_2-4-0.json",
	TypeDENM: "denm_schema_2-3-0.json",
	TypeCPM:  "cpm_schema_2-1-1.json",
}

// schemas compiles the three schemas, skipping the test when they are absent.
func schemas(t *testing.T) map[MessageType]*jsonschema.Schema {
	t.Helper()
	if _, err := os.Stat(schemaDir); err != nil {
		t.Skipf("its-client schemas not found at %s", schemaDir)
	}
	c := jsonschema.NewCompiler()
	out := map[MessageType]*jsonschema.Schema{}
	for typ, f := range schemaFiles {
		abs, err := filepath.Abs(filepath.Join(schemaDir, f))
		require.NoError(t, err)
		s, err := c.Compile(abs)
		require.NoError(t, err, f)
		out[typ] = s
	}
	return out
}

func schemaValidate(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	return s.Validate(inst)
}

func TestSchemaAcceptsFixturesAndEncodings(t *testing.T) {
	sch := schemas(t)
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			require.NoError(t, schemaValidate(t, sch[f.typ], f.golden(t)), "golden file")
			m := f.decode(t)
			require.NoError(t, m.Validate())
			require.NoError(t, schemaValidate(t, sch[f.typ], m.AppendJSON(nil)), "encoded")
		})
	}
}

func TestSchemaAcceptsConstructed(t *testing.T) {
	sch := schemas(t)
	msgs := constructed()
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := msgs[n]
		t.Run(n, func(t *testing.T) {
			require.NoError(t, m.Validate())
			require.NoError(t, schemaValidate(t, sch[m.Type()], m.AppendJSON(nil)))
		})
	}
}
