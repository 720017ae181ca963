package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"
)

// The Gotipath signed cookie, as reference/002 (Gotipath's "Signed Cookies"
// page and its PHP sample) defines it:
//
//	ss_policy    = base64_encode("URL={domain}{path}:Expires={YmdHis}")
//	ss_signature = "0" . substr(hash_hmac('sha256', ss_policy, $secret), 0, 20)
//
// Three details are easy to get wrong, and each has a vector in
// testdata/vectors/gotipath.json:
//   - The HMAC message is the base64 TEXT of the policy, not the plain policy
//     (sign($policy, ...) is called after base64_encode).
//   - PHP's date('YmdHis') formats in the server's zone. The doc example was
//     issued in UTC (doc_example.findings), so tokensvc pins UTC.
//   - setcookie() urlencodes the value, so on the wire the padding "=" is
//     "%3D" (and "+", "/" are "%2B", "%2F"): see GotipathHeaderValue.
const (
	gotipathFormat          = "gotipath"
	gotipathPolicyCookie    = "ss_policy"
	gotipathSignatureCookie = "ss_signature"

	// gotipathMaxSecrets mirrors the other formats' rotation window: one key
	// signs, up to two older ones still verify.
	gotipathMaxSecrets = 3

	// gotipathStampLen is len("YYYYmmddHHMMSS"): PHP's 'YmdHis' always gives
	// four year digits for years 1000-9999 and zero-pads below, so the policy
	// suffix has a fixed length and can be parsed from the end even when the
	// path itself contains ":Expires=".
	gotipathStampLen = 14
	// gotipathSuffixLen is len(":Expires=") plus the stamp.
	gotipathSuffixLen = len(":Expires=") + gotipathStampLen

	// gotipathMACHexLen is the 20 hex characters the PHP sample keeps
	// (substr($hmac_str, 0, 20)): 80 bits of HMAC-SHA256.
	gotipathMACHexLen = 20
	// gotipathSigLen is "0" plus those 20 characters.
	gotipathSigLen = 1 + gotipathMACHexLen

	// gotipathMaxValue bounds the ss_policy value, on the wire and when
	// signing. Browsers keep cookies of at least 4096 bytes (RFC 6265 section
	// 6.1) and drop longer ones, so Sign refuses to issue a cookie no browser
	// would send back, and Verify refuses to decode and hash more than that.
	gotipathMaxValue = 4096
)

var (
	gotipathErrSecretCount = errors.New("signing: gotipath: need 1 to 3 secrets")
	gotipathErrEmptySecret = errors.New("signing: gotipath: empty secret")
	gotipathErrNilRand     = errors.New("signing: gotipath: nil random source")
	gotipathErrDomain      = errors.New("signing: gotipath: domain must be a non-empty host, with an optional :port, and no '/', '?' or '#'")
	gotipathErrPath        = errors.New("signing: gotipath: path must start with '/'")
	gotipathErrYear        = errors.New("signing: gotipath: expiry year outside 0000-9999 (YmdHis has four year digits)")
	gotipathErrTooLong     = errors.New("signing: gotipath: ss_policy would exceed 4096 bytes on the wire")
	gotipathErrPrefix      = errors.New("signing: gotipath: URL prefix must be scheme://host/path without query or fragment")
)

// gotipathB64 is standard, padded base64: PHP's base64_encode (reference/002).
// Strict() because a lenient decoder ignores non-zero trailing bits, and then
// two different cookie texts would decode to the same policy.
var gotipathB64 = base64.StdEncoding.Strict()

// Gotipath signs and verifies Gotipath signed cookies (ss_policy and
// ss_signature). The first secret signs; every secret verifies, so a secret
// can be rotated by adding the new one in front and dropping the old one once
// the cookies it signed have expired.
//
// A Gotipath is safe for concurrent use. It holds one sync.Pool per secret
// of keyed HMACs and scratch buffers: a reused HMAC skips re-deriving the
// inner and outer pads (two SHA-256 blocks) and the allocations of hmac.New.
// Measured on the typical grant (2-core dev VM): Sign 0.55 µs and 2 allocs,
// Verify 0.43 µs and none, against 1.1 µs and 11 allocs, 1.0 µs and 9 allocs
// with a new HMAC and buffer per call.
type Gotipath struct {
	n     int
	pools [gotipathMaxSecrets]sync.Pool
}

