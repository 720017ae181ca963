package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Google Cloud CDN signed cookies (reference/003) and signed URLs
// (reference/004). Every credential is an HMAC-SHA1, keyed with a raw 16-byte
// key, over fields that travel in clear text next to the signature:
//
//	cookie:      URLPrefix={b64(prefix)}:Expires={unix}:KeyName={name}:Signature={b64(mac)}
//	URL prefix:  URLPrefix={b64(prefix)}&Expires={unix}&KeyName={name}&Signature={b64(mac)}
//	full URL:    {url}{?|&}Expires={unix}&KeyName={name}&Signature={b64(mac)}
//
// The MAC covers everything before the separator that precedes "Signature=".
// The HMAC-SHA1 is fixed by the format (reference/003, "Signature"): it is not
// a choice tokensvc could change.

// CloudCDNCookieName is the one cookie Cloud CDN reads. The name is
// case-sensitive (reference/003, "Issuing cookies to users").
const CloudCDNCookieName = "Cloud-CDN-Cookie"

const (
	// cloudcdnKeySize: "generating strongly random 128 bits" (reference/003,
	// gcloud); Cloud CDN rejects any other key length.
	cloudcdnKeySize = 16
	// cloudcdnMaxKeys: "Each backend can have up to three keys configured at
	// a time" (reference/003). A verifier holds what one backend holds.
	cloudcdnMaxKeys = 3
	// cloudcdnMaxKeyName: "Key names can be up to 63 characters"
	// (reference/003).
	cloudcdnMaxKeyName = 63
	// cloudcdnSigLen is the text length of base64url(HMAC-SHA1): 20 bytes
	// give 28 characters with one "=" of padding, as in every vector
	// ("_qwhz38bxCKdiDqENLIx4ujrw-U=").
	cloudcdnSigLen = 28
	// cloudcdnSigTail is what appendSignature adds after the signed bytes:
	// a separator, "Signature=" and the signature text.
	cloudcdnSigTail = 1 + len("Signature=") + cloudcdnSigLen
)

// cloudcdnB64 is base64url WITH "=" padding, for the URL prefix and the
// signature. Every Google sample and published test pads
// (base64.URLEncoding in Go, Base64.getUrlEncoder() in Java,
// urlsafe_b64encode in Python: reference/003 and 004, and every vector in
// cloudcdn_*.json). reference/000 says Cloud CDN rejects padding; the
// official samples say otherwise (testdata/vectors/README.md).
//
// Verify decodes with the Strict variant: a lenient decoder ignores non-zero
// trailing bits, so two different texts would carry the same signature or
// prefix, and a one-byte change to a credential could still be accepted.
var cloudcdnB64 = base64.URLEncoding.Strict()

// CloudCDNKey is one named signing key, as configured on a Cloud CDN backend
// service or backend bucket with `gcloud ... add-signed-url-key --key-name
// NAME --key-file FILE`. Key is the raw 16 bytes, not the base64url text of
// the key file (ParseCloudCDNKeyFile turns one into the other).
type CloudCDNKey struct {
	Name string
	Key  []byte
}

// cloudcdnKey is a validated key with its own pool of HMACs. A hash.Hash is
// not safe for concurrent use, and building one costs five allocations plus
// two SHA-1 blocks for the padded key; a pooled HMAC is Reset instead, which
// restores the precomputed inner and outer states. Measured on the 2-core
// build machine for one cookie's MAC: about 175 ns and no allocation pooled,
// against about 510 ns and 5 allocations with hmac.New per call.
type cloudcdnKey struct {
	name string
	macs sync.Pool // of hash.Hash, HMAC-SHA1 keyed with this key
}

func (k *cloudcdnKey) mac() hash.Hash { return k.macs.Get().(hash.Hash) }

func (k *cloudcdnKey) release(h hash.Hash) {
	h.Reset()
	k.macs.Put(h)
}

