package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Load parses args with fs and fills opts in this order, each step overriding the one before:
//
//  1. the YAML file named by -config (registered here), strictly: a field opts does not have is
//     an error naming the file and line;
//  2. env(opts), when env is not nil — settings taken from the environment or from other flags;
//  3. every flag given on the command line.
//
// fs's flags are bound onto opts's fields (fs.StringVar(&opts.Addr, …) and the like) and must
// default to the zero value, which the components read as "the default". Load parses args once,
// notes the flags given, decodes the file into the zero struct and sets those flags again, so
// each flag is declared once, where it is bound. Flags bound elsewhere (a log level, -check-config)
// keep what the command line gave them. -h prints the usage and returns flag.ErrHelp.
func Load[T any](fs *flag.FlagSet, args []string, opts *T, env func(*T)) error {
	config := fs.String("config", "", "YAML config file (the fields of --check-config's output); flags given on the command line override it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	type given struct {
		f   *flag.Flag
		val string
	}
	var set []given
	fs.Visit(func(f *flag.Flag) { set = append(set, given{f, f.Value.String()}) })

	*opts = *new(T)
	if *config != "" {
		if err := decodeFile(*config, opts); err != nil {
			return err
		}
	}
	if env != nil {
		env(opts)
	}
	for _, g := range set {
		if err := g.f.Value.Set(g.val); err != nil { // it parsed once; a Value that cannot read its own String is a bug
			return fmt.Errorf("flag -%s: %w", g.f.Name, err)
		}
	}
	return nil
}

func decodeFile(file string, opts any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(opts); err != nil && !errors.Is(err, io.EOF) { // an empty file is no settings
		return fmt.Errorf("config %s: %w", file, err)
	}
	return nil
}
