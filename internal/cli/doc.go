// Package cli is the flag layer of michi's daemons (cmd/edge-node, cmd/cloud-hub): one YAML
// config file decoded into a component's Options, then the flags given on the command line
// bound onto the very same struct, so a flag is declared once — where it is bound to its field —
// and never listed a second time to copy it over the file.
//
// It owns Load (the order file → environment → flags, -h, unknown fields) and the flag.Value
// types for fields the standard flag package has no binding for (uint32, a comma-separated
// list, a lat,lon point). Every Value prints what it parses, which Load relies on.
//
// It imports the standard library, gopkg.in/yaml.v3 and pkg/geo; it must not import any
// component (internal/edge, internal/hub, …): the mains do the binding.
package cli
