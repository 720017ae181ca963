package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for every parser of outside input in cloudfront.go: the
// request (URL and cookies) Verify reads, the policy JSON, CloudFront base64,
// epoch integers, resource patterns, the URLs SignURL takes, and key files.
// Each checks a property, not only the absence of a panic. Run one with
//
//	go test -run '^$' -fuzz '^FuzzCloudFrontVerify$' -fuzztime=20s ./internal/signing/

// cloudFrontFuzzCookieNames are the cookies FuzzCloudFrontVerify sets, one
// bit of its mask each.
var cloudFrontFuzzCookieNames = []string{
	cloudFrontCookieKeyPairID, cloudFrontCookieSignature, cloudFrontCookiePolicy,
	cloudFrontCookieExpires, cloudFrontCookieHashAlgorithm,
}

// cloudFrontFuzzVectorRequests turns the vectors into requests: the expected
// cookies at a URL inside the policy, or the expected signed URL.
func cloudFrontFuzzVectorRequests(f *testing.F) []*Request {
	var out []*Request
	for _, v := range loadVectors[cloudFrontVector](f, "cloudfront.json") {
		p, ok := cloudFrontParsePolicy([]byte(v.Expected.SignedPolicy))
		if !ok {
			f.Fatalf("%s: signed_policy does not parse", v.Name)
		}
		r := &Request{URL: v.Expected.SignedURL}
		if v.Expected.SignedURL == "" {
			r.URL = cloudFrontTestURLFor(p.resource)
			if v.Expected.PolicyKind == "canned" {
				r.URL = p.resource
			}
			for _, pair := range v.Expected.SetCookiePairs {
				name, value, _ := strings.Cut(pair, "=")
				r.Cookies = append(r.Cookies, Cookie{Name: name, Value: value})
			}
		}
		if p.ip.IsValid() {
			r.ClientIP = p.ip.Addr()
		}
		out = append(out, r)
	}
	return out
}

// cloudFrontFuzzVerifier verifies with the vectors' RSA and ECDSA keys, both
// under the vectors' key id (the ECDSA one also under a second id).
func cloudFrontFuzzVerifier(t testing.TB) *CloudFront {
	return cloudFrontMustVerifier(t,
		CloudFrontPublicKey{ID: cloudFrontTestIDA, Key: cloudFrontTestRSA(t).Public()},
		CloudFrontPublicKey{ID: cloudFrontTestIDB, Key: cloudFrontTestEC(t).Public()})
}

func FuzzCloudFrontVerify(f *testing.F) {
	for _, r := range cloudFrontFuzzVectorRequests(f) {
		var mask byte
		values := make([]string, len(cloudFrontFuzzCookieNames))
		for i, name := range cloudFrontFuzzCookieNames {
			if v, ok := r.Cookie(name); ok {
				mask |= 1 << i
				values[i] = v
			}
		}
		f.Add(r.URL, mask, values[0], values[1], values[2], values[3], values[4], r.ClientIP.String(), int64(1767225600))
	}
	f.Add("https://a/?Signature=&Key-Pair-Id=&Expires=&Policy=", byte(0), "", "", "", "", "", "", int64(0))
	f.Add("https://a/x?Signature=AA__&Key-Pair-Id=K&Expires=1&Signature=AA__", byte(31), "K", "AA__", "e30_", "1", "SHA256", "::ffff:1.2.3.4", int64(-1))
	verifier := cloudFrontFuzzVerifier(f)
	f.Fuzz(func(t *testing.T, rawURL string, mask byte, keyID, sig, policy, expires, hashAlg, ip string, unix int64) {
		r := &Request{URL: rawURL}
		for i, v := range []string{keyID, sig, policy, expires, hashAlg} {
			if mask&(1<<i) != 0 {
				r.Cookies = append(r.Cookies, Cookie{Name: cloudFrontFuzzCookieNames[i], Value: v})
			}
		}
		r.ClientIP, _ = netip.ParseAddr(ip)
		now := time.Unix(unix, 0)
		err := verifier.Verify(r, now)
		if err != nil {
			var reason Reason
			if !errors.As(err, &reason) || !cloudFrontIsReason(reason) {
				t.Fatalf("Verify returned %v, not a Reason", err)
			}
		}
		if again := verifier.Verify(r, now); again != err {
			t.Fatalf("Verify is not deterministic: %v then %v", err, again)
		}
		if err != nil {
			return
		}
		// Accepted: the credential must stop working without its signature
		// or with its signature changed.
		_, cred, isURL, _ := cloudFrontScanURL(rawURL)
		if !isURL {
			cred.signature = sig
		}
		for _, changed := range []string{"", cloudFrontFlipFirst(cred.signature)} {
			r2 := cloudFrontWithSignature(r, isURL, cred.signature, changed)
			if verifier.Verify(r2, now) == nil {
				t.Fatalf("accepted with signature %q instead of %q", changed, cred.signature)
			}
		}
	})
}

