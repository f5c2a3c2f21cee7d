package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// AuthorityCauses are the DENM cause codes a road authority may issue through the hub:
// 3 roadworks, 5 impassability, 17 extremeWeather, 18 visibility, 19 precipitation.
var AuthorityCauses = []uint8{3, 5, 17, 18, 19}

// Limits and defaults of an authority hazard.
const (
	DefaultAuthorityRadiusM  = 200.0
	MaxAuthorityRadiusM      = 50_000.0
	DefaultAuthorityValidity = time.Hour
	MaxAuthorityValidity     = 24 * time.Hour // DENM validityDuration is at most 86400 s
	DefaultIssuer            = "authority"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// authorityRequest is the body of POST /api/v1/hazards. Pointers tell "absent" from zero.
type authorityRequest struct {
	ID          string   `json:"id"`
	Cause       *int     `json:"cause"`
	SubCause    *int     `json:"sub_cause"`
	Lat         *float64 `json:"lat"`
	Lon         *float64 `json:"lon"`
	RadiusM     *float64 `json:"radius_m"`
	HeadingDeg  *float64 `json:"heading_deg"`
	Start       string   `json:"start"`
	ValiditySec *float64 `json:"validity_s"`
	Issuer      string   `json:"issuer"`
	Terminate   bool     `json:"terminate"`
}

// authorised wraps a write endpoint with the bearer token check.
func (a *API) authorised(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.o.Token == "" {
			writeError(w, http.StatusForbidden, "", "authority API disabled: the hub has no token (--token or MICHI_HUB_TOKEN)")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(a.o.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="michi-hub"`)
			writeError(w, http.StatusUnauthorized, "", "a valid bearer token is required (Authorization: Bearer …)")
			return
		}
		if a.o.Downlink == nil {
			writeError(w, http.StatusServiceUnavailable, "", "this hub has no downlink to edges")
			return
		}
		next(w, r)
	}
}

// decodeAuthority parses and validates a POST body; every problem names its field.
func decodeAuthority(body io.Reader, now time.Time) (uplink.AuthorityHazard, bool, error) {
	var req authorityRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return uplink.AuthorityHazard{}, false, bodyError(err)
	}
	if dec.More() {
		return uplink.AuthorityHazard{}, false, badParam("body", "one JSON object expected")
	}
	if req.ID != "" && !idPattern.MatchString(req.ID) {
		return uplink.AuthorityHazard{}, false, badParam("id", "1 to 64 of A-Z a-z 0-9 . _ : -")
	}
	if req.Terminate {
		if req.ID == "" {
			return uplink.AuthorityHazard{}, false, badParam("id", "required to terminate a hazard")
		}
		return uplink.AuthorityHazard{ID: req.ID, Terminate: true}, true, nil
	}
	h := uplink.AuthorityHazard{ID: req.ID, RadiusM: DefaultAuthorityRadiusM, Validity: DefaultAuthorityValidity,
		Start: now.UTC(), Issuer: DefaultIssuer}
	if req.Cause == nil {
		return h, false, badParam("cause", "required: one of %s", causeList())
	}
	if !validCause(*req.Cause) {
		return h, false, badParam("cause", "%d is not an authority cause; want one of %s", *req.Cause, causeList())
	}
	h.Cause = uint8(*req.Cause)
	if req.SubCause != nil {
		if *req.SubCause < 0 || *req.SubCause > 255 {
			return h, false, badParam("sub_cause", "want 0 … 255, got %d", *req.SubCause)
		}
		h.SubCause = uint8(*req.SubCause)
	}
	if req.Lat == nil || math.IsNaN(*req.Lat) || *req.Lat < -90 || *req.Lat > 90 {
		return h, false, badParam("lat", "required, degrees within -90 … 90")
	}
	if req.Lon == nil || math.IsNaN(*req.Lon) || *req.Lon < -180 || *req.Lon > 180 {
		return h, false, badParam("lon", "required, degrees within -180 … 180")
	}
	h.Lat, h.Lon = *req.Lat, *req.Lon
	if req.RadiusM != nil {
		if !(*req.RadiusM > 0 && *req.RadiusM <= MaxAuthorityRadiusM) {
			return h, false, badParam("radius_m", "want more than 0 and at most %g metres", MaxAuthorityRadiusM)
		}
		h.RadiusM = *req.RadiusM
	}
	if req.HeadingDeg != nil {
		if !(*req.HeadingDeg >= 0 && *req.HeadingDeg < 360) {
			return h, false, badParam("heading_deg", "want degrees clockwise from north in [0, 360)")
		}
		v := *req.HeadingDeg
		h.HeadingDeg = &v
	}
	if req.Start != "" {
		t, err := time.Parse(time.RFC3339Nano, req.Start)
		if err != nil {
			return h, false, badParam("start", "want RFC 3339, e.g. 2026-03-02T08:00:00Z")
		}
		h.Start = t.UTC()
	}
	if req.ValiditySec != nil {
		v := *req.ValiditySec
		if !(v >= 1 && v <= MaxAuthorityValidity.Seconds()) || v != math.Trunc(v) {
			return h, false, badParam("validity_s", "want whole seconds from 1 to %d", int(MaxAuthorityValidity.Seconds()))
		}
		h.Validity = time.Duration(v) * time.Second
	}
	if !h.Start.Add(h.Validity).After(now) {
		return h, false, badParam("start", "the hazard would already have ended (start + validity_s is in the past)")
	}
	if req.Issuer != "" {
		if len(req.Issuer) > 128 {
			return h, false, badParam("issuer", "at most 128 bytes")
		}
		h.Issuer = req.Issuer
	}
	if h.ID == "" {
		h.ID = newID()
	}
	return h, false, nil
}

func validCause(c int) bool {
	for _, a := range AuthorityCauses {
		if int(a) == c {
			return true
		}
	}
	return false
}

func causeList() string {
	var parts []string
	for _, c := range AuthorityCauses {
		parts = append(parts, fmt.Sprintf("%d (%s)", c, v2x.CauseName(c)))
	}
	return strings.Join(parts, ", ")
}

// bodyError names the field of a JSON type error or an unknown field.
func bodyError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return badParam(te.Field, "wrong type: want %s", te.Type)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badParam(strings.Trim(f, `"`), "unknown field")
	}
	if errors.Is(err, io.EOF) {
		return badParam("body", "empty; want a JSON object")
	}
	var me *http.MaxBytesError
	if errors.As(err, &me) {
		return badParam("body", "larger than %d bytes", me.Limit)
	}
	return badParam("body", "not valid JSON: %v", err)
}

// newID returns "auth-" and 16 random hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return "auth-" + hex.EncodeToString(b[:])
}

// serveIssue: POST /api/v1/hazards (bearer token). Body: {"cause": 3, "lat": …, "lon": …,
// "radius_m"?, "sub_cause"?, "heading_deg"?, "start"?, "validity_s"?, "issuer"?, "id"?} issues
// (201) or, with the id of an existing hazard, updates (200); {"id": …, "terminate": true}
// terminates. Answer: {"hazard": Feature, "sent_to": [edge ids]}.
func (a *API) serveIssue(w http.ResponseWriter, r *http.Request) {
	now := a.o.Now()
	h, terminate, err := decodeAuthority(http.MaxBytesReader(w, r.Body, a.o.MaxBody), now)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if terminate {
		a.terminate(w, r, h.ID)
		return
	}
	if !(geo.Point{Lat: h.Lat, Lon: h.Lon}).Valid() {
		a.fail(w, r, badParam("lat", "not a valid position"))
		return
	}
	au, created, sent, err := a.o.Downlink.Issue(r.Context(), h)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f := authorityFeature(&au, now)
	ev := "updated"
	status := http.StatusOK
	if created {
		ev, status = "issued", http.StatusCreated
		w.Header().Set("Location", "/api/v1/hazards/"+au.ID)
	}
	a.o.Log.Info("authority hazard "+ev, "id", au.ID, "cause", au.Cause, "issuer", au.Issuer, "sent_to", sent)
	a.publishAuthority(ev, f, sent)
	writeJSON(w, status, map[string]any{"hazard": f, "sent_to": nonNil(sent)})
}

// serveTerminate: DELETE /api/v1/hazards/{id} (bearer token) ends the hazard everywhere.
func (a *API) serveTerminate(w http.ResponseWriter, r *http.Request) {
	a.terminate(w, r, r.PathValue("id"))
}

func (a *API) terminate(w http.ResponseWriter, r *http.Request, id string) {
	au, sent, err := a.o.Downlink.Terminate(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f := authorityFeature(&au, a.o.Now())
	a.o.Log.Info("authority hazard terminated", "id", au.ID, "sent_to", sent)
	a.publishAuthority("terminated", f, sent)
	writeJSON(w, http.StatusOK, map[string]any{"hazard": f, "sent_to": nonNil(sent)})
}

func (a *API) publishAuthority(event string, f feature, sent []string) {
	props := make(map[string]any, len(f.Properties)+2)
	for k, v := range f.Properties {
		props[k] = v
	}
	props["event"], props["sent_to"] = event, nonNil(sent)
	f.Properties = props
	a.o.Broker.Publish(EventAuthority, f)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
