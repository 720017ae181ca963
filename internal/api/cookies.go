package api

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokensvc/tokensvc/internal/policy"
)

// cdnCookie is one CDN cookie and the format that made it.
type cdnCookie struct {
	format string
	name   string
	value  string
}

// The session cookie value is "<tier>.<43 base64url chars of 32 random
// bytes>". The tier letter ("g" guest, "u" user) is what lets /refresh say
// otp_required or login_required long after the store forgot the session;
// it is only a hint: the stored session is the authority while it lives,
// and a forged letter changes nothing but which hint a forger reads.
const (
	sessionIDRandLen = 32
	sessionValueLen  = 2 + 43
)

func tierOf(role policy.Role) byte {
	if role == policy.LoggedIn {
		return 'u'
	}
	return 'g'
}

// newSessionValue returns a fresh session cookie value for role.
func newSessionValue(role policy.Role) (string, error) {
	var raw [sessionIDRandLen]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	b := make([]byte, 0, sessionValueLen)
	b = append(b, tierOf(role), '.')
	b = base64.RawURLEncoding.AppendEncode(b, raw[:])
	return string(b), nil
}

// parseSessionValue checks the shape of a session cookie value and returns
// its tier letter. It accepts nothing but the exact shape newSessionValue
// makes.
func parseSessionValue(v string) (tier byte, ok bool) {
	if len(v) != sessionValueLen || (v[0] != 'g' && v[0] != 'u') || v[1] != '.' {
		return 0, false
	}
	for i := 2; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return 0, false
		}
	}
	return v[0], true
}

// maxSessionCookies bounds how many session cookie values one request looks
// at: the routes that use a session try them in order (see rolling), the
// routes that end sessions end them all. A browser holds one, two while a
// cookie Domain or Path setting changes over; more is somebody else's doing
// (another subdomain under a shared cookie Domain can plant its own value,
// with a longer Path so that it is sent first). The bound keeps one request
// from costing the store more than a few calls.
const maxSessionCookies = 8

// sessionCookieValues appends to ids the distinct well-formed session cookie
// values of r, in the order sent, at most maxSessionCookies of them; more
// says some were left out. Logout, revoke and a grant's replacement end them
// all: ending only the first would let a planted value shield the browser's
// real session from its logout. Past the bound it keeps the first half and
// the last half: a browser sends the most specific Path first, so planted
// values come first and the real cookie (the configured Path, the shortest
// that reaches tokensvc) last, and planting more values must not push the
// real one out.
func (a *API) sessionCookieValues(ids []string, r *http.Request) (_ []string, more bool) {
	const half = maxSessionCookies / 2
	var tail [half]string // ring of the latest values past the first half
	nTail := 0            // values that went into the ring
	a.scanSessionCookies(r, func(v string) bool {
		if slices.Contains(ids, v) || slices.Contains(tail[:min(nTail, half)], v) {
			return true
		}
		if len(ids) < half {
			ids = append(ids, v)
			return true
		}
		tail[nTail%half] = v
		nTail++
		return true
	})
	more = nTail > half
	for i := max(0, nTail-half); i < nTail; i++ {
		ids = append(ids, tail[i%half])
	}
	return ids, more
}

// scanSessionCookies calls yield with each well-formed value of the session
// cookie in r's Cookie headers (parseSessionValue), in order, until yield
// returns false. It
// scans the headers in place: net/http's parser allocates every cookie, and
// this is on the hot path of every grant and refresh.
func (a *API) scanSessionCookies(r *http.Request, yield func(value string) bool) {
	name := a.opt.Cookie.SessionName
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.Trim(part, " \t")
			n, v, found := strings.Cut(part, "=")
			if !found || n != name {
				continue
			}
			if _, ok := parseSessionValue(v); ok && !yield(v) {
				return
			}
		}
	}
}

// cookieScope is a cookie's Path and Domain ("": host-only).
type cookieScope struct{ path, domain string }

// cdnScope is where the CDN cookies go: to every image.
func (a *API) cdnScope() cookieScope {
	return cookieScope{a.opt.Cookie.Path, a.opt.Cookie.Domain}
}

// sessionScope is where the session cookie goes: only as far as the
// deployment needs it (SessionPath, SessionHostOnly).
func (a *API) sessionScope() cookieScope {
	co := &a.opt.Cookie
	if co.SessionHostOnly {
		return cookieScope{co.SessionPath, ""}
	}
	return cookieScope{co.SessionPath, co.Domain}
}

// appendSetCookie appends one Set-Cookie header value: the deployment's
// attributes, with Max-Age and Expires both saying when the cookie ends
// (Max-Age wins where supported; Expires serves old clients).
func (a *API) appendSetCookie(b []byte, sc cookieScope, name, value string, expires time.Time, maxAge int64) []byte {
	co := &a.opt.Cookie
	b = append(b, name...)
	b = append(b, '=')
	b = append(b, value...)
	b = append(b, "; Path="...)
	b = append(b, sc.path...)
	if sc.domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, sc.domain...)
	}
	b = append(b, "; Expires="...)
	b = appendHTTPDate(b, expires)
	b = append(b, "; Max-Age="...)
	b = strconv.AppendInt(b, maxAge, 10)
	if co.Secure {
		b = append(b, "; Secure"...)
	}
	if co.HTTPOnly {
		b = append(b, "; HttpOnly"...)
	}
	switch co.SameSite {
	case http.SameSiteStrictMode:
		b = append(b, "; SameSite=Strict"...)
	case http.SameSiteNoneMode:
		b = append(b, "; SameSite=None"...)
	default:
		b = append(b, "; SameSite=Lax"...)
	}
	return b
}

