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
// a browser can send in Origin: scheme://host[:port], nothing else, lower
// case, without the scheme's default port.
func FuzzAllowedOrigin(f *testing.F) {
	for _, s := range []string{"https://app.site.com", "https://app.site.com/path", "http://localhost:8080", "https://u@h", "app.site.com",
		"https://h?x", "https://[::1]:443", "http://0?", "https://App.site.com", "http://h:80", "https://h:", "http://:8080", "https://h#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		if !validOrigin(o) {
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

// TestCDNBaseURLSpellings: the base of every signed prefix is refused when
// anything but an optional "/" follows the host, or when a browser would
// request the media under another spelling of it.
func TestCDNBaseURLSpellings(t *testing.T) {
	for base, ok := range map[string]bool{
		"https://cdn.site.com": true, "https://cdn.site.com/": true, "http://127.0.0.1:8081": true,
		"https://cdn.site.com?": false, "https://cdn.site.com#": false, "https://cdn.site.com//": false, "https://cdn.site.com/%2F": false,
		"https://cdn.site.com/media": false, "https://CDN.site.com": false, "https://cdn.site.com:443": false, "cdn.site.com": false, "": false,
	} {
		err := (&Config{CDNBaseURL: base}).Validate()
		if refused := err != nil && strings.Contains(err.Error(), "TOKENSVC_CDN_BASE_URL"); refused == ok {
			t.Errorf("TOKENSVC_CDN_BASE_URL %q: refused %v, want %v", base, refused, !ok)
		}
	}
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
		if got := validOrigin(o); got != ok {
			t.Errorf("validOrigin(%q) = %v, want %v", o, got, ok)
		}
	}
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
