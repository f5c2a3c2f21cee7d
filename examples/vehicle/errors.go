package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// sdkNames maps the SDK's option names, which its errors use, to this command's flags.
var sdkNames = strings.NewReplacer(
	"TLS.CAFile", "-ca FILE",
	"TLS.PinnedFingerprint", "-pin FINGERPRINT (the edge logs it and serves it at /api/v1/tls)",
	"TLS.Insecure", "-insecure",
	"TLS options are set", "-ca, -pin or -insecure is given",
	"tls: insecure cannot be combined with a CA file or a pinned fingerprint", "-insecure cannot be combined with -ca or -pin",
	"station_id", "-station",
	"source_uuid", "-source",
	"url ", "-url ",
	"url:", "-url:",
)

// inFlagNames rewrites the SDK's invalid-options error in the names of this command's flags.
func inFlagNames(err error) error {
	var oe *client.OptionsError
	if !errors.As(err, &oe) {
		return err
	}
	problems := make([]string, len(oe.Problems))
	for i, p := range oe.Problems {
		problems[i] = sdkNames.Replace(p)
	}
	return errors.New(strings.Join(problems, "; "))
}

// refusal says which source and station the edge refused, since a credential names one source:
// the token of com_car_42 is refused for the default source of station 1001, com_car_1001.
func refusal(err error, o client.Options) error {
	var ce *client.ConnectError
	if !errors.As(err, &ce) || ce.Code == 0 {
		return err
	}
	hint := ""
	if o.Token == "" {
		hint = "; the edge wants a credential: give -token (and -source, the source it was issued for)"
	} else {
		hint = "; is the token issued for this source? -source names the source, -station the station id"
	}
	return fmt.Errorf("edge %s refused source %s, station %d (code 0x%02x): %v%s", ce.Addr, o.SourceUUID, o.StationID, ce.Code, ce.Err, hint)
}
