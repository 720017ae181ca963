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
