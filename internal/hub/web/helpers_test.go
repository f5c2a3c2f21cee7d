package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/internal/hub"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/internal/uplink"
)

// ---- the hub and its edges ----

type testHub struct {
	*hub.Hub
	ca *tlsconf.CA
}

func startHub(t *testing.T) testHub {
	t.Helper()
	ca, err := tlsconf.NewCA("michi dashboard test CA")
	require.NoError(t, err)
	srv, err := ca.IssueServer("hub")
	require.NoError(t, err)
	h, err := hub.New(hub.Options{
		UplinkAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		TLS:   tlsconf.MutualServerTLS(srv, ca.Pool(), uplink.ALPN),
		Token: token, Store: store.Options{DSN: filepath.Join(t.TempDir(), "hub.db")},
		Log: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	testutil.Start(t, h)
	return testHub{h, ca}
}

// startEdge connects an uplink client with its on-disk queue as edge id, authenticated by a
// certificate of the hub's CA, and returns the queue to append records to.
func startEdge(t *testing.T, hubAddr string, ca *tlsconf.CA, id string) *uplink.Queue {
	t.Helper()
	q, err := uplink.OpenQueue(t.TempDir(), uplink.QueueOptions{})
	require.NoError(t, err)
	cert, err := ca.IssueClient(id)
	require.NoError(t, err)
	conf := tlsconf.MutualClientTLS(cert, ca.Pool(), uplink.ALPN)
	conf.ServerName = "localhost"
	c, err := uplink.NewClient(uplink.ClientOptions{HubAddr: hubAddr, TLS: conf, Queue: q,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	return q
}

// ---- the browser ----

type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string // console errors, exceptions, requests leaving the hub
}

func startBrowser(t *testing.T, exe, hubHost string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	b := &browser{}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) { b.observe(ev, hubHost) }))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx)) // start the browser (no timeout on the first run: it would end the browser)
	b.ctx = ctx
	return b
}

// observe collects console errors and warnings, uncaught exceptions, browser log errors (a
// failed load, a CSP violation) and any request to a host other than the hub.
func (b *browser) observe(ev any, hubHost string) {
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert || e.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range e.Args {
				args = append(args, strings.TrimSpace(string(a.Value)+" "+a.Description))
			}
			b.problem("console.%s: %s", e.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problem("exception at %s:%d: %s", d.URL, d.LineNumber, msg)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError {
			b.problem("log %s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		u, err := url.Parse(e.Request.URL)
		if err != nil || (u.Scheme != "data" && u.Host != hubHost) {
			b.problem("request outside the hub: %s", e.Request.URL)
		}
	}
}

func (b *browser) problem(format string, a ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, a...))
}

func (b *browser) checkClean(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.problems, "the console must be clean and nothing fetched from elsewhere")
}

func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...))
}

// waitJS polls a JavaScript expression until it is true (10 s), failing with what the page
// shows and what the console said.
func waitJS(t *testing.T, b *browser, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 1500)`))
			b.mu.Lock()
			defer b.mu.Unlock()
			t.Fatalf("waiting for %s: err=%v\nconsole: %q\npage:\n%s", what, err, b.problems, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// save writes a PNG screenshot: the whole page, or the viewport.
func save(t *testing.T, b *browser, path string, full bool) {
	t.Helper()
	time.Sleep(600 * time.Millisecond) // let the map's focus animation and the last re-draw settle
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(b.ctx, shot)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot %s (%d KiB)", path, len(png)>>10)
}

func screenshotDir(t *testing.T) string {
	if *updateScreenshots {
		return filepath.Join("..", "..", "..", "docs", "screenshots")
	}
	return t.ArtifactDir()
}

// ---- HTTP helpers ----

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, json.Unmarshal(body, v))
}

func postJSON(t *testing.T, u, body string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, string(b))
	require.NoError(t, json.Unmarshal(b, v))
}

// checkDownload fetches a download link of the page: CSV with a header and rows, or a GeoJSON
// FeatureCollection with features.
func checkDownload(t *testing.T, href string, csv bool) {
	t.Helper()
	resp, err := http.Get(href)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", href, body)
	if csv {
		require.Contains(t, resp.Header.Get("Content-Type"), "text/csv", href)
		require.Greater(t, strings.Count(string(body), "\n"), 2, href)
		return
	}
	var fc struct {
		Type     string
		Features []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(body, &fc), href)
	require.Equal(t, "FeatureCollection", fc.Type)
	require.NotEmpty(t, fc.Features, href)
}

// checkLatencyWords checks the edge cards name and define the hand-off in the words of
// internal/alertlatency, and that the plots span the window the panel states; want > 0 is that
// window, 0 takes any of the dashboard's windows. It returns the window.
func checkLatencyWords(t *testing.T, b *browser, want time.Duration) time.Duration {
	t.Helper()
	def, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#handoff-def').textContent`))
	require.NoError(t, err)
	require.Contains(t, strings.Join(strings.Fields(def), " "), alertlatency.HandoffDefinition, "the dashboard defines the hand-off as the metric's help does")
	require.Contains(t, def, "Alert latency")
	waitJS(t, b, "every edge card plots the hand-off under its name", fmt.Sprintf(`(() => {
		const cards = document.querySelectorAll('#edge-cards .edge-card');
		return cards.length > 0 && [...cards].every((c) => [...c.querySelectorAll('.plot-title')].some((p) => p.textContent === %q));
	})()`, "Edge hand-off"))
	require.Equal(t, "edge hand-off", alertlatency.HandoffName, "the dashboard's plot title, capitalised")
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`(() => {
		const w = document.querySelector('#edges-window'), p = document.querySelector('#edge-cards svg.plot');
		const m = /^last (\d+) (seconds|minutes?)$/.exec(w.textContent);
		return [+w.dataset.windowMs, +p.dataset.t1 - +p.dataset.t0, m ? +m[1] * (m[2] === 'seconds' ? 1 : 60) : -1];
	})()`))
	require.NoError(t, err)
	window, span, said := time.Duration(got[0])*time.Millisecond, time.Duration(got[1])*time.Millisecond, time.Duration(got[2])*time.Second
	require.Equal(t, window, span, "the plots span the window")
	require.Equal(t, said, window, "the panel says the window it shows")
	if want > 0 {
		require.Equal(t, want, said)
	}
	require.Contains(t, healthWindows, said)
	return said
}

// healthWindows are the spans the dashboard's health plots choose from (app.js WINDOWS).
var healthWindows = []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute}
