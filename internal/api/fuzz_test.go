package api

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
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

// FuzzSessionCookieValues: for any Cookie headers (one line per header),
// the values the ending routes revoke are the distinct well-formed session
// values in the order sent, all of them up to maxSessionCookies, past that
// the first and the last half; and sessionCookie takes the first of them.
func FuzzSessionCookieValues(f *testing.F) {
	v1, _ := newSessionValue(policy.LoggedIn)
	v2, _ := newSessionValue(policy.GuestNew)
	f.Add("tokensvc_session=" + v1 + "; a=b; tokensvc_session=" + v2)
	f.Add("tokensvc_session=" + v2 + "\ntokensvc_session=" + v1 + ";tokensvc_session=" + v2)
	f.Add(strings.Repeat("tokensvc_session="+v1+"; ", 3) + "tokensvc_session=u.x")
	var many []string
	for range maxSessionCookies + 3 {
		v, _ := newSessionValue(policy.GuestNew)
		many = append(many, "tokensvc_session="+v)
	}
	f.Add(strings.Join(many, "; "))
	a, _ := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, headers string) {
		req := httptest.NewRequest(http.MethodPost, "http://tokensvc/logout", nil)
		lines := strings.Split(headers, "\n")
		req.Header["Cookie"] = lines
		// The reference: every well-formed value, distinct, in order.
		var all []string
		for _, line := range lines {
			for _, part := range strings.Split(line, ";") {
				n, v, ok := strings.Cut(strings.Trim(part, " \t"), "=")
				if _, good := parseSessionValue(v); ok && good && n == "tokensvc_session" && !slices.Contains(all, v) {
					all = append(all, v)
				}
			}
		}
		want := all
		if len(all) > maxSessionCookies {
			want = append(slices.Clone(all[:maxSessionCookies/2]), all[len(all)-maxSessionCookies/2:]...)
		}
		var buf [maxSessionCookies]string
		got, more := a.sessionCookieValues(buf[:0], req)
		if !slices.Equal(got, want) || more != (len(all) > maxSessionCookies) {
			t.Fatalf("values %q (more %v), want %q of %q", got, more, want, all)
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
		kr, _ := newKeyring([]APIKey{k}, 0, 0)
		_, tok, _ := strings.Cut(strings.TrimSpace(line), ":")
		if !strings.HasPrefix(tok, "sha256:") {
			if _, ok := kr.match(tok); !ok {
				t.Fatalf("the key from %q does not match its own token", line)
			}
		}
	})
}