var _ Signer = (*Gotipath)(nil)
var _ Verifier = (*Gotipath)(nil)

// gotipathScratch is what one Sign or Verify borrows from a pool: an HMAC
// keyed with one secret, and buffers that would escape to the heap if they
// lived on the stack, because hash.Hash is an interface.
type gotipathScratch struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
	sig [gotipathSigLen]byte
}

// NewGotipath returns a Gotipath for 1 to 3 secrets, used as raw bytes (the
// PHP sample passes $SECRET to hash_hmac as a string). Read a secret file with
// ParseGotipathSecret first. The secrets are copied.
func NewGotipath(secrets ...[]byte) (*Gotipath, error) {
	if len(secrets) < 1 || len(secrets) > gotipathMaxSecrets {
		return nil, gotipathErrSecretCount
	}
	g := &Gotipath{n: len(secrets)}
	for i, s := range secrets {
		if len(s) == 0 {
			return nil, fmt.Errorf("%w (secret %d)", gotipathErrEmptySecret, i+1)
		}
		key := bytes.Clone(s)
		g.pools[i].New = func() any {
			return &gotipathScratch{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 512)}
		}
	}
	return g, nil
}

// Format returns "gotipath".
func (g *Gotipath) Format() string { return gotipathFormat }

// CookieNames returns ss_policy and ss_signature, the two name-value pairs of
// reference/002 ("a Gotipath signed cookie requires two name-value pairs").
func (g *Gotipath) CookieNames() []string {
	return []string{gotipathPolicyCookie, gotipathSignatureCookie}
}

// Sign returns the ss_policy and ss_signature cookies for gr, in that order.
// The policy URL is the host of gr.URLPrefix followed by its path, without
// the scheme, as in the PHP sample ("{$EDGE_DOMAIN}{$PATH_PREFIX}"). The
// ss_policy value is in its on-the-wire form (GotipathHeaderValue), as PHP's
// setcookie() would send it.
func (g *Gotipath) Sign(gr Grant) ([]Cookie, error) {
	domain, path, err := gotipathSplitPrefix(gr.URLPrefix)
	if err != nil {
		return nil, err
	}
	s := g.pools[0].Get().(*gotipathScratch)
	defer g.pools[0].Put(s)
	b64, sig, err := s.sign(domain, path, gr.Expires)
	if err != nil {
		return nil, err
	}
	// One string holds both values, so the two cookies cost one allocation.
	// sign grew s.buf for this tail, so appending does not move b64 or sig.
	start := len(s.buf)
	s.buf = gotipathAppendHeaderValue(s.buf, b64)
	n := len(s.buf) - start
	s.buf = append(s.buf, sig...)
	out := string(s.buf[start:])
	return []Cookie{
		{Name: gotipathPolicyCookie, Value: out[:n]},
		{Name: gotipathSignatureCookie, Value: out[n:]},
	}, nil
}

// SignCookie returns the ss_policy value as raw padded base64 (what PHP's
// base64_encode returns, before setcookie urlencodes it) and the ss_signature
// value, for the policy "URL={domain}{path}:Expires={YmdHis in UTC}".
//
// The domain must be a non-empty host with an optional ":port" and no '/'
// (the policy URL has no scheme: reference/002 joins $EDGE_DOMAIN and
// $PATH_PREFIX), and
// no '?' or '#', which would end the host of any request URL so that no
// request could ever match. The path must start with '/'. The year must fit
// the four digits of 'Y' (0000-9999). Sub-second parts of expires are
// dropped, as PHP's integer timestamps do, so the cookie expires at most one
// second early, never late.
func (g *Gotipath) SignCookie(domain, path string, expires time.Time) (policy, signature string, err error) {
	s := g.pools[0].Get().(*gotipathScratch)
	defer g.pools[0].Put(s)
	b64, sig, err := s.sign(domain, path, expires)
	if err != nil {
		return "", "", err
	}
	// sign left b64 and sig next to each other: one string, one allocation.
	out := string(s.buf[len(s.buf)-len(b64)-len(sig):])
	return out[:len(b64)], out[len(b64):], nil
}