// CloudCDN signs and verifies Google Cloud CDN signed cookies and signed URLs.
// The first key signs; any key verifies, which is how keys rotate: add the
// new key to the backend, then put it first here (reference/003 "We suggest
// periodically rotating your keys"). A CloudCDN is immutable and safe for
// concurrent use.
type CloudCDN struct {
	keys []*cloudcdnKey // keys[0] signs
}

var _ Signer = (*CloudCDN)(nil)
var _ Verifier = (*CloudCDN)(nil)

// NewCloudCDN checks the keys once, so that Sign only encodes and hashes. It
// takes 1 to 3 keys with distinct, valid names (ValidCloudCDNKeyName), each
// exactly 16 bytes; it copies the key bytes. Errors name the offending key
// but never contain key bytes.
func NewCloudCDN(keys ...CloudCDNKey) (*CloudCDN, error) {
	if len(keys) == 0 || len(keys) > cloudcdnMaxKeys {
		return nil, fmt.Errorf("signing: cloudcdn: need 1 to %d keys, got %d", cloudcdnMaxKeys, len(keys))
	}
	c := &CloudCDN{keys: make([]*cloudcdnKey, 0, len(keys))}
	for i, k := range keys {
		if !ValidCloudCDNKeyName(k.Name) {
			return nil, fmt.Errorf("signing: cloudcdn: key %d: invalid key name %q (1-%d of A-Z a-z 0-9 _ -)", i, k.Name, cloudcdnMaxKeyName)
		}
		if len(k.Key) != cloudcdnKeySize {
			return nil, fmt.Errorf("signing: cloudcdn: key %q: need %d bytes, got %d", k.Name, cloudcdnKeySize, len(k.Key))
		}
		for _, prev := range c.keys {
			if prev.name == k.Name {
				return nil, fmt.Errorf("signing: cloudcdn: duplicate key name %q", k.Name)
			}
		}
		raw := bytes.Clone(k.Key)
		ck := &cloudcdnKey{name: k.Name}
		ck.macs.New = func() any { return hmac.New(sha1.New, raw) }
		c.keys = append(c.keys, ck)
	}
	return c, nil
}

// ValidCloudCDNKeyName reports whether name is a key name Cloud CDN accepts:
// 1 to 63 characters of A-Z, a-z, 0-9, "_" and "-" (reference/003, "Create
// signed request keys"). The rule also keeps ":" and "&" out of a name, so a
// name can never break the cookie or query syntax it is embedded in.
func ValidCloudCDNKeyName(name string) bool {
	if len(name) == 0 || len(name) > cloudcdnMaxKeyName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// ParseCloudCDNKeyFile decodes a gcloud key file: the base64url text of 16
// random bytes (reference/003: "head -c 16 /dev/urandom | base64 | tr +/ -_").
// It trims surrounding whitespace (the file ends in a newline), accepts the
// text with or without "=" padding, and accepts only the URL-safe alphabet: a
// "+" or "/" means the tr step was skipped, and silently accepting it would
// hide a key that gcloud reads differently.
//
// Unlike Verify it is NOT strict about trailing bits: Google's own Java test
// key "aaaaaaaaaaaaaaaaaaaaaa==" (vector google_java_key_aaaa) has non-zero
// trailing bits, and the Java, Python and Go default decoders accept it. A
// key file is configuration, not attacker input, so leniency costs nothing.
//
// Errors never contain key bytes (at most a byte offset and a length).
func ParseCloudCDNKeyFile(data []byte) ([]byte, error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return nil, errors.New("signing: cloudcdn: key file is empty")
	}
	padded := false
	for i, c := range text {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '=':
			padded = true
		default:
			// Also rejects CR and LF inside the text, which base64
			// decoders silently skip.
			return nil, fmt.Errorf("signing: cloudcdn: key file: byte %d is not base64url (A-Z a-z 0-9 - _ =)", i)
		}
	}
	enc := base64.RawURLEncoding
	if padded {
		enc = base64.URLEncoding
	}
	key := make([]byte, enc.DecodedLen(len(text)))
	n, err := enc.Decode(key, text)
	if err != nil {
		// err is a CorruptInputError: an offset, no key bytes.
		return nil, fmt.Errorf("signing: cloudcdn: key file is not valid base64url: %w", err)
	}
	if n != cloudcdnKeySize {
		return nil, fmt.Errorf("signing: cloudcdn: key file holds %d bytes, need %d", n, cloudcdnKeySize)
	}
	return key[:n], nil
}

