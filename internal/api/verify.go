package api

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// Origin verification. Google's docs: "signed requests must always be
// validated at the origin" (reference/003), because an origin can be
// reached around the CDN and may serve signed and unsigned content.
// GET /verify is the forward-auth hook for nginx auth_request (and any proxy
// with one): it rebuilds the URL the client asked for, checks it with the
// verifier of every configured format and answers 204 or 403.

// errUntrustedProxy: only the configured proxies may tell tokensvc which URL
// to check; anyone else could ask it to vouch for any URL.
func errUntrustedProxy() *Problem {
	return problem(http.StatusForbidden, "untrusted_proxy", "Not a trusted proxy",
		"only the proxies in TOKENSVC_TRUSTED_PROXIES may call /verify")
}

func errBadOriginalURL(detail string) *Problem {
	return problem(http.StatusBadRequest, "bad_original_url", "Original URL missing or malformed", detail)
}

func errAccessDenied(reason signing.Reason) *Problem {
	return problem(http.StatusForbidden, "access_denied", "Access denied",
		"the request's signed cookie or URL does not grant this URL: "+string(reason))
}

// verifiers returns the verifier of every configured format.
func (a *API) verifiers() []signing.Verifier {
	out := make([]signing.Verifier, 0, len(a.signers))
	for _, s := range a.signers {
		if v, ok := s.(signing.Verifier); ok {
			out = append(out, v)
		}
	}
	return out
}

// trusted reports whether the peer of r may speak for the client.
func (a *API) trusted(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.opt.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// originalURL rebuilds the URL the client asked the proxy for, from
// X-Original-URL, or X-Forwarded-Proto + X-Forwarded-Host + X-Original-URI.
//
// Both at once is refused: a proxy sets one form, so the other came from
// the client through a proxy that passes client headers on (Traefik's
// forward auth does by default), and letting X-Original-URL win would let a
// client choose which URL gets checked. Each header must appear once.
func originalURL(r *http.Request) (string, error) {
	for _, h := range []string{"X-Original-URL", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Original-URI"} {
		if len(r.Header.Values(h)) > 1 {
			return "", errBadOriginalURL(h + " appears more than once")
		}
	}
	proto, host, uri := header(r.Header, "X-Forwarded-Proto"), header(r.Header, "X-Forwarded-Host"), header(r.Header, "X-Original-Uri")
	if u := header(r.Header, "X-Original-Url"); u != "" {
		if proto != "" || host != "" || uri != "" {
			return "", errBadOriginalURL("send X-Original-URL or the X-Forwarded-* form, not both")
		}
		if err := checkAbsolute(u); err != nil {
			return "", err
		}
		return u, nil
	}
	if proto == "" && host == "" && uri == "" {
		return "", errBadOriginalURL("send X-Original-URL, or X-Forwarded-Proto, X-Forwarded-Host and X-Original-URI")
	}
	if proto != "http" && proto != "https" {
		return "", errBadOriginalURL("X-Forwarded-Proto must be http or https")
	}
	if !strings.HasPrefix(uri, "/") {
		return "", errBadOriginalURL("X-Original-URI must start with /")
	}
	// The host must be only a host[:port]: a path in it would be glued in
	// front of the real one, and a credential for /temp/guest_a/ would be
	// checked against "host/temp/guest_a/x" + the other subject's URI
	// (found by a review).
	if host == "" || strings.ContainsAny(host, "/\\?#@%") {
		return "", errBadOriginalURL("X-Forwarded-Host must be a host, with an optional port")
	}
	u := proto + "://" + host + uri
	// With none of those bytes, the host url.Parse finds in u is host
	// itself (FuzzOriginalURL checks it).
	if err := checkAbsolute(u); err != nil {
		return "", err
	}
	return u, nil
}

// checkAbsolute accepts an absolute http(s) URL with a host and nothing a
// request line could not carry.
func checkAbsolute(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return errBadOriginalURL("the original URL holds a space or a control character")
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errBadOriginalURL("the original URL must be an absolute http(s) URL without user info or fragment")
	}
	return nil
}

// clientIP is the viewer's address as the trusted proxy reports it:
// X-Real-IP, else the last X-Forwarded-For hop (the one the trusted proxy
// appended; the hops before it are whatever the client wrote). Zero when
// unknown.
func clientIP(r *http.Request) netip.Addr {
	v := header(r.Header, "X-Real-Ip")
	if v == "" {
		xff := r.Header.Values("X-Forwarded-For")
		if len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			v = last
		}
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// getVerify answers a forward-auth subrequest: 204 when the original URL is
// granted by the request's cookies (or signed URL), 403 otherwise. Neither
// answer may be cached: a 403 must not outlive a refresh, a 204 must not
// outlive the cookie.
func (a *API) getVerify(w http.ResponseWriter, r *http.Request) {
	if !a.trusted(r) {
		a.metrics.inc2(a.metrics.verifications, "none", "untrusted_proxy")
		a.render(w, r, errUntrustedProxy())
		return
	}
	u, err := originalURL(r)
	if err != nil {
		a.metrics.inc2(a.metrics.verifications, "none", "bad_original_url")
		a.render(w, r, err)
		return
	}
	req := &signing.Request{URL: u, Cookies: signing.ParseCookieHeader(strings.Join(r.Header.Values("Cookie"), "; ")), ClientIP: clientIP(r)}
	format, err := signing.VerifyAny(a.verifiers(), req, a.now())
	if format == "" {
		format = "none"
	}
	if err != nil {
		reason := signing.ReasonOf(err)
		a.metrics.inc2(a.metrics.verifications, format, string(reason))
		w.Header().Set("X-Tokensvc-Reason", string(reason))
		a.render(w, r, errAccessDenied(reason))
		return
	}
	a.metrics.inc2(a.metrics.verifications, format, "valid")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
