package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Akamai EdgeAuth, Auth Token 2.0 (reference/000, the Akamai half: "Auth
// Token 2.0 Verification", token location Cookie, a hex "Encryption Key").
//
// A token is a list of name=value fields joined by a field delimiter ('~'):
//
//	ip=203.0.113.7~st=1767225600~exp=1767226800~acl=/temp/guest_abc123/*~hmac=<hex>
//
// The HMAC input (the "hash source") is the same fields without hmac=, plus
// url= for URL tokens and then salt=; the URL and the salt are hashed but never
// appear in the token (testdata README, akamai_edgeauth.json; the same in npm
// akamai-edgeauth@0.2.0 and akamai/EdgeAuth-Token-Python). Every byte-level
// choice below is pinned by a vector in testdata/vectors/akamai_edgeauth.json.

// The field names, in the only order a token may carry them (vector
// acl_ip_far_future shows ip, st, exp, acl; acl_session_id_payload_* show
// acl, id, data). The verifier rejects any other name, a repeat or another
// order, so one set of fields has exactly one text.
const (
	akamaiFieldIP = iota
	akamaiFieldST
	akamaiFieldExp
	akamaiFieldACL
	akamaiFieldID
	akamaiFieldData
	akamaiFieldHMAC
)

var akamaiFieldNames = [...]string{"ip", "st", "exp", "acl", "id", "data", "hmac"}

// AkamaiOptions mirrors the EdgeAuth settings that change the bytes of a
// token. Zero values mean the EdgeAuth defaults; the edge property must be
// configured with the same values (token name, algorithm, delimiters, salt,
// escape early), or every token fails there.
type AkamaiOptions struct {
	// TokenName is the cookie (or query parameter) that carries the token.
	// Default "__token__", the EdgeAuth default (vector cookie fields).
	TokenName string
	// Algorithm is the HMAC hash: "sha256" (default), "sha1" or "md5",
	// case-insensitive as in EdgeAuth (vectors acl_sha1, acl_md5).
	Algorithm string
	// FieldDelimiter joins the fields; default '~'.
	FieldDelimiter byte
	// ACLDelimiter joins several ACLs in acl=; default '!'
	// (vector acl_multi_bang_delimiter).
	ACLDelimiter byte
	// EscapeEarly percent-escapes ip, id, data and url before hashing (never
	// the ACL); see akamaiAppendEscape.
	EscapeEarly bool
	// Salt is hashed as a last salt= field but never sent (vector
	// url_salt_sha1). Empty means no salt field at all.
	Salt string
}

// Akamai signs and verifies EdgeAuth 2.0 tokens. The first key signs; any key
// verifies (an EdgeAuth token names no key, so the verifier tries each in
// turn). It is safe for concurrent use.
type Akamai struct {
	name        string
	fieldDelim  byte
	aclDelim    byte
	escapeEarly bool
	salt        string
	newHash     func() hash.Hash
	hexLen      int // length of the hex MAC for the algorithm
	keys        [][]byte
	// states pools *akamaiState. A keyed HMAC costs several allocations to
	// build and is not safe for concurrent use; the benchmark chose a pool
	// over a new HMAC per call (see benchSignAkamai).
	states sync.Pool
}

var _ Signer = (*Akamai)(nil)
var _ Verifier = (*Akamai)(nil)

// akamaiState is one pooled set of keyed HMACs (one per key, in key order)
// plus scratch space, so that Sign and Verify only hash and encode.
type akamaiState struct {
	macs []hash.Hash
	buf  []byte // hash source, then the token
	url  []byte // the request URL before escaping (Verify)
	sum  [sha256.Size]byte
	hex  [2 * sha256.Size]byte
	got  [2 * sha256.Size]byte
}

// akamaiMaxKeys is the number of keys a verifier accepts: the current key and
// up to two older ones during a rotation (the same limit Cloud CDN sets per
// backend, reference/003).
const akamaiMaxKeys = 3

// akamaiMinKeyLen is the shortest key accepted: 16 bytes (32 hex digits), the
// length of the shortest key in the vectors. A shorter HMAC key is guessable.
const akamaiMinKeyLen = 16

// NewAkamai checks opts and the keys once, so that Sign only encodes and
// hashes. It takes 1 to 3 raw keys (hex-decoded, see ParseAkamaiKey): the
// first signs, any verifies.
func NewAkamai(opts AkamaiOptions, keys ...[]byte) (*Akamai, error) {
	a := &Akamai{
		name:        opts.TokenName,
		fieldDelim:  opts.FieldDelimiter,
		aclDelim:    opts.ACLDelimiter,
		escapeEarly: opts.EscapeEarly,
		salt:        opts.Salt,
	}
	if a.name == "" {
		a.name = "__token__"
	}
	if a.fieldDelim == 0 {
		a.fieldDelim = '~'
	}
	if a.aclDelim == 0 {
		a.aclDelim = '!'
	}
	if !ValidCookieName(a.name) {
		return nil, errors.New("signing: akamai: token name is not a valid cookie name")
	}
	if !akamaiValidDelimiter(a.fieldDelim) {
		return nil, errors.New("signing: akamai: field delimiter must be printable ASCII, not a letter, digit, '=', '\"', ',', ';' or '\\'")
	}
	if !akamaiValidDelimiter(a.aclDelim) {
		return nil, errors.New("signing: akamai: ACL delimiter must be printable ASCII, not a letter, digit, '=', '\"', ',', ';' or '\\'")
	}
	if a.fieldDelim == a.aclDelim {
		return nil, errors.New("signing: akamai: field and ACL delimiters must differ")
	}
	switch strings.ToLower(opts.Algorithm) {
	case "", "sha256":
		a.newHash = sha256.New
	case "sha1":
		a.newHash = sha1.New
	case "md5":
		a.newHash = md5.New
	default:
		return nil, errors.New("signing: akamai: algorithm must be sha256, sha1 or md5")
	}
	a.hexLen = 2 * a.newHash().Size()
	if len(keys) == 0 || len(keys) > akamaiMaxKeys {
		return nil, errors.New("signing: akamai: need 1 to 3 keys")
	}
	for i, k := range keys {
		if len(k) < akamaiMinKeyLen {
			return nil, errors.New("signing: akamai: key " + strconv.Itoa(i+1) + " is shorter than 16 bytes")
		}
		a.keys = append(a.keys, bytes.Clone(k))
	}
	a.states.New = func() any {
		s := &akamaiState{buf: make([]byte, 0, 256)}
		for _, k := range a.keys {
			s.macs = append(s.macs, hmac.New(a.newHash, k))
		}
		return s
	}
	return a, nil
}

// akamaiValidDelimiter accepts printable ASCII that cannot be confused with
// the token's own syntax: letters and digits occur in field names and hex
// MACs, '=' separates name and value, and '"' ',' ';' '\' cannot appear in a
// cookie value (RFC 6265 cookie-octet), where Sign puts the token.
func akamaiValidDelimiter(c byte) bool {
	switch {
	case c <= ' ' || c >= 0x7f:
		return false
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	}
	return strings.IndexByte("=\",;\\", c) < 0
}

// Format returns "akamai".
func (a *Akamai) Format() string { return "akamai" }

// CookieNames returns the token name: Sign sets one cookie.
func (a *Akamai) CookieNames() []string { return []string{a.name} }

// Sign returns one cookie, named after the token, holding an ACL token for
// (path of g.URLPrefix) + "*" that ends at g.Expires, without st= (the shape
// of vector acl_end_only_no_st_field): a grant starts when it is issued, and
// a start time would only add a clock-skew failure at the edge.
//
// The ACL is not escaped, even with EscapeEarly (vector
// acl_session_id_payload_escape_early), so the path goes into the cookie
// verbatim and must already be cookie-safe; it must end in "/" so that
// "/temp/guest_ab1/*" cannot unlock "/temp/guest_ab12/" (see Grant), and must
// hold no '*' or '?', which the edge would read as wildcards.
func (a *Akamai) Sign(g Grant) ([]Cookie, error) {
	path, err := a.grantPath(g.URLPrefix)
	if err != nil {
		return nil, err
	}
	exp := g.Expires.Unix()
	if g.Expires.IsZero() || exp <= 0 {
		return nil, errors.New("signing: akamai: grant has no expiry after 1970")
	}
	s := a.states.Get().(*akamaiState)
	b := append(s.buf[:0], "exp="...)
	b = strconv.AppendInt(b, exp, 10)
	b = append(b, a.fieldDelim)
	b = append(b, "acl="...)
	b = append(b, path...)
	b = append(b, '*')
	b = a.seal(s, b, len(b))
	tok := string(b)
	s.buf = b[:0]
	a.states.Put(s)
	return []Cookie{{Name: a.name, Value: tok}}, nil
}

// grantPath returns the path of an absolute grant prefix after checking that
// it can go into an ACL and a cookie value unchanged.
func (a *Akamai) grantPath(prefix string) (string, error) {
	i := strings.Index(prefix, "://")
	if i <= 0 {
		return "", errors.New("signing: akamai: grant prefix is not an absolute URL")
	}
	rest := prefix[i+3:]
	j := strings.IndexByte(rest, '/')
	if j <= 0 {
		return "", errors.New("signing: akamai: grant prefix needs a host and a path")
	}
	path := rest[j:]
	if hasDotSegment(path) {
		return "", errors.New("signing: akamai: grant prefix path has a dot segment")
	}
	if path[len(path)-1] != '/' {
		return "", errors.New("signing: akamai: grant prefix path must end in /")
	}
	for k := 0; k < len(path); k++ {
		c := path[k]
		if c <= ' ' || c >= 0x7f || c == a.fieldDelim || c == a.aclDelim ||
			strings.IndexByte("\",;\\*?#", c) >= 0 {
			return "", errors.New("signing: akamai: grant prefix path has a byte an ACL cookie cannot carry")
		}
	}
	return path, nil
}

// seal computes the MAC of the fields in b[:n] (plus salt=, when set, which
// is hashed but never sent) with the signing key, and returns b[:n] followed
// by "~hmac=" and the lower-case hex MAC. b[n:] may already hold url=, which
// is hashed and dropped the same way.
func (a *Akamai) seal(s *akamaiState, b []byte, n int) []byte {
	if a.salt != "" {
		b = append(b, a.fieldDelim)
		b = append(b, "salt="...)
		b = append(b, a.salt...)
	}
	m := s.macs[0]
	m.Reset()
	m.Write(b)
	sum := m.Sum(s.sum[:0])
	b = append(b[:n], a.fieldDelim)
	b = append(b, "hmac="...)
	return hex.AppendEncode(b, sum)
}

// AkamaiTokenParams describes one token, as the EdgeAuth libraries take it.
// Exactly one of ACL and URL is set.
type AkamaiTokenParams struct {
	// ACL lists path patterns ('*' any run, '?' one byte), joined by the ACL
	// delimiter into acl=.
	ACL []string
	// URL is the one path (and query) a URL token is good for. It is hashed
	// but not sent: the edge hashes the request URL instead.
	URL string
	// Start, when not zero, becomes st=: the token is not valid before it.
	Start time.Time
	// End becomes exp= (exclusive).
	End time.Time
	// Window is used when End is zero: exp = Start + Window, in whole
	// seconds (vector acl_guest_start_plus_window). Counting a window from
	// "now" is the caller's job: there is no clock here.
	Window time.Duration
	// IP, SessionID and Payload become ip=, id= and data= when not empty.
	IP, SessionID, Payload string
}

// Token returns the token text for p (the value of the cookie or query
// parameter), byte for byte as npm akamai-edgeauth@0.2.0 builds it.
func (a *Akamai) Token(p AkamaiTokenParams) (string, error) {
	s := a.states.Get().(*akamaiState)
	defer a.states.Put(s)
	b, n, err := a.appendHashSource(s.buf[:0], &p)
	if err != nil {
		return "", err
	}
	b = a.seal(s, b, n)
	s.buf = b[:0]
	return string(b), nil
}

// HashSource returns the exact bytes the token for p is an HMAC of: the
// token's fields without hmac=, then url= (URL tokens) and salt= (vectors'
// hash_source).
func (a *Akamai) HashSource(p AkamaiTokenParams) (string, error) {
	b, _, err := a.appendHashSource(nil, &p)
	if err != nil {
		return "", err
	}
	if a.salt != "" {
		b = append(b, a.fieldDelim)
		b = append(b, "salt="...)
		b = append(b, a.salt...)
	}
	return string(b), nil
}

// appendHashSource checks p and appends its fields in token order (ip, st,
// exp, acl, id, data); n is where the token fields end. For a URL token it
// then appends url=, which is hashed but not sent. Salt is left to the caller.
func (a *Akamai) appendHashSource(b []byte, p *AkamaiTokenParams) (_ []byte, n int, err error) {
	if (len(p.ACL) == 0) == (p.URL == "") {
		return nil, 0, errors.New("signing: akamai: need exactly one of ACL and URL")
	}
	for _, acl := range p.ACL {
		if acl == "" || strings.IndexByte(acl, a.aclDelim) >= 0 || strings.IndexByte(acl, a.fieldDelim) >= 0 {
			return nil, 0, errors.New("signing: akamai: an ACL is empty or holds a delimiter")
		}
	}
	var st, exp int64
	hasSt := !p.Start.IsZero()
	if hasSt {
		// EdgeAuth omits st= for a start of 0 and rejects a negative one.
		if st = p.Start.Unix(); st <= 0 {
			return nil, 0, errors.New("signing: akamai: start must be after 1970")
		}
	}
	switch {
	case !p.End.IsZero():
		if exp = p.End.Unix(); exp <= 0 {
			return nil, 0, errors.New("signing: akamai: end must be after 1970")
		}
	case hasSt && p.Window > 0:
		if p.Window%time.Second != 0 {
			return nil, 0, errors.New("signing: akamai: window must be whole seconds")
		}
		w := int64(p.Window / time.Second)
		if st > math.MaxInt64-w {
			return nil, 0, errors.New("signing: akamai: start + window overflows")
		}
		exp = st + w
	default:
		return nil, 0, errors.New("signing: akamai: need an end, or a start and a positive window")
	}
	if hasSt && exp <= st {
		return nil, 0, errors.New("signing: akamai: end must be after start")
	}
	if p.IP != "" {
		if _, err := netip.ParseAddr(p.IP); err != nil {
			return nil, 0, errors.New("signing: akamai: ip is not an IP address")
		}
	}
	if a.escapeEarly {
		// encodeURIComponent escapes UTF-8; a JavaScript string cannot hold
		// invalid UTF-8 (it throws URIError on a lone surrogate), so there
		// is no reference output to match for it.
		if !utf8.ValidString(p.IP) || !utf8.ValidString(p.SessionID) ||
			!utf8.ValidString(p.Payload) || !utf8.ValidString(p.URL) {
			return nil, 0, errors.New("signing: akamai: escape early needs valid UTF-8")
		}
	}
	sep := false
	field := func(name string, value string, escape bool) {
		if sep {
			b = append(b, a.fieldDelim)
		}
		sep = true
		b = append(b, name...)
		b = append(b, '=')
		start := len(b)
		if escape && a.escapeEarly {
			b = akamaiAppendEscape(b, value)
		} else {
			b = append(b, value...)
		}
		if name != "url" && bytes.IndexByte(b[start:], a.fieldDelim) >= 0 {
			err = errors.New("signing: akamai: " + name + " holds the field delimiter")
		}
	}
	if p.IP != "" {
		field("ip", p.IP, true)
	}
	if hasSt {
		field("st", strconv.FormatInt(st, 10), false)
	}
	field("exp", strconv.FormatInt(exp, 10), false)
	if len(p.ACL) > 0 {
		field("acl", strings.Join(p.ACL, string(a.aclDelim)), false)
	}
	if p.SessionID != "" {
		field("id", p.SessionID, true)
	}
	if p.Payload != "" {
		field("data", p.Payload, true)
	}
	n = len(b)
	if p.URL != "" {
		field("url", p.URL, true)
	}
	if err != nil {
		return nil, 0, err
	}
	return b, n, nil
}

// akamaiLowerHex is the alphabet of every %XX escape: EdgeAuth lower-cases
// each escape (vector url_escape_early_special_chars: %2f, %c3%bc).
const akamaiLowerHex = "0123456789abcdef"

// akamaiAppendEscape appends s escaped the way EdgeAuth's escape_early does:
// JavaScript encodeURIComponent (which keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and
// escapes the UTF-8 bytes of everything else), then ~ -> %7e, ' -> %27,
// * -> %2a, with every escape in lower case. So exactly A-Z a-z 0-9 - _ . ! ( )
// stay, and space is %20 (vector url_escape_early_special_chars). Go's
// url.QueryEscape differs: '+' for space, '~' kept, "!()" escaped.
//
// This is the Node library's escaping (akamai/EdgeAuth-Token-Node, which made
// the vectors). Akamai's other libraries escape the same fields (ip, id,
// data, url; never the ACL, except Java) but with their language's own
// function, and disagree on six bytes: Python's quote_plus, Ruby's
// CGI.escape and Java's URLEncoder write space as '+'; Python keeps '~';
// Python and Java escape "!()"; Java keeps '*'. Akamai documents no single
// rule for the edge. A token only matches one made by another library when
// its escaped values hold none of space ~ ! ( ) *; tokensvc's own values
// (ACLs, prefixes of checked subjects) never need escaping.
func akamaiAppendEscape[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '!', c == '(', c == ')':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', akamaiLowerHex[c>>4], akamaiLowerHex[c&15])
		}
	}
	return dst
}

