package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/api"
)

func (h *harness) verify(b *browser, set func(*http.Request)) *http.Response {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/verify", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if b != nil && len(b.cookies) > 0 {
		req.Header.Set("Cookie", b.header())
	}
	set(req)
	return h.do(req)
}

func originalURL(u string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("X-Original-URL", u) }
}

// TestVerify: the forward-auth hook answers 204 for a granted URL and 403
// with the reason otherwise, for every format and a two-format list.
func TestVerify(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		h.grant(b, "GUEST_NEW", "guest_abc123")
		reason := func(resp *http.Response) string { return resp.Header.Get("X-Tokensvc-Reason") }

		resp := h.verify(b, originalURL(guestPhoto))
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("granted URL: %d %q %s", resp.StatusCode, resp.Header.Get("Cache-Control"), readBody(resp))
		}
		resp = h.verify(b, func(r *http.Request) {
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("X-Forwarded-Host", "cdn.site.com")
			r.Header.Set("X-Original-URI", "/temp/guest_abc123/p2.jpg?w=640")
		})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("forwarded headers: %d %s", resp.StatusCode, readBody(resp))
		}
		for _, tt := range []struct {
			name, url, reason string
			b                 *browser
		}{
			{"no cookie", guestPhoto, "missing", newBrowser()},
			{"other subject", cdnBase + "/temp/guest_other/p1.jpg", "scope_mismatch", b},
			{"prefix sibling", cdnBase + "/temp/guest_abc1234/p1.jpg", "scope_mismatch", b},
		} {
			resp := h.verify(tt.b, originalURL(tt.url))
			if resp.StatusCode != http.StatusForbidden || reason(resp) != tt.reason {
				t.Errorf("%s: %d %q, want 403 %s", tt.name, resp.StatusCode, reason(resp), tt.reason)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: a 403 with Cache-Control %q", tt.name, cc)
			}
		}
		// One byte changed in any cookie value (with two formats, either
		// cookie alone still grants: that is the point of a migration).
		for name, v := range b.cookies {
			if len(h.signers) > 1 || name == "tokensvc_session" || len(v) < 4 {
				continue
			}
			bad := newBrowser()
			for k, vv := range b.cookies {
				bad.cookies[k] = vv
			}
			i := len(v) / 2
			c := byte('A')
			if v[i] == 'A' {
				c = 'B'
			}
			bad.cookies[name] = v[:i] + string(c) + v[i+1:]
			if resp := h.verify(bad, originalURL(guestPhoto)); resp.StatusCode != http.StatusForbidden {
				t.Errorf("one byte changed in %s: %d", name, resp.StatusCode)
			}
		}
		h.clk.Advance(20 * time.Minute)
		if resp := h.verify(b, originalURL(guestPhoto)); resp.StatusCode != http.StatusForbidden || reason(resp) != "expired" {
			t.Errorf("after expiry: %d %q", resp.StatusCode, reason(resp))
		}
	})
}

func TestVerifyRefusesUntrustedPeersAndBadURLs(t *testing.T) {
	h := newHarness(t, memoryStore, []string{"cloudcdn"})
	b := newBrowser()
	h.grant(b, "GUEST_NEW", "guest_abc123")
	resp := h.verify(b, func(r *http.Request) {
		r.RemoteAddr = "203.0.113.9:1234"
		r.Header.Set("X-Original-URL", guestPhoto)
	})
	wantProblem(t, resp, http.StatusForbidden, "untrusted_proxy")
	for _, set := range []func(*http.Request){
		func(r *http.Request) {},
		originalURL("/temp/guest_abc123/p1.jpg"),
		originalURL("ftp://cdn.site.com/x"),
		originalURL("https://cdn.site.com/a b"),
		func(r *http.Request) {
			r.Header.Set("X-Forwarded-Proto", "gopher")
			r.Header.Set("X-Forwarded-Host", "cdn.site.com")
			r.Header.Set("X-Original-URI", "/x")
		},
		func(r *http.Request) {
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("X-Forwarded-Host", "cdn.site.com")
			r.Header.Set("X-Original-URI", "x")
		},
		// A client-supplied X-Original-URL next to the proxy's X-Forwarded-*
		// form (security review): ambiguous, so refused.
		func(r *http.Request) {
			r.Header.Set("X-Original-URL", guestPhoto)
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("X-Forwarded-Host", "cdn.site.com")
			r.Header.Set("X-Original-URI", "/temp/guest_bob/p1.jpg")
		},
		func(r *http.Request) {
			r.Header.Add("X-Original-URL", cdnBase+"/temp/guest_bob/p1.jpg")
			r.Header.Add("X-Original-URL", guestPhoto)
		},
		// A path in X-Forwarded-Host (a proxy passing the client's header
		// on) would move the checked URL into the grant's prefix while the
		// proxy serves another subject's file (security review).
		forwardedHost("cdn.site.com/temp/guest_abc123/x"),
		forwardedHost("cdn.site.com\\temp"),
		forwardedHost("cdn.site.com?x="),
		forwardedHost("cdn.site.com#"),
		forwardedHost("user@cdn.site.com"),
		forwardedHost("cdn.site.com%2ftemp"),
	} {
		wantProblem(t, h.verify(b, set), http.StatusBadRequest, "bad_original_url")
	}
	if n := h.counterSum("tokensvc_verifications_total", map[string]string{"outcome": "untrusted_proxy"}); n != 1 {
		t.Errorf("untrusted_proxy counted %v times", n)
	}
	text := readBody(h.do(httptest.NewRequest(http.MethodGet, "http://tokensvc.internal/metrics", nil)))
	if !strings.Contains(text, `tokensvc_verifications_total{cdn="none",outcome="bad_original_url"} 14`) {
		t.Errorf("verification outcomes not counted:\n%s", text)
	}
}

// forwardedHost is the X-Forwarded-* form of the original URL with host as
// X-Forwarded-Host, for another subject's file.
func forwardedHost(host string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", host)
		r.Header.Set("X-Original-URI", "/temp/guest_other/secret.jpg")
	}
}

// TestVerifyClientIPFromTheProxy: an IP-bound credential is checked against
// the address the trusted proxy reports, never one the client wrote first in
// X-Forwarded-For.
func TestVerifyClientIPFromTheProxy(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*http.Request)
		want string
	}{
		{"real ip", func(r *http.Request) { r.Header.Set("X-Real-IP", "203.0.113.7") }, "203.0.113.7"},
		{"last forwarded hop", func(r *http.Request) { r.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7") }, "203.0.113.7"},
		{"last of several headers", func(r *http.Request) {
			r.Header.Add("X-Forwarded-For", "198.51.100.1")
			r.Header.Add("X-Forwarded-For", "203.0.113.8")
		}, "203.0.113.8"},
		{"garbage", func(r *http.Request) { r.Header.Set("X-Forwarded-For", "not-an-ip") }, "invalid IP"},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://x/verify", nil)
		tt.set(r)
		if got := api.ClientIPForTest(r).String(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
