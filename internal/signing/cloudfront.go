package signing

// AWS CloudFront signed cookies and signed URLs.
//
// Sources behind the byte-level choices below (cited as [vectors], [README],
// [ref001], [SDK], [AWS docs]):
//   - [vectors] testdata/vectors/cloudfront.json, produced by npm
//     @aws-sdk/cloudfront-signer@3.1166.0 and re-verified with OpenSSL;
//   - [README] testdata/vectors/README.md, section "cloudfront.json";
//   - [ref001] ../shared/reference/001_e744d908b318cbb3.txt (the three cookies,
//     RSA-SHA1 with a key pair id, CloudFront's URL-safe base64);
//   - [SDK] aws-sdk-js-v3 packages/cloudfront-signer/src/sign.ts
//     (getSignedCookies, getSignedUrl, CloudfrontSignBuilder);
//   - [AWS docs] the CloudFront Developer Guide pages "Create a signed URL
//     using a canned/custom policy" and "Set signed cookies using a
//     canned/custom policy" (wildcards, IpAddress, Hash-Algorithm).

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Cookie and query parameter names. Cookie names carry the "CloudFront-"
// prefix, the signed-URL query parameters do not ([README], [AWS docs]).
const (
	cloudFrontCookieKeyPairID     = "CloudFront-Key-Pair-Id"
	cloudFrontCookieSignature     = "CloudFront-Signature"
	cloudFrontCookieExpires       = "CloudFront-Expires"
	cloudFrontCookiePolicy        = "CloudFront-Policy"
	cloudFrontCookieHashAlgorithm = "CloudFront-Hash-Algorithm"

	cloudFrontParamExpires       = "Expires"
	cloudFrontParamPolicy        = "Policy"
	cloudFrontParamSignature     = "Signature"
	cloudFrontParamKeyPairID     = "Key-Pair-Id"
	cloudFrontParamHashAlgorithm = "Hash-Algorithm"

	// cloudFrontSHA256 is the only Hash-Algorithm value tokensvc writes: an
	// absent value means SHA-1, so its SHA-1 credentials carry no such field
	// ([README]: "With SHA256 the SDK adds CloudFront-Hash-Algorithm=SHA256").
	// Verify also reads cloudFrontSHA1 spelt out: AWS lists "SHA1" and
	// "SHA256" as the cookie's values, and aws-sdk-go-v2 writes whichever
	// hash it signed with, SHA-1 included.
	cloudFrontSHA256 = "SHA256"
	cloudFrontSHA1   = "SHA1"

	// Upper bounds on what Verify decodes, so a hostile request cannot make
	// it base64-decode or JSON-parse megabytes. A 4096-bit RSA signature is
	// 684 characters; a browser caps a cookie at about 4 KiB.
	cloudFrontMaxSignatureLen = 1024
	cloudFrontMaxPolicyLen    = 8192
	// cloudFrontMaxKeyFile bounds the key file parsers: a 4096-bit PKCS#1
	// PEM is about 3.2 KiB.
	cloudFrontMaxKeyFile = 16 << 10
)

