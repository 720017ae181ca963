package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
)

// TestGrantCookies checks every attribute of every cookie a grant sets, and
// that the JSON body describes the same cookies.
func TestGrantCookies(t *testing.T) {
	sk := memoryStore
	h := newHarness(t, sk, []string{"cloudcdn", "cloudfront"})
	now := h.clk.Now()
	resp := h.grant(nil, "GUEST_NEW", "guest_abc123")
	if cc := resp.Header.Get("Cache-Control"); cc != `no-store, no-cache="Set-Cookie"` {
		t.Errorf("Cache-Control = %q", cc)
	}
	var body struct {
		Cookies []struct {
			CDN, Name, Value, Domain, Path string
			SameSite                       string `json:"same_site"`
			Expires                        time.Time
			MaxAge                         int64 `json:"max_age"`
			Secure                         bool
			HTTPOnly                       bool `json:"http_only"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	headers := resp.Header.Values("Set-Cookie")
	if len(headers) != len(body.Cookies) {
		t.Fatalf("%d Set-Cookie headers, %d cookies in the body", len(headers), len(body.Cookies))
	}
	for i, raw := range headers {
		c := body.Cookies[i]
		wantExp, wantAge := now.Add(20*time.Minute), int64(1200)
		if c.CDN == "tokensvc" {
			wantExp, wantAge = now.Add(30*24*time.Hour), 30*24*3600
		}
		want := c.Name + "=" + c.Value + "; Path=/; Domain=.site.com; Expires=" + wantExp.Format(http.TimeFormat) +
			"; Max-Age=" + strconv.FormatInt(wantAge, 10) + "; Secure; HttpOnly; SameSite=Lax"
		if raw != want {
			t.Errorf("Set-Cookie\n got  %s\n want %s", raw, want)
		}
		if !c.Expires.Equal(wantExp) || c.MaxAge != wantAge || !c.Secure || !c.HTTPOnly || c.SameSite != "Lax" || c.Domain != ".site.com" || c.Path != "/" {
			t.Errorf("body cookie %+v does not match its header", c)
		}
	}
}

// TestCookieOverrides: each cookie attribute follows the configuration.
func TestCookieOverrides(t *testing.T) {
	sk := memoryStore
	h := newHarness(t, sk, []string{"gotipath"}, func(d *api.Deps) {
		d.Options.Cookie = api.CookieOptions{Path: "/media", Secure: false, HTTPOnly: false, SameSite: http.SameSiteStrictMode, SessionName: "sid", SessionMaxAge: time.Hour}
	})
	resp := h.grant(nil, "LOGGED_IN", "user_1")
	for _, raw := range resp.Header.Values("Set-Cookie") {
		if strings.Contains(raw, "Domain=") || strings.Contains(raw, "Secure") || strings.Contains(raw, "HttpOnly") ||
			!strings.Contains(raw, "; Path=/media;") || !strings.HasSuffix(raw, "; SameSite=Strict") {
			t.Errorf("Set-Cookie %s ignores the configured attributes", raw)
		}
	}
	if !strings.HasPrefix(resp.Header.Values("Set-Cookie")[2], "sid=") {
		t.Errorf("session cookie name not configurable: %v", resp.Header.Values("Set-Cookie"))
	}
}

// TestSessionCookieScope: the session cookie can be kept off the images
// (its own Path, no Domain) while the CDN cookies keep the deployment's
// scope; grants, the JSON body, refresh and logout all agree. With a scope
// of its own, grants and logout also expire a session cookie left in the
// shared scope from before.
func TestSessionCookieScope(t *testing.T) {
	for _, tc := range []struct {
		name       string
		path       string
		hostOnly   bool
		wantPath   string
		wantDomain string
	}{
		{"inherits", "", false, "/", ".site.com"},
		{"own path", "/auth", false, "/auth", ".site.com"},
		{"own path, host-only", "/auth", true, "/auth", ""},
		{"host-only", "", true, "/", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, memoryStore, []string{"cloudcdn", "akamai"}, func(d *api.Deps) {
				d.Options.Cookie.SessionPath, d.Options.Cookie.SessionHostOnly = tc.path, tc.hostOnly
			})
			scoped := tc.wantPath != "/" || tc.wantDomain != ".site.com"
			// check counts the response's cookies by kind: CDN cookies in
			// the shared scope, session cookies in the session's scope, and
			// session cookies expired in the shared scope.
			check := func(what string, resp *http.Response, cdn, sess, oldCleared int) {
				t.Helper()
				var gotCDN, gotSess, gotOld int
				for _, c := range resp.Cookies() {
					shared := c.Path == "/" && strings.TrimPrefix(c.Domain, ".") == "site.com"
					own := c.Path == tc.wantPath && strings.TrimPrefix(c.Domain, ".") == strings.TrimPrefix(tc.wantDomain, ".")
					switch {
					case c.Name != "tokensvc_session" && shared:
						gotCDN++
					case c.Name == "tokensvc_session" && own && (c.MaxAge > 0 || what == "logout"):
						gotSess++
					case c.Name == "tokensvc_session" && shared && c.MaxAge < 0:
						gotOld++
					default:
						t.Errorf("%s: %s with Path=%q Domain=%q Max-Age=%d", what, c.Name, c.Path, c.Domain, c.MaxAge)
					}
				}
				if gotCDN != cdn || gotSess != sess || gotOld != oldCleared {
					t.Errorf("%s: %d CDN, %d session, %d shared-scope session cleared; want %d, %d, %d:\n%s",
						what, gotCDN, gotSess, gotOld, cdn, sess, oldCleared, strings.Join(resp.Header.Values("Set-Cookie"), "\n"))
				}
			}
			old := 0
			if scoped {
				old = 1
			}
			b := newBrowser()
			grant := h.grant(b, "LOGGED_IN", "user_scope")
			check("grant", grant, 2, 1, old)
			var body struct {
				Cookies []struct{ Name, Domain, Path string }
			}
			if err := json.NewDecoder(grant.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			for _, c := range body.Cookies {
				p, d := "/", ".site.com"
				if c.Name == "tokensvc_session" {
					p, d = tc.wantPath, tc.wantDomain
				}
				if c.Path != p || c.Domain != d {
					t.Errorf("body: %s with path %q domain %q, want %q %q", c.Name, c.Path, c.Domain, p, d)
				}
			}
			if len(body.Cookies) != 3 {
				t.Errorf("body lists %d cookies, want 3", len(body.Cookies))
			}
			if b.cookies["tokensvc_session"] == "" {
				t.Fatal("the grant's own session cookie was not kept")
			}
			if resp := h.browserPost(b, "/refresh"); resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh: %d", resp.StatusCode)
			} else {
				check("refresh", resp, 2, 0, 0)
			}
			resp := h.browserPost(b, "/logout")
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			check("logout", resp, 2, 1, old)
		})
	}
}

// TestCORS: the browser routes answer allowed origins with credentialed
// CORS, preflights included.
func TestCORS(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	req := httptest.NewRequest(http.MethodOptions, "http://tokensvc.internal/refresh", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp := h.do(req)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != origin || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	b := newBrowser()
	h.grant(b, "GUEST_NEW", "guest_a")
	resp = h.browserPost(b, "/refresh")
	if resp.Header.Get("Access-Control-Allow-Origin") != origin || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("refresh lacks CORS headers: %v", resp.Header)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Errorf("Vary does not name Origin: %q", resp.Header.Get("Vary"))
	}
	// A second Origin header (a browser sends one; a proxy merging headers
	// might send two) is refused, never echoed with credentials allowed.
	for _, method := range []string{http.MethodOptions, http.MethodPost} {
		req := httptest.NewRequest(method, "http://tokensvc.internal/refresh", nil)
		req.Header["Origin"] = []string{origin, "https://evil.example"}
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Cookie", "tokensvc_session="+b.cookies["tokensvc_session"])
		resp := h.do(req)
		if body := readBody(resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden_origin"`) {
			t.Errorf("%s with two Origin headers: %d %s", method, resp.StatusCode, body)
		}
		if v := resp.Header.Values("Access-Control-Allow-Origin"); len(v) != 0 {
			t.Errorf("%s with two Origin headers: Access-Control-Allow-Origin %q", method, v)
		}
	}
}

