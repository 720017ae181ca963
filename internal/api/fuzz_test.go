package api

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/signing"
)

func fuzzAPI(t testing.TB) (*API, string) {
	t.Helper()
	kf, err := signing.GenerateCloudCDNKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.ParseCloudCDNKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewCloudCDN(signing.CloudCDNKey{Name: "k", Key: k})
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := policy.New(policy.DefaultLifetimes)
	const token = "fuzz-token-0123456789"
	key, _ := ParseAPIKey("fuzz:" + token)
	now := func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }
	a, err := New(Deps{
		Log: zap.NewNop(), Registry: prometheus.NewRegistry(), Policy: pol,
		Signers: []signing.Signer{s}, Store: session.NewMemory(now), StoreBackend: "memory", Now: now,
		Options: Options{CDNBaseURL: "https://cdn.site.com", Cookie: DefaultCookieOptions, APIKeys: []APIKey{key}, AllowedOrigins: []string{"https://app.site.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, token
}

// FuzzGrantBody sends arbitrary bodies to POST /grants. Property: never a
// 5xx, always either a problem+json with a code or a 201 whose cookies unlock
// exactly the subject's folder.
func FuzzGrantBody(f *testing.F) {
	for _, s := range []string{
		`{"role":"GUEST_NEW","subject":"guest_abc123"}`, `{"role":"LOGGED_IN","subject":"user_42"}`,
		`{"role":"LOGGED_IN","subject":"user_42/../x"}`, `{}`, `null`, `[]`, `{"role":"GUEST_NEW","subject":"guest_a","x":1}`,
		`{"role":"GUEST_OTP","subject":"guest_\u00e9"}`, `{"role":"GUEST_NEW","subject":"guest_a"}{}`, "",
	} {
		f.Add(s, "application/json")
	}
	f.Add(`{"role":"GUEST_NEW","subject":"guest_a"}`, "text/plain")
	a, token := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		req := httptest.NewRequest(http.MethodPost, "http://tokensvc/grants", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("5xx %d for %q", rec.Code, body)
		case rec.Code == http.StatusCreated:
			var resp grantResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if policy.CheckSubject(resp.Subject) != nil {
				t.Fatalf("granted an invalid subject %q", resp.Subject)
			}
			rule, err := a.policy.Rule(policy.Role(resp.Role))
			if err != nil {
				t.Fatal(err)
			}
			r := &signing.Request{URL: "https://cdn.site.com" + rule.Prefix(resp.Subject) + "p.jpg", Cookies: []signing.Cookie{{Name: resp.Cookies[0].Name, Value: resp.Cookies[0].Value}}}
			if err := a.signers[0].(signing.Verifier).Verify(r, a.now()); err != nil {
				t.Fatalf("granted cookie does not open its own folder: %v", err)
			}
			r.URL = "https://cdn.site.com" + rule.Base + "other/p.jpg"
			if err := a.signers[0].(signing.Verifier).Verify(r, a.now()); err == nil {
				t.Fatalf("granted cookie for %q opens another folder", resp.Subject)
			}
		default:
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("status %d with Content-Type %q", rec.Code, ct)
			}
			var p struct{ Code string }
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code == "" {
				t.Fatalf("problem without a code: %q", rec.Body.String())
			}
			if len(rec.Header().Values("Set-Cookie")) != 0 {
				t.Fatalf("a refused grant set cookies")
			}
		}
	})
}

// FuzzSessionCookie: the session cookie parser accepts exactly the shape
// newSessionValue makes, and /refresh never fails on any cookie header.
func FuzzSessionCookie(f *testing.F) {
	v, _ := newSessionValue(policy.LoggedIn)
	for _, s := range []string{v, "g.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "u.", "x." + v[2:], v + "=", "", "u.../../../../../../../../../../../../../../../"} {
		f.Add(s)
	}
	a, _ := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, value string) {
		tier, ok := parseSessionValue(value)
		if ok {
			if len(value) != sessionValueLen || (tier != 'g' && tier != 'u') || value[1] != '.' {
				t.Fatalf("accepted %q", value)
			}
			if strings.ContainsAny(value[2:], "./=+%; \t") {
				t.Fatalf("accepted %q with a byte outside base64url", value)
			}
		}
		req := httptest.NewRequest(http.MethodPost, "http://tokensvc/refresh", nil)
		req.Header.Set("Origin", "https://app.site.com")
		req.Header.Set("Cookie", "tokensvc_session="+value)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("refresh with an unknown session %q: %d", value, rec.Code)
		}
	})
}

// apiKeyErrors are the only errors ParseAPIKey may return (the key name
// written as NAME).
var apiKeyErrors = map[string]bool{
	`api key: want "name:token" or "name:sha256:HEX", with a name of 1-64 of [A-Za-z0-9_.-]`: true,
	"api key NAME: sha256 must be 64 hex digits":                                             true,
	"api key NAME: token shorter than 16 characters":                                         true,
	"api key NAME: token must be printable ASCII without spaces":                             true,
}

// FuzzParseAPIKey: a parsed key's hash is the token's SHA-256 (or the given
// hex), and an error is always one of a few fixed sentences, so it can
// never quote the token.
func FuzzParseAPIKey(f *testing.F) {
	for _, s := range []string{"backend:0123456789abcdef", "ops:sha256:" + strings.Repeat("ab", 32), "x:short", ":0123456789abcdef", "a b:0123456789abcdefg", "k:sha256:zz", "000000:000000", "00000: 00000", ":sha256:H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		k, err := ParseAPIKey(line)
		if err != nil {
			// Every error is one of a few fixed sentences about the name:
			// so none can carry the token.
			name, _, _ := strings.Cut(strings.TrimSpace(line), ":")
			msg := err.Error()
			if name != "" && validKeyName(name) {
				msg = strings.Replace(msg, "api key "+name+":", "api key NAME:", 1)
			}
			if !apiKeyErrors[msg] {
				t.Fatalf("unexpected error text %q for %q", err, line)
			}
			return
		}
		if !validKeyName(k.Name) {
			t.Fatalf("accepted name %q", k.Name)
		}
		kr, _ := newKeyring([]APIKey{k})
		_, tok, _ := strings.Cut(strings.TrimSpace(line), ":")
		if !strings.HasPrefix(tok, "sha256:") {
			if _, ok := kr.match(tok); !ok {
				t.Fatalf("the key from %q does not match its own token", line)
			}
		}
	})
}