// cloudFrontB64 is CloudFront's URL-safe base64: standard base64 with '+'
// written as '-', '=' as '_' and '/' as '~' ([ref001] _url_base64_encode,
// [SDK] normalizeBase64, [README]). Padding is kept: every signature and
// policy in [vectors] ends in "_" or "__". Building the alphabet in (rather
// than replacing characters afterwards) lets AppendEncode write straight into
// one buffer. Strict() makes decoding reject non-zero trailing bits, and
// cloudFrontDecode refuses the CR and LF that even Strict() skips, so two
// different texts never decode to the same bytes and any changed character of
// a signature or policy is caught.
var cloudFrontB64 = base64.NewEncoding(
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~").
	WithPadding('_').Strict()

// Errors. None of them ever carries key bytes, cookie values or the text of
// an underlying parser error (crypto/x509 and encoding/asn1 errors can quote
// parsed fields), so they are safe to log.
var (
	errCloudFrontKeyTooLarge    = errors.New("cloudfront: key file is too large")
	errCloudFrontKeyNotPEM      = errors.New("cloudfront: key file is not a single PEM block")
	errCloudFrontKeyTrailing    = errors.New("cloudfront: key file has data after the PEM block")
	errCloudFrontKeyHeaders     = errors.New("cloudfront: key file has PEM headers (encrypted keys are not supported)")
	errCloudFrontKeyPEMType     = errors.New("cloudfront: unsupported PEM block type")
	errCloudFrontKeyDER         = errors.New("cloudfront: key does not parse")
	errCloudFrontKeyAlgorithm   = errors.New("cloudfront: key must be RSA or ECDSA P-256")
	errCloudFrontKeyRSASize     = errors.New("cloudfront: RSA key must have 2048 to 4096 bits")
	errCloudFrontKeyRSAExponent = errors.New("cloudfront: RSA public exponent is invalid")
	errCloudFrontKeyCurve       = errors.New("cloudfront: ECDSA key must use curve P-256")
	errCloudFrontKeyInvalid     = errors.New("cloudfront: key fails validation")

	errCloudFrontKeyCount     = errors.New("cloudfront: need 1 to 3 keys")
	errCloudFrontKeyID        = errors.New("cloudfront: key id must be non-empty [A-Za-z0-9]")
	errCloudFrontKeyIDDup     = errors.New("cloudfront: duplicate key id")
	errCloudFrontNilKey       = errors.New("cloudfront: nil key")
	errCloudFrontHash         = errors.New(`cloudfront: hash must be "SHA1" or "SHA256"`)
	errCloudFrontECDSAHash    = errors.New("cloudfront: an ECDSA signing key requires hash SHA256")
	errCloudFrontVerifyOnly   = errors.New("cloudfront: verify-only instance has no signing key")
	errCloudFrontPrefix       = errors.New("cloudfront: grant URL prefix must be an http(s) URL of printable ASCII ending in \"/\", without . or .. segments and without * ? \" \\ or #")
	errCloudFrontExpires      = errors.New("cloudfront: expiry must be a time after 1970-01-01")
	errCloudFrontStart        = errors.New("cloudfront: start must not be before 1970-01-01")
	errCloudFrontResourceUTF8 = errors.New("cloudfront: policy resource is not valid UTF-8")
	errCloudFrontPolicyLong   = errors.New("cloudfront: policy is too long: Verify reads at most " + strconv.Itoa(cloudFrontMaxPolicyLen) + " bytes of it, base64-encoded when it is sent")
	errCloudFrontIP           = errors.New("cloudfront: IP address must be an IPv4/IPv6 address or CIDR without zone")
	errCloudFrontPolicy       = errors.New("cloudfront: policy is not a valid CloudFront policy")
	errCloudFrontNotCanned    = errors.New("cloudfront: policy is not a canned policy (only Resource without wildcard and DateLessThan, in canonical form)")
	errCloudFrontOutOfPolicy  = errors.New("cloudfront: URL is outside the policy's Resource")

	errCloudFrontURL          = errors.New("cloudfront: URL must be an absolute http or https URL")
	errCloudFrontURLChars     = errors.New("cloudfront: URL has control characters, backslashes or invalid UTF-8")
	errCloudFrontURLFragment  = errors.New("cloudfront: URL must not have a fragment")
	errCloudFrontURLUserinfo  = errors.New("cloudfront: URL must not have user info")
	errCloudFrontURLHost      = errors.New("cloudfront: URL host is not a plain ASCII host name or IP address")
	errCloudFrontURLPort      = errors.New("cloudfront: URL port is invalid")
	errCloudFrontURLDots      = errors.New("cloudfront: URL path must not have . or .. segments")
	errCloudFrontURLParamUsed = errors.New("cloudfront: URL already has a CloudFront parameter (Expires, Policy, Signature, Key-Pair-Id, Hash-Algorithm)")
)

// CloudFrontKey is one signing key: the id CloudFront knows its public half
// by (a public key id such as "K2JCJMDEHXQW5F", or a legacy key pair id
// "APKA...") and the private key.
type CloudFrontKey struct {
	ID     string
	Signer crypto.Signer
}

// CloudFrontPublicKey is one verification key and its id.
type CloudFrontPublicKey struct {
	ID  string
	Key crypto.PublicKey
}

// CloudFront signs and verifies CloudFront signed cookies and signed URLs.
// It holds up to three keys for rotation: the first signs, any verifies. It
// is immutable after construction and safe for concurrent use.
type CloudFront struct {
	hash   crypto.Hash // hash used by Sign: crypto.SHA1 or crypto.SHA256
	signID string
	signer crypto.Signer     // nil for a verify-only instance
	rsaKey *rsa.PrivateKey   // fast path when signer is an *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey // fast path when signer is an *ecdsa.PrivateKey
	pubs   []cloudFrontPub
}

var _ Signer = (*CloudFront)(nil)
var _ Verifier = (*CloudFront)(nil)

// cloudFrontPub is a verification key; exactly one of rsa and ec is set.
type cloudFrontPub struct {
	id  string
	rsa *rsa.PublicKey
	ec  *ecdsa.PublicKey
}

// NewCloudFront returns a signer and verifier. hash is "SHA1" (the default,
// also for "") or "SHA256"; it applies to signing only, since a credential
// names its own hash algorithm when it is verified. keys holds 1 to 3 keys
// with unique ids: keys[0] signs, all of them verify.
//
// An ECDSA signing key requires "SHA256". AWS documents RSA 2048 and ECDSA
// 256 keys and the hashes SHA1 and SHA256, but not which pairs CloudFront
// admits; the one ECDSA credential we can check against ([README]
// cookie_canned_ecdsa_p256_sha256) is over SHA-256, so that is the only pair
// signed or verified. Older verification keys may be of either kind whatever
// hash is configured.
func NewCloudFront(hash string, keys ...CloudFrontKey) (*CloudFront, error) {
	var h crypto.Hash
	switch hash {
	case "", "SHA1":
		h = crypto.SHA1
	case cloudFrontSHA256:
		h = crypto.SHA256
	default:
		return nil, errCloudFrontHash
	}
	if len(keys) < 1 || len(keys) > 3 {
		return nil, errCloudFrontKeyCount
	}
	pubs := make([]CloudFrontPublicKey, len(keys))
	for i, k := range keys {
		if k.Signer == nil {
			return nil, errCloudFrontNilKey
		}
		pubs[i] = CloudFrontPublicKey{ID: k.ID, Key: k.Signer.Public()}
	}
	c, err := NewCloudFrontVerifier(pubs...)
	if err != nil {
		return nil, err
	}
	c.hash = h
	c.signID = keys[0].ID
	c.signer = keys[0].Signer
	if c.pubs[0].ec != nil && h != crypto.SHA256 {
		return nil, errCloudFrontECDSAHash
	}
	switch k := keys[0].Signer.(type) {
	case *rsa.PrivateKey:
		if k.Validate() != nil {
			return nil, errCloudFrontKeyInvalid
		}
		// Precompute once here, not on the first Sign: it speeds up every
		// signature, and doing it lazily would race between goroutines.
		k.Precompute()
		c.rsaKey = k
	case *ecdsa.PrivateKey:
		c.ecKey = k
	}
	return c, nil
}

// NewCloudFrontVerifier returns a verify-only instance for 1 to 3 public keys
// with unique ids (RSA 2048 to 4096 bits, or ECDSA P-256). Its Sign and the
// other signing methods return an error.
func NewCloudFrontVerifier(pubs ...CloudFrontPublicKey) (*CloudFront, error) {
	if len(pubs) < 1 || len(pubs) > 3 {
		return nil, errCloudFrontKeyCount
	}
	c := &CloudFront{hash: crypto.SHA1, pubs: make([]cloudFrontPub, 0, len(pubs))}
	for i, p := range pubs {
		if !cloudFrontValidID(p.ID) {
			return nil, errCloudFrontKeyID
		}
		for _, q := range pubs[:i] {
			if q.ID == p.ID {
				return nil, errCloudFrontKeyIDDup
			}
		}
		if err := cloudFrontCheckPublic(p.Key); err != nil {
			return nil, err
		}
		v := cloudFrontPub{id: p.ID}
		switch k := p.Key.(type) {
		case *rsa.PublicKey:
			v.rsa = k
		case *ecdsa.PublicKey:
			v.ec = k
		}
		c.pubs = append(c.pubs, v)
	}
	return c, nil
}

// cloudFrontValidID accepts the key ids CloudFront issues: upper-case letters
// and digits ("K2JCJMDEHXQW5F", "APKA..."); lower case is allowed too. The
// id goes verbatim into a cookie value and a query parameter, so nothing that
// would need escaping may pass.
func cloudFrontValidID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// cloudFrontCheckPublic accepts the key kinds CloudFront accepts for signed
// URLs and cookies: RSA and ECDSA P-256. RSA is held to 2048 bits or more
// (CloudFront takes exactly 2048; we also allow up to 4096 for keys used only
// by tokensvc's own verifier, and bound the size so parsing stays cheap).
func cloudFrontCheckPublic(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return errCloudFrontNilKey
		}
		if n := k.N.BitLen(); n < 2048 || n > 4096 {
			return errCloudFrontKeyRSASize
		}
		if k.E < 3 || k.E%2 == 0 {
			return errCloudFrontKeyRSAExponent
		}
		return nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return errCloudFrontNilKey
		}
		if k.Curve != elliptic.P256() {
			return errCloudFrontKeyCurve
		}
		if _, err := k.ECDH(); err != nil { // rejects points off the curve
			return errCloudFrontKeyInvalid
		}
		return nil
	case nil:
		return errCloudFrontNilKey
	default:
		return errCloudFrontKeyAlgorithm
	}
}

// Format names the format: "cloudfront".
func (c *CloudFront) Format() string { return "cloudfront" }

// CookieNames lists every cookie this type's signing methods may set: Sign's
// three (CloudFront-Key-Pair-Id, CloudFront-Signature, CloudFront-Policy) and
// CloudFront-Hash-Algorithm, plus CloudFront-Expires from canned SignCookies.
// Clearing all of them on logout matters for this format in particular: a
// CloudFront-Hash-Algorithm=SHA256 cookie left over from an earlier SHA-256
// grant would make a later SHA-1 grant fail verification.
func (c *CloudFront) CookieNames() []string {
	return []string{
		cloudFrontCookieKeyPairID, cloudFrontCookieSignature, cloudFrontCookiePolicy,
		cloudFrontCookieExpires, cloudFrontCookieHashAlgorithm,
	}
}