// sign writes plain policy | base64 policy | signature into s.buf and
// returns the last two. It grows s.buf once, with room for the header value
// and a copy of the signature that Sign appends afterwards.
func (s *gotipathScratch) sign(domain, path string, expires time.Time) (b64, sig []byte, err error) {
	if !gotipathValidDomain(domain) {
		return nil, nil, fmt.Errorf("%w: %q", gotipathErrDomain, domain)
	}
	if len(path) == 0 || path[0] != '/' {
		return nil, nil, fmt.Errorf("%w: %q", gotipathErrPath, path)
	}
	expires = expires.UTC()
	if y := expires.Year(); y < 0 || y > 9999 {
		return nil, nil, gotipathErrYear
	}
	plainLen := len("URL=") + len(domain) + len(path) + gotipathSuffixLen
	b64Len := base64.StdEncoding.EncodedLen(plainLen)
	if b64Len > gotipathMaxValue {
		return nil, nil, gotipathErrTooLong
	}
	need := plainLen + b64Len + gotipathSigLen + 3*b64Len + gotipathSigLen
	if cap(s.buf) < need {
		s.buf = make([]byte, 0, need)
	}
	buf := gotipathAppendPolicy(s.buf[:0], domain, path, expires)
	buf = base64.StdEncoding.AppendEncode(buf, buf)
	b64 = buf[plainLen:]
	if gotipathHeaderValueLen(b64) > gotipathMaxValue {
		return nil, nil, gotipathErrTooLong
	}
	buf = append(buf, s.signature(b64)...)
	s.buf = buf
	return b64, buf[len(buf)-gotipathSigLen:], nil
}

// signature returns "0" + the first 20 lower-case hex characters of
// HMAC-SHA256(secret, b64): the PHP sample's sign($policy, $secret), where
// hash_hmac returns lower-case hex. The result lives in s.sig.
func (s *gotipathScratch) signature(b64 []byte) []byte {
	s.mac.Reset()
	s.mac.Write(b64)
	s.mac.Sum(s.sum[:0])
	s.sig[0] = '0'
	hex.Encode(s.sig[1:], s.sum[:gotipathMACHexLen/2])
	return s.sig[:]
}

// Verify checks the ss_policy and ss_signature cookies of r the way
// reference/002 says Gotipath's edge does: the signature first, then the
// expiry "at the time of the HTTP request", then the URL.
//
// Reasons, in the order they are checked:
//   - Missing: neither cookie is present. Malformed: only one is, or a value
//     is not in the exact form Sign produces (see below).
//   - BadSignature: no secret gives the signature. Gotipath cookies name no
//     key, so a cookie signed with a secret this verifier lacks cannot be told
//     apart from a forged one: Verify never returns UnknownKey.
//   - Malformed: the (authentic) policy is not exactly
//     "URL={domain}{path}:Expires={14 digits of a valid UTC date-time}".
//     The policy is decoded before the MAC check but only parsed after it,
//     so nothing unauthenticated is interpreted.
//   - Expired: now is at or after the policy's expiry. There is no start time
//     and no IP binding in this format, so never NotYetValid or IPMismatch.
//   - ScopeMismatch: host+path of r.URL (scheme dropped, query and fragment
//     ignored, bytes as sent) does not start with the policy's domain+path.
//     The match is a plain prefix, as the PHP sample's "allow everything
//     under this path": a path without a trailing slash also covers siblings
//     ("/user_42" covers "/user_420/").
//
// Every single-byte change of either value is rejected: ss_policy must be
// exactly the raw strict base64 text or exactly GotipathHeaderValue of it
// ("%3d" for "%3D" is Malformed), and ss_signature must be exactly "0" and
// 20 lower-case hex characters, compared as text in constant time.
func (g *Gotipath) Verify(r *Request, now time.Time) error {
	if r == nil {
		return Missing
	}
	if !requestURLOK(r.URL) {
		return Malformed
	}
	hostPath, ok := gotipathHostPath(r.URL)
	return g.check(r, now, hostPath, ok)
}

