// Package web is the cloud hub's operations dashboard: a page embedded in the binary
// (go:embed) and served at "/" next to the API, drawn in the browser from the hub's own HTTP
// API and live stream. It fetches nothing from the internet: no map tiles, no CDN, no web
// fonts; the map is an SVG in a Web Mercator projection fitted to the data.
//
//	/                 the dashboard (static/index.html)
//	/ui/…             its script modules, style sheet and icon (static/)
//
// Everything else goes to the API handler the dashboard wraps (With). The page uses only
// relative URLs, so the hub also works behind a reverse proxy that mounts it under a prefix.
//
// The page is plain HTML, CSS and ES modules without a build step (static/*.js; see
// static/app.js for what each module draws). A Content-Security-Policy limits it to the hub's
// own origin, so a script or style that slipped in from elsewhere would not run.
//
// This package imports only the standard library; internal/hub is its only importer.
package web