// Sign returns the cookies that grant read access to every URL under
// g.URLPrefix until g.Expires: a custom policy whose Resource is
// g.URLPrefix + "*" (a wildcard resource needs a custom policy, [README]),
// then, in the [SDK]'s getSignedCookies order (the set_cookie_pairs of
// [vectors]): CloudFront-Key-Pair-Id, CloudFront-Signature, CloudFront-Policy
// and, with SHA256, CloudFront-Hash-Algorithm. The result equals
// SignCookies(policy, false) for the same policy.
//
// The prefix must not contain '*' or '?': they are wildcards in a Resource
// ([AWS docs]), so a '?' in a prefix would unlock a sibling path. The expiry
// is rounded down to a whole second so a grant never outlives g.Expires.
func (c *CloudFront) Sign(g Grant) ([]Cookie, error) {
	if c.signer == nil {
		return nil, errCloudFrontVerifyOnly
	}
	if !cloudFrontValidPrefix(g.URLPrefix) {
		return nil, errCloudFrontPrefix
	}
	if g.Expires.IsZero() || g.Expires.Unix() <= 0 {
		return nil, errCloudFrontExpires
	}
	// The prefix is printable ASCII without '"' or '\', so it needs no JSON
	// escaping: append it as is.
	var pbuf [256]byte
	policy := append(pbuf[:0], `{"Statement":[{"Resource":"`...)
	policy = append(policy, g.URLPrefix...)
	policy = append(policy, `*","Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	policy = strconv.AppendInt(policy, g.Expires.Unix(), 10)
	policy = append(policy, `}}}]}`...)
	return c.cookies(policy, "", false)
}

// cloudFrontValidPrefix checks a grant prefix: "http://" or "https://", a
// non-empty rest of printable ASCII ending in "/", no "." or ".." path
// segment, and none of the characters that are wildcards in a Resource ('*',
// '?'), that JSON would escape ('"', '\') or that never reach the server
// ('#').
func cloudFrontValidPrefix(p string) bool {
	rest, ok := strings.CutPrefix(p, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(p, "http://"); !ok {
			return false
		}
	}
	if len(rest) < 2 || rest[0] == '/' || rest[len(rest)-1] != '/' {
		return false
	}
	// Verify refuses paths with dot segments, so such a grant could never
	// be used.
	if hasDotSegment(urlPath(p)) {
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c <= ' ' || c >= 0x7f, c == '*', c == '?', c == '"', c == '\\', c == '#':
			return false
		}
	}
	return true
}

// SignCookies signs policy (the exact bytes, [README]: "signed_policy (the
// exact bytes signed)") and returns the cookies in the [SDK]'s order:
// CloudFront-Key-Pair-Id, CloudFront-Signature, then CloudFront-Expires
// (canned) or CloudFront-Policy (custom), then CloudFront-Hash-Algorithm=SHA256
// with SHA256.
//
// The policy must parse as CloudFront policy; with canned, it must also be
// exactly CloudFrontCannedPolicy(resource, dateLessThan) for a resource
// without '*': CloudFront rebuilds a canned policy from the request URL and
// CloudFront-Expires, so any other bytes could never verify.
func (c *CloudFront) SignCookies(policy []byte, canned bool) ([]Cookie, error) {
	if c.signer == nil {
		return nil, errCloudFrontVerifyOnly
	}
	p, ok := cloudFrontParsePolicy(policy)
	if !ok {
		return nil, errCloudFrontPolicy
	}
	expires := ""
	if canned {
		if !cloudFrontIsCanned(policy, p) {
			return nil, errCloudFrontNotCanned
		}
		expires = strconv.FormatInt(p.end, 10)
	}
	return c.cookies(policy, expires, canned)
}

// cloudFrontIsCanned reports whether policy is the canonical canned policy.
func cloudFrontIsCanned(policy []byte, p cloudFrontParsedPolicy) bool {
	if p.hasStart || p.ip.IsValid() || strings.IndexByte(p.resource, '*') >= 0 {
		return false
	}
	return bytes.Equal(policy, cloudFrontAppendCanned(nil, p.resource, strconv.FormatInt(p.end, 10)))
}

// cookies signs policy and lays out the cookies. The two long values (the
// signature and, for custom policies, the policy) share one string.
func (c *CloudFront) cookies(policy []byte, expires string, canned bool) ([]Cookie, error) {
	if !canned && !cloudFrontPolicySendable(policy) {
		return nil, errCloudFrontPolicyLong
	}
	sig, err := c.signPolicy(policy)
	if err != nil {
		return nil, err
	}
	var obuf [1024]byte
	out := cloudFrontB64.AppendEncode(obuf[:0], sig)
	sigLen := len(out)
	if !canned {
		out = cloudFrontB64.AppendEncode(out, policy)
	}
	s := string(out)
	n := 3
	if c.hash == crypto.SHA256 {
		n = 4
	}
	cookies := make([]Cookie, 3, n)
	cookies[0] = Cookie{Name: cloudFrontCookieKeyPairID, Value: c.signID}
	cookies[1] = Cookie{Name: cloudFrontCookieSignature, Value: s[:sigLen]}
	if canned {
		cookies[2] = Cookie{Name: cloudFrontCookieExpires, Value: expires}
	} else {
		cookies[2] = Cookie{Name: cloudFrontCookiePolicy, Value: s[sigLen:]}
	}
	if c.hash == crypto.SHA256 {
		cookies = append(cookies, Cookie{Name: cloudFrontCookieHashAlgorithm, Value: cloudFrontSHA256})
	}
	return cookies, nil
}

// cloudFrontPolicySendable reports whether a custom policy, base64-encoded
// into CloudFront-Policy or Policy=, is short enough for Verify to read:
// never sign what cannot be verified.
func cloudFrontPolicySendable(policy []byte) bool {
	return cloudFrontB64.EncodedLen(len(policy)) <= cloudFrontMaxPolicyLen
}

// signPolicy returns the raw signature over the exact policy bytes:
// RSASSA-PKCS1-v1_5 with SHA-1 or SHA-256, or ECDSA P-256 over SHA-256 as
// ASN.1 DER ([README] "Signature", cookie_canned_ecdsa_p256_sha256). RSA and
// ECDSA keys of the standard library types are called directly (no interface
// dispatch and no options check on the hot path); any other crypto.Signer (an
// HSM, a KMS client) goes through its Sign method.
func (c *CloudFront) signPolicy(policy []byte) ([]byte, error) {
	// Each branch has its own digest buffer: one handed to the crypto.Signer
	// interface escapes to the heap, and would drag the others with it.
	switch {
	case c.rsaKey != nil:
		var dbuf [sha256.Size]byte
		// PKCS#1 v1.5 is deterministic, which is what keeps [vectors]
		// byte-exact; its random parameter is ignored.
		return rsa.SignPKCS1v15(nil, c.rsaKey, c.hash, cloudFrontDigest(dbuf[:0], c.hash, policy))
	case c.ecKey != nil:
		var dbuf [sha256.Size]byte
		return ecdsa.SignASN1(rand.Reader, c.ecKey, cloudFrontDigest(dbuf[:0], c.hash, policy))
	default:
		return c.signer.Sign(rand.Reader, cloudFrontDigest(nil, c.hash, policy), c.hash)
	}
}

// cloudFrontDigest appends the hash of msg to dst.
func cloudFrontDigest(dst []byte, h crypto.Hash, msg []byte) []byte {
	if h == crypto.SHA256 {
		d := sha256.Sum256(msg)
		return append(dst, d[:]...)
	}
	d := sha1.Sum(msg)
	return append(dst, d[:]...)
}

// CloudFrontPolicy describes a policy statement. DateGreaterThan and
// IPAddress are optional (zero / empty when unset).
type CloudFrontPolicy struct {
	// Resource is the URL pattern: '*' matches any run of characters and
	// '?' exactly one ([AWS docs]). Use CloudFrontResource to turn a URL
	// into the exact resource a canned policy needs.
	Resource string
	// DateLessThan is the exclusive end; it is required.
	DateLessThan time.Time
	// DateGreaterThan is the start; it is written only when non-zero.
	DateGreaterThan time.Time
	// IPAddress is an IPv4 or IPv6 address or CIDR; it is written only when
	// non-empty.
	IPAddress string
}

// NeedsCustom reports whether p needs a custom policy, deciding as the [SDK]
// does (a start time or an IP address) plus the rule of the AWS CLI and
// [README]: a wildcard ('*') in the resource also needs a custom policy, since
// a canned policy is rebuilt from the literal request URL.
func (p CloudFrontPolicy) NeedsCustom() bool {
	return !p.DateGreaterThan.IsZero() || p.IPAddress != "" || strings.IndexByte(p.Resource, '*') >= 0
}

// JSON returns the policy statement exactly as the [SDK] writes it
// (JSON.stringify of its object; [vectors] signed_policy): no whitespace,
// keys in the order Resource, Condition; conditions in the order
// DateLessThan, DateGreaterThan (only when set), IpAddress (only when set);
// epoch seconds as plain decimal integers; an address without a mask gets
// "/32" (IPv4) or "/128" (IPv6) (vector cookie_custom_ip_without_mask_gets_32).
// It is built by hand rather than with encoding/json, whose map keys are
// sorted and which would write '&' as \u0026 (vector url_canned_existing_query)
// and U+2028 as \u2028, where JSON.stringify writes both verbatim.
//
// With only Resource and DateLessThan set, the result is the canned policy.
// Times are whole seconds: DateLessThan is rounded down and DateGreaterThan
// up, so the policy never grants more than asked.
func (p CloudFrontPolicy) JSON() ([]byte, error) {
	if p.DateLessThan.IsZero() || p.DateLessThan.Unix() < 0 {
		return nil, errCloudFrontExpires
	}
	b := make([]byte, 0, 128+len(p.Resource))
	b = append(b, `{"Statement":[{"Resource":`...)
	var ok bool
	if b, ok = cloudFrontAppendJSONString(b, p.Resource); !ok {
		return nil, errCloudFrontResourceUTF8
	}
	b = append(b, `,"Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	b = strconv.AppendInt(b, p.DateLessThan.Unix(), 10)
	b = append(b, '}')
	if !p.DateGreaterThan.IsZero() {
		start := p.DateGreaterThan.Unix()
		if p.DateGreaterThan.Nanosecond() != 0 {
			start++
		}
		if start < 0 {
			return nil, errCloudFrontStart
		}
		b = append(b, `,"DateGreaterThan":{"AWS:EpochTime":`...)
		b = strconv.AppendInt(b, start, 10)
		b = append(b, '}')
	}
	if p.IPAddress != "" {
		prefix, err := cloudFrontParseIP(p.IPAddress)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"IpAddress":{"AWS:SourceIp":"`...)
		b = prefix.AppendTo(b)
		b = append(b, `"}`...)
	}
	b = append(b, `}}]}`...)
	if len(b) > cloudFrontMaxPolicyLen {
		// The verifier refuses it (and no browser keeps a cookie that big):
		// never sign what cannot be verified.
		return nil, errCloudFrontPolicyLong
	}
	return b, nil
}

// cloudFrontParseIP turns an address or CIDR into a prefix: a bare address
// gets the full mask, as the [SDK]'s parseCIDR does for IPv4. Zones and
// IPv4-mapped IPv6 addresses are refused: CloudFront compares the viewer's
// address, which has neither.
func cloudFrontParseIP(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, errCloudFrontIP
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, errCloudFrontIP
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, errCloudFrontIP
	}
	return p, nil
}

// CloudFrontCannedPolicy returns the canned policy for resource:
// {"Statement":[{"Resource":"URL","Condition":{"DateLessThan":{"AWS:EpochTime":N}}}]}
// ([README], [vectors] policy_kind "canned"). CloudFront rebuilds these bytes
// from the request URL and CloudFront-Expires, so they must be exact. The time
// is rounded down to a whole second. Invalid UTF-8 in resource (which no URL
// that went through a browser has) is written as U+FFFD.
func CloudFrontCannedPolicy(resource string, dateLessThan time.Time) []byte {
	return cloudFrontAppendCanned(nil, resource, strconv.FormatInt(dateLessThan.Unix(), 10))
}

// cloudFrontAppendCanned appends the canned policy for resource and the
// decimal expiry text to dst.
func cloudFrontAppendCanned(dst []byte, resource, expires string) []byte {
	dst = append(dst, `{"Statement":[{"Resource":`...)
	dst, _ = cloudFrontAppendJSONString(dst, resource)
	dst = append(dst, `,"Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	dst = append(dst, expires...)
	return append(dst, `}}}]}`...)
}

// cloudFrontAppendJSONString appends s as a JSON string the way
// JSON.stringify writes it: '"' and '\' escaped, \b \f \n \r \t, other
// control characters as \u00xx (lower-case hex), everything else verbatim
// (including '/', '&', '<' and U+2028). It reports false if s is not valid
// UTF-8 (each bad byte is then written as \ufffd).
func cloudFrontAppendJSONString(dst []byte, s string) ([]byte, bool) {
	const hex = "0123456789abcdef"
	ok := true
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
				ok = false
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
		i++
	}
	return append(dst, '"'), ok
}

// CloudFrontResource returns the canned-policy resource for rawURL, as the
// [SDK]'s getSignedUrl computes it with the WHATWG URL parser (new
// URL(url).toString()): scheme and host lower-cased, a default port dropped,
// an empty path written as "/", and the path and query percent-encoded
// (upper-case hex) with the WHATWG path and special-query percent-encode sets
// (vector url_canned_unicode_path_is_percent_encoded_first: "été photo.jpg"
// becomes "%C3%A9t%C3%A9%20photo.jpg"). Existing %XX sequences are kept.
//
// Where the WHATWG parser would silently rewrite more (IDNA hosts, numeric
// IPv4 forms, backslashes, dot segments, fragments, user info), this returns
// an error instead: a signed URL must be requested byte for byte as signed,
// and a silent rewrite is how the two drift apart. An empty query ("a?") is
// dropped. A query that already holds a CloudFront parameter is refused.
func CloudFrontResource(rawURL string) (string, error) {
	if !utf8.ValidString(rawURL) {
		return "", errCloudFrontURLChars
	}
	for i := 0; i < len(rawURL); i++ {
		switch c := rawURL[i]; {
		case c < 0x20 || c == 0x7f || c == '\\':
			return "", errCloudFrontURLChars
		case c == '#':
			return "", errCloudFrontURLFragment
		}
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "", errCloudFrontURL
	}
	scheme = strings.ToLower(scheme)
	defaultPort := ""
	switch scheme {
	case "http":
		defaultPort = "80"
	case "https":
		defaultPort = "443"
	default:
		return "", errCloudFrontURL
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	if strings.IndexByte(authority, '@') >= 0 {
		return "", errCloudFrontURLUserinfo
	}
	host, port, err := cloudFrontSplitHostPort(authority)
	if err != nil {
		return "", err
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if path == "" {
		path = "/"
	}
	if hasDotSegment(path) {
		return "", errCloudFrontURLDots
	}
	if hasQuery && cloudFrontQueryHasParam(query) {
		return "", errCloudFrontURLParamUsed
	}
	b := make([]byte, 0, len(rawURL)+32)
	b = append(b, scheme...)
	b = append(b, "://"...)
	b = append(b, host...)
	if port != "" && port != defaultPort {
		b = append(b, ':')
		b = append(b, port...)
	}
	b = cloudFrontPercentEncode(b, path, cloudFrontPathSet)
	if hasQuery && query != "" {
		b = append(b, '?')
		b = cloudFrontPercentEncode(b, query, cloudFrontQuerySet)
	}
	return string(b), nil
}

// cloudFrontSplitHostPort validates and normalises the authority of a URL.
func cloudFrontSplitHostPort(a string) (host, port string, err error) {
	if strings.HasPrefix(a, "[") {
		i := strings.IndexByte(a, ']')
		if i < 0 {
			return "", "", errCloudFrontURLHost
		}
		addr, perr := netip.ParseAddr(a[1:i])
		if perr != nil || !addr.Is6() || addr.Zone() != "" || addr.Is4In6() {
			return "", "", errCloudFrontURLHost
		}
		host, a = "["+addr.String()+"]", a[i+1:]
		if a != "" && a[0] != ':' {
			return "", "", errCloudFrontURLHost
		}
	} else {
		h, _, _ := strings.Cut(a, ":")
		if !cloudFrontValidHost(h) {
			return "", "", errCloudFrontURLHost
		}
		host, a = strings.ToLower(h), a[len(h):]
	}
	if a == "" || a == ":" {
		return host, "", nil
	}
	port = a[1:]
	n, ok := cloudFrontParseEpoch(port)
	if !ok || n < 1 || n > 65535 {
		return "", "", errCloudFrontURLPort
	}
	return host, port, nil
}

// cloudFrontValidHost accepts an ASCII host name (letters, digits, '-', '_',
// '.') or a dotted-quad IPv4 address. A name whose last label starts with a
// digit is refused unless it is a plain IPv4 address, because the WHATWG
// parser reads "0x7f.1" or "010.0.0.1" as numeric IPv4 and rewrites them.
func cloudFrontValidHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	last := strings.TrimSuffix(h, ".")
	if i := strings.LastIndexByte(last, '.'); i >= 0 {
		last = last[i+1:]
	}
	if last != "" && '0' <= last[0] && last[0] <= '9' {
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is4()
	}
	return true
}

// The WHATWG percent-encode sets ([SDK] relies on them through new URL()).
// Bytes >= 0x7f and controls are always encoded; these tables add the
// printable characters each set encodes on top.
const (
	cloudFrontPathSet  = " \"#<>?^`{}" // path percent-encode set
	cloudFrontQuerySet = " \"#<>'"     // special-query percent-encode set
)

