package signing

import (
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Grant is the access one set of CDN cookies grants: read access to every
// URL that starts with URLPrefix, until Expires.
//
// URLPrefix is absolute ("https://cdn.site.com/temp/guest_abc/"): scheme,
// host and a path that ends in "/". The trailing slash matters because Cloud
// CDN matches URLPrefix as a plain string prefix (reference/003: "the
// prefix's path is used as a text substring"), so "/temp/guest_ab1" would also
// unlock "/temp/guest_ab12/". Each format derives its own scope from it: the
// Cloud CDN URLPrefix, the Akamai ACL path + "*", the CloudFront wildcard
// resource, the Gotipath domain and path.
type Grant struct {
	URLPrefix string
	Expires   time.Time
}

// Cookie is one name/value pair as it goes into a Set-Cookie header: Value is
// already in its on-the-wire form (for Gotipath that is PHP's urlencoded
// form). Attributes (Domain, Path, Secure, HttpOnly, SameSite, Max-Age) belong
// to the deployment, not to the CDN format, and are added by the api package.
type Cookie struct {
	Name  string
	Value string
}

// Signer produces the cookies one CDN format needs to grant g. There is no
// clock inside a signer: the same grant always gives the same cookies (bar
// ECDSA, whose signatures are randomized), which keeps the golden vectors
// exact. Implementations are safe for concurrent use.
type Signer interface {
	// Format names the CDN format: "cloudcdn", "akamai", "cloudfront" or
	// "gotipath".
	Format() string
	// Sign returns the cookies that grant g, in a stable order.
	Sign(g Grant) ([]Cookie, error)
	// CookieNames lists every cookie name Sign may set, so that a logout can
	// clear them all even when a given grant did not set each one.
	CookieNames() []string
}

// Request is what a verifier checks: one request as the CDN edge (or the
// origin behind it) sees it.
type Request struct {
	// URL is the absolute request URL, "scheme://host/path?query", with the
	// path and query exactly as sent on the wire (still percent-encoded).
	// Verifiers compare bytes, as the CDNs do; nothing is normalised.
	URL string
	// Cookies holds the cookies the client sent, in header order. When a name
	// appears more than once, verifiers use the first, as a browser sends the
	// most specific cookie first (RFC 6265 section 5.4).
	Cookies []Cookie
	// ClientIP is the viewer's address; the zero value means unknown, and an
	// IP-bound credential then fails with ip_mismatch.
	ClientIP netip.Addr
}

// Cookie returns the value of the first cookie called name.
func (r *Request) Cookie(name string) (string, bool) {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// Verifier checks a request against one CDN format the way that CDN's edge
// does. Verify returns nil to accept, or a Reason. It never panics, whatever
// the input.
type Verifier interface {
	Format() string
	Verify(r *Request, now time.Time) error
}

// Reason says why a verifier rejected a request. It is an error, so callers
// can write errors.Is(err, signing.Expired), and it carries no detail on
// purpose: a rejection never echoes a signature, a key or a cookie value.
type Reason string

// The reasons a verifier gives. Their strings are stable: they appear in
// metrics labels, in `tokensvc verify` output and in logs.
const (
	// Missing: the request carries no credential of this format at all.
	Missing Reason = "missing"
	// Malformed: a credential is present but does not parse.
	Malformed Reason = "malformed"
	// UnknownKey: the credential names (or needs) a key this verifier lacks.
	UnknownKey Reason = "unknown_key"
	// BadSignature: the signature does not match the signed fields.
	BadSignature Reason = "bad_signature"
	// Expired: now is at or after the credential's end.
	Expired Reason = "expired"
	// NotYetValid: now is before the credential's start.
	NotYetValid Reason = "not_yet_valid"
	// ScopeMismatch: the URL is outside the prefix, ACL or resource signed.
	ScopeMismatch Reason = "scope_mismatch"
	// IPMismatch: the credential is bound to addresses that exclude the client.
	IPMismatch Reason = "ip_mismatch"
)

func (r Reason) Error() string { return "signing: rejected: " + string(r) }

// Reasons lists every Reason, in a fixed order (for metrics pre-registration).
var Reasons = []Reason{Missing, Malformed, UnknownKey, BadSignature, Expired, NotYetValid, ScopeMismatch, IPMismatch}

// ReasonOf returns the Reason behind err, or Malformed for any other error.
func ReasonOf(err error) Reason {
	var r Reason
	if errors.As(err, &r) {
		return r
	}
	return Malformed
}

// ParseCookieHeader splits a Cookie request header value ("a=1; b=2") into
// its pairs, in header order, the way a CDN edge reads them: split on ";",
// trim the optional whitespace (spaces and tabs, RFC 9110 OWS) around each
// pair, cut at the first "=". Values are kept byte for byte: no unquoting and
// no percent-decoding, because verifiers compare the exact bytes a browser
// sends (a Gotipath ss_policy arrives as "...%3D" and must stay so; net/http's
// parser drops or rewrites values it dislikes). Empty pairs (";;", a trailing
// ";") are skipped; a pair without "=" becomes a cookie with that name and an
// empty value.
func ParseCookieHeader(h string) []Cookie {
	var out []Cookie
	for part := range strings.SplitSeq(h, ";") {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		out = append(out, Cookie{Name: name, Value: value})
	}
	return out
}

// VerifyAny checks r with every verifier, as an origin serving several
// formats at once does (a site migrating between CDNs sends both cookies).
// It accepts when any format accepts and returns that format. Otherwise it
// reports the first rejection of a credential that was present, so an
// expired Akamai token is not hidden behind a missing Cloud CDN cookie;
// Missing only when no format found its credential. format names the
// verifier whose answer is returned ("" when none had a credential).
func VerifyAny(verifiers []Verifier, r *Request, now time.Time) (format string, err error) {
	var first error
	for _, v := range verifiers {
		e := v.Verify(r, now)
		if e == nil {
			return v.Format(), nil
		}
		if first == nil && ReasonOf(e) != Missing {
			first, format = e, v.Format()
		}
	}
	if first == nil {
		return "", Missing
	}
	return format, first
}

// hasDotSegment reports whether a path has a "." or ".." segment, reading
// "%2e" (any case) as '.', and "%2f", "%5c" and '\' as separators: those are
// the spellings an origin, an edge or a browser may resolve, which would move
// a request outside the prefix its credential was checked against (nginx
// serves /temp/guest_a/../guest_b/p.jpg as /temp/guest_b/p.jpg, while the
// raw URL still starts with /temp/guest_a/). Every verifier treats such a
// path as out of scope: no browser sends one.
func hasDotSegment(path string) bool {
	dots, other := 0, false // dots in the current segment; any other byte
	for i := 0; i <= len(path); i++ {
		var c byte = '/'
		if i < len(path) {
			c = path[i]
		}
		if c == '%' && i+2 < len(path) {
			switch strings.ToLower(path[i+1 : i+3]) {
			case "2e":
				c, i = '.', i+2
			case "2f", "5c":
				c, i = '/', i+2
			}
		}
		switch c {
		case '/', '\\':
			if !other && (dots == 1 || dots == 2) {
				return true
			}
			dots, other = 0, false
		case ';':
			// A path parameter: Tomcat, Jetty and Spring resolve "..;x" as
			// "..", so the name before ';' decides.
			if !other && (dots == 1 || dots == 2) {
				return true
			}
			other = true
		case '.':
			dots++
		default:
			other = true
		}
	}
	return false
}

// requestURLOK reports whether a request URL can be checked at all: no
// client sends a raw '#' (the fragment stays in the browser), and a server
// given one may resolve the path behind it differently from what a verifier
// compared (a file server cleans "/temp/a/#/../../b" into "/temp/b"), so a
// verifier refuses it outright.
func requestURLOK(u string) bool { return strings.IndexByte(u, '#') < 0 }

// urlPath returns the path of an absolute URL, "scheme://host/path?query":
// from the first '/' after the host up to '?', still encoded. (A '#' is not
// an end: verifiers refuse URLs holding one, see requestURLOK.)
func urlPath(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if _, rest, ok := strings.Cut(u, "://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
		return ""
	}
	return u
}

// globMatch reports whether s matches pattern, where '*' matches any run of
// bytes (also none, '/' included) and '?' exactly one byte: the wildcard
// rules of Akamai ACLs and CloudFront resources. It works on bytes because
// both match a request URL as sent, which is ASCII on the wire.
//
// It is iterative, backtracking only to the last '*' (a later '*' subsumes
// every choice an earlier one could make): O(len(pattern)*len(s)) at worst,
// no recursion to blow up on "*?*?*..." patterns.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ValidCookieName reports whether s is an RFC 6265 cookie-name: an RFC 2616
// token, i.e. visible ASCII without separators. (Shared by the Akamai token
// name and tokensvc's own session cookie name.)
func ValidCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// containsEither reports whether s holds the byte a or the byte b: two
// vectorized IndexByte scans, where strings.ContainsAny walks s a byte at a
// time (a tenth of a Cloud CDN signature, for its URL prefix check).
func containsEither(s string, a, b byte) bool {
	return strings.IndexByte(s, a) >= 0 || strings.IndexByte(s, b) >= 0
}