// GenerateCloudCDNKey returns the content of a new gcloud key file: 16 bytes
// from rand, base64url with padding, and a newline, byte for byte what
// reference/003's `head -c 16 /dev/urandom | base64 | tr +/ -_` writes. Pass
// crypto/rand.Reader; tests pass a fixed reader.
func GenerateCloudCDNKey(rand io.Reader) ([]byte, error) {
	var key [cloudcdnKeySize]byte
	if _, err := io.ReadFull(rand, key[:]); err != nil {
		return nil, fmt.Errorf("signing: cloudcdn: generate key: %w", err)
	}
	out := base64.URLEncoding.AppendEncode(make([]byte, 0, 25), key[:])
	return append(out, '\n'), nil
}

// Format returns "cloudcdn".
func (c *CloudCDN) Format() string { return "cloudcdn" }

// CookieNames returns the one cookie Sign sets.
func (c *CloudCDN) CookieNames() []string { return []string{CloudCDNCookieName} }

// Sign returns the Cloud-CDN-Cookie that grants every URL starting with
// g.URLPrefix until g.Expires. This is the hot path: one buffer, one string,
// one slice (see SignCookieValue).
func (c *CloudCDN) Sign(g Grant) ([]Cookie, error) {
	v, err := c.SignCookieValue(g.URLPrefix, g.Expires)
	if err != nil {
		return nil, err
	}
	return []Cookie{{Name: CloudCDNCookieName, Value: v}}, nil
}

// SignCookieValue returns the value of a Cloud-CDN-Cookie:
// "URLPrefix={b64}:Expires={unix}:KeyName={name}:Signature={b64}", the four
// fields in the order reference/003 requires ("Defining policy format and
// fields"), the HMAC taken over everything before ":Signature=".
//
// urlPrefix is encoded verbatim as its UTF-8 bytes, without trimming,
// normalising or percent-decoding (vectors unicode_path_utf8_bytes and
// percent_encoded_path_is_signed_verbatim sign different bytes for the "same"
// path). Cloud CDN matches the prefix as a plain string, so end it in "/"
// unless a partial file name is meant (reference/003, "URLPrefix").
func (c *CloudCDN) SignCookieValue(urlPrefix string, expires time.Time) (string, error) {
	return c.signPrefix(urlPrefix, expires, ':')
}

// SignURLPrefixParams returns the query parameters of a signed URL with a URL
// prefix: "URLPrefix={b64}&Expires={unix}&KeyName={name}&Signature={b64}"
// (reference/004, "Use URL prefixes for signed URLs"). The same parameters
// can be appended to any URL under urlPrefix; the request URL is not signed.
// urlPrefix follows the rules of SignCookieValue.
func (c *CloudCDN) SignURLPrefixParams(urlPrefix string, expires time.Time) (string, error) {
	return c.signPrefix(urlPrefix, expires, '&')
}

// SignURLWithPrefix appends SignURLPrefixParams(urlPrefix, expires) to rawURL,
// after "&" if rawURL already has a "?", else after "?" (vectors
// google_java_prefix, own_prefix_guest). rawURL must start with urlPrefix,
// or the URL could never be accepted; it must not carry a fragment, a
// Signature or a URLPrefix parameter (Cloud CDN would read those instead).
func (c *CloudCDN) SignURLWithPrefix(rawURL, urlPrefix string, expires time.Time) (string, error) {
	if err := cloudcdnCheckURL(rawURL); err != nil {
		return "", err
	}
	if !strings.HasPrefix(cloudcdnPathPart(rawURL), urlPrefix) {
		return "", fmt.Errorf("signing: cloudcdn: url %q is outside the URL prefix %q", rawURL, urlPrefix)
	}
	params, err := c.SignURLPrefixParams(urlPrefix, expires)
	if err != nil {
		return "", err
	}
	return rawURL + cloudcdnJoiner(rawURL) + params, nil
}

