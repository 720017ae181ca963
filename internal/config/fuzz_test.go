package config

import (
	"net/http"
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

// FuzzCookiePath: an accepted TOKENSVC_COOKIE_PATH is one net/http writes
// into Set-Cookie as given, and that ends the attribute there.
func FuzzCookiePath(f *testing.F) {
	for _, s := range []string{"/", "/media/", "media", "/a;b", "/a b", "/a\x01b", "/a\x7fb", "/\u00e9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !validCookiePath(p) {
			return
		}
		c := (&http.Cookie{Name: "n", Value: "v", Path: p}).String()
		if c != "n=v; Path="+p {
			t.Fatalf("accepted %q, but net/http writes %q", p, c)
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