func cloudFrontIsReason(r Reason) bool {
	for _, x := range Reasons {
		if r == x {
			return true
		}
	}
	return false
}

// cloudFrontFlipFirst changes the first character of a CloudFront base64
// text to another character of the alphabet.
func cloudFrontFlipFirst(s string) string {
	if s == "" {
		return "A"
	}
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

// cloudFrontWithSignature returns a copy of r whose signature (the first
// Signature query parameter, or the CloudFront-Signature cookie) is replaced.
func cloudFrontWithSignature(r *Request, isURL bool, old, replacement string) *Request {
	r2 := &Request{URL: r.URL, ClientIP: r.ClientIP}
	if base, query, ok := strings.Cut(r.URL, "?"); isURL && ok {
		segs := strings.Split(query, "&")
		for i, seg := range segs {
			if name, value, _ := strings.Cut(seg, "="); name == cloudFrontParamSignature && value == old {
				segs[i] = name + "=" + replacement
				break
			}
		}
		r2.URL = base + "?" + strings.Join(segs, "&")
	}
	for _, c := range r.Cookies {
		if !isURL && c.Name == cloudFrontCookieSignature {
			c.Value = replacement
		}
		r2.Cookies = append(r2.Cookies, c)
	}
	return r2
}

func FuzzCloudFrontPolicy(f *testing.F) {
	for _, v := range loadVectors[cloudFrontVector](f, "cloudfront.json") {
		f.Add([]byte(v.Expected.SignedPolicy))
	}
	f.Add([]byte(` { "Statement" : [ { "Condition" : { "IpAddress" : { "AWS:SourceIp" : "2001:db8::/32" } , "DateGreaterThan" : { "AWS:EpochTime" : 0 }, "DateLessThan" : { "AWS:EpochTime" : 9223372036854775807 } } , "Resource" : "\u002a\"" } ] } `))
	f.Add([]byte(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}{}`))
	f.Add([]byte(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1.0}}}]}`))
	f.Add([]byte(`{"Statement":[{"Resource":"https:\/\/a\/\ud83d\ude00\u00e9","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`))
	f.Add([]byte(`{"Statement":[{"Resource":"\ud800","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, ok := cloudFrontParsePolicy(data)
		ref, refOK := cloudFrontParsePolicyReference(data)
		switch {
		case ok && (!refOK || ref != p):
			t.Fatalf("scanner %+v, reference %v %+v for %q", p, refOK, ref, data)
		case !ok && refOK && !cloudFrontHasSurrogateEscape(data):
			// The scanner may refuse only what encoding/json quietly turns
			// into U+FFFD: an unpaired surrogate escape.
			t.Fatalf("scanner refused %q, reference accepts %+v", data, ref)
		}
		if !ok {
			return
		}
		// Only valid JSON parses, and a general JSON reader sees the same
		// statement.
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		var generic struct {
			Statement []struct {
				Resource  string
				Condition map[string]map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(data, &generic); err != nil || len(generic.Statement) != 1 {
			t.Fatalf("encoding/json reads %q differently: %v", data, err)
		}
		st := generic.Statement[0]
		if st.Resource != p.resource || string(st.Condition["DateLessThan"]["AWS:EpochTime"]) != strconv.FormatInt(p.end, 10) {
			t.Fatalf("encoding/json reads %q differently: %+v vs %+v", data, st, p)
		}
		// Rebuilding the policy from what was parsed parses back the same.
		q := CloudFrontPolicy{Resource: p.resource, DateLessThan: time.Unix(p.end, 0)}
		if p.hasStart {
			q.DateGreaterThan = time.Unix(p.start, 0)
		}
		if p.ip.IsValid() {
			q.IPAddress = p.ip.String()
		}
		rebuilt, err := q.JSON()
		if err != nil {
			if p.ip.Addr().Is4In6() || p.ip.Addr().Zone() != "" {
				return // refused on purpose by JSON, accepted in a signed policy
			}
			t.Fatalf("JSON of parsed %+v: %v", p, err)
		}
		p2, ok := cloudFrontParsePolicy(rebuilt)
		if !ok || p2 != p {
			t.Fatalf("round trip %q -> %q: %+v vs %+v", data, rebuilt, p, p2)
		}
	})
}

func FuzzCloudFrontPolicyJSON(f *testing.F) {
	f.Add("https://cdn.site.com/temp/guest_abc123/*", int64(1767226800), int64(1767225540), true, "198.51.100.0/24")
	f.Add("https://cdn.site.com/a.jpg?x=1&y=2", int64(1767226800), int64(0), false, "")
	f.Add("\"\\\x00\x1f\u2028é<>&/", int64(0), int64(0), true, "2001:db8::1")
	// Found by the fuzzer: escaping grew the policy past what the verifier
	// reads (cloudFrontMaxPolicyLen); JSON must refuse it.
	f.Add("000000000000000"+strings.Repeat("\x1a", 1400)+"0l0", int64(1767226653), int64(1767225543), true, "10.10.100.0/32")
	f.Fuzz(func(t *testing.T, resource string, end, start int64, hasStart bool, ip string) {
		p := CloudFrontPolicy{Resource: resource, DateLessThan: time.Unix(end, 0), IPAddress: ip}
		if hasStart {
			p.DateGreaterThan = time.Unix(start, 0)
		}
		b, err := p.JSON()
		if err != nil {
			return
		}
		if len(b) > cloudFrontMaxPolicyLen {
			t.Fatalf("JSON wrote %d bytes, more than the verifier reads", len(b))
		}
		if !utf8.ValidString(resource) || end < 0 || (!p.DateGreaterThan.IsZero() && start < 0) {
			t.Fatalf("JSON accepted %+v", p)
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			t.Fatalf("JSON wrote invalid JSON %q: %v", b, err)
		}
		parsed, ok := cloudFrontParsePolicy(b)
		if !ok {
			t.Fatalf("JSON wrote %q, which does not parse", b)
		}
		if parsed.resource != resource || parsed.end != end || parsed.hasStart != !p.DateGreaterThan.IsZero() ||
			(parsed.hasStart && parsed.start != start) || parsed.ip.IsValid() != (ip != "") {
			t.Fatalf("%q parses to %+v, want %+v", b, parsed, p)
		}
		if !p.NeedsCustom() && !bytes.Equal(b, CloudFrontCannedPolicy(resource, p.DateLessThan)) {
			t.Fatalf("canned JSON %q differs from CloudFrontCannedPolicy", b)
		}
	})
}

func FuzzCloudFrontEpoch(f *testing.F) {
	for _, s := range []string{"0", "1767226800", "01", "-1", "+1", "9223372036854775807", "9223372036854775808", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := cloudFrontParseEpoch(s)
		v, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && v >= 0 && strconv.FormatInt(v, 10) == s
		if ok != canonical || (ok && n != v) {
			t.Fatalf("cloudFrontParseEpoch(%q) = %d, %v; strconv says %d, %v", s, n, ok, v, canonical)
		}
	})
}

func FuzzCloudFrontBase64(f *testing.F) {
	for _, r := range cloudFrontFuzzVectorRequests(f) {
		for _, c := range r.Cookies {
			f.Add(c.Value)
		}
	}
	f.Add("AB__")
	f.Add("AA_")
	f.Add("00000\r000") // crasher: encoding/base64 skips CR and LF, even Strict
	f.Add("0000\n0000")
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := cloudFrontDecode(nil, s)
		if !ok {
			return
		}
		// Strict decoding: one byte string has exactly one text.
		if back := cloudFrontB64.EncodeToString(b); back != s {
			t.Fatalf("%q decodes to bytes that encode as %q", s, back)
		}
	})
}

func FuzzCloudFrontMatch(f *testing.F) {
	f.Add("https://cdn.site.com/temp/guest_abc123/*", "https://cdn.site.com/temp/guest_abc123/p1.jpg")
	f.Add("*://a/*x?", "http://a/bxc")
	f.Add("a*b*c**", "abbbcbc")
	f.Add("?*?", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 128 {
			return // keep the quadratic reference cheap
		}
		if got, want := cloudFrontMatch(pattern, s), cloudFrontMatchReference(pattern, s); got != want {
			t.Fatalf("cloudFrontMatch(%q, %q) = %v, reference says %v", pattern, s, got, want)
		}
	})
}

func FuzzCloudFrontResource(f *testing.F) {
	for _, v := range loadVectors[cloudFrontVector](f, "cloudfront.json") {
		if v.Input.URL != "" {
			f.Add(v.Input.URL)
		}
	}
	f.Add("HTTP://Example.COM:80")
	f.Add("https://[2001:db8::1]:8443/a b?c d&e='f'")
	f.Add("https://a/%2e%2E/b")
	f.Add("https://a/x?a&&b=&=c&Expiresx=1")
	// Percent-encoding triples it: the policy is too long to sign.
	f.Add("https://cdn.site.com/temp/" + strings.Repeat("{", 2800) + "guest_ab3/p3.jpg")
	cf := cloudFrontMustNew(f, "SHA256", CloudFrontKey{ID: cloudFrontTestIDB, Signer: cloudFrontTestEC(f)})
	f.Fuzz(func(t *testing.T, rawURL string) {
		out, err := CloudFrontResource(rawURL)
		if err != nil {
			return
		}
		if !strings.HasPrefix(out, "https://") && !strings.HasPrefix(out, "http://") {
			t.Fatalf("%q -> %q: not http(s)", rawURL, out)
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c <= ' ' || c >= 0x7f || c == '#' || c == '\\' || c == '"' {
				t.Fatalf("%q -> %q: byte %q left unencoded", rawURL, out, c)
			}
		}
		if again, err := CloudFrontResource(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", rawURL, out, again, err)
		}
		// Round trip: a canned signed URL for it verifies until its end,
		// whatever its query holds.
		end := cloudFrontNow.Add(time.Hour)
		signed, err := cf.SignURL(rawURL, CloudFrontPolicy{DateLessThan: end})
		if cloudFrontPolicyTooLong(err, out, false) {
			return
		}
		if err != nil {
			t.Fatalf("SignURL(%q): %v", rawURL, err)
		}
		if !strings.HasPrefix(signed, out) {
			t.Fatalf("signed URL %q does not start with %q", signed, out)
		}
		if err := cf.Verify(&Request{URL: signed}, cloudFrontNow); err != nil {
			t.Fatalf("Verify(%q) = %v", signed, err)
		}
		if err := cf.Verify(&Request{URL: signed}, end); !errors.Is(err, Expired) {
			t.Fatalf("Verify(%q) at end = %v", signed, err)
		}
	})
}

// cloudFrontPolicyTooLong reports whether err is the signer refusing a
// policy naming resource as too long, and such a policy is indeed that long:
// the JSON around the resource is under 128 bytes, and a policy that is
// sent (a custom one) counts base64-encoded.
func cloudFrontPolicyTooLong(err error, resource string, sent bool) bool {
	limit := cloudFrontMaxPolicyLen
	if sent {
		limit = cloudFrontMaxPolicyLen / 4 * 3
	}
	return errors.Is(err, errCloudFrontPolicyLong) && len(resource) > limit-128
}

func FuzzCloudFrontSignVerify(f *testing.F) {
	f.Add("temp/guest_abc123", uint32(1200), false, uint16(0), byte('A'))
	f.Add("registered/user_42", uint32(7200), true, uint16(77), byte('-'))
	f.Add("a/b/c", uint32(1), false, uint16(65535), byte(0))
	rsaCF := cloudFrontMustNew(f, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(f)})
	ecCF := cloudFrontMustNew(f, "SHA256", CloudFrontKey{ID: cloudFrontTestIDB, Signer: cloudFrontTestEC(f)})
	verifier := cloudFrontFuzzVerifier(f)
	f.Fuzz(func(t *testing.T, path string, ttl uint32, useECDSA bool, pos uint16, b byte) {
		cf := rsaCF
		if useECDSA {
			cf = ecCF
		}
		g := Grant{URLPrefix: "https://cdn.site.com/" + path + "/", Expires: cloudFrontNow.Add(time.Duration(ttl) * time.Second)}
		cookies, err := cf.Sign(g)
		if err != nil {
			if cloudFrontValidPrefix(g.URLPrefix) && !cloudFrontPolicyTooLong(err, g.URLPrefix, true) {
				t.Fatalf("Sign(%q) = %v", g.URLPrefix, err)
			}
			return
		}
		if ttl == 0 {
			return // valid, but already expired at cloudFrontNow
		}
		r := &Request{URL: g.URLPrefix + "f.jpg?x=1", Cookies: cookies}
		if err := verifier.Verify(r, cloudFrontNow); err != nil {
			t.Fatalf("Verify of a fresh grant for %q = %v", g.URLPrefix, err)
		}
		if err := verifier.Verify(r, g.Expires); !errors.Is(err, Expired) {
			t.Fatalf("Verify at expiry = %v", err)
		}
		if err := verifier.Verify(&Request{URL: g.URLPrefix[:len(g.URLPrefix)-1] + "x/f.jpg", Cookies: cookies}, cloudFrontNow); !errors.Is(err, ScopeMismatch) {
			t.Fatalf("Verify of a sibling path = %v", err)
		}
		// One changed byte anywhere in any cookie value is rejected.
		i := int(pos) % len(cookies)
		v := cookies[i].Value
		j := int(pos) / len(cookies) % len(v)
		if v[j] == b {
			return
		}
		mutated := append([]Cookie(nil), cookies...)
		mutated[i].Value = v[:j] + string([]byte{b}) + v[j+1:]
		if err := verifier.Verify(&Request{URL: r.URL, Cookies: mutated}, cloudFrontNow); err == nil {
			t.Fatalf("accepted %s with byte %d changed to %q", cookies[i].Name, j, b)
		}
	})
}

// cloudFrontKeyErrors are the only errors the key parsers may return.
var cloudFrontKeyErrors = []error{
	errCloudFrontKeyTooLarge, errCloudFrontKeyNotPEM, errCloudFrontKeyTrailing, errCloudFrontKeyHeaders,
	errCloudFrontKeyPEMType, errCloudFrontKeyDER, errCloudFrontKeyAlgorithm, errCloudFrontKeyRSASize,
	errCloudFrontKeyRSAExponent, errCloudFrontKeyCurve, errCloudFrontKeyInvalid, errCloudFrontNilKey,
}

func cloudFrontCheckKeyError(t *testing.T, data []byte, err error) {
	t.Helper()
	for _, known := range cloudFrontKeyErrors {
		if err == known {
			cloudFrontCheckErrorQuotesNothing(t, data, err)
			return
		}
	}
	t.Fatalf("unexpected error %q", err)
}

// cloudFrontFuzzKeyMax bounds the key files the key fuzzers look at. Go's
// fuzzer minimizes every new interesting input by trying each subset of its
// bytes (quadratic in its length), which for a 1.7 KB RSA PEM takes longer
// than a whole 20-second run; 512 bytes covers the ECDSA files and every
// armour and garbage case, and RSA files are covered by TestCloudFrontKeyFiles.
const cloudFrontFuzzKeyMax = 512

func cloudFrontFuzzKeySeeds(f *testing.F) {
	for _, name := range []string{"cloudfront_test_key.pem", "cloudfront_test_key.pkcs1.pem", "cloudfront_test_key.pub.pem",
		"cloudfront_test_ec_key.pem", "cloudfront_test_ec_key.pub.pem"} {
		f.Add(cloudFrontReadKeyFile(f, name))
	}
	der, err := x509.MarshalECPrivateKey(cloudFrontTestEC(f).(*ecdsa.PrivateKey))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(cloudFrontTestRSA(f).Public().(*rsa.PublicKey))}))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----"))
	f.Add([]byte("-----BEGIN RSA PUBLIC KEY-----\nMAYCAQUCAQM=\n-----END RSA PUBLIC KEY-----\n"))
	f.Add([]byte("-----BEGIN X-----\nA: b\n\nAAAA\n-----END X-----\n"))
}

func FuzzCloudFrontPrivateKey(f *testing.F) {
	cloudFrontFuzzKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > cloudFrontFuzzKeyMax {
			return
		}
		key, err := ParseCloudFrontPrivateKey(data)
		if err != nil {
			cloudFrontCheckKeyError(t, data, err)
			return
		}
		// Round trip through PKCS#8, and the public parser agrees.
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseCloudFrontPrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err != nil || !again.(interface{ Equal(crypto.PrivateKey) bool }).Equal(key) {
			t.Fatalf("PKCS#8 round trip: %v", err)
		}
		pub, err := ParseCloudFrontPublicKey(data)
		if err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Fatalf("public half: %v", err)
		}
		hash := "SHA1"
		if _, ok := key.(*ecdsa.PrivateKey); ok {
			hash = "SHA256"
		}
		if _, err := NewCloudFront(hash, CloudFrontKey{ID: "K1", Signer: key}); err != nil {
			t.Fatalf("NewCloudFront with a parsed key: %v", err)
		}
	})
}

func FuzzCloudFrontPublicKey(f *testing.F) {
	cloudFrontFuzzKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > cloudFrontFuzzKeyMax {
			return
		}
		pub, err := ParseCloudFrontPublicKey(data)
		if err != nil {
			cloudFrontCheckKeyError(t, data, err)
			return
		}
		out, err := CloudFrontPublicKeyPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseCloudFrontPublicKey(out)
		if err != nil || !again.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Fatalf("PKIX round trip: %v", err)
		}
		if _, err := NewCloudFrontVerifier(CloudFrontPublicKey{ID: "K1", Key: pub}); err != nil {
			t.Fatalf("NewCloudFrontVerifier with a parsed key: %v", err)
		}
	})
}

// cloudFrontHasSurrogateEscape reports whether data has a \uD800-\uDFFF
// escape (any case).
func cloudFrontHasSurrogateEscape(data []byte) bool {
	lower := bytes.ToLower(data)
	for i := 0; i+3 < len(lower); i++ {
		if lower[i] == '\\' && lower[i+1] == 'u' && lower[i+2] == 'd' && strings.IndexByte("89abcdef", lower[i+3]) >= 0 {
			return true
		}
	}
	return false
}

// cloudFrontParsePolicyReference is the policy parser cloudfront.go used to
// have, built on encoding/json's Decoder.Token: slower (about 55 allocations
// a policy) but with encoding/json doing the tokenizing. FuzzCloudFrontPolicy
// checks that the hand-written scanner agrees with it.
func cloudFrontParsePolicyReference(b []byte) (p cloudFrontParsedPolicy, ok bool) {
	if len(b) > cloudFrontMaxPolicyLen || !utf8.Valid(b) {
		return p, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if !cloudFrontRefDelim(d, '{') {
		return p, false
	}
	if k, ok := cloudFrontRefString(d); !ok || k != "Statement" {
		return p, false
	}
	if !cloudFrontRefDelim(d, '[') || !cloudFrontRefDelim(d, '{') {
		return p, false
	}
	var haveResource, haveCondition bool
	for d.More() {
		k, ok := cloudFrontRefString(d)
		if !ok {
			return p, false
		}
		switch {
		case k == "Resource" && !haveResource:
			haveResource = true
			if p.resource, ok = cloudFrontRefString(d); !ok {
				return p, false
			}
		case k == "Condition" && !haveCondition:
			haveCondition = true
			if !cloudFrontRefCondition(d, &p) {
				return p, false
			}
		default:
			return p, false
		}
	}
	if !haveResource || !haveCondition {
		return p, false
	}
	// Close the statement, the array (a second statement fails here), the
	// outer object (a second key fails here), then require the end of input.
	if !cloudFrontRefDelim(d, '}') || !cloudFrontRefDelim(d, ']') || !cloudFrontRefDelim(d, '}') {
		return p, false
	}
	if _, err := d.Token(); err != io.EOF {
		return p, false
	}
	return p, true
}

// cloudFrontRefCondition reads the Condition object into p.
func cloudFrontRefCondition(d *json.Decoder, p *cloudFrontParsedPolicy) bool {
	if !cloudFrontRefDelim(d, '{') {
		return false
	}
	var haveEnd, haveIP bool
	for d.More() {
		k, ok := cloudFrontRefString(d)
		if !ok {
			return false
		}
		switch {
		case k == "DateLessThan" && !haveEnd:
			haveEnd = true
			if p.end, ok = cloudFrontRefEpochObject(d); !ok {
				return false
			}
		case k == "DateGreaterThan" && !p.hasStart:
			p.hasStart = true
			if p.start, ok = cloudFrontRefEpochObject(d); !ok {
				return false
			}
		case k == "IpAddress" && !haveIP:
			haveIP = true
			if !cloudFrontRefDelim(d, '{') {
				return false
			}
			if k, ok := cloudFrontRefString(d); !ok || k != "AWS:SourceIp" {
				return false
			}
			s, ok := cloudFrontRefString(d)
			if !ok {
				return false
			}
			// A received policy must carry a CIDR, as [AWS docs] require and
			// as every signer (the [SDK], JSON above) writes it.
			prefix, err := netip.ParsePrefix(s)
			if err != nil {
				return false
			}
			p.ip = prefix
			if !cloudFrontRefDelim(d, '}') {
				return false
			}
		default:
			return false
		}
	}
	return haveEnd && cloudFrontRefDelim(d, '}')
}

// cloudFrontRefEpochObject reads {"AWS:EpochTime": N}.
func cloudFrontRefEpochObject(d *json.Decoder) (int64, bool) {
	if !cloudFrontRefDelim(d, '{') {
		return 0, false
	}
	if k, ok := cloudFrontRefString(d); !ok || k != "AWS:EpochTime" {
		return 0, false
	}
	t, err := d.Token()
	if err != nil {
		return 0, false
	}
	num, ok := t.(json.Number)
	if !ok {
		return 0, false
	}
	n, ok := cloudFrontParseEpoch(string(num))
	if !ok {
		return 0, false
	}
	return n, cloudFrontRefDelim(d, '}')
}

// cloudFrontRefDelim reads one token and reports whether it is the delimiter.
func cloudFrontRefDelim(d *json.Decoder, want json.Delim) bool {
	t, err := d.Token()
	if err != nil {
		return false
	}
	got, ok := t.(json.Delim)
	return ok && got == want
}

// cloudFrontRefString reads one token and returns it if it is a string.
func cloudFrontRefString(d *json.Decoder) (string, bool) {
	t, err := d.Token()
	if err != nil {
		return "", false
	}
	s, ok := t.(string)
	return s, ok
}