// SignURL signs rawURL itself (reference/004, "Generate custom signed URLs"):
// it appends "Expires={unix}&KeyName={name}" after "&" if rawURL already has
// a "?", else after "?", signs all of that exactly as given, and appends
// "&Signature={b64}". Nothing is normalised: Cloud CDN hashes the URL bytes
// as sent, so a signed URL must be requested byte for byte.
func (c *CloudCDN) SignURL(rawURL string, expires time.Time) (string, error) {
	if err := cloudcdnCheckURL(rawURL); err != nil {
		return "", err
	}
	exp, err := cloudcdnExpires(expires)
	if err != nil {
		return "", err
	}
	k := c.keys[0]
	n := len(rawURL) + 1 + len("Expires=") + cloudcdnDigits(exp) + len("&KeyName=") + len(k.name)
	// + cloudcdnSigTail for the signature, + sha1.Size of scratch (see
	// appendSignature).
	buf := make([]byte, 0, n+cloudcdnSigTail+sha1.Size)
	buf = append(buf, rawURL...)
	buf = append(buf, cloudcdnJoiner(rawURL)...)
	buf = append(buf, "Expires="...)
	buf = strconv.AppendInt(buf, exp, 10)
	buf = append(buf, "&KeyName="...)
	buf = append(buf, k.name...)
	return string(k.appendSignature(buf, '&')), nil
}

// signPrefix builds "URLPrefix=..{sep}Expires=..{sep}KeyName=..{sep}Signature=.."
// in one buffer sized up front: 3 allocations in all for Sign (this buffer,
// the string, the []Cookie).
func (c *CloudCDN) signPrefix(urlPrefix string, expires time.Time, sep byte) (string, error) {
	if err := cloudcdnCheckPrefix(urlPrefix); err != nil {
		return "", err
	}
	exp, err := cloudcdnExpires(expires)
	if err != nil {
		return "", err
	}
	k := c.keys[0]
	encLen := cloudcdnB64.EncodedLen(len(urlPrefix))
	n := len("URLPrefix=") + encLen + 1 + len("Expires=") + cloudcdnDigits(exp) + 1 + len("KeyName=") + len(k.name) + cloudcdnSigTail
	// The spare capacity past n holds first the raw prefix (base64 encodes
	// from []byte, and []byte(urlPrefix) would cost an allocation for any
	// prefix over 32 bytes), then the MAC (appendSignature).
	buf := make([]byte, 0, n+max(len(urlPrefix), sha1.Size))
	raw := append(buf[n:n], urlPrefix...)
	buf = append(buf, "URLPrefix="...)
	buf = cloudcdnB64.AppendEncode(buf, raw) // writes below n: no overlap with raw
	buf = append(buf, sep)
	buf = append(buf, "Expires="...)
	buf = strconv.AppendInt(buf, exp, 10)
	buf = append(buf, sep)
	buf = append(buf, "KeyName="...)
	buf = append(buf, k.name...)
	return string(k.appendSignature(buf, sep)), nil
}

// appendSignature MACs all of buf and appends sep, "Signature=" and the
// base64url MAC. buf must have cloudcdnSigTail+sha1.Size bytes of spare
// capacity: the MAC is summed into the last sha1.Size of them and encoded
// from there, so signing allocates nothing.
func (k *cloudcdnKey) appendSignature(buf []byte, sep byte) []byte {
	end := len(buf) + cloudcdnSigTail
	mac := k.mac()
	mac.Write(buf)
	sum := mac.Sum(buf[end:end])
	k.release(mac)
	buf = append(buf, sep)
	buf = append(buf, "Signature="...)
	return cloudcdnB64.AppendEncode(buf, sum) // writes below end: no overlap with sum
}