// check is Verify with the request URL already reduced to host+path (ok is
// false when r.URL is not absolute). It exists so the tests can check a
// credential whose path holds a '?', which no request URL can carry.
func (g *Gotipath) check(r *Request, now time.Time, hostPath string, hostPathOK bool) error {
	pv, hasPolicy := r.Cookie(gotipathPolicyCookie)
	sv, hasSig := r.Cookie(gotipathSignatureCookie)
	switch {
	case !hasPolicy && !hasSig:
		return Missing
	case !hasPolicy || !hasSig:
		return Malformed
	}
	if len(pv) == 0 || len(pv) > gotipathMaxValue || !gotipathSignatureSyntax(sv) {
		return Malformed
	}

	s := g.pools[0].Get().(*gotipathScratch)
	defer g.pools[0].Put(s)
	need := len(pv) + base64.StdEncoding.DecodedLen(len(pv))
	if cap(s.buf) < need {
		s.buf = make([]byte, 0, need)
	}
	b64, ok := gotipathAppendUnwire(s.buf[:0], pv)
	if !ok {
		return Malformed
	}
	plain := b64[len(b64):cap(b64)]
	n, err := gotipathB64.Decode(plain, b64)
	if err != nil {
		return Malformed
	}
	plain = plain[:n]

	if !g.signatureMatches(s, b64, sv) {
		return BadSignature
	}

	scope, expires, ok := gotipathParsePolicy(plain)
	if !ok {
		return Malformed
	}
	if !now.Before(expires) {
		return Expired
	}
	// A dot segment would let a server resolve the path outside the scope
	// after this check passed (hasDotSegment).
	if !hostPathOK || len(hostPath) < len(scope) || hostPath[:len(scope)] != string(scope) || gotipathDotSegment(hostPath) {
		return ScopeMismatch
	}
	return nil
}

// signatureMatches reports whether any secret signs b64 as sv. s is the
// scratch of the first secret, already borrowed by the caller.
func (g *Gotipath) signatureMatches(s *gotipathScratch, b64 []byte, sv string) bool {
	if hmac.Equal(s.signature(b64), []byte(sv)) {
		return true
	}
	for i := 1; i < g.n; i++ {
		o := g.pools[i].Get().(*gotipathScratch)
		eq := hmac.Equal(o.signature(b64), []byte(sv))
		g.pools[i].Put(o)
		if eq {
			return true
		}
	}
	return false
}

// ParseGotipathSecret reads a secret file: its content is the secret, used as
// raw bytes, minus one trailing "\n" or "\r\n" (what an editor or `echo`
// adds). Nothing else is trimmed, since Gotipath's console secret is an
// opaque string. (So a secret that itself ends in '\r' must be written with
// "\r\n" after it.) An empty secret is rejected. The error never contains
// the file's bytes.
func ParseGotipathSecret(data []byte) ([]byte, error) {
	s := data
	if n := len(s); n >= 2 && s[n-2] == '\r' && s[n-1] == '\n' {
		s = s[:n-2]
	} else if n >= 1 && s[n-1] == '\n' {
		s = s[:n-1]
	}
	if len(s) == 0 {
		return nil, gotipathErrEmptySecret
	}
	return bytes.Clone(s), nil
}

// GenerateGotipathSecret returns a new secret file: 32 random bytes as 64
// lower-case hex characters and "\n". The secret is the hex TEXT (the PHP
// sample keys its HMAC with the string as is), printable so that an operator
// can paste it into Gotipath's Access Control tab; 64 hex characters carry
// 256 bits.
func GenerateGotipathSecret(rand io.Reader) ([]byte, error) {
	if rand == nil {
		return nil, gotipathErrNilRand
	}
	var raw [32]byte
	defer clear(raw[:])
	if _, err := io.ReadFull(rand, raw[:]); err != nil {
		return nil, fmt.Errorf("signing: gotipath: generate secret: %w", err)
	}
	out := hex.AppendEncode(make([]byte, 0, 2*len(raw)+1), raw[:])
	return append(out, '\n'), nil
}