// maxAge is the whole seconds from now until expires, never negative.
func maxAge(now, expires time.Time) int64 {
	s := int64(expires.Sub(now) / time.Second)
	if s < 0 {
		return 0
	}
	return s
}

// setCookieNoStore marks a response that sets cookies as never cacheable,
// by browsers or by a CDN in front of tokensvc (reference/001: a CDN must
// not cache Set-Cookie).
func setCookieNoStore(h http.Header) { h["Cache-Control"] = hdrNoStoreSetCk }

// writeCookies sets the CDN cookies (all ending at expires) and, when
// session is not empty, tokensvc's own session cookie.
func (a *API) writeCookies(h http.Header, now time.Time, cookies []cdnCookie, expires time.Time, session string) {
	setCookieNoStore(h)
	h["Set-Cookie"] = a.setCookieValues(h["Set-Cookie"], now, cookies, expires, maxAge(now, expires), session)
}

// setCookieValues returns prior followed by the Set-Cookie values of
// cookies (Max-Age ma, all ending at expires) and, when session is not
// empty, of tokensvc's own session cookie. Every value is cut from one
// string built in one pooled buffer: a grant sets up to six cookies, and
// building each on its own cost a dozen allocations. The result's capacity
// is its length, so an append to it never writes into a shared array.
func (a *API) setCookieValues(prior []string, now time.Time, cookies []cdnCookie, expires time.Time, ma int64, session string) []string {
	bp := getBuf()
	defer putBuf(bp)
	b := *bp
	var ends [16]int
	n := 0
	cdn := a.cdnScope()
	for _, c := range cookies {
		if n == len(ends)-2 {
			break // no format sets more than four cookies; two are the session's
		}
		b = a.appendSetCookie(b, cdn, c.name, c.value, expires, ma)
		ends[n] = len(b)
		n++
	}
	if session != "" {
		if a.sessionScoped() {
			// First, so that a client keeping cookies by name alone ends
			// up with the new one.
			b = a.appendExpired(b, cdn, a.opt.Cookie.SessionName)
			ends[n] = len(b)
			n++
		}
		exp := now.Add(a.opt.Cookie.SessionMaxAge).Truncate(time.Second)
		b = a.appendSetCookie(b, a.sessionScope(), a.opt.Cookie.SessionName, session, exp, maxAge(now, exp))
		ends[n] = len(b)
		n++
	}
	*bp = b
	all := string(b)
	vals := make([]string, 0, len(prior)+n)
	vals = append(vals, prior...)
	start := 0
	for _, end := range ends[:n] {
		vals = append(vals, all[start:end])
		start = end
	}
	return vals
}

// renderedCookies are an issued's Set-Cookie values for one Max-Age.
type renderedCookies struct {
	maxAge int64
	vals   []string // shared: never written to
}

// writeIssued sets the CDN cookies of iss. The values rendered last are
// kept in iss and reused while their Max-Age still holds, that is within
// the same second: the refreshes of a page's storm share them as they
// share the signature.
func (a *API) writeIssued(h http.Header, iss *issued, now time.Time) {
	setCookieNoStore(h)
	ma := maxAge(now, iss.expires)
	rc := iss.rendered.Load()
	if rc == nil || rc.maxAge != ma {
		rc = &renderedCookies{maxAge: ma, vals: a.setCookieValues(nil, now, iss.cookies, iss.expires, ma, "")}
		iss.rendered.Store(rc)
	}
	if prior := h["Set-Cookie"]; len(prior) > 0 {
		h["Set-Cookie"] = append(prior[:len(prior):len(prior)], rc.vals...)
		return
	}
	h["Set-Cookie"] = rc.vals
}

// clearCookies expires every cookie a grant may have set: each CDN cookie
// name of every configured format and the session cookie, with the same
// Domain and Path so that the browser matches and drops them.
func (a *API) clearCookies(h http.Header) {
	a.clearCDNCookies(h)
	h.Add("Set-Cookie", string(a.appendExpired(nil, a.sessionScope(), a.opt.Cookie.SessionName)))
	if a.sessionScoped() {
		h.Add("Set-Cookie", string(a.appendExpired(nil, a.cdnScope(), a.opt.Cookie.SessionName)))
	}
}

// sessionScoped reports whether the session cookie has a scope of its own.
// A browser may then still hold one in the shared scope, set before the
// deployment scoped it (a cookie is its name, Domain and Path: the new one
// does not replace it). Grants and the clearing routes also expire that one,
// so it stops travelling with every image.
// A __Host- name never had a shared scope (browsers refuse it with a
// Domain), so there is nothing to expire.
func (a *API) sessionScoped() bool {
	return a.sessionScope() != a.cdnScope() && !hasPrefixFold(a.opt.Cookie.SessionName, "__Host-")
}

// hasPrefixFold is strings.HasPrefix without regard to ASCII case, as
// browsers match cookie name prefixes.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// clearCDNCookies expires each CDN cookie name of every configured format.
func (a *API) clearCDNCookies(h http.Header) {
	setCookieNoStore(h)
	cdn := a.cdnScope()
	for _, n := range a.cookieNames {
		h.Add("Set-Cookie", string(a.appendExpired(nil, cdn, n)))
	}
}

// appendExpired appends the Set-Cookie value that makes the browser drop
// its cookie name in scope sc: empty, Max-Age=0, expired at the epoch.
func (a *API) appendExpired(b []byte, sc cookieScope, name string) []byte {
	return a.appendSetCookie(b, sc, name, "", time.Unix(0, 0), 0)
}