// cloudcdnCheckPrefix enforces what reference/003 "URLPrefix" makes
// checkable: the prefix starts with http:// or https:// and has no "?" or
// "#". A prefix with a "?" could never be matched, since Cloud CDN compares
// it with the URL before its query; a "#" never reaches the CDN. The host and
// path are not parsed: the prefix is signed and matched as plain bytes.
func cloudcdnCheckPrefix(p string) error {
	if !cloudcdnValidPrefix(p) {
		return fmt.Errorf("signing: cloudcdn: URL prefix %q must start with http:// or https:// and contain no '?' or '#'", p)
	}
	return nil
}

// cloudcdnValidPrefix is cloudcdnCheckPrefix without building an error, for
// Verify, where the prefix comes from the request.
func cloudcdnValidPrefix(p string) bool {
	// A dot segment in the prefix could only ever match requests that
	// Verify refuses (hasDotSegment), so it is refused here too.
	return (strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://")) && !containsEither(p, '?', '#') &&
		!hasDotSegment(urlPath(p))
}

// cloudcdnCheckURL checks a URL to be signed or to carry signed parameters.
// reference/004 step 1: "Ensure that the URL for signing does not have a
// Signature query parameter"; a URLPrefix parameter would switch Cloud CDN
// (and Verify) to URL-prefix mode; a fragment is never sent to the CDN, so a
// signature over it could never match.
func cloudcdnCheckURL(u string) error {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return fmt.Errorf("signing: cloudcdn: url %q must start with http:// or https://", u)
	}
	if strings.IndexByte(u, '#') >= 0 {
		return fmt.Errorf("signing: cloudcdn: url %q must not contain a fragment", u)
	}
	if _, q, ok := strings.Cut(u, "?"); ok {
		for p := range strings.SplitSeq(q, "&") {
			name, _, _ := strings.Cut(p, "=")
			if name == "Signature" || name == "URLPrefix" {
				return fmt.Errorf("signing: cloudcdn: url %q already has a %s parameter", u, name)
			}
		}
	}
	return nil
}

// cloudcdnExpires returns the Unix seconds of t. Expires is "the number of
// seconds since January 1, 1970" (reference/003): an earlier time has no
// representation Cloud CDN accepts.
func cloudcdnExpires(t time.Time) (int64, error) {
	s := t.Unix()
	if s < 0 {
		return 0, fmt.Errorf("signing: cloudcdn: expiry %s is before 1970", t.UTC().Format(time.RFC3339))
	}
	return s, nil
}