// GotipathHeaderValue returns v as PHP's setcookie() sends it: urlencode()d,
// which keeps only A-Z a-z 0-9 - _ . , turns ' ' into '+', and writes every
// other byte as '%' and two upper-case hex digits ('~' too, unlike
// rawurlencode). For a base64 policy that means "=" -> "%3D", "+" -> "%2B",
// "/" -> "%2F": reference/002's example cookie ends in "%3D".
func GotipathHeaderValue(v string) string {
	if gotipathHeaderValueLen(v) == len(v) && strings.IndexByte(v, ' ') < 0 {
		return v
	}
	return string(gotipathAppendHeaderValue(make([]byte, 0, gotipathHeaderValueLen(v)), v))
}

// gotipathUnreserved reports whether PHP's urlencode keeps c as is.
func gotipathUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}

// gotipathHeaderValueLen is len(GotipathHeaderValue(v)).
func gotipathHeaderValueLen[T string | []byte](v T) int {
	n := len(v)
	for i := 0; i < len(v); i++ {
		if c := v[i]; !gotipathUnreserved(c) && c != ' ' {
			n += 2
		}
	}
	return n
}

// gotipathAppendHeaderValue appends PHP's urlencode(v) to dst.
func gotipathAppendHeaderValue[T string | []byte](dst []byte, v T) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case gotipathUnreserved(c):
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// gotipathAppendUnwire appends the base64 text behind an ss_policy value to
// dst. It accepts exactly two spellings of a text t over the base64 alphabet:
// t itself (a client that stores the raw value) and GotipathHeaderValue(t)
// (what setcookie sends). In the second, '+', '/' and '=' appear only as
// "%2B", "%2F", "%3D" and never raw; lower-case escapes or a mix of both
// spellings are rejected, so no two accepted values give the same text.
func gotipathAppendUnwire(dst []byte, v string) ([]byte, bool) {
	escaped := strings.IndexByte(v, '%') >= 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			dst = append(dst, c)
		case c == '+' || c == '/' || c == '=':
			if escaped {
				return dst, false
			}
			dst = append(dst, c)
		case c == '%' && i+2 < len(v):
			switch v[i+1 : i+3] {
			case "2B":
				dst = append(dst, '+')
			case "2F":
				dst = append(dst, '/')
			case "3D":
				dst = append(dst, '=')
			default:
				return dst, false
			}
			i += 2
		default:
			return dst, false
		}
	}
	return dst, true
}

// gotipathSignatureSyntax reports whether v is "0" and 20 lower-case hex
// characters: hash_hmac returns lower-case hex, and the text is compared as
// is, so "0ABC..." is Malformed rather than decoded to the same bytes.
func gotipathSignatureSyntax(v string) bool {
	if len(v) != gotipathSigLen || v[0] != '0' {
		return false
	}
	for i := 1; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// gotipathValidDomain is the domain rule shared by SignCookie and the policy
// parser, so that Verify accepts exactly the policies SignCookie can write.
//
// A ":port" suffix (1 to 5 digits) is allowed: the edge compares the
// request's host as sent, and a CDN (or tokensvc's dev edge) reached on a
// non-default port is sent "host:port".
func gotipathValidDomain[T string | []byte](d T) bool {
	host := d
	for i := len(d) - 1; i >= 0; i-- {
		if d[i] == ':' {
			port := d[i+1:]
			if len(port) == 0 || len(port) > 5 {
				return false
			}
			for j := 0; j < len(port); j++ {
				if port[j] < '0' || port[j] > '9' {
					return false
				}
			}
			host = d[:i]
			break
		}
	}
	if len(host) == 0 {
		return false
	}
	for i := 0; i < len(host); i++ {
		switch host[i] {
		case '/', ':', '?', '#':
			return false
		}
	}
	return true
}

// gotipathAppendPolicy appends the plain policy of reference/002,
// "URL={domain}{path}:Expires={YmdHis}", to dst. t must be in UTC with a
// year in 0000-9999.
func gotipathAppendPolicy(dst []byte, domain, path string, t time.Time) []byte {
	dst = append(dst, "URL="...)
	dst = append(dst, domain...)
	dst = append(dst, path...)
	dst = append(dst, ":Expires="...)
	return gotipathAppendStamp(dst, t)
}

// gotipathAppendStamp appends t as PHP's date('YmdHis'), taken in UTC:
// year (4 digits), month, day, hour (00-23), minute, second (2 digits each).
// t's year must be in 0000-9999.
func gotipathAppendStamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	dst = append(dst, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10))
	for _, v := range [...]int{int(month), day, hour, minute, second} {
		dst = append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	return dst
}

