package api_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/session/storetest"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// discard is a ResponseWriter that keeps nothing, reused across iterations,
// so the benchmark counts the handler's allocations, not a recorder's.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
func (d *discard) reset() {
	for k := range d.h {
		delete(d.h, k)
	}
}

// benchAPI is the service as it runs in production: JSON access logging on
// (to io.Discard), metrics on, the memory store, a clock that moves.
func benchAPI(b *testing.B, formats ...string) (http.Handler, string) {
	b.Helper()
	var signers []signing.Signer
	for _, f := range formats {
		signers = append(signers, newSigner(b, f))
	}
	var tok [18]byte
	rand.Read(tok[:])
	token := fmt.Sprintf("tok_%x", tok)
	key, _ := api.ParseAPIKey("bench:" + token)
	pol, _ := policy.New(policy.DefaultLifetimes)
	clk := storetest.NewClock()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	a, err := api.New(api.Deps{
		Log: log, Registry: prometheus.NewRegistry(), Policy: pol, Signers: signers,
		Store: session.NewMemory(clk.Now), StoreBackend: "memory", Now: clk.Now,
		Options: api.Options{CDNBaseURL: cdnBase, Cookie: api.DefaultCookieOptions, APIKeys: []api.APIKey{key}, AllowedOrigins: []string{origin}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return a, token
}

// BenchmarkPostGrants is one POST /grants through the whole router: auth,
// body decoding, policy, signing, the session write, cookies, JSON, the
// access log and metrics. Target: at most 25 allocations.
func BenchmarkPostGrants(b *testing.B) {
	for _, f := range []string{"cloudcdn", "akamai", "gotipath", "cloudfront"} {
		b.Run(f, func(b *testing.B) {
			h, token := benchAPI(b, f)
			body := []byte(`{"role":"GUEST_NEW","subject":"guest_abc123"}`)
			tmpl, _ := http.NewRequest(http.MethodPost, "http://tokensvc/grants", nil)
			tmpl.Header.Set("Authorization", "Bearer "+token)
			tmpl.Header.Set("Content-Type", "application/json")
			tmpl.RemoteAddr = "127.0.0.1:5000"
			w := &discard{h: http.Header{}}
			rd := bytes.NewReader(body)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rd.Reset(body)
				req := *tmpl
				req.Body = io.NopCloser(rd)
				w.reset()
				h.ServeHTTP(w, &req)
			}
		})
	}
}

// BenchmarkPostRefresh is POST /refresh for a live guest session whose
// cookies are not due: the cookies come from the issued cache, nothing is
// signed. floor is a bare handler writing one fixed Set-Cookie, the
// harness's floor, for the ratio.
func BenchmarkPostRefresh(b *testing.B) {
	b.Run("floor", func(b *testing.B) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Set-Cookie", "floor=0123456789abcdef0123456789abcdef; Path=/; Max-Age=1200; HttpOnly; Secure; SameSite=Lax")
			w.WriteHeader(http.StatusNoContent)
		})
		req, _ := http.NewRequest(http.MethodPost, "http://tokensvc/refresh", nil)
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			h.ServeHTTP(w, req)
		}
	})
	for _, f := range []string{"cloudcdn", "cloudfront"} {
		b.Run(f, func(b *testing.B) {
			h, token := benchAPI(b, f)
			grant, _ := http.NewRequest(http.MethodPost, "http://tokensvc/grants", bytes.NewReader([]byte(`{"role":"GUEST_NEW","subject":"guest_abc123"}`)))
			grant.Header.Set("Authorization", "Bearer "+token)
			grant.Header.Set("Content-Type", "application/json")
			gw := &discard{h: http.Header{}}
			h.ServeHTTP(gw, grant)
			var session string
			for _, c := range gw.h.Values("Set-Cookie") {
				if bytes.HasPrefix([]byte(c), []byte("tokensvc_session=")) {
					session, _, _ = bytes.NewBufferString(c).String(), 0, 0
					session = session[:bytes.IndexByte([]byte(session), ';')]
				}
			}
			if session == "" {
				b.Fatal("no session cookie")
			}
			req, _ := http.NewRequest(http.MethodPost, "http://tokensvc/refresh", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Cookie", session)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}