// cloudFrontPercentEncode appends s with every byte of set, every control
// byte and every byte >= 0x7f written as %XX (upper-case hex, as WHATWG).
func cloudFrontPercentEncode(dst []byte, s, set string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || strings.IndexByte(set, c) >= 0 {
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// cloudFrontIsParam reports whether name is one of CloudFront's signed-URL
// query parameters, which AWS reserves ([AWS docs]: "Your parameters cannot
// be named Expires, Policy, Signature, or Key-Pair-Id"; Hash-Algorithm joined
// them with SHA-256 support).
func cloudFrontIsParam(name string) bool {
	switch name {
	case cloudFrontParamExpires, cloudFrontParamPolicy, cloudFrontParamSignature,
		cloudFrontParamKeyPairID, cloudFrontParamHashAlgorithm:
		return true
	}
	return false
}

// cloudFrontQueryHasParam reports whether a raw query has a CloudFront
// parameter.
func cloudFrontQueryHasParam(q string) bool {
	for q != "" {
		var seg string
		seg, q, _ = strings.Cut(q, "&")
		name, _, _ := strings.Cut(seg, "=")
		if cloudFrontIsParam(name) {
			return true
		}
	}
	return false
}

// SignURL returns rawURL signed the way the [SDK]'s getSignedUrl signs it
// from parameters. The URL is first normalised with CloudFrontResource. If
// p.Resource is empty it becomes that URL. When p needs a custom policy
// (NeedsCustom) or its Resource differs from the URL, the result carries
// Policy=; otherwise it carries the canned Expires=. Parameters are appended
// ('&' after an existing query, else '?') in the [SDK]'s order
// (url_canned_existing_query): Expires or Policy, Key-Pair-Id, Signature,
// then Hash-Algorithm=SHA256 with SHA256, last as in [AWS docs]' example URL.
//
// Unlike the [SDK], an existing query is kept byte for byte: the SDK decodes
// and re-encodes it (turning '+' into %20, "a" into "a="), which changes the
// URL after the canned resource was computed from it, so CloudFront would see
// a different resource than was signed.
func (c *CloudFront) SignURL(rawURL string, p CloudFrontPolicy) (string, error) {
	if c.signer == nil {
		return "", errCloudFrontVerifyOnly
	}
	resource, err := CloudFrontResource(rawURL)
	if err != nil {
		return "", err
	}
	if p.Resource == "" {
		p.Resource = resource
	}
	policy, err := p.JSON()
	if err != nil {
		return "", err
	}
	if p.NeedsCustom() || p.Resource != resource {
		if !cloudFrontMatch(p.Resource, resource) {
			return "", errCloudFrontOutOfPolicy
		}
		return c.signedURL(resource, policy, "")
	}
	return c.signedURL(resource, policy, strconv.FormatInt(p.DateLessThan.Unix(), 10))
}

// SignURLPolicy returns rawURL signed with a ready custom policy (the exact
// bytes), as the [SDK]'s getSignedUrl does with its policy input (vector
// url_custom_policy_wildcard). The policy must parse and its Resource must
// match the normalised URL, or the URL could never verify.
func (c *CloudFront) SignURLPolicy(rawURL string, policy []byte) (string, error) {
	if c.signer == nil {
		return "", errCloudFrontVerifyOnly
	}
	resource, err := CloudFrontResource(rawURL)
	if err != nil {
		return "", err
	}
	p, ok := cloudFrontParsePolicy(policy)
	if !ok {
		return "", errCloudFrontPolicy
	}
	if !cloudFrontMatch(p.resource, resource) {
		return "", errCloudFrontOutOfPolicy
	}
	return c.signedURL(resource, policy, "")
}

// signedURL appends the signing parameters to resource: Expires=expires when
// expires is set (canned), else Policy=.
func (c *CloudFront) signedURL(resource string, policy []byte, expires string) (string, error) {
	if expires == "" && !cloudFrontPolicySendable(policy) {
		return "", errCloudFrontPolicyLong
	}
	sig, err := c.signPolicy(policy)
	if err != nil {
		return "", err
	}
	b := make([]byte, 0, len(resource)+cloudFrontB64.EncodedLen(len(sig))+cloudFrontB64.EncodedLen(len(policy))+64)
	b = append(b, resource...)
	if strings.IndexByte(resource, '?') >= 0 {
		b = append(b, '&')
	} else {
		b = append(b, '?')
	}
	if expires != "" {
		b = append(b, cloudFrontParamExpires+"="...)
		b = append(b, expires...)
	} else {
		b = append(b, cloudFrontParamPolicy+"="...)
		b = cloudFrontB64.AppendEncode(b, policy)
	}
	b = append(b, "&"+cloudFrontParamKeyPairID+"="...)
	b = append(b, c.signID...)
	b = append(b, "&"+cloudFrontParamSignature+"="...)
	b = cloudFrontB64.AppendEncode(b, sig)
	if c.hash == crypto.SHA256 {
		b = append(b, "&"+cloudFrontParamHashAlgorithm+"="+cloudFrontSHA256...)
	}
	return string(b), nil
}

// cloudFrontDecode appends the bytes of a CloudFront base64 text to dst. It
// refuses '\r' and '\n', which encoding/base64 skips even in Strict mode
// (found by FuzzCloudFrontBase64): "AB\rCD" would otherwise decode like
// "ABCD", and a credential must have exactly one spelling.
func cloudFrontDecode(dst []byte, s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return dst, false
	}
	out, err := cloudFrontB64.AppendDecode(dst, []byte(s))
	return out, err == nil
}

// cloudFrontParsedPolicy is a policy statement as Verify reads it.
type cloudFrontParsedPolicy struct {
	resource string
	end      int64 // DateLessThan, exclusive
	start    int64 // DateGreaterThan, when hasStart
	hasStart bool
	ip       netip.Prefix // valid when IpAddress is present
}

// cloudFrontParsePolicy reads a policy statement strictly: valid UTF-8, one
// JSON object with exactly the key "Statement", an array of exactly one
// statement ([AWS docs]: "You can include only one statement") with exactly
// "Resource" (a string) and "Condition"; Condition has "DateLessThan"
// (required), "DateGreaterThan" and "IpAddress" (optional), each once, in any
// order ([AWS docs]: "The order of the parameters in the Condition section
// doesn't matter"); the dates hold exactly {"AWS:EpochTime": canonical
// non-negative integer} and IpAddress exactly {"AWS:SourceIp": "CIDR"}. Keys
// match case-sensitively (encoding/json's struct decoding would not), and any
// other key, value type or duplicate makes it fail, so no two readings of one
// policy can disagree. JSON whitespace between tokens and JSON string escapes
// are allowed (another signer may write "\/" for '/'), since the signature
// covers the exact bytes anyway; an unpaired surrogate escape is refused.
//
// It is a small hand-written scanner for this one shape rather than
// encoding/json's Decoder.Token, which costs about 55 allocations per policy
// on Verify's path. FuzzCloudFrontPolicy checks it against a Token-based
// reference and encoding/json.
func cloudFrontParsePolicy(b []byte) (p cloudFrontParsedPolicy, ok bool) {
	if len(b) > cloudFrontMaxPolicyLen || !utf8.Valid(b) {
		return p, false
	}
	s := cloudFrontJSON{b: b}
	var key [32]byte
	if !s.lit('{') || !s.key(key[:0], "Statement") || !s.lit('[') || !s.lit('{') {
		return p, false
	}
	var haveResource, haveCondition bool
	for {
		k, ok := s.str(key[:0])
		if !ok || !s.lit(':') {
			return p, false
		}
		switch {
		case string(k) == "Resource" && !haveResource:
			haveResource = true
			var buf [256]byte
			r, ok := s.str(buf[:0])
			if !ok {
				return p, false
			}
			p.resource = string(r)
		case string(k) == "Condition" && !haveCondition:
			haveCondition = true
			if !s.condition(&p) {
				return p, false
			}
		default:
			return p, false
		}
		if !s.lit(',') {
			break
		}
	}
	// Close the statement, the array (a second statement fails here), the
	// outer object (a second key fails here), then require the end of input.
	if !haveResource || !haveCondition || !s.lit('}') || !s.lit(']') || !s.lit('}') {
		return p, false
	}
	s.ws()
	return p, s.i == len(s.b)
}

// cloudFrontJSON scans the JSON of a policy statement.
type cloudFrontJSON struct {
	b []byte
	i int
}

// ws skips JSON whitespace.
func (s *cloudFrontJSON) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit skips whitespace and then the byte c, reporting whether it was there.
func (s *cloudFrontJSON) lit(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads a string that must equal want, then the ':' after it.
func (s *cloudFrontJSON) key(buf []byte, want string) bool {
	k, ok := s.str(buf)
	return ok && string(k) == want && s.lit(':')
}

// str reads a JSON string and appends its unescaped bytes to dst. The input
// was checked to be UTF-8 already; raw control characters are refused, as
// JSON requires.
func (s *cloudFrontJSON) str(dst []byte) ([]byte, bool) {
	if !s.lit('"') {
		return dst, false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return dst, true
		case c < 0x20:
			return dst, false
		case c != '\\':
			dst = append(dst, c)
			continue
		}
		if s.i >= len(s.b) {
			return dst, false
		}
		e := s.b[s.i]
		s.i++
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return dst, false
			}
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by an escaped low one
				// makes a character.
				if r >= 0xdc00 || s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
					return dst, false
				}
				s.i += 2
				lo, ok := s.hex4()
				if r = utf16.DecodeRune(r, lo); !ok || r == utf8.RuneError {
					return dst, false
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, false
}

// hex4 reads the four hex digits of a \u escape.
func (s *cloudFrontJSON) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

// condition reads the Condition object into p.
func (s *cloudFrontJSON) condition(p *cloudFrontParsedPolicy) bool {
	if !s.lit('{') {
		return false
	}
	var key [32]byte
	var haveEnd, haveIP bool
	for {
		k, ok := s.str(key[:0])
		if !ok || !s.lit(':') {
			return false
		}
		switch {
		case string(k) == "DateLessThan" && !haveEnd:
			haveEnd = true
			if p.end, ok = s.epochObject(); !ok {
				return false
			}
		case string(k) == "DateGreaterThan" && !p.hasStart:
			p.hasStart = true
			if p.start, ok = s.epochObject(); !ok {
				return false
			}
		case string(k) == "IpAddress" && !haveIP:
			haveIP = true
			if !s.lit('{') || !s.key(key[:0], "AWS:SourceIp") {
				return false
			}
			var buf [64]byte
			ip, ok := s.str(buf[:0])
			if !ok || !s.lit('}') {
				return false
			}
			// A received policy must carry a CIDR, as [AWS docs] require and
			// as every signer (the [SDK], JSON above) writes it.
			prefix, err := netip.ParsePrefix(string(ip))
			if err != nil {
				return false
			}
			p.ip = prefix
		default:
			return false
		}
		if !s.lit(',') {
			break
		}
	}
	return haveEnd && s.lit('}')
}

// epochObject reads {"AWS:EpochTime": N} with N a canonical integer.
func (s *cloudFrontJSON) epochObject() (int64, bool) {
	var key [16]byte
	if !s.lit('{') || !s.key(key[:0], "AWS:EpochTime") {
		return 0, false
	}
	s.ws()
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	// A sign, a fraction or an exponent is left unread and fails the '}'.
	n, ok := cloudFrontParseEpoch(string(s.b[start:s.i]))
	return n, ok && s.lit('}')
}

// cloudFrontParseEpoch parses a canonical non-negative decimal integer: only
// [0-9], no sign, no leading zero unless the number is 0, fits in int64. A
// canonical form means one number has one text, so no altered text of
// CloudFront-Expires can rebuild the same canned policy.
func cloudFrontParseEpoch(s string) (int64, bool) {
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
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// cloudFrontMatch reports whether s matches a Resource pattern, where '*'
// matches any run of bytes (also none) and '?' exactly one byte ([AWS docs]:
// "wildcard characters ... anywhere in the string"). It works on bytes: the
// URL it is matched against is the request URL as sent, which is ASCII, so a
// byte is a character. It is iterative (backtracking only to the last '*'),
// so it needs no stack and runs in O(len(pattern)*len(s)) at worst; Verify
// calls it only once the signature checked out, so the pattern is never an
// attacker's.
func cloudFrontMatch(pattern, s string) bool { return globMatch(pattern, s) }

// cloudFrontCred is one credential as found in a request.
type cloudFrontCred struct {
	signature, keyID, expires, policy, hashAlg string
	hasExpires, hasPolicy, hasHashAlg          bool
}

// Verify checks r the way CloudFront's edge does. A request is a signed URL
// when its query has a Signature parameter (then it also needs Key-Pair-Id and
// one of Expires or Policy); otherwise the CloudFront cookies are checked; with
// neither, the answer is Missing. Checks run in the order parse (Malformed),
// key lookup (UnknownKey), signature (BadSignature), time (NotYetValid, then
// Expired; the end is exclusive), IP (IPMismatch), scope (ScopeMismatch).
//
// The resource a request asks for is r.URL without CloudFront's query
// parameters, query included ([AWS docs]: the base URL "including your own
// query string parameters, if any, but excluding the CloudFront Policy,
// Signature, and Key-Pair-Id parameters"). A canned policy is rebuilt from it
// and Expires, so a canned credential used for another URL fails as
// BadSignature, not ScopeMismatch. A custom policy is parsed from the exact
// bytes received, verified over those bytes, and its Resource pattern matched
// against the resource. A path with "." or ".." segments (also as %2e) is a
// ScopeMismatch whatever the policy says, since resolving it would leave the
// prefix that was signed.
//
// Signatures are verified by crypto/rsa (PKCS#1 v1.5, SHA-1 or SHA-256, as
// the Hash-Algorithm says: absent or "SHA1" is SHA-1, "SHA256" is SHA-256,
// anything else is Malformed) and crypto/ecdsa (P-256, SHA-256 only, ASN.1 DER). Unlike an
// HMAC check there is nothing secret to compare in constant time: crypto/rsa
// compares the signature raised to the public exponent with an encoding of
// the policy hash, both of which anyone holding the public key can compute,
// so timing reveals nothing an attacker could not work out alone.
// In a signed URL a CloudFront parameter may appear once only (Malformed
// otherwise) and Policy and Expires together are Malformed. Among cookies the
// first of each name counts (see Request.Cookies), and a CloudFront-Policy
// cookie wins over a CloudFront-Expires one, which may be left over from an
// earlier canned grant.
func (c *CloudFront) Verify(r *Request, now time.Time) error {
	if r == nil {
		return Missing
	}
	if !requestURLOK(r.URL) {
		return Malformed
	}
	resource, cred, isURL, ok := cloudFrontScanURL(r.URL)
	if !ok {
		return Malformed
	}
	if !isURL {
		if reason := cloudFrontCookieCred(r, &cred); reason != nil {
			return reason
		}
	}

	// Parse.
	hash := crypto.SHA1
	if cred.hasHashAlg {
		switch cred.hashAlg {
		case cloudFrontSHA256:
			hash = crypto.SHA256
		case cloudFrontSHA1:
		default:
			return Malformed
		}
	}
	if !cloudFrontValidID(cred.keyID) {
		return Malformed
	}
	if cred.signature == "" || len(cred.signature) > cloudFrontMaxSignatureLen {
		return Malformed
	}
	var sbuf [cloudFrontMaxSignatureLen * 3 / 4]byte
	sig, ok := cloudFrontDecode(sbuf[:0], cred.signature)
	if !ok {
		return Malformed
	}
	var policy []byte
	var p cloudFrontParsedPolicy
	var pbuf [512]byte
	if cred.hasPolicy {
		if cred.policy == "" || len(cred.policy) > cloudFrontMaxPolicyLen {
			return Malformed
		}
		if policy, ok = cloudFrontDecode(pbuf[:0], cred.policy); !ok {
			return Malformed
		}
		if p, ok = cloudFrontParsePolicy(policy); !ok {
			return Malformed
		}
	} else {
		if p.end, ok = cloudFrontParseEpoch(cred.expires); !ok {
			return Malformed
		}
		if !utf8.ValidString(resource) {
			return Malformed
		}
		p.resource = resource
		policy = cloudFrontAppendCanned(pbuf[:0], resource, cred.expires)
	}

	// Key lookup.
	var key *cloudFrontPub
	for i := range c.pubs {
		if c.pubs[i].id == cred.keyID {
			key = &c.pubs[i]
			break
		}
	}
	if key == nil {
		return UnknownKey
	}

	// Signature.
	var dbuf [sha256.Size]byte
	digest := cloudFrontDigest(dbuf[:0], hash, policy)
	if key.rsa != nil {
		if rsa.VerifyPKCS1v15(key.rsa, hash, digest, sig) != nil {
			return BadSignature
		}
	} else if hash != crypto.SHA256 || !ecdsa.VerifyASN1(key.ec, digest, sig) {
		return BadSignature
	}

	// Time: compare whole seconds. For integer bounds, floor(now) < start
	// exactly when now < start, and floor(now) >= end exactly when now >= end.
	t := now.Unix()
	if p.hasStart && t < p.start {
		return NotYetValid
	}
	if t >= p.end {
		return Expired
	}

	// IP: an unknown client address never matches a bound credential.
	if p.ip.IsValid() {
		if !r.ClientIP.IsValid() || !p.ip.Contains(r.ClientIP.Unmap()) {
			return IPMismatch
		}
	}

	// Scope. A canned policy was rebuilt from the resource itself, so only
	// the dot-segment rule can fail it.
	if hasDotSegment(urlPath(resource)) {
		return ScopeMismatch
	}
	if cred.hasPolicy && !cloudFrontMatch(p.resource, resource) {
		return ScopeMismatch
	}
	return nil
}

// cloudFrontScanURL splits a request URL into the resource (the URL without
// CloudFront's query parameters, other parameters kept in order, byte for
// byte) and the CloudFront parameters found. isURL reports a signed URL (a
// Signature parameter); ok is false for a malformed signed URL.
func cloudFrontScanURL(u string) (resource string, cred cloudFrontCred, isURL, ok bool) {
	base, query, hasQuery := strings.Cut(u, "?")
	if !hasQuery || !cloudFrontQueryHasParam(query) {
		return u, cred, false, true
	}
	var kept strings.Builder
	kept.Grow(len(u))
	kept.WriteString(base)
	first := true
	var hasSig, hasKeyID, dup bool
	set := func(dst *string, seen *bool, v string) {
		if *seen {
			dup = true
		}
		*dst, *seen = v, true
	}
	for q := query; q != ""; {
		var seg string
		seg, q, _ = strings.Cut(q, "&")
		name, value, _ := strings.Cut(seg, "=")
		switch name {
		case cloudFrontParamSignature:
			set(&cred.signature, &hasSig, value)
		case cloudFrontParamKeyPairID:
			set(&cred.keyID, &hasKeyID, value)
		case cloudFrontParamExpires:
			set(&cred.expires, &cred.hasExpires, value)
		case cloudFrontParamPolicy:
			set(&cred.policy, &cred.hasPolicy, value)
		case cloudFrontParamHashAlgorithm:
			set(&cred.hashAlg, &cred.hasHashAlg, value)
		default:
			if first {
				kept.WriteByte('?')
				first = false
			} else {
				kept.WriteByte('&')
			}
			kept.WriteString(seg)
		}
	}
	resource = kept.String()
	if !hasSig {
		// Not a signed URL: the cookies decide. Stray CloudFront parameters
		// are still left out of the resource, as CloudFront leaves them out.
		return resource, cloudFrontCred{}, false, true
	}
	if dup || !hasKeyID || cred.hasExpires == cred.hasPolicy {
		return resource, cred, true, false
	}
	return resource, cred, true, true
}

// cloudFrontCookieCred fills cred from the request's cookies. It returns
// Missing when no CloudFront credential cookie is present at all (a lone
// CloudFront-Hash-Algorithm is not a credential) and Malformed when one is
// incomplete.
func cloudFrontCookieCred(r *Request, cred *cloudFrontCred) error {
	var hasSig, hasKeyID bool
	cred.signature, hasSig = r.Cookie(cloudFrontCookieSignature)
	cred.keyID, hasKeyID = r.Cookie(cloudFrontCookieKeyPairID)
	cred.policy, cred.hasPolicy = r.Cookie(cloudFrontCookiePolicy)
	cred.expires, cred.hasExpires = r.Cookie(cloudFrontCookieExpires)
	cred.hashAlg, cred.hasHashAlg = r.Cookie(cloudFrontCookieHashAlgorithm)
	if !hasSig && !hasKeyID && !cred.hasPolicy && !cred.hasExpires {
		return Missing
	}
	if !hasSig || !hasKeyID || (!cred.hasPolicy && !cred.hasExpires) {
		return Malformed
	}
	if cred.hasPolicy {
		cred.hasExpires, cred.expires = false, ""
	}
	return nil
}

// ParseCloudFrontPrivateKey parses a CloudFront private key file: one PEM
// block (surrounding whitespace is trimmed; anything else before or after it
// is refused) holding RSA as PKCS#1 ("RSA PRIVATE KEY", the form AWS hands
// out, [README] cloudfront_test_key.pkcs1.pem) or PKCS#8 ("PRIVATE KEY"), or
// ECDSA P-256 as PKCS#8 or SEC 1 ("EC PRIVATE KEY"). RSA keys must have 2048
// to 4096 bits. Encrypted PEM is refused. Errors never include key material.
func ParseCloudFrontPrivateKey(pemData []byte) (crypto.Signer, error) {
	block, err := cloudFrontDecodePEM(pemData)
	if err != nil {
		return nil, err
	}
	return cloudFrontParsePrivateBlock(block)
}

func cloudFrontParsePrivateBlock(block *pem.Block) (crypto.Signer, error) {
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, errCloudFrontKeyPEMType
	}
	if err != nil {
		return nil, errCloudFrontKeyDER // never wrap: x509 errors may quote fields
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, errCloudFrontKeyAlgorithm
	}
	switch signer.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
	default:
		return nil, errCloudFrontKeyAlgorithm // ed25519 and the like
	}
	if err := cloudFrontCheckPublic(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// ParseCloudFrontPublicKey parses a public key file: PKIX "PUBLIC KEY" (what
// the CloudFront console takes), PKCS#1 "RSA PUBLIC KEY", or any private key
// file ParseCloudFrontPrivateKey accepts (its public half). The same size and
// curve rules apply.
func ParseCloudFrontPublicKey(pemData []byte) (crypto.PublicKey, error) {
	block, err := cloudFrontDecodePEM(pemData)
	if err != nil {
		return nil, err
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		signer, err := cloudFrontParsePrivateBlock(block)
		if err != nil {
			return nil, err
		}
		return signer.Public(), nil
	}
	if err != nil {
		return nil, errCloudFrontKeyDER
	}
	if err := cloudFrontCheckPublic(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// cloudFrontDecodePEM returns the single PEM block of a key file.
func cloudFrontDecodePEM(data []byte) (*pem.Block, error) {
	if len(data) > cloudFrontMaxKeyFile {
		return nil, errCloudFrontKeyTooLarge
	}
	data = bytes.TrimSpace(data)
	// pem.Decode skips any text before "-----BEGIN"; a key file has none.
	if !bytes.HasPrefix(data, []byte("-----BEGIN ")) {
		return nil, errCloudFrontKeyNotPEM
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errCloudFrontKeyNotPEM
	}
	if len(rest) != 0 {
		return nil, errCloudFrontKeyTrailing
	}
	if len(block.Headers) != 0 {
		return nil, errCloudFrontKeyHeaders
	}
	return block, nil
}

// GenerateCloudFrontKey returns a new private key file: RSA-2048 as PKCS#8
// "PRIVATE KEY" PEM (CloudFront public keys must be RSA 2048, [AWS docs]), or
// with ecdsaKey an ECDSA P-256 key as PKCS#8 PEM. random is handed to the
// generator; note that since Go 1.26 crypto/rsa and crypto/ecdsa ignore it
// and always use a secure source (unless GODEBUG=cryptocustomrand=1).
func GenerateCloudFrontKey(random io.Reader, ecdsaKey bool) ([]byte, error) {
	var key crypto.Signer
	var err error
	if ecdsaKey {
		key, err = ecdsa.GenerateKey(elliptic.P256(), random)
	} else {
		key, err = rsa.GenerateKey(random, 2048)
	}
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// CloudFrontPublicKeyPEM returns pub as a PKIX "PUBLIC KEY" PEM, the form the
// CloudFront console and API take when a public key is uploaded.
func CloudFrontPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	if err := cloudFrontCheckPublic(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, errCloudFrontKeyAlgorithm
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