// akamaiUnescape undoes percent escapes (either case); ok is false for a
// '%' not followed by two hex digits.
func akamaiUnescape(s string) (_ string, ok bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := akamaiUnhex(s[i+1])
		lo, ok2 := akamaiUnhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

func akamaiUnhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// akamaiToken is a parsed token; every string is a slice of the token text.
type akamaiToken struct {
	ip, acl, id, data, hmac string
	st, exp                 int64
	hasSt                   bool
	signed                  string // the fields before "~hmac=", as received
}

// akamaiParseToken splits a token strictly: known names only, each at most
// once, in token order, no empty value, exp= and a last hmac= required,
// st/exp canonical integers, hmac exactly hexLen lower-case hex digits. So a
// token has one text, and any changed byte either breaks the parse or the MAC.
func akamaiParseToken(tok string, delim byte, hexLen int) (t akamaiToken, ok bool) {
	last := -1
	hasExp := false
	for pos := 0; pos < len(tok); {
		end := strings.IndexByte(tok[pos:], delim)
		if end < 0 {
			end = len(tok)
		} else {
			end += pos
		}
		f := tok[pos:end]
		eq := strings.IndexByte(f, '=')
		if eq <= 0 || eq == len(f)-1 {
			return t, false
		}
		name, value := f[:eq], f[eq+1:]
		idx := -1
		for i, n := range akamaiFieldNames {
			if n == name {
				idx = i
				break
			}
		}
		if idx <= last {
			return t, false
		}
		last = idx
		switch idx {
		case akamaiFieldIP:
			t.ip = value
		case akamaiFieldST:
			if t.st, ok = akamaiParseInt(value); !ok {
				return t, false
			}
			t.hasSt = true
		case akamaiFieldExp:
			if t.exp, ok = akamaiParseInt(value); !ok {
				return t, false
			}
			hasExp = true
		case akamaiFieldACL:
			t.acl = value
		case akamaiFieldID:
			t.id = value
		case akamaiFieldData:
			t.data = value
		case akamaiFieldHMAC:
			if end != len(tok) || pos == 0 || len(value) != hexLen {
				return t, false
			}
			for i := 0; i < len(value); i++ {
				if c := value[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
					return t, false
				}
			}
			t.hmac = value
			t.signed = tok[:pos-1]
		}
		pos = end + 1
		if end == len(tok)-1 {
			// A trailing delimiter leaves an empty last field.
			return t, false
		}
	}
	return t, hasExp && t.hmac != ""
}

// akamaiParseInt parses a canonical non-negative decimal: digits only, no
// sign, no leading zero (bar "0" itself), within int64. strconv.ParseInt
// would also take "+5" and "007", two more texts for one time.
func akamaiParseInt(s string) (int64, bool) {
	if s == "" || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// akamaiSplitURL returns the path (still percent-encoded; "/" when empty)
// and the raw query of an absolute "scheme://host/path?query" or an
// origin-form "/path?query" URL. A fragment is dropped: browsers never send one.
func akamaiSplitURL(u string) (path, query string, ok bool) {
	u, _, _ = strings.Cut(u, "#")
	if !strings.HasPrefix(u, "/") {
		i := strings.Index(u, "://")
		if i <= 0 {
			return "", "", false
		}
		rest := u[i+3:]
		j := strings.IndexAny(rest, "/?")
		if j < 0 {
			j = len(rest)
		}
		if j == 0 {
			return "", "", false // no host
		}
		u = rest[j:]
	}
	path, query, _ = strings.Cut(u, "?")
	if path == "" {
		path = "/"
	}
	return path, query, true
}

// akamaiQueryParam returns the raw value of the first query parameter called
// name. The value is not percent-decoded: the token travels verbatim (its
// escape-early fields are themselves %XX escapes).
func akamaiQueryParam(query, name string) (string, bool) {
	for query != "" {
		var p string
		p, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(p, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// akamaiAppendURL appends the URL a URL token is checked against: the path,
// then "?" and the query without any parameter called name (the token
// itself), when any query remains. With no token parameter the query is kept
// byte for byte, empty parameters included ("?&" stays "?&").
func akamaiAppendURL(dst []byte, path, query, name string) []byte {
	dst = append(dst, path...)
	if query == "" {
		return dst
	}
	mark := len(dst)
	dst = append(dst, '?')
	first := true
	for {
		p, rest, more := strings.Cut(query, "&")
		if k, _, _ := strings.Cut(p, "="); k != name {
			if !first {
				dst = append(dst, '&')
			}
			first = false
			dst = append(dst, p...)
		}
		if !more {
			break
		}
		query = rest
	}
	if len(dst) == mark+1 {
		dst = dst[:mark] // only the token parameter (and empty ones) was left
	}
	return dst
}

// Verify checks the request the way an EdgeAuth 2.0 edge does. The token
// comes from the cookie named TokenName, else from a query parameter of that
// name. Checks run in the order parse, key, signature, time, IP, scope.
//
// There is no key lookup: a token names no key, so each key is tried and a
// token signed with a key this verifier lacks fails as BadSignature, never
// UnknownKey. A URL token carries no scope of its own (the URL is hashed, not
// sent), so a URL token used on another URL also fails as BadSignature.
func (a *Akamai) Verify(r *Request, now time.Time) error {
	if r == nil {
		return Missing
	}
	if !requestURLOK(r.URL) {
		return Malformed
	}
	path, query, urlOK := akamaiSplitURL(r.URL)
	tok, found := r.Cookie(a.name)
	if !found {
		tok, found = akamaiQueryParam(query, a.name)
	}
	if !found {
		return Missing
	}
	t, ok := akamaiParseToken(tok, a.fieldDelim, a.hexLen)
	if !ok || !urlOK {
		return Malformed
	}
	if !a.verifyMAC(&t, path, query) {
		return BadSignature
	}
	n := now.Unix()
	if t.hasSt && n < t.st {
		return NotYetValid
	}
	if n >= t.exp {
		return Expired
	}
	if t.ip != "" {
		ip := t.ip
		if a.escapeEarly {
			if ip, ok = akamaiUnescape(ip); !ok {
				return IPMismatch
			}
		}
		addr, err := netip.ParseAddr(ip)
		// 4in6 addresses are the IPv4 client seen through an IPv6 socket.
		if err != nil || !r.ClientIP.IsValid() || addr.Unmap() != r.ClientIP.Unmap() {
			return IPMismatch
		}
	}
	// A dot segment would let a server resolve the path outside the ACL
	// after this check passed (hasDotSegment).
	if t.acl != "" && (hasDotSegment(path) || !a.aclMatch(t.acl, path)) {
		return ScopeMismatch
	}
	return nil
}

// aclMatch reports whether path matches one of the ACLs in acls, split by
// the ACL delimiter.
func (a *Akamai) aclMatch(acls, path string) bool {
	for {
		i := strings.IndexByte(acls, a.aclDelim)
		if i < 0 {
			return akamaiGlob(acls, path)
		}
		if akamaiGlob(acls[:i], path) {
			return true
		}
		acls = acls[i+1:]
	}
}

// verifyMAC recomputes the MAC over the token's own fields as received, plus
// url= (tokens without acl=) and salt=, with each key, and compares the hex
// text in constant time.
func (a *Akamai) verifyMAC(t *akamaiToken, path, query string) bool {
	s := a.states.Get().(*akamaiState)
	defer a.states.Put(s)
	b := append(s.buf[:0], t.signed...)
	if t.acl == "" {
		b = append(b, a.fieldDelim)
		b = append(b, "url="...)
		if a.escapeEarly {
			s.url = akamaiAppendURL(s.url[:0], path, query, a.name)
			b = akamaiAppendEscape(b, s.url)
		} else {
			b = akamaiAppendURL(b, path, query, a.name)
		}
	}
	if a.salt != "" {
		b = append(b, a.fieldDelim)
		b = append(b, "salt="...)
		b = append(b, a.salt...)
	}
	s.buf = b[:0]
	got := s.got[:copy(s.got[:], t.hmac)]
	match := false
	for _, m := range s.macs {
		m.Reset()
		m.Write(b)
		want := hex.AppendEncode(s.hex[:0], m.Sum(s.sum[:0]))
		// Every key is tried even after a match, so the time taken does not
		// say which key signed.
		if hmac.Equal(want, got) {
			match = true
		}
	}
	return match
}

// akamaiGlob reports whether s matches pattern, where '*' matches any run of
// bytes (including '/') and '?' exactly one byte, as the edge matches ACLs
// (vector acl_multi_bang_delimiter: "/public/??"). It works on bytes because
// the path is matched still percent-encoded, which is ASCII on the wire.
//
// It is iterative, backtracking only to the last '*': a later '*' subsumes
// every choice an earlier one could make, so O(len(pattern)*len(s)) at worst,
// and no recursion to blow up on "*?*?*..." patterns.
func akamaiGlob(pattern, s string) bool { return globMatch(pattern, s) }

// ParseAkamaiKey decodes a key file: hex text (either case), surrounding
// whitespace trimmed, an even number of digits, at least 16 bytes decoded.
// EdgeAuth keys are hex ("Encryption Key: Generate a random hex string",
// reference/000) and are hex-decoded before use (vector key_hex). Errors
// never quote the input: it is a secret.
func ParseAkamaiKey(data []byte) ([]byte, error) {
	data = bytes.TrimSpace(data)
	if len(data)%2 != 0 {
		return nil, errors.New("signing: akamai key: odd number of hex digits")
	}
	key := make([]byte, len(data)/2)
	for i := range key {
		hi, ok1 := akamaiUnhex(data[2*i])
		lo, ok2 := akamaiUnhex(data[2*i+1])
		if !ok1 || !ok2 {
			return nil, errors.New("signing: akamai key: not hex")
		}
		key[i] = hi<<4 | lo
	}
	if len(key) < akamaiMinKeyLen {
		return nil, errors.New("signing: akamai key: shorter than 16 bytes")
	}
	return key, nil
}

// GenerateAkamaiKey returns a new key file: 32 random bytes as lower-case hex
// and a newline, the form the Akamai property takes as its token key.
func GenerateAkamaiKey(rand io.Reader) ([]byte, error) {
	var key [32]byte
	if _, err := io.ReadFull(rand, key[:]); err != nil {
		return nil, fmt.Errorf("signing: akamai key: read random: %w", err)
	}
	return append(hex.AppendEncode(nil, key[:]), '\n'), nil
}
