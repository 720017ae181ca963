package config

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzCookieDomain: an accepted TOKENSVC_COOKIE_DOMAIN is one net/http
// writes into Set-Cookie as given (it drops a Domain it finds invalid, and
// the cookies would then go to tokensvc's host only).
func FuzzCookieDomain(f *testing.F) {
	for _, s := range []string{".site.com", "site.com", "bad domain", "127.0.0.1", "-a.com", "a..b", ".", "xn--bcher-kva.example", "a_b.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if !validCookieDomain(d) {
			return
		}
		c := (&http.Cookie{Name: "n", Value: "v", Domain: d}).String()
		if !strings.Contains(c, "; Domain="+strings.TrimPrefix(d, ".")) {
			t.Fatalf("accepted %q, but net/http writes %q", d, c)
		}
	})
}

// FuzzAllowedOrigin: an accepted TOKENSVC_ALLOWED_ORIGINS entry is a value
// a browser can send in Origin: scheme://host[:port], nothing else, in the
// form url.URL writes it.
func FuzzAllowedOrigin(f *testing.F) {
	for _, s := range []string{"https://app.site.com", "https://app.site.com/path", "http://localhost:8080", "https://u@h", "app.site.com", "https://h?x", "https://[::1]:443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		if !validOrigin(o) {
			return
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawPath != "" ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || o != u.Scheme+"://"+u.Host {
			t.Fatalf("accepted %q (%#v)", o, u)
		}
	})
}

// FuzzTrustedProxies: accepted TOKENSVC_TRUSTED_PROXIES entries become
// valid, masked prefixes; a bare address is a single-address prefix.
func FuzzTrustedProxies(f *testing.F) {
	for _, s := range []string{"127.0.0.1/32", "10.0.0.0/8", "::1", "10.1.2.3/8", "1.2.3.4/33", "fe80::1%eth0", " 10.0.0.0/8 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Config{TrustedProxies: []string{s}}
		ps, err := c.TrustedProxyPrefixes()
		if err != nil {
			return
		}
		if len(ps) != 1 || !ps[0].IsValid() || ps[0] != ps[0].Masked() {
			t.Fatalf("%q became %v", s, ps)
		}
	})
}