// failingStore fails every call, as an unreachable Redis does.
type failingStore struct{}

var errDown = errors.New("dial tcp 10.0.0.9:6379: connect: connection refused (password=hunter2)")

func (failingStore) Put(context.Context, session.Session) error { return wrapDown() }
func (failingStore) Get(context.Context, string) (session.Session, error) {
	return session.Session{}, wrapDown()
}
func (failingStore) Extend(context.Context, string, session.Update) error { return wrapDown() }
func (failingStore) Delete(context.Context, string) error                 { return wrapDown() }
func (failingStore) DeleteSubject(context.Context, string) (int, error)   { return 0, wrapDown() }
func (failingStore) Ping(context.Context) error                           { return wrapDown() }

func wrapDown() error { return errors.Join(session.ErrUnavailable, errDown) }

// TestStoreUnavailable: a store outage is a 503 store_unavailable that sets
// no cookie, leaks no upstream text, and counts in metrics; /healthz stays
// up and /readyz says not ready.
func TestStoreUnavailable(t *testing.T) {
	down := storeKind{name: "redis", new: func(*testing.T, *storetest.Clock) session.Store { return failingStore{} }}
	h := newHarness(t, down, []string{"cloudcdn"})
	b := newBrowser()
	b.cookies["tokensvc_session"] = "u.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	req := h.backendReq(http.MethodPost, "/grants", `{"role":"GUEST_NEW","subject":"guest_a"}`)
	for _, resp := range []*http.Response{
		h.do(req),
		h.browserPost(b, "/refresh"),
		h.do(h.backendReq(http.MethodPost, "/subjects/user_1/revoke", "")),
		h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/readyz", nil)),
	} {
		body := readBody(resp)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"store_unavailable"`) {
			t.Errorf("got %d %s, want 503 store_unavailable", resp.StatusCode, body)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("a failed request set cookies")
		}
		if strings.Contains(body, "hunter2") || strings.Contains(body, "10.0.0.9") {
			t.Errorf("problem leaks the upstream error: %s", body)
		}
	}
	if resp := h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/healthz", nil)); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz %d during a store outage", resp.StatusCode)
	}
	if n := h.counterSum("tokensvc_session_store_errors_total", map[string]string{"backend": "redis"}); n < 3 {
		t.Errorf("store errors counted %v, want at least 3", n)
	}
}

// flakyStore is a store whose Delete fails while down is set.
type flakyStore struct {
	session.Store
	down atomic.Bool
}

func (f *flakyStore) Delete(ctx context.Context, id string) error {
	if f.down.Load() {
		return wrapDown()
	}
	return f.Store.Delete(ctx, id)
}

// pickyStore fails Get for one id, as a store that times out on one call.
type pickyStore struct {
	session.Store
	bad atomic.Value // string
}

func (p *pickyStore) Get(ctx context.Context, id string) (session.Session, error) {
	if bad, _ := p.bad.Load().(string); id == bad {
		return session.Session{}, wrapDown()
	}
	return p.Store.Get(ctx, id)
}

// TestRefreshStoreFailureOnALaterValue: when the first value's session is
// over and the store fails on the next, the answer is 503 store_unavailable
// (that session may well live), not the first value's 401.
func TestRefreshStoreFailureOnALaterValue(t *testing.T) {
	var st *pickyStore
	kind := storeKind{name: "memory", new: func(_ *testing.T, clk *storetest.Clock) session.Store {
		st = &pickyStore{Store: session.NewMemory(clk.Now)}
		return st
	}}
	h := newHarness(t, kind, []string{"cloudcdn"})
	g, u := newBrowser(), newBrowser()
	h.grant(g, "GUEST_NEW", "guest_over")
	h.grant(u, "LOGGED_IN", "user_behind")
	h.clk.Advance(21 * time.Minute) // the guest's hard end
	st.bad.Store(u.cookies["tokensvc_session"])
	req := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/refresh", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Cookie", "tokensvc_session="+g.cookies["tokensvc_session"]+"; tokensvc_session="+u.cookies["tokensvc_session"])
	wantProblem(t, h.do(req), http.StatusServiceUnavailable, "store_unavailable")
}

// TestLogoutWithTheStoreDown: a logout the store cannot carry out says so
// (503) instead of "logged out": the CDN cookies are cleared all the same,
// the session cookie is kept, and a retry once the store is back ends the
// session for good.
func TestLogoutWithTheStoreDown(t *testing.T) {
	var st *flakyStore
	kind := storeKind{name: "memory", new: func(_ *testing.T, clk *storetest.Clock) session.Store {
		st = &flakyStore{Store: session.NewMemory(clk.Now)}
		return st
	}}
	h := newHarness(t, kind, []string{"cloudcdn", "akamai"})
	b := newBrowser()
	h.grant(b, "LOGGED_IN", "user_42")
	sid := b.cookies["tokensvc_session"]
	stolen := &browser{cookies: map[string]string{"tokensvc_session": sid}}

	st.down.Store(true)
	resp := h.browserPost(b, "/logout")
	body := readBody(resp)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"store_unavailable"`) {
		t.Fatalf("logout with the store down: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, "10.0.0.9") {
		t.Errorf("problem leaks the upstream error: %s", body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != `no-store, no-cache="Set-Cookie"` {
		t.Errorf("Cache-Control %q on a problem that clears cookies", cc)
	}
	if want := map[string]string{"tokensvc_session": sid}; !maps.Equal(b.cookies, want) {
		t.Errorf("browser holds %v after the failed logout, want only its session cookie", b.cookies)
	}

	st.down.Store(false)
	if resp := h.browserPost(b, "/logout"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("retried logout: %d %s", resp.StatusCode, readBody(resp))
	}
	if len(b.cookies) != 0 {
		t.Errorf("browser still holds %v", b.cookies)
	}
	wantProblem(t, h.browserPost(stolen, "/refresh"), http.StatusUnauthorized, "login_required")
}

// TestClientGoneIsNotAnError: a request whose client went away before the
// store answered is logged as canceled, not as a failure of tokensvc.
func TestClientGoneIsNotAnError(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	b := newBrowser()
	h.grant(b, "LOGGED_IN", "user_42")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://tokensvc.internal/logout", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Cookie", b.header())
	if resp := h.do(req); resp.StatusCode < 500 {
		t.Fatalf("logout with a canceled context: %d", resp.StatusCode)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"msg":"request canceled"`) || strings.Contains(logs, `"level":"error"`) {
		t.Errorf("a gone client logged as an error:\n%s", logs)
	}
}

// TestMetrics: the names follow the naming guide, and no label carries a
// subject, a session id or a raw path.
func TestMetrics(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn", "akamai"})
	b := newBrowser()
	h.grant(b, "LOGGED_IN", "user_secretsubject")
	h.browserPost(b, "/refresh") // signs (grants are not cached)
	h.browserPost(b, "/refresh") // reuses
	h.do(h.backendReq(http.MethodPost, "/subjects/user_secretsubject/revoke", ""))
	h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/temp/guest_secretpath/x.jpg", nil))
	resp := h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/metrics", nil))
	text := readBody(resp)
	for _, want := range []string{
		`tokensvc_grants_total{cdn="cloudcdn",outcome="issued",role="LOGGED_IN"} 1`,
		`tokensvc_grants_total{cdn="akamai",outcome="issued",role="LOGGED_IN"} 1`,
		`tokensvc_refreshes_total{cdn="cloudcdn",outcome="reused",role="LOGGED_IN"} 1`,
		`tokensvc_refreshes_total{cdn="cloudcdn",outcome="resigned",role="LOGGED_IN"} 1`,
		`tokensvc_signatures_total{cdn="akamai"} 2`,
		`tokensvc_sign_duration_seconds_bucket{cdn="cloudcdn"`,
		`tokensvc_http_request_duration_seconds_bucket{code="201",method="POST",route="/grants"`,
		`tokensvc_http_request_duration_seconds_bucket{code="200",method="POST",route="/subjects/{subject}/revoke"`,
		`route="unmatched"`,
		`tokensvc_session_revocations_total{reason="subject"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{"secretsubject", "secretpath", b.cookies["tokensvc_session"], h.token} {
		if strings.Contains(text, leak) {
			t.Errorf("metrics leak %q", leak)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# TYPE tokensvc_") && strings.HasSuffix(line, " counter") && !strings.Contains(line, "_total ") {
			t.Errorf("counter without _total: %s", line)
		}
	}
}

// TestLogsHoldNoSecrets drives every route and then searches the logs for
// anything secret: the bearer token, cookie values, session ids.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, sk := range stores(t) {
		h := newHarness(t, sk, []string{"cloudcdn", "akamai", "cloudfront", "gotipath"})
		b := newBrowser()
		h.grant(b, "GUEST_NEW", "guest_abc123")
		secrets := []string{h.token}
		for _, v := range b.cookies {
			secrets = append(secrets, v)
		}
		h.clk.Advance(time.Minute)
		h.browserPost(b, "/refresh")
		h.grant(b, "LOGGED_IN", "user_42")
		for _, v := range b.cookies {
			secrets = append(secrets, v)
		}
		req := h.backendFor(b, http.MethodPost, "/sessions/touch")
		h.do(req)
		bad := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/grants", strings.NewReader(`{}`))
		bad.Header.Set("Authorization", "Bearer not-the-token-but-still-secret")
		h.do(bad)
		secrets = append(secrets, "not-the-token-but-still-secret")
		h.browserPost(b, "/logout")
		logs := h.logs.String()
		if !strings.Contains(logs, `"request_id"`) || !strings.Contains(logs, `"api_key":"backend"`) {
			t.Fatalf("%s: logs lack request ids or key names:\n%s", sk.name, logs)
		}
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(logs, s) {
				t.Errorf("%s: logs contain a secret %q", sk.name, s[:8]+"…")
			}
			// Also any 12-byte window of a long value (a truncated leak).
			if len(s) > 24 && strings.Contains(logs, s[6:18]) {
				t.Errorf("%s: logs contain part of a secret", sk.name)
			}
		}
		if regexp.MustCompile(`[gu]\.[A-Za-z0-9_-]{43}`).MatchString(logs) {
			t.Errorf("%s: logs contain a session id", sk.name)
		}
	}
}

// TestRequestStateIsNotCarriedOver: observe reuses its per-request state;
// nothing of one request (its API key name, its id) shows in another's
// access log line, with requests of both kinds running at once.
func TestRequestStateIsNotCarriedOver(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	// The goroutines only serve; each answer's contract check (whose
	// t.Fatal must run on the test goroutine) comes after.
	type served struct {
		req *http.Request
		rec *httptest.ResponseRecorder
	}
	var all [8][25]served
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 25 {
				req := httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/healthz", nil)
				if (i+j)%2 == 0 {
					req = h.backendReq(http.MethodPost, "/grants", `{"role":"GUEST_NEW","subject":"guest_a"}`)
				}
				rec := httptest.NewRecorder()
				h.api.ServeHTTP(rec, req)
				all[i][j] = served{req, rec}
			}
		})
	}
	wg.Wait()
	for i := range all {
		for _, s := range all[i] {
			checkContract(t, s.req, s.rec.Result())
		}
	}
	ids := map[string]bool{}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var e struct {
			Msg    string `json:"msg"`
			Route  string `json:"route"`
			ID     string `json:"request_id"`
			APIKey string `json:"api_key"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != "request" {
			continue
		}
		n++
		if ids[e.ID] {
			t.Errorf("request id %q logged twice", e.ID)
		}
		ids[e.ID] = true
		if (e.Route == "/grants") != (e.APIKey == "backend") {
			t.Errorf("%s logged with api_key %q", e.Route, e.APIKey)
		}
	}
	if n != 200 {
		t.Errorf("%d access log lines, want 200", n)
	}
}

// TestHeadWhereGetIs: HEAD is answered wherever GET is (RFC 9110 9.3.2,
// load balancers' health checks use it), and a 405's Allow lists it.
func TestHeadWhereGetIs(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp := h.do(httptest.NewRequest(http.MethodHead, "http://tokensvc.internal"+path, nil))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("HEAD %s: %d", path, resp.StatusCode)
		}
		resp = h.do(httptest.NewRequest(http.MethodPut, "http://tokensvc.internal"+path, nil))
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("PUT %s: %d, Allow %q; want 405, Allow \"GET, HEAD\"", path, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	resp := h.do(httptest.NewRequest(http.MethodPut, "http://tokensvc.internal/verify", nil))
	if resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("PUT /verify: Allow %q, want \"GET, HEAD\"", resp.Header.Get("Allow"))
	}
}

// TestRequestIDs: each response carries an id; a caller's plain id is kept,
// a hostile one replaced.
func TestRequestIDs(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	req := httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/healthz", nil)
	req.Header.Set("X-Request-Id", "trace-123.abc")
	if got := h.do(req).Header.Get("X-Request-Id"); got != "trace-123.abc" {
		t.Errorf("X-Request-Id = %q, want the caller's", got)
	}
	req = httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/healthz", nil)
	req.Header.Set("X-Request-Id", "evil\"}\n{")
	if got := h.do(req).Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, "\"\n{}") {
		t.Errorf("X-Request-Id = %q", got)
	}
	a := h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/healthz", nil)).Header.Get("X-Request-Id")
	b := h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/healthz", nil)).Header.Get("X-Request-Id")
	if a == "" || a == b {
		t.Errorf("request ids %q, %q", a, b)
	}
	// A problem names the id its response header carries, on the routes
	// dispatched before chi and on chi's.
	for i, path := range []string{"/grants", "/sessions/revoke", "/nowhere"} {
		id := "trace-" + strconv.Itoa(i)
		req := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal"+path, nil)
		req.Header.Set("X-Request-Id", id)
		resp := h.do(req)
		if body := readBody(resp); !strings.Contains(body, `"request_id":"`+id+`"`) || resp.Header.Get("X-Request-Id") != id {
			t.Errorf("%s: %d, X-Request-Id %q, body %s", path, resp.StatusCode, resp.Header.Get("X-Request-Id"), body)
		}
	}
}

// TestNewRefusesBadDeps: api.New reports every missing piece.
func TestNewRefusesBadDeps(t *testing.T) {
	_, err := api.New(api.Deps{Options: api.Options{CDNBaseURL: "https://cdn.site.com?", AllowedOrigins: []string{"https://app.site.com", "https://App.site.com"}}})
	if err == nil {
		t.Fatal("New accepted empty deps")
	}
	for _, want := range []string{"Log", "Registry", "Policy", "Store", "signers", `base URL "https://cdn.site.com?"`, `origin "https://App.site.com"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

// TestTwoAPIsInOneProcess: nothing is global.
func TestTwoAPIsInOneProcess(t *testing.T) {
	sk := memoryStore
	h1 := newHarness(t, sk, []string{"cloudcdn"})
	h2 := newHarness(t, sk, []string{"cloudcdn"})
	b := newBrowser()
	h1.grant(b, "GUEST_NEW", "guest_a")
	req := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/grants", strings.NewReader(`{"role":"GUEST_NEW","subject":"guest_a"}`))
	req.Header.Set("Authorization", "Bearer "+h1.token)
	req.Header.Set("Content-Type", "application/json")
	if resp := h2.do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the second API accepted the first one's key: %d", resp.StatusCode)
	}
	if h2.signatures() != 0 {
		t.Errorf("metrics leaked between two APIs")
	}
}

// TestMetricsLabelsStayBounded: made-up methods do not make new series
// (security review: any client could grow metrics memory without limit).
func TestMetricsLabelsStayBounded(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	for i := 0; i < 50; i++ {
		req := httptest.NewRequest("X"+strconv.Itoa(i)+"AAAA", "http://tokensvc.internal/healthz", nil)
		h.do(req)
	}
	text := readBody(h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/metrics", nil)))
	if strings.Contains(text, "X1AAAA") || !strings.Contains(text, `method="OTHER"`) {
		t.Fatalf("made-up methods leak into labels")
	}
	if strings.Contains(h.logs.String(), "X1AAAA") {
		t.Fatalf("made-up methods leak into the log")
	}
}

// TestMetricsElsewhere: with a private metrics listener, the API does not
// serve /metrics.
func TestMetricsElsewhere(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"}, func(d *api.Deps) { d.Options.MetricsElsewhere = true })
	wantProblem(t, h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/metrics", nil)), http.StatusNotFound, "not_found")
}

// TestAPIKeyRateLimit: with a rate set, each API key has its own token
// bucket over every backend route; past it the answer is 429 rate_limited
// with Retry-After, nothing is done, the refusal is counted, and the
// bucket refills with time. An unknown key is still a 401.
func TestAPIKeyRateLimit(t *testing.T) {
	const other = "tok_other_0123456789abcdef"
	h := newHarness(t, memoryStore, []string{"cloudcdn"}, func(d *api.Deps) {
		k, err := api.ParseAPIKey("other:" + other)
		if err != nil {
			t.Fatal(err)
		}
		d.Options.APIKeys = append(d.Options.APIKeys, k)
		d.Options.APIKeyRate, d.Options.APIKeyBurst = 0.5, 2
	})
	grant := func(token, subject string) *http.Response {
		req := h.backendReq(http.MethodPost, "/grants", `{"role":"GUEST_NEW","subject":"`+subject+`"}`)
		req.Header.Set("Authorization", "Bearer "+token)
		return h.do(req)
	}
	for i := range 2 {
		if resp := grant(h.token, fmt.Sprintf("guest_%d", i)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("grant %d within the burst: %d %s", i, resp.StatusCode, readBody(resp))
		}
	}
	sigs := h.signatures()
	resp := grant(h.token, "guest_over")
	if ra := resp.Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After %q, want 2 (one token at 0.5 a second)", ra)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("a refused grant set cookies")
	}
	wantProblem(t, resp, http.StatusTooManyRequests, "rate_limited")
	if h.signatures() != sigs {
		t.Errorf("a refused grant signed")
	}
	// Every backend route draws from the same bucket.
	wantProblem(t, h.do(h.backendReq(http.MethodPost, "/subjects/user_1/revoke", "")), http.StatusTooManyRequests, "rate_limited")
	// Another key has a bucket of its own; a wrong key is not rate limited
	// but refused.
	if resp := grant(other, "guest_other"); resp.StatusCode != http.StatusCreated {
		t.Errorf("another key: %d %s", resp.StatusCode, readBody(resp))
	}
	wantProblem(t, grant("tok_wrong_0123456789abcdef", "guest_x"), http.StatusUnauthorized, "unauthorized")
	if n := h.counterSum("tokensvc_rate_limited_total", map[string]string{"api_key": "backend"}); n != 2 {
		t.Errorf("rate_limited counted %v, want 2", n)
	}
	h.clk.Advance(2 * time.Second)
	if resp := grant(h.token, "guest_later"); resp.StatusCode != http.StatusCreated {
		t.Errorf("after the bucket refilled: %d %s", resp.StatusCode, readBody(resp))
	}
}

// TestAPIKeyRateRounding: Retry-After rounds the wait up to whole seconds,
// and the default bucket holds one second's worth of the rate, rounded up.
func TestAPIKeyRateRounding(t *testing.T) {
	for _, c := range []struct {
		rate       float64
		admitted   int
		retryAfter string
	}{
		{0.3, 1, "4"},        // 1 / 0.3 = 3.33 s
		{2.5, 3, "1"},        // a bucket of 3; 0.4 s to the next token
		{1e-300, 1, "86400"}, // capped at a day
	} {
		h := newHarness(t, memoryStore, []string{"cloudcdn"}, func(d *api.Deps) { d.Options.APIKeyRate = c.rate })
		for i := range c.admitted {
			if resp := h.do(h.backendReq(http.MethodPost, "/subjects/user_1/revoke", "")); resp.StatusCode != http.StatusOK {
				t.Fatalf("rate %v, request %d: %d", c.rate, i, resp.StatusCode)
			}
		}
		resp := h.do(h.backendReq(http.MethodPost, "/subjects/user_1/revoke", ""))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != c.retryAfter {
			t.Errorf("rate %v after %d requests: %d, Retry-After %q; want 429, %s", c.rate, c.admitted, resp.StatusCode, resp.Header.Get("Retry-After"), c.retryAfter)
		}
	}
}

// TestHostPrefixedSessionCookieScope: a __Host- session cookie never had a
// shared scope, so nothing is expired there (browsers would refuse a
// __Host- cookie with a Domain anyway).
func TestHostPrefixedSessionCookieScope(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"}, func(d *api.Deps) {
		d.Options.Cookie.SessionName, d.Options.Cookie.SessionHostOnly = "__Host-sid", true
	})
	resp := h.grant(nil, "LOGGED_IN", "user_host")
	n := 0
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "__Host-sid=") {
			n++
			if strings.Contains(v, "Domain=") || !strings.Contains(v, "; Path=/;") {
				t.Errorf("session cookie %s: want Path=/ and no Domain", v)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d __Host-sid cookies, want 1: %q", n, resp.Header.Values("Set-Cookie"))
	}
}