// gotipathParseStamp parses 14 digits as a UTC date-time, accepting only
// what gotipathAppendStamp writes: a real calendar day, hour 00-23, no leap
// second. A "20260230..." is rejected, not normalised to March 2nd.
func gotipathParseStamp(b []byte) (time.Time, bool) {
	if len(b) != gotipathStampLen {
		return time.Time{}, false
	}
	var f [6]int
	widths := [6]int{4, 2, 2, 2, 2, 2}
	pos := 0
	for k, w := range widths {
		for _, c := range b[pos : pos+w] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			f[k] = f[k]*10 + int(c-'0')
		}
		pos += w
	}
	year, month, day, hour, minute, second := f[0], f[1], f[2], f[3], f[4], f[5]
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC)
	if t.Day() != day { // day past the end of the month rolled over
		return time.Time{}, false
	}
	return t, true
}

// gotipathParsePolicy parses "URL={domain}{path}:Expires={14 digits}" and
// returns domain+path (a subslice of p) and the expiry. The suffix has a fixed
// length, so it is cut from the end: a path may itself contain ":Expires=".
// It accepts exactly the policies gotipathAppendPolicy writes for a valid
// domain and path.
func gotipathParsePolicy(p []byte) (scope []byte, expires time.Time, ok bool) {
	const minLen = len("URL=") + len("d/") + gotipathSuffixLen
	if len(p) < minLen || string(p[:len("URL=")]) != "URL=" {
		return nil, time.Time{}, false
	}
	tail := p[len(p)-gotipathSuffixLen:]
	if string(tail[:len(":Expires=")]) != ":Expires=" {
		return nil, time.Time{}, false
	}
	expires, ok = gotipathParseStamp(tail[len(":Expires="):])
	if !ok {
		return nil, time.Time{}, false
	}
	scope = p[len("URL=") : len(p)-gotipathSuffixLen]
	slash := bytes.IndexByte(scope, '/')
	if slash < 0 || !gotipathValidDomain(scope[:slash]) {
		return nil, time.Time{}, false
	}
	return scope, expires, true
}

// gotipathDotSegment reports whether the path of host+path has a dot
// segment.
func gotipathDotSegment(hostPath string) bool {
	i := strings.IndexByte(hostPath, '/')
	return i >= 0 && hasDotSegment(hostPath[i:])
}

// gotipathHostPath returns host+path of an absolute URL: what follows
// "scheme://", up to the first '?' or '#'. The scheme is dropped because the
// policy URL has none (reference/002: "{$EDGE_DOMAIN}{$PATH_PREFIX}"). Bytes
// are kept as sent: no case folding, no percent-decoding, no dot-segment
// removal, so a port, user info or upper-case host simply fails to match.
func gotipathHostPath(u string) (string, bool) {
	i := strings.Index(u, "://")
	if i <= 0 {
		return "", false
	}
	for j := 0; j < i; j++ { // RFC 3986 section 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
		c := u[j]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", false
		}
	}
	rest := u[i+len("://"):]
	if k := strings.IndexAny(rest, "?#"); k >= 0 {
		rest = rest[:k]
	}
	return rest, true
}

// gotipathSplitPrefix splits a Grant's URLPrefix into the policy's domain
// (the host, without scheme) and path. A query or fragment is refused rather
// than signed: Verify ignores them in the request, so a prefix holding one
// could never match.
func gotipathSplitPrefix(prefix string) (domain, path string, err error) {
	hostPath, ok := gotipathHostPath(prefix)
	if !ok || containsEither(prefix, '?', '#') {
		return "", "", gotipathErrPrefix
	}
	slash := strings.IndexByte(hostPath, '/')
	if slash < 0 || hasDotSegment(hostPath[slash:]) {
		return "", "", gotipathErrPrefix
	}
	return hostPath[:slash], hostPath[slash:], nil
}