// cloudcdnDigits is the length of the decimal text of v >= 0.
func cloudcdnDigits(v int64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// cloudcdnJoiner is the separator before appended query parameters: "&" if
// the URL already has a query, else "?" (reference/004, the PHP and Go
// samples test for a "?" anywhere in the URL).
func cloudcdnJoiner(u string) string {
	if strings.IndexByte(u, '?') >= 0 {
		return "&"
	}
	return "?"
}

// cloudcdnPathPart is the URL without its query: "scheme://host/path".
func cloudcdnPathPart(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// cloudcdnCred is one parsed credential: the exact bytes its MAC covers and
// the fields Verify checks.
type cloudcdnCred struct {
	signed    string // the exact bytes received before {sep}Signature=
	prefixB64 string // URLPrefix text as received; "" in full-URL mode
	prefix    string // decoded URLPrefix; "" in full-URL mode
	hasPrefix bool   // false for a full-URL signed URL: the URL is the scope
	expires   int64
	keyName   string
	sigText   string
	sig       [sha1.Size]byte
}

// Verify checks r the way Cloud CDN's edge does. A "Signature" query
// parameter makes the request a signed URL (URL-prefix mode when the query
// also has a URLPrefix parameter, full-URL mode otherwise); without one, the
// Cloud-CDN-Cookie cookie is checked; with neither, the result is Missing.
// The checks run in the package order: parse, key, signature, time, scope.
// Cloud CDN credentials have no start time and no client IP, so Verify
// never returns NotYetValid or IPMismatch.
func (c *CloudCDN) Verify(r *Request, now time.Time) error {
	if r == nil {
		return Missing
	}
	if !requestURLOK(r.URL) {
		return Malformed
	}
	cred, found, ok := cloudcdnParseURL(r.URL)
	if !found {
		v, present := r.Cookie(CloudCDNCookieName)
		if !present {
			return Missing
		}
		cred, ok = cloudcdnParseCookie(v)
	}
	if !ok {
		return Malformed
	}
	return c.check(&cred, r.URL, now)
}

// check runs everything after parsing, in the package order.
func (c *CloudCDN) check(cred *cloudcdnCred, requestURL string, now time.Time) error {
	k := c.key(cred.keyName)
	if k == nil {
		return UnknownKey
	}
	var sum [sha1.Size]byte
	mac := k.mac()
	io.WriteString(mac, cred.signed)
	mac.Sum(sum[:0])
	k.release(mac)
	if !hmac.Equal(sum[:], cred.sig[:]) {
		return BadSignature
	}
	// Expires is exclusive: comparing whole seconds as integers avoids
	// time.Unix, which overflows for Expires near math.MaxInt64.
	if now.Unix() >= cred.expires {
		return Expired
	}
	// reference/004 "Validate signed URLs": the decoded URLPrefix must be a
	// prefix of "https://example.com/PATH", byte for byte. The path is "a
	// text substring, not strictly a directory path" (reference/003), so
	// https://cdn/temp/guest_ab1 also covers https://cdn/temp/guest_ab12/x.
	// A full-URL signature needs no scope check: the URL is what was signed.
	// A dot segment would let a server resolve the path outside the prefix
	// after this check passed (hasDotSegment).
	if cred.hasPrefix && (hasDotSegment(urlPath(requestURL)) || !strings.HasPrefix(cloudcdnPathPart(requestURL), cred.prefix)) {
		return ScopeMismatch
	}
	return nil
}

// key returns the key called name, or nil. Names are not secret, so a plain
// comparison is fine.
func (c *CloudCDN) key(name string) *cloudcdnKey {
	for _, k := range c.keys {
		if k.name == name {
			return k
		}
	}
	return nil
}

// cloudcdnParseCookie parses a Cloud-CDN-Cookie value: exactly the four
// fields URLPrefix, Expires, KeyName, Signature, in that order, separated by
// ":" (reference/003, "There are four required fields that you must define
// in the following order"). None of the field values can contain ":", so any
// other shape is Malformed.
func cloudcdnParseCookie(v string) (cloudcdnCred, bool) {
	f0, rest, ok0 := strings.Cut(v, ":")
	f1, rest, ok1 := strings.Cut(rest, ":")
	f2, f3, ok2 := strings.Cut(rest, ":")
	if !ok0 || !ok1 || !ok2 {
		return cloudcdnCred{}, false
	}
	signed := v[:len(f0)+1+len(f1)+1+len(f2)]
	return cloudcdnParseFields(signed, f0, f1, f2, f3, true)
}

// cloudcdnParseURL finds the signed-URL parameters in a request URL. found
// reports whether the query has a "Signature" parameter at all; ok whether
// the parameters parse.
//
// URL-prefix mode (a URLPrefix parameter is present): URLPrefix, Expires,
// KeyName and Signature must be four consecutive parameters, which may have
// other parameters before and after them (reference/004: "those additional
// query parameters can appear both before and after"); the MAC covers
// "URLPrefix=..&Expires=..&KeyName=..".
//
// Full-URL mode: Signature must be the last parameter with Expires and
// KeyName just before it ("all URL parameters ... must be in the order
// shown", reference/004); the MAC covers the whole URL before
// "&Signature=".
//
// More than one Signature or URLPrefix parameter is Malformed: which one the
// edge reads would be a guess.
func cloudcdnParseURL(u string) (cred cloudcdnCred, found, ok bool) {
	qi := strings.IndexByte(u, '?')
	if qi < 0 {
		return cred, false, false
	}
	type span struct{ start, end int } // a parameter, as offsets in u
	var (
		prev          [3]span // the last three parameters, newest last
		nPrev         int
		before        [3]span // the three parameters before Signature
		nBefore       int
		sig           span
		nSig, nPrefix int
		sigLast       bool
		start         = qi + 1
	)
	for {
		end := strings.IndexByte(u[start:], '&')
		if end < 0 {
			end = len(u)
		} else {
			end += start
		}
		name, _, _ := strings.Cut(u[start:end], "=")
		switch name {
		case "Signature":
			nSig++
			sig, before, nBefore, sigLast = span{start, end}, prev, nPrev, end == len(u)
		case "URLPrefix":
			nPrefix++
		}
		prev[0], prev[1], prev[2] = prev[1], prev[2], span{start, end}
		nPrev = min(nPrev+1, 3)
		if end == len(u) {
			break
		}
		start = end + 1
	}
	if nSig == 0 {
		return cred, false, false
	}
	if nSig > 1 || nPrefix > 1 {
		return cred, true, false
	}
	text := func(s span) string { return u[s.start:s.end] }
	sigField := text(sig)
	if nPrefix == 1 {
		if nBefore < 3 {
			return cred, true, false
		}
		signed := u[before[0].start:before[2].end]
		cred, ok = cloudcdnParseFields(signed, text(before[0]), text(before[1]), text(before[2]), sigField, true)
		return cred, true, ok
	}
	if !sigLast || nBefore < 2 {
		return cred, true, false
	}
	signed := u[:before[2].end]
	cred, ok = cloudcdnParseFields(signed, "", text(before[1]), text(before[2]), sigField, false)
	return cred, true, ok
}

// cloudcdnParseFields parses the "Name=value" fields of either credential
// shape. Every field must parse to exactly one text, so that no two
// different credentials carry the same signed meaning: the prefix and the
// signature are strict, padded base64url; Expires is a canonical decimal;
// the key name follows ValidCloudCDNKeyName.
func cloudcdnParseFields(signed, prefixField, expiresField, keyNameField, sigField string, hasPrefix bool) (cloudcdnCred, bool) {
	cred := cloudcdnCred{signed: signed, hasPrefix: hasPrefix}
	var ok bool
	if hasPrefix {
		if cred.prefixB64, ok = strings.CutPrefix(prefixField, "URLPrefix="); !ok {
			return cred, false
		}
		p, ok := cloudcdnDecode(cred.prefixB64)
		if !ok {
			return cred, false
		}
		cred.prefix = string(p)
		// A prefix Sign would refuse is not a Cloud CDN credential.
		if !cloudcdnValidPrefix(cred.prefix) {
			return cred, false
		}
	}
	exp, ok := strings.CutPrefix(expiresField, "Expires=")
	if !ok {
		return cred, false
	}
	if cred.expires, ok = cloudcdnParseInt(exp); !ok {
		return cred, false
	}
	if cred.keyName, ok = strings.CutPrefix(keyNameField, "KeyName="); !ok || !ValidCloudCDNKeyName(cred.keyName) {
		return cred, false
	}
	if cred.sigText, ok = strings.CutPrefix(sigField, "Signature="); !ok || len(cred.sigText) != cloudcdnSigLen {
		return cred, false
	}
	s, ok := cloudcdnDecode(cred.sigText)
	if !ok || len(s) != sha1.Size {
		return cred, false
	}
	copy(cred.sig[:], s)
	return cred, true
}

// cloudcdnDecode decodes strict, padded base64url. Go's decoders skip CR and
// LF even in Strict mode, so those are refused first: otherwise inserting a
// newline would be a change to a credential that still verifies.
func cloudcdnDecode(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := cloudcdnB64.DecodeString(s)
	return b, err == nil
}

// cloudcdnParseInt parses a canonical non-negative decimal that fits in an
// int64: digits only, no sign, no leading zero unless the number is 0.
// strconv.ParseInt alone would accept "+5" and "007", two more spellings of
// one signed Expires.
func cloudcdnParseInt(s string) (int64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
