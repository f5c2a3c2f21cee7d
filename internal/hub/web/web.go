package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// csp confines the page to the hub's origin: scripts, styles, the stream and the API calls.
// Styles set through the CSSOM (element.style) are allowed; style attributes in markup are not.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// contentTypes is set explicitly rather than taken from the system's MIME table: a module
// script served with a wrong type does not run.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// assets maps a request path ("/", "/ui/app.js") to its file.
var assets = loadAssets()

func loadAssets() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil // not served
		}
		sum := sha256.Sum256(b)
		a := asset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		name := strings.TrimPrefix(p, "static/")
		if name == "index.html" {
			out["/"] = a
		} else {
			out["/ui/"+name] = a
		}
		return nil
	})
	if err != nil {
		panic("web: embedded files: " + err.Error()) // the build embeds them; cannot happen
	}
	return out
}

// With returns a handler that serves the dashboard at "/" and its files under "/ui/", and
// passes every other request (the API, /metrics, /healthz, unknown paths) to next.
func With(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", a.etag)
		// Revalidate every time (cheap: 304 by ETag), so an upgraded hub serves its new page.
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/" {
			h.Set("Content-Security-Policy", csp)
			h.Set("Referrer-Policy", "no-referrer")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

// Paths lists the request paths the dashboard serves, sorted (for tests and docs).
func Paths() []string {
	out := make([]string, 0, len(assets))
	for p := range assets {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
