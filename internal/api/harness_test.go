package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
	"github.com/tokensvc/tokensvc/internal/signing"
	"github.com/tokensvc/tokensvc/internal/testenv"
)

const (
	cdnBase = "https://cdn.site.com"
	origin  = "https://app.site.com"
	domain  = ".site.com"
)

// storeKind builds a fresh, isolated store for one harness.
type storeKind struct {
	name string
	new  func(t *testing.T, clk *storetest.Clock) session.Store
}

var redisPrefix atomic.Int64

// memoryStore is the embedded store, for the tests about something other
// than the store (they need no redis-server).
var memoryStore = storeKind{"memory", func(t *testing.T, clk *storetest.Clock) session.Store { return session.NewMemory(clk.Now) }}

// stores returns the stores the whole API suite runs against: memory, and
// Redis on a real redis-server started for the calling test.
func stores(t *testing.T) []storeKind {
	t.Helper()
	addr := testenv.Redis(t)
	return []storeKind{
		memoryStore,
		{"redis", func(t *testing.T, clk *storetest.Clock) session.Store {
			o := session.RedisOptions{URL: "redis://" + addr + "/0", KeyPrefix: fmt.Sprintf("api%d:", redisPrefix.Add(1)), AutoPipeline: true}
			c, err := session.NewRedisClient(o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			st, err := session.NewRedis(c, o, clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
	}
}

// formatSets are the CDN configurations every scenario runs with: each
// format alone, and a two-format migration (reference/000).
var formatSets = [][]string{{"cloudcdn"}, {"akamai"}, {"cloudfront"}, {"gotipath"}, {"cloudcdn", "akamai"}}

// newSigner makes a signer with freshly generated keys: tests never use a
// fixed key.
func newSigner(t testing.TB, format string) signing.Signer {
	t.Helper()
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var s signing.Signer
	var err error
	switch format {
	case "cloudcdn":
		k := must(signing.ParseCloudCDNKeyFile(must(signing.GenerateCloudCDNKey(rand.Reader))))
		s, err = signing.NewCloudCDN(signing.CloudCDNKey{Name: "test-key", Key: k})
	case "akamai":
		k := must(signing.ParseAkamaiKey(must(signing.GenerateAkamaiKey(rand.Reader))))
		s, err = signing.NewAkamai(signing.AkamaiOptions{}, k)
	case "cloudfront":
		k, perr := signing.ParseCloudFrontPrivateKey(must(signing.GenerateCloudFrontKey(rand.Reader, true)))
		if perr != nil {
			t.Fatal(perr)
		}
		s, err = signing.NewCloudFront("SHA256", signing.CloudFrontKey{ID: "KTESTKEY", Signer: k})
	case "gotipath":
		k := must(signing.ParseGotipathSecret(must(signing.GenerateGotipathSecret(rand.Reader))))
		s, err = signing.NewGotipath(k)
	default:
		t.Fatalf("unknown format %s", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Sync() error { return nil }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is one tokensvc API with its clock, store, signers and logs.
type harness struct {
	t       *testing.T
	api     http.Handler
	clk     *storetest.Clock
	store   session.Store
	signers []signing.Signer
	reg     *prometheus.Registry
	token   string
	logs    *syncBuffer
}

type harnessOpt func(*api.Deps)

func newHarness(t *testing.T, sk storeKind, formats []string, opts ...harnessOpt) *harness {
	t.Helper()
	clk := storetest.NewClock()
	h := &harness{t: t, clk: clk, store: sk.new(t, clk), reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	for _, f := range formats {
		h.signers = append(h.signers, newSigner(t, f))
	}
	var tok [18]byte
	_, _ = rand.Read(tok[:])
	h.token = fmt.Sprintf("tok_%x", tok)
	key, err := api.ParseAPIKey("backend:" + h.token)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(policy.DefaultLifetimes)
	if err != nil {
		t.Fatal(err)
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	log := zap.New(zapcore.NewCore(enc, h.logs, zapcore.DebugLevel))
	d := api.Deps{
		Log: log, Registry: h.reg, Policy: pol, Signers: h.signers,
		Store: h.store, StoreBackend: sk.name, Now: clk.Now,
		Options: api.Options{
			CDNBaseURL: cdnBase,
			Cookie: api.CookieOptions{
				Domain: domain, Path: "/", Secure: true, HTTPOnly: true, SameSite: http.SameSiteLaxMode,
			},
			APIKeys:        []api.APIKey{key},
			AllowedOrigins: []string{origin},
		},
	}
	for _, o := range opts {
		o(&d)
	}
	a, err := api.New(d)
	if err != nil {
		t.Fatal(err)
	}
	h.api = a
	return h
}

// do sends one request through the whole router.
func (h *harness) do(req *http.Request) *http.Response {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.api.ServeHTTP(rec, req)
	resp := rec.Result()
	checkContract(h.t, req, resp)
	return resp
}

// backendFor is a backend's body-less request that forwards browser b's
// cookies, as a backend relays its user's request (/sessions/touch,
// /sessions/revoke).
func (h *harness) backendFor(b *browser, method, path string) *http.Request {
	req := h.backendReq(method, path, "")
	req.Header.Set("Cookie", b.header())
	return req
}

func (h *harness) backendReq(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, "http://tokensvc.internal"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// browser is a minimal cookie jar: what a browser on *.site.com would hold.
type browser struct {
	cookies map[string]string
}

func newBrowser() *browser { return &browser{cookies: map[string]string{}} }

// take applies a response's Set-Cookie headers the way a browser does:
// Max-Age=0 deletes.
func (b *browser) take(t *testing.T, resp *http.Response) {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || (c.MaxAge == 0 && c.RawExpires != "" && c.Expires.Before(time.Unix(1, 0))) {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c.Value
	}
}

func (b *browser) header() string {
	var parts []string
	for n, v := range b.cookies {
		parts = append(parts, n+"="+v)
	}
	return strings.Join(parts, "; ")
}

func (b *browser) request() []signing.Cookie {
	var out []signing.Cookie
	for n, v := range b.cookies {
		out = append(out, signing.Cookie{Name: n, Value: v})
	}
	return out
}

// grant asks for a grant as a backend would, forwarding the browser's
// cookies, and hands the Set-Cookie headers to the browser.
func (h *harness) grant(b *browser, role, subject string) *http.Response {
	h.t.Helper()
	req := h.backendReq(http.MethodPost, "/grants", fmt.Sprintf(`{"role":%q,"subject":%q}`, role, subject))
	if b != nil && len(b.cookies) > 0 {
		req.Header.Set("Cookie", b.header())
	}
	resp := h.do(req)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("grant %s %s: status %d: %s", role, subject, resp.StatusCode, readBody(resp))
	}
	if b != nil {
		b.take(h.t, resp)
	}
	return resp
}

// session grants role to subject in a fresh browser and returns the
// session cookie value it got.
func (h *harness) session(role, subject string) string {
	h.t.Helper()
	b := newBrowser()
	h.grant(b, role, subject)
	return b.cookies["tokensvc_session"]
}

// browserPost is a credentialed POST from the app's page.
func (h *harness) browserPost(b *browser, path string) *http.Response {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal"+path, nil)
	req.Header.Set("Origin", origin)
	if len(b.cookies) > 0 {
		req.Header.Set("Cookie", b.header())
	}
	resp := h.do(req)
	b.take(h.t, resp)
	return resp
}

// media checks, with each format's own verifier, whether the browser's
// cookies open url at the harness clock's time. It returns nil when every
// format accepts, or the first rejection.
func (h *harness) media(b *browser, url string) error {
	h.t.Helper()
	r := &signing.Request{URL: url, Cookies: b.request()}
	for _, s := range h.signers {
		if err := s.(signing.Verifier).Verify(r, h.clk.Now()); err != nil {
			return fmt.Errorf("%s: %w", s.Format(), err)
		}
	}
	return nil
}

// signatures is tokensvc_signatures_total summed over formats.
func (h *harness) signatures() float64 {
	h.t.Helper()
	return h.counterSum("tokensvc_signatures_total", nil)
}

func (h *harness) counterSum(name string, labels map[string]string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if labelValue(m, k) != v {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func labelValue(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func readBody(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// problemCode reads the code of a problem+json response, failing the test
// if the response is not one.
func problemCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d)", ct, resp.StatusCode)
	}
	var p struct {
		Type, Title, Detail, Instance, Code string
		Status                              int
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if p.Status != resp.StatusCode || p.Code == "" || p.Title == "" || p.Type == "" {
		t.Fatalf("incomplete problem %+v for status %d", p, resp.StatusCode)
	}
	return p.Code
}
