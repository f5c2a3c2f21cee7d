// Package v2x is michi's public message model: ETSI C-ITS CAM, DENM and CPM
// in the JSON form of Orange's its-client (schemas CAM 2.4.0, DENM 2.3.0,
// CPM 2.1.1, MIT licence), their JSON and msgpack codecs, schema
// validation, SI accessors and constructors, the ETSI tables (station
// types, cause and sub-cause codes), ETSI time, and the its-client MQTT
// topic layout. A vehicle built on its-client talks to michi unchanged.
//
// # What it owns
//
//   - The wire types (CAM, DENM, CPM and their containers). Every member the
//     schemas define is typed, in ETSI integer units, with the schema's
//     snake_case name in both json and msgpack tags. Optional members are
//     pointers or slices: nil is absent, non-nil is present, even when zero
//     or empty, so a message round-trips exactly. Nothing is kept as opaque
//     bytes. The "unavailable" sentinels stay as they are on the wire.
//   - Codecs: UnmarshalCAM/DENM/CPM, Decode (chooses by message_type) and
//     their msgpack twins; AppendJSON/AppendMsgpack, and the json and msgpack
//     Marshaler/Unmarshaler hooks on the three message types so that
//     encoding/json and vmihailenco/msgpack use the same rules.
//   - Validation: Validate returns a *ValidationError naming the member by
//     its JSON path.
//   - SI: accessors (Position, Speed, Heading, EventPosition, Expiry,
//     Objects, …) and constructors (NewCAM, NewDENM, NewCPM). Conversion
//     between ETSI integers and SI floats happens here and nowhere else.
//   - Topics: Topic, ParseTopic, SubscriptionFilter.
//
// # Decoding rules
//
// The decoders are written for the edge's ingest path (see
// BenchmarkDecodeValidate): no reflection, one pass, a strict reading of the
// schemas:
//
//   - unknown members are refused at every level, not only at the envelope
//     where the schemas say additionalProperties: false. Each schema pins its
//     version with a const, so within a version every member its-client
//     writes is known; refusing the rest keeps what the edge forwards
//     faithful to what it validated;
//   - duplicate members, missing required members, null, non-integer numbers
//     for integer members (1.0, 1e2), integers beyond the Go type, invalid
//     UTF-8, trailing data and messages over MaxMessageSize are refused;
//   - member names are case-sensitive.
//
// Decode errors wrap ErrMalformed; structural schema breaches (missing,
// unknown, duplicate members) also match ErrInvalid. Decoding does not check
// ranges: call Validate.
//
// # Departures from the schemas, on purpose
//
//   - The CAM schema's alternative body {version, payload} for
//     message_format "asn1/uper" is not supported: michi carries JSON only.
//   - The CAM schema misspells the key of basic_vehicle_container_low_frequency
//     under "properties", so a schema validator checks nothing inside it;
//     Validate checks the intended rules.
//   - DENM reference_denms items are ActionIDs with both members required,
//     as in ETSI, where the schema leaves them optional; linked_denms are
//     limited to 1..8 items (the schema misplaces that bound).
//   - Timestamps follow its-client: TimestampIts does not count leap
//     seconds (see etsitime.go).
//
// # Code generation
//
// The *_gen.go files (decode, appendJSON, appendMsgpack, validate for each
// struct) are written by internal/v2xgen from the struct tags; run
// go generate after changing a type. check.go holds the rules tags cannot
// express (oneOf choices). A test fails when the generated files are stale.
//
// # Imports
//
// v2x imports pkg/geo and the standard library only. It must not import
// anything under internal/: outside tools and vehicles depend on it.
package v2x

//go:generate go run ./internal/v2xgen
