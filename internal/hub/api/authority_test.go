package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/api"
	"github.com/michi-v2x/michi/internal/hub/storetest"
)

type issued struct {
	Hazard struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	} `json:"hazard"`
	SentTo []string `json:"sent_to"`
}

func TestIssueNeedsToken(t *testing.T) {
	body := `{"cause":3,"lat":48.1,"lon":11.2}`
	f := newFixture(t, storetest.SQLite(t), "")
	resp, b := f.do(t, http.MethodPost, "/api/v1/hazards", "anything", body)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no token configured: writes disabled")
	require.Contains(t, string(b), "MICHI_HUB_TOKEN")

	f = newFixture(t, storetest.SQLite(t), token)
	resp, _ = f.do(t, http.MethodPost, "/api/v1/hazards", "", body)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, `Bearer realm="michi-hub"`, resp.Header.Get("WWW-Authenticate"))
	resp, _ = f.do(t, http.MethodPost, "/api/v1/hazards", "wrong", body)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = f.do(t, http.MethodDelete, "/api/v1/hazards/x", "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestIssueUpdateTerminate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, token)
		f.seed(t) // coverage: edge-a west of 11.5, edge-b east of it
		sub := f.api.Broker().Subscribe(16, api.EventAuthority)

		resp, body := f.do(t, http.MethodPost, "/api/v1/hazards", token,
			`{"cause":3,"sub_cause":4,"lat":48.1,"lon":11.2,"radius_m":300,"validity_s":7200,"issuer":"Stadt München"}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		var out issued
		require.NoError(t, json.Unmarshal(body, &out))
		id := out.Hazard.ID
		require.Regexp(t, `^auth-[0-9a-f]{16}$`, id)
		require.Equal(t, "/api/v1/hazards/"+id, resp.Header.Get("Location"))
		require.Equal(t, []string{"edge-a"}, out.SentTo, "only the edge whose coverage the circle touches")
		p := out.Hazard.Properties
		require.Equal(t, "roadworks", p["cause_name"])
		require.Equal(t, "active", p["state"])
		require.Equal(t, 7200.0, p["validity_s"])
		require.Equal(t, "Stadt München", p["issuer"])
		got := f.sender.got["edge-a"]
		require.Len(t, got, 1)
		require.Equal(t, id, got[0].ID)
		require.Equal(t, 2*time.Hour, got[0].Validity)
		require.Equal(t, uint8(4), got[0].SubCause)

		ev := <-sub.C
		require.Contains(t, string(ev.Data), `"event":"issued"`)

		// Stored: listed with the hazards and readable by id.
		resp, body = f.get(t, "/api/v1/hazards?origin=authority")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, []string{id}, featureIDs(decodeFC(t, body)))
		resp, body = f.get(t, "/api/v1/hazards/"+id)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

		// A hazard on the border reaches both edges; update it by id (200, not 201).
		resp, body = f.do(t, http.MethodPost, "/api/v1/hazards", token, `{"id":"closure-7","cause":5,"lat":48.1,"lon":11.499,"radius_m":500}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		require.NoError(t, json.Unmarshal(body, &out))
		require.Equal(t, []string{"edge-a", "edge-b"}, out.SentTo)
		resp, body = f.do(t, http.MethodPost, "/api/v1/hazards", token, `{"id":"closure-7","cause":5,"lat":48.1,"lon":11.2,"radius_m":100}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.NoError(t, json.Unmarshal(body, &out))
		require.Equal(t, []string{"edge-a"}, out.SentTo)

		// Terminate by DELETE, and by POST {"terminate": true}.
		resp, body = f.do(t, http.MethodDelete, "/api/v1/hazards/"+id, token, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.NoError(t, json.Unmarshal(body, &out))
		require.Equal(t, "terminated", out.Hazard.Properties["state"])
		require.ElementsMatch(t, []string{"edge-a", "edge-b"}, out.SentTo, "a termination goes everywhere")
		last := f.sender.got["edge-b"][len(f.sender.got["edge-b"])-1]
		require.True(t, last.Terminate)
		resp, _ = f.do(t, http.MethodPost, "/api/v1/hazards", token, `{"id":"closure-7","terminate":true}`)
		require.Equal(t, http.StatusOK, resp.StatusCode)

		resp, body = f.do(t, http.MethodPost, "/api/v1/hazards", token, `{"id":"closure-7","cause":5,"lat":48.1,"lon":11.2}`)
		require.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
		resp, _ = f.do(t, http.MethodDelete, "/api/v1/hazards/unknown", token, "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		resp, _ = f.get(t, "/api/v1/hazards/unknown")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		_, body = f.get(t, "/api/v1/hazards?origin=authority&active=true")
		require.Empty(t, decodeFC(t, body).Features)
	})
}

func TestIssueValidation(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token)
	for _, tc := range []struct{ body, field string }{
		{`{"cause":94,"lat":48,"lon":11}`, "cause"}, // stationary vehicle: not an authority's to issue
		{`{"cause":2,"lat":48,"lon":11}`, "cause"},
		{`{"lat":48,"lon":11}`, "cause"},
		{`{"cause":"roadworks","lat":48,"lon":11}`, "cause"},
		{`{"cause":3,"lon":11}`, "lat"},
		{`{"cause":3,"lat":91,"lon":11}`, "lat"},
		{`{"cause":3,"lat":48,"lon":-181}`, "lon"},
		{`{"cause":3,"lat":48,"lon":11,"radius_m":0}`, "radius_m"},
		{`{"cause":3,"lat":48,"lon":11,"radius_m":1e6}`, "radius_m"},
		{`{"cause":3,"lat":48,"lon":11,"sub_cause":256}`, "sub_cause"},
		{`{"cause":3,"lat":48,"lon":11,"heading_deg":360}`, "heading_deg"},
		{`{"cause":3,"lat":48,"lon":11,"validity_s":0}`, "validity_s"},
		{`{"cause":3,"lat":48,"lon":11,"validity_s":90000}`, "validity_s"},
		{`{"cause":3,"lat":48,"lon":11,"validity_s":1.5}`, "validity_s"},
		{`{"cause":3,"lat":48,"lon":11,"start":"tomorrow"}`, "start"},
		{`{"cause":3,"lat":48,"lon":11,"start":"2020-01-01T00:00:00Z"}`, "start"},
		{`{"cause":3,"lat":48,"lon":11,"id":"has space"}`, "id"},
		{`{"cause":3,"lat":48,"lon":11,"colour":"red"}`, "colour"},
		{`{"terminate":true}`, "id"},
		{``, "body"},
		{`{"cause":3`, "body"},
		{`{"cause":3,"lat":48,"lon":11} {}`, "body"},
	} {
		resp, body := f.do(t, http.MethodPost, "/api/v1/hazards", token, tc.body)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", tc.body, body)
		var e struct{ Error, Field string }
		require.NoError(t, json.Unmarshal(body, &e))
		require.Equal(t, tc.field, e.Field, "%s: %s", tc.body, e.Error)
	}
	// Every authority cause is accepted.
	for _, c := range []string{"3", "5", "17", "18", "19"} {
		resp, body := f.do(t, http.MethodPost, "/api/v1/hazards", token, `{"cause":`+c+`,"lat":48,"lon":11}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	}
}