// FuzzOriginalURL: the URL /verify checks is rebuilt from a proxy's headers,
// which may carry whatever a client sent. Properties: an accepted URL is an
// absolute http(s) URL with a host, no user info, no fragment and no byte a
// request line cannot carry; from the X-Forwarded-* form it is exactly
// proto://host+uri with that very host (nothing in the host can move the
// path); from X-Original-URL it is that header as sent; a refusal is
// always a 400 bad_original_url.
func FuzzOriginalURL(f *testing.F) {
	f.Add("https://cdn.site.com/temp/guest_a/p1.jpg", "", "", "")
	f.Add("", "https", "cdn.site.com", "/temp/guest_a/p1.jpg")
	f.Add("", "https", "cdn.site.com/temp/guest_a/x", "/temp/guest_b/p1.jpg")
	f.Add("", "http", "cdn.site.com:8443", "/a?b=c")
	f.Add("https://u@cdn.site.com/x#y", "", "", "")
	f.Add("", "https", "[::1]:80", "/x")
	f.Fuzz(func(t *testing.T, original, proto, host, uri string) {
		r := httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/verify", nil)
		for k, v := range map[string]string{"X-Original-URL": original, "X-Forwarded-Proto": proto, "X-Forwarded-Host": host, "X-Original-URI": uri} {
			if v != "" {
				r.Header[http.CanonicalHeaderKey(k)] = []string{v}
			}
		}
		got, err := originalURL(r)
		if err != nil {
			if p, ok := err.(*Problem); !ok || p.Status != http.StatusBadRequest || p.Code != "bad_original_url" {
				t.Fatalf("refusal %#v", err)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("accepted %q", got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= ' ' || got[i] == 0x7f {
				t.Fatalf("accepted %q with byte %#x", got, got[i])
			}
		}
		if original != "" {
			if got != original {
				t.Fatalf("X-Original-URL %q became %q", original, got)
			}
			return
		}
		if got != proto+"://"+host+uri || u.Host != host {
			t.Fatalf("forwarded %q %q %q became %q (host %q)", proto, host, uri, got, u.Host)
		}
	})
}

// FuzzClientIP: the viewer's address comes from X-Real-IP or the last
// X-Forwarded-For hop. Properties: never a panic; the result is zero or a
// valid address with no IPv4-in-IPv6 mapping (so an IP condition compares
// like with like); a parseable X-Real-IP wins.
func FuzzClientIP(f *testing.F) {
	f.Add("203.0.113.9", "")
	f.Add("", "6.6.6.6, 203.0.113.9")
	f.Add("::ffff:203.0.113.9", "")
	f.Add("", " , ")
	f.Fuzz(func(t *testing.T, realIP, xff string) {
		r := httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/verify", nil)
		if realIP != "" {
			r.Header["X-Real-Ip"] = []string{realIP}
		}
		if xff != "" {
			r.Header["X-Forwarded-For"] = []string{xff}
		}
		ip := clientIP(r)
		if ip.IsValid() && ip.Is4In6() {
			t.Fatalf("%q %q: a mapped address %v", realIP, xff, ip)
		}
		if want, err := netip.ParseAddr(strings.TrimSpace(realIP)); err == nil && ip != want.Unmap() {
			t.Fatalf("X-Real-IP %q gave %v", realIP, ip)
		}
	})
}

// FuzzRequestID: a caller's X-Request-Id is kept only when it can go into
// a header, a JSON log line and a problem document as it is.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"trace-123.abc", "evil\"}\n{", strings.Repeat("a", 65), "", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validRequestID(s) {
			return
		}
		if len(s) == 0 || len(s) > 64 {
			t.Fatalf("kept %d bytes", len(s))
		}
		b, _ := json.Marshal(s)
		if string(b) != `"`+s+`"` || strings.ContainsAny(s, " \t\r\n\"\\,;:<>&") {
			t.Fatalf("kept %q, which needs escaping somewhere", s)
		}
	})
}

// FuzzAllowedOrigin: an accepted TOKENSVC_ALLOWED_ORIGINS entry is a value
// a browser can send in Origin: scheme://host[:port], nothing else, lower
// case, without the scheme's default port.
func FuzzAllowedOrigin(f *testing.F) {
	for _, s := range []string{"https://app.site.com", "https://app.site.com/path", "http://localhost:8080", "https://u@h", "app.site.com",
		"https://h?x", "https://[::1]:443", "http://0?", "https://App.site.com", "http://h:80", "https://h:", "http://:8080", "https://h#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		if !ValidOrigin(o) {
			return
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Path != "" || u.RawPath != "" ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || o != u.Scheme+"://"+u.Host {
			t.Fatalf("accepted %q (%#v)", o, u)
		}
		if o != strings.ToLower(o) || strings.HasSuffix(o, ":") || strings.HasSuffix(o, "s://"+u.Hostname()+":443") || strings.HasPrefix(o, "http://") && u.Port() == "80" {
			t.Fatalf("accepted %q: a browser never sends it so", o)
		}
	})
}

// TestAllowedOriginSpellings: the browser's own spelling of an origin is
// accepted; any other spelling of it is refused, as it would never match.
func TestAllowedOriginSpellings(t *testing.T) {
	for o, ok := range map[string]bool{
		"https://app.site.com": true, "http://localhost:8080": true, "https://[::1]:8443": true, "http://127.0.0.1:3000": true,
		"https://App.site.com": false, "HTTPS://app.site.com": false, "https://app.site.com:443": false, "http://h:80": false,
		"https://app.site.com/": false, "https://app.site.com?": false, "http://0?": false, "https://h#": false, "https://h:": false,
		"https://u@h": false, "http://:8080": false, "app.site.com": false, "ftp://h": false, "https://[::1]:443": false,
	} {
		if got := ValidOrigin(o); got != ok {
			t.Errorf("ValidOrigin(%q) = %v, want %v", o, got, ok)
		}
	}
}
