package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/michi-v2x/michi/internal/auth"
)

// credentials is `edge-node credentials add`: it draws a token for a source and role, appends the
// token's hash to the credentials file (created if missing) and prints the token, which is not
// kept anywhere else.
func credentials(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: edge-node credentials add --file FILE --source SOURCE_UUID|'*' --role vehicle|sensor|authority [--stations 1001,5000-5999]")
	}
	fs := flag.NewFlagSet("edge-node credentials add", flag.ContinueOnError)
	file := fs.String("file", "", "credentials file to append to (created if missing)")
	source := fs.String("source", "", `source_uuid the token speaks for; "*" for any (a fleet token)`)
	role := fs.String("role", "vehicle", "vehicle, sensor or authority")
	stations := fs.String("stations", "", "station ids the token may use, e.g. 1001 or 5000-5999,7001 (default: any, each connection pinned to the first it uses)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *file == "" || *source == "" {
		return errors.New("credentials add: --file and --source are required")
	}
	var ids auth.Stations
	if *stations != "" {
		var err error
		if ids, err = auth.ParseStations(*stations); err != nil {
			return fmt.Errorf("credentials add: %w", err)
		}
	}
	old, err := os.ReadFile(*file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(bytes.TrimSpace(old)) == 0 {
		old = []byte("# michi edge credentials (edge-node --credentials); tokens are kept as SHA-256 only\ncredentials:\n")
	} else if old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	token := auth.NewToken()
	next := append(old, auth.Entry(*source, auth.Role(*role), token, ids...)...)
	if _, err := auth.Parse(next); err != nil { // checks the role, the source and the file as it was
		return fmt.Errorf("credentials add: %w", err)
	}
	if err := os.WriteFile(*file, next, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(out, token)
	return nil
}
