package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/web"
)

// apiStub stands in for the hub's API: it answers every request it gets with its path.
var apiStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Api", "yes")
	w.WriteHeader(http.StatusTeapot)
	io.WriteString(w, r.Method+" "+r.URL.Path)
})

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServesThePageAndPassesTheRestOn(t *testing.T) {
	h := web.With(apiStub)

	page := get(t, h, http.MethodGet, "/")
	require.Equal(t, http.StatusOK, page.Code)
	require.Equal(t, "text/html; charset=utf-8", page.Header().Get("Content-Type"))
	require.Contains(t, page.Header().Get("Content-Security-Policy"), "default-src 'none'")
	require.Contains(t, page.Header().Get("Content-Security-Policy"), "connect-src 'self'")
	require.Equal(t, "nosniff", page.Header().Get("X-Content-Type-Options"))
	require.Contains(t, page.Body.String(), `src="ui/app.js"`)

	for path, ctype := range map[string]string{
		"/ui/app.js": "text/javascript; charset=utf-8", "/ui/map.js": "text/javascript; charset=utf-8",
		"/ui/style.css": "text/css; charset=utf-8", "/ui/favicon.svg": "image/svg+xml",
	} {
		rec := get(t, h, http.MethodGet, path)
		require.Equal(t, http.StatusOK, rec.Code, path)
		require.Equal(t, ctype, rec.Header().Get("Content-Type"), path)
		require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), path)
		require.NotEmpty(t, rec.Body.String(), path)
	}

	// HEAD, and a revalidation by ETag
	head := get(t, h, http.MethodHead, "/ui/app.js")
	require.Equal(t, http.StatusOK, head.Code)
	require.Empty(t, head.Body.String())
	etag := head.Header().Get("ETag")
	require.NotEmpty(t, etag)
	require.Equal(t, http.StatusNotModified, get(t, h, http.MethodGet, "/ui/app.js", "If-None-Match", etag).Code)

	// everything else is the API's, including unknown files and other methods on the page
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/edges"}, {http.MethodGet, "/api/v1/stream"}, {http.MethodGet, "/metrics"},
		{http.MethodGet, "/healthz"}, {http.MethodGet, "/ui/missing.js"}, {http.MethodGet, "/ui/"},
		{http.MethodGet, "/index.html"}, {http.MethodPost, "/"}, {http.MethodDelete, "/ui/app.js"},
	} {
		rec := get(t, h, c.method, c.path)
		require.Equal(t, "yes", rec.Header().Get("X-Api"), "%s %s", c.method, c.path)
		require.Equal(t, c.method+" "+c.path, rec.Body.String())
	}
}

// The page is self-contained: every script, style and icon it names is served, modules
// import only each other, nothing points at another host, and nothing inline needs the CSP
// relaxed.
func TestPageIsSelfContained(t *testing.T) {
	h := web.With(apiStub)
	paths := web.Paths()
	require.Contains(t, paths, "/")
	body := func(p string) string { return get(t, h, http.MethodGet, p).Body.String() }

	page := body("/")
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(page, -1) {
		require.Contains(t, paths, "/"+m[1], "index.html refers to %s", m[1])
	}
	require.NotRegexp(t, `<script(?:\s[^>]*)?>[^<]`, page, "inline script (blocked by the CSP)")
	require.NotContains(t, page, " style=", "inline style attribute (blocked by the CSP)")
	require.NotRegexp(t, ` on[a-z]+=`, page, "inline event handler (blocked by the CSP)")

	imports := regexp.MustCompile(`(?m)^import .* from '([^']+)';$`)
	for _, p := range paths {
		b := body(p)
		// the SVG namespace is a name, not a fetch
		rest := strings.ReplaceAll(b, "http://www.w3.org/2000/svg", "")
		require.NotRegexp(t, `https?://`, rest, "%s names another host", p)
		require.NotContains(t, b, "//cdn", p)
		if !strings.HasSuffix(p, ".js") {
			continue
		}
		for _, m := range imports.FindAllStringSubmatch(b, -1) {
			require.True(t, strings.HasPrefix(m[1], "./"), "%s imports %s: only the page's own modules", p, m[1])
			require.True(t, slices.Contains(paths, "/ui/"+strings.TrimPrefix(m[1], "./")), "%s imports %s, which is not served", p, m[1])
		}
		require.NotContains(t, b, "setAttribute('style'", "%s sets a style attribute (blocked by the CSP)", p)
		require.NotContains(t, b, "innerHTML", "%s: build DOM from text, never HTML from data", p)
		require.NotContains(t, b, "console.log", p)
	}
}
