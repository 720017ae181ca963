package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cloudFrontVector is one entry of cloudfront.json (fields:
// testdata/vectors/README.md, section "cloudfront.json").
type cloudFrontVector struct {
	Name  string `json:"name"`
	API   string `json:"api"` // getSignedCookies or getSignedUrl
	Input struct {
		PrivateKeyFile     string `json:"private_key_file"`
		PublicKeyFile      string `json:"public_key_file"`
		KeyPairID          string `json:"key_pair_id"`
		HashAlgorithm      string `json:"hash_algorithm"`
		SignatureScheme    string `json:"signature_scheme"`
		URL                string `json:"url"`
		DateLessThan       *int64 `json:"date_less_than"`
		DateLessThanISO    string `json:"date_less_than_iso"`
		DateGreaterThan    *int64 `json:"date_greater_than"`
		DateGreaterThanISO string `json:"date_greater_than_iso"`
		IPAddress          string `json:"ip_address"`
		Policy             string `json:"policy"`
	} `json:"input"`
	Expected struct {
		PolicyKind     string            `json:"policy_kind"`
		SignedPolicy   string            `json:"signed_policy"`
		Cookies        map[string]string `json:"cookies"`
		SetCookiePairs []string          `json:"set_cookie_pairs"`
		SignedURL      string            `json:"signed_url"`
		Resource       string            `json:"resource"`
		VerifyOnly     bool              `json:"verify_only"`
		Note           string            `json:"note"`
	} `json:"expected"`
}

// cloudFrontNow is the fixed test time (STYLE.md: time is injected).
var cloudFrontNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// The public test key ids of the vectors, and a second id for rotation.
const (
	cloudFrontTestIDA = "K2JCJMDEHXQW5F"
	cloudFrontTestIDB = "KBROTATION2"
)

func cloudFrontReadKeyFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(vectorPath(name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// cloudFrontTestRSA returns the vectors' RSA test key (PKCS#8 file).
func cloudFrontTestRSA(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ParseCloudFrontPrivateKey(cloudFrontReadKeyFile(t, "cloudfront_test_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// cloudFrontTestEC returns the vectors' ECDSA P-256 test key.
func cloudFrontTestEC(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ParseCloudFrontPrivateKey(cloudFrontReadKeyFile(t, "cloudfront_test_ec_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func cloudFrontMustNew(t testing.TB, hash string, keys ...CloudFrontKey) *CloudFront {
	t.Helper()
	c, err := NewCloudFront(hash, keys...)
	if err != nil {
		t.Fatalf("NewCloudFront: %v", err)
	}
	return c
}

func cloudFrontMustVerifier(t testing.TB, pubs ...CloudFrontPublicKey) *CloudFront {
	t.Helper()
	c, err := NewCloudFrontVerifier(pubs...)
	if err != nil {
		t.Fatalf("NewCloudFrontVerifier: %v", err)
	}
	return c
}

// cloudFrontTestURLFor returns a request URL inside a Resource pattern: the
// scheme wildcard becomes https, every other '*' a file name and every '?'
// an 'x'.
func cloudFrontTestURLFor(resource string) string {
	if rest, ok := strings.CutPrefix(resource, "*://"); ok {
		resource = "https://" + rest
	}
	resource = strings.ReplaceAll(resource, "*", "p1.jpg")
	return strings.ReplaceAll(resource, "?", "x")
}

// cloudFrontClientIn returns an address inside the CIDR (or the zero Addr
// when ip is empty).
func cloudFrontClientIn(t testing.TB, ip string) netip.Addr {
	t.Helper()
	if ip == "" {
		return netip.Addr{}
	}
	p, err := cloudFrontParseIP(ip)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Masked().Addr()
	if p.Bits() < a.BitLen() {
		a = a.Next()
	}
	return a
}

// cloudFrontMutations returns the replacement bytes tried at one position of
// a credential value: every other byte for short values; for long ones (a
// signature, a policy) a neighbour in the alphabet, a byte of each other
// character class and bytes outside the alphabet.
func cloudFrontMutations(orig byte, short bool) []byte {
	var out []byte
	if short {
		for b := 0; b < 256; b++ {
			if byte(b) != orig {
				out = append(out, byte(b))
			}
		}
		return out
	}
	for _, b := range []byte{orig ^ 1, orig + 1, 'A', 'z', '5', '-', '~', '_', '+', '/', '=', '%', 0} {
		if b != orig && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// cloudFrontCheckMutations checks that every single-byte change of every
// credential value makes verify fail. set rebuilds the request with value i
// replaced.
func cloudFrontCheckMutations(t *testing.T, values []string, verify func(i int, v string) error) {
	t.Helper()
	for i, v := range values {
		short := len(v) <= 32
		for pos := 0; pos < len(v); pos++ {
			for _, b := range cloudFrontMutations(v[pos], short) {
				m := v[:pos] + string([]byte{b}) + v[pos+1:]
				if err := verify(i, m); err == nil {
					t.Fatalf("value %d: change at %d to %q accepted", i, pos, b)
				}
			}
		}
	}
}

func TestCloudFrontVectors(t *testing.T) {
	vectors := loadVectors[cloudFrontVector](t, "cloudfront.json")
	cloudFrontCheckVectorFields(t)
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) { cloudFrontRunVector(t, v) })
	}
}

// cloudFrontCheckVectorFields fails when the vector file grows a field this
// test does not compare, so a new expectation can never be silently skipped.
func cloudFrontCheckVectorFields(t *testing.T) {
	raw, err := os.ReadFile(vectorPath("cloudfront.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []struct {
			Input    map[string]json.RawMessage `json:"input"`
			Expected map[string]json.RawMessage `json:"expected"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"private_key_file", "public_key_file", "key_pair_id", "hash_algorithm",
		"signature_scheme", "url", "date_less_than", "date_less_than_iso", "date_greater_than",
		"date_greater_than_iso", "ip_address", "policy"}
	expected := []string{"policy_kind", "signed_policy", "cookies", "set_cookie_pairs",
		"signed_url", "resource", "verify_only", "note"}
	for _, v := range f.Vectors {
		for k := range v.Input {
			if !slices.Contains(inputs, k) {
				t.Errorf("cloudfront.json: input field %q is not handled", k)
			}
		}
		for k := range v.Expected {
			if !slices.Contains(expected, k) {
				t.Errorf("cloudfront.json: expected field %q is not compared", k)
			}
		}
	}
}

func cloudFrontRunVector(t *testing.T, v cloudFrontVector) {
	in, want := v.Input, v.Expected
	priv, err := ParseCloudFrontPrivateKey(cloudFrontReadKeyFile(t, in.PrivateKeyFile))
	if err != nil {
		t.Fatalf("private key: %v", err)
	}
	pub, err := ParseCloudFrontPublicKey(cloudFrontReadKeyFile(t, in.PublicKeyFile))
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(priv.Public()) {
		t.Fatal("public key file does not match the private key")
	}
	cf := cloudFrontMustNew(t, in.HashAlgorithm, CloudFrontKey{ID: in.KeyPairID, Signer: priv})
	verifier := cloudFrontMustVerifier(t, CloudFrontPublicKey{ID: in.KeyPairID, Key: pub})

	// The *_iso fields are the same instants as the epoch fields.
	cloudFrontCheckISO(t, in.DateLessThan, in.DateLessThanISO)
	cloudFrontCheckISO(t, in.DateGreaterThan, in.DateGreaterThanISO)

	// Build the policy the way the SDK does.
	var policy []byte
	kind := "custom"
	resource := ""
	if in.Policy != "" {
		policy = []byte(in.Policy)
	} else {
		if in.DateLessThan == nil {
			t.Fatal("vector has neither policy nor date_less_than")
		}
		resource, err = CloudFrontResource(in.URL)
		if err != nil {
			t.Fatalf("CloudFrontResource: %v", err)
		}
		p := CloudFrontPolicy{Resource: resource, DateLessThan: time.Unix(*in.DateLessThan, 0), IPAddress: in.IPAddress}
		if in.DateGreaterThan != nil {
			p.DateGreaterThan = time.Unix(*in.DateGreaterThan, 0)
		}
		if policy, err = p.JSON(); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		if !p.NeedsCustom() {
			kind = "canned"
			if got := CloudFrontCannedPolicy(resource, p.DateLessThan); !bytes.Equal(got, policy) {
				t.Errorf("CloudFrontCannedPolicy = %s, want %s", got, policy)
			}
		}
	}
	if kind != want.PolicyKind {
		t.Errorf("policy kind = %s, want %s", kind, want.PolicyKind)
	}
	if string(policy) != want.SignedPolicy {
		t.Errorf("signed policy\n got %s\nwant %s", policy, want.SignedPolicy)
	}
	parsed, ok := cloudFrontParsePolicy([]byte(want.SignedPolicy))
	if !ok {
		t.Fatal("signed_policy does not parse")
	}

	// Where a verifier accepts it: a URL inside the resource, a client
	// inside the IP range, a time inside the window.
	reqURL := cloudFrontTestURLFor(parsed.resource)
	if kind == "canned" {
		reqURL = parsed.resource
	}
	client := cloudFrontClientIn(t, in.IPAddress)
	okAt := time.Unix(parsed.end-1, 0)
	if parsed.hasStart {
		okAt = time.Unix(parsed.start, 0)
	}

	switch v.API {
	case "getSignedCookies":
		cookies, err := cf.SignCookies(policy, kind == "canned")
		if err != nil {
			t.Fatalf("SignCookies: %v", err)
		}
		var pairs []string
		for _, c := range cookies {
			pairs = append(pairs, c.Name+"="+c.Value)
		}
		if len(pairs) != len(want.SetCookiePairs) {
			t.Fatalf("cookies %q, want %q", pairs, want.SetCookiePairs)
		}
		gotMap := map[string]string{}
		for i, c := range cookies {
			gotMap[c.Name] = c.Value
			if want.VerifyOnly && c.Name == cloudFrontCookieSignature {
				continue // randomized ECDSA: verified below instead
			}
			if pairs[i] != want.SetCookiePairs[i] {
				t.Errorf("cookie %d\n got %s\nwant %s", i, pairs[i], want.SetCookiePairs[i])
			}
		}
		for name, value := range want.Cookies {
			got, ok := gotMap[name]
			if !ok || (got != value && !(want.VerifyOnly && name == cloudFrontCookieSignature)) {
				t.Errorf("cookie %s = %q, want %q", name, got, value)
			}
		}
		if len(gotMap) != len(want.Cookies) {
			t.Errorf("cookie names %v, want %v", gotMap, want.Cookies)
		}

		// The expected cookies (for ECDSA: the vector's own signature)
		// verify, and so do ours (for ECDSA: our fresh signature).
		expected := cloudFrontPairsToCookies(t, want.SetCookiePairs)
		for _, set := range [][]Cookie{expected, cookies} {
			cloudFrontCheckAcceptExpire(t, func(now time.Time) error {
				return verifier.Verify(&Request{URL: reqURL, Cookies: set, ClientIP: client}, now)
			}, okAt, parsed)
		}
		values := make([]string, len(expected))
		for i, c := range expected {
			values[i] = c.Value
		}
		cloudFrontCheckMutations(t, values, func(i int, m string) error {
			set := slices.Clone(expected)
			set[i].Value = m
			return verifier.Verify(&Request{URL: reqURL, Cookies: set, ClientIP: client}, okAt)
		})

	case "getSignedUrl":
		var signed string
		if in.Policy != "" {
			signed, err = cf.SignURLPolicy(in.URL, policy)
		} else {
			if want.Resource != resource {
				t.Errorf("resource\n got %s\nwant %s", resource, want.Resource)
			}
			p := CloudFrontPolicy{DateLessThan: time.Unix(*in.DateLessThan, 0), IPAddress: in.IPAddress}
			if in.DateGreaterThan != nil {
				p.DateGreaterThan = time.Unix(*in.DateGreaterThan, 0)
			}
			signed, err = cf.SignURL(in.URL, p)
		}
		if err != nil {
			t.Fatalf("sign URL: %v", err)
		}
		if signed != want.SignedURL {
			t.Errorf("signed URL\n got %s\nwant %s", signed, want.SignedURL)
		}
		cloudFrontCheckAcceptExpire(t, func(now time.Time) error {
			return verifier.Verify(&Request{URL: want.SignedURL, ClientIP: client}, now)
		}, okAt, parsed)
		base, query, _ := strings.Cut(want.SignedURL, "?")
		segs := strings.Split(query, "&")
		var idx []int
		var values []string
		for i, s := range segs {
			if name, value, _ := strings.Cut(s, "="); cloudFrontIsParam(name) {
				idx = append(idx, i)
				values = append(values, value)
			}
		}
		cloudFrontCheckMutations(t, values, func(i int, m string) error {
			s := slices.Clone(segs)
			name, _, _ := strings.Cut(s[idx[i]], "=")
			s[idx[i]] = name + "=" + m
			return verifier.Verify(&Request{URL: base + "?" + strings.Join(s, "&"), ClientIP: client}, okAt)
		})
	default:
		t.Fatalf("unknown api %q", v.API)
	}
}

func cloudFrontCheckISO(t *testing.T, epoch *int64, iso string) {
	t.Helper()
	if epoch == nil && iso == "" {
		return
	}
	if epoch == nil || iso == "" {
		t.Fatalf("epoch %v and iso %q must come together", epoch, iso)
	}
	at, err := time.Parse(time.RFC3339, iso)
	if err != nil || at.Unix() != *epoch {
		t.Errorf("iso %q is not epoch %d", iso, *epoch)
	}
}

// cloudFrontCheckAcceptExpire checks acceptance at okAt, Expired at and after
// the end and NotYetValid just before the start.
func cloudFrontCheckAcceptExpire(t *testing.T, verify func(time.Time) error, okAt time.Time, p cloudFrontParsedPolicy) {
	t.Helper()
	if err := verify(okAt); err != nil {
		t.Fatalf("verify at %v: %v", okAt.Unix(), err)
	}
	if err := verify(time.Unix(p.end, 0).Add(-time.Nanosecond)); err != nil {
		t.Errorf("verify 1ns before the end: %v", err)
	}
	for _, at := range []time.Time{time.Unix(p.end, 0), time.Unix(p.end+1, 0), time.Unix(p.end, 999999999)} {
		if err := verify(at); !errors.Is(err, Expired) {
			t.Errorf("verify at %v: %v, want expired", at, err)
		}
	}
	if p.hasStart {
		if err := verify(time.Unix(p.start, 0).Add(-time.Nanosecond)); !errors.Is(err, NotYetValid) {
			t.Errorf("verify before the start: %v, want not_yet_valid", err)
		}
	}
}

func cloudFrontPairsToCookies(t *testing.T, pairs []string) []Cookie {
	t.Helper()
	var out []Cookie
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			t.Fatalf("bad pair %q", p)
		}
		out = append(out, Cookie{Name: name, Value: value})
	}
	return out
}

// cloudFrontSignedCookies signs p with c and fails the test on error.
func cloudFrontSignedCookies(t testing.TB, c *CloudFront, p CloudFrontPolicy) []Cookie {
	t.Helper()
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := c.SignCookies(b, !p.NeedsCustom())
	if err != nil {
		t.Fatal(err)
	}
	return cookies
}

// cloudFrontWith returns cookies with the named cookie's value replaced (or
// removed when value is "-"), or appended when absent.
func cloudFrontWith(cookies []Cookie, name, value string) []Cookie {
	out := make([]Cookie, 0, len(cookies)+1)
	found := false
	for _, c := range cookies {
		if c.Name == name {
			found = true
			if value == "-" {
				continue
			}
			c.Value = value
		}
		out = append(out, c)
	}
	if !found && value != "-" {
		out = append(out, Cookie{Name: name, Value: value})
	}
	return out
}

func cloudFrontCookieValue(cookies []Cookie, name string) string {
	for _, c := range cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// cloudFrontCustomCookies signs a raw policy text as custom cookies.
func cloudFrontCustomCookies(t testing.TB, c *CloudFront, policy string) []Cookie {
	t.Helper()
	var sig []byte
	var err error
	sig, err = c.signPolicy([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	cookies := []Cookie{
		{Name: cloudFrontCookieKeyPairID, Value: c.signID},
		{Name: cloudFrontCookieSignature, Value: cloudFrontB64.EncodeToString(sig)},
		{Name: cloudFrontCookiePolicy, Value: cloudFrontB64.EncodeToString([]byte(policy))},
	}
	if c.hash == crypto.SHA256 {
		cookies = append(cookies, Cookie{Name: cloudFrontCookieHashAlgorithm, Value: "SHA256"})
	}
	return cookies
}

func TestCloudFrontVerifyReasons(t *testing.T) {
	keyA := cloudFrontTestRSA(t)
	keyB := cloudFrontTestEC(t)
	cf := cloudFrontMustNew(t, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: keyA})
	cf256 := cloudFrontMustNew(t, "SHA256", CloudFrontKey{ID: cloudFrontTestIDA, Signer: keyA})
	other := cloudFrontMustNew(t, "SHA256", CloudFrontKey{ID: cloudFrontTestIDA, Signer: keyB})
	verifier := cloudFrontMustVerifier(t, CloudFrontPublicKey{ID: cloudFrontTestIDA, Key: keyA.Public()})

	const prefix = "https://cdn.site.com/temp/guest_abc123/"
	const inside = prefix + "p1.jpg"
	now := cloudFrontNow
	end := now.Add(20 * time.Minute)
	grant, err := cf.Sign(Grant{URLPrefix: prefix, Expires: end})
	if err != nil {
		t.Fatal(err)
	}
	canned := cloudFrontSignedCookies(t, cf, CloudFrontPolicy{Resource: inside, DateLessThan: end})
	withStart := cloudFrontSignedCookies(t, cf, CloudFrontPolicy{Resource: prefix + "*", DateLessThan: end, DateGreaterThan: now.Add(time.Minute)})
	withIP := cloudFrontSignedCookies(t, cf, CloudFrontPolicy{Resource: prefix + "*", DateLessThan: end, IPAddress: "198.51.100.0/24"})
	withIP6 := cloudFrontSignedCookies(t, cf, CloudFrontPolicy{Resource: prefix + "*", DateLessThan: end, IPAddress: "2001:db8::/32"})
	// '?' is not a canned-policy trigger (URLs have one), so force custom.
	oneCharPolicy, _ := CloudFrontPolicy{Resource: prefix + "p?.jpg", DateLessThan: end}.JSON()
	oneChar, err := cf.SignCookies(oneCharPolicy, false)
	if err != nil {
		t.Fatal(err)
	}
	sha256Grant, err := cf256.Sign(Grant{URLPrefix: prefix, Expires: end})
	if err != nil {
		t.Fatal(err)
	}
	ecGrant, err := other.Sign(Grant{URLPrefix: prefix, Expires: end})
	if err != nil {
		t.Fatal(err)
	}
	cannedURL, err := cf.SignURL(inside+"?w=640", CloudFrontPolicy{DateLessThan: end})
	if err != nil {
		t.Fatal(err)
	}
	customURL, err := cf.SignURL(inside, CloudFrontPolicy{Resource: prefix + "*", DateLessThan: end})
	if err != nil {
		t.Fatal(err)
	}
	sig := cloudFrontCookieValue(grant, cloudFrontCookieSignature)
	pol := cloudFrontCookieValue(grant, cloudFrontCookiePolicy)
	polJSON, _ := cloudFrontB64.DecodeString(pol)

	// A signature whose last character before the padding differs only in
	// bits that base64 drops: a lenient decoder reads the same bytes.
	lenient := []byte(sig)
	lenient[len(lenient)-3]++
	if a, b := cloudFrontLenientDecode(sig), cloudFrontLenientDecode(string(lenient)); !bytes.Equal(a, b) {
		t.Fatal("test setup: the lenient variant should decode to the same bytes")
	}
	polRaw := func(s string) []Cookie { return cloudFrontCustomCookies(t, cf, s) }
	validPolicy := `{"Statement":[{"Resource":"` + prefix + `*","Condition":{"DateLessThan":{"AWS:EpochTime":` + strconv.FormatInt(end.Unix(), 10) + `}}}]}`
	endText := strconv.FormatInt(end.Unix(), 10)

	// Each case name starts with the expected outcome: "ok" or a Reason.
	tests := []struct {
		name    string
		url     string
		cookies []Cookie
		ip      string
		now     time.Time
	}{
		{name: "ok/grant inside prefix", url: inside, cookies: grant},
		{name: "ok/grant deep path with query", url: prefix + "a/b/c.m3u8?x=1&y=2", cookies: grant},
		{name: "ok/grant prefix itself", url: prefix, cookies: grant},
		{name: "ok/canned exact url", url: inside, cookies: canned},
		{name: "ok/sha256 grant", url: inside, cookies: sha256Grant},
		// AWS lists SHA1 and SHA256 as the cookie's values, and
		// aws-sdk-go-v2 writes SHA1 when it signed with SHA-1.
		{name: "ok/hash algorithm SHA1 spelled out", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieHashAlgorithm, "SHA1")},
		{name: "ok/signed url with Hash-Algorithm=SHA1", url: cannedURL + "&Hash-Algorithm=SHA1"},
		{name: "ok/at start", url: inside, cookies: withStart, now: now.Add(time.Minute)},
		{name: "ok/ip inside cidr", url: inside, cookies: withIP, ip: "198.51.100.200"},
		{name: "ok/ipv4-mapped client inside cidr", url: inside, cookies: withIP, ip: "::ffff:198.51.100.7"},
		{name: "ok/ipv6 client inside cidr", url: inside, cookies: withIP6, ip: "2001:db8::1"},
		{name: "ok/question mark matches one character", url: prefix + "p7.jpg", cookies: oneChar},
		{name: "ok/signed url canned with query", url: cannedURL},
		{name: "ok/signed url custom wildcard", url: customURL},
		{name: "ok/signed url wins over broken cookies", url: cannedURL, cookies: []Cookie{{Name: cloudFrontCookieSignature, Value: "!"}}},
		{name: "ok/policy cookie wins over stale expires cookie", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieExpires, "1")},
		{name: "ok/first of duplicate cookies counts", url: inside, cookies: append(slices.Clone(grant), Cookie{Name: cloudFrontCookieSignature, Value: "AAAA"})},
		{name: "ok/stray CloudFront param without Signature is not part of the resource", url: inside + "?Expires=1", cookies: canned},

		{name: "missing/nothing", url: inside},
		{name: "missing/unrelated cookies", url: inside, cookies: []Cookie{{Name: "session", Value: "x"}, {Name: "Cloud-CDN-Cookie", Value: "y"}}},
		{name: "missing/only a hash algorithm cookie", url: inside, cookies: []Cookie{{Name: cloudFrontCookieHashAlgorithm, Value: "SHA256"}}},
		{name: "missing/url params without Signature", url: inside + "?Expires=" + endText + "&Key-Pair-Id=" + cloudFrontTestIDA},

		{name: "malformed/signature cookie alone", url: inside, cookies: []Cookie{{Name: cloudFrontCookieSignature, Value: sig}}},
		{name: "malformed/no key pair id", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieKeyPairID, "-")},
		{name: "malformed/no signature", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, "-")},
		{name: "malformed/neither policy nor expires", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookiePolicy, "-")},
		{name: "malformed/empty signature", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, "")},
		{name: "malformed/signature in standard base64", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, strings.NewReplacer("-", "+", "~", "/", "_", "=").Replace(sig))},
		{name: "malformed/signature without padding", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, strings.TrimRight(sig, "_"))},
		{name: "malformed/signature with non-zero trailing bits", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, string(lenient))},
		{name: "malformed/signature with a line break", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, sig[:8]+"\r\n"+sig[8:])},
		{name: "malformed/policy with a line break", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookiePolicy, pol[:8]+"\n"+pol[8:])},
		{name: "malformed/signature too long", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, strings.Repeat("AAAA", 300))},
		{name: "malformed/key pair id with dash", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieKeyPairID, "K2JC-JMDE")},
		{name: "malformed/empty key pair id", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieKeyPairID, "")},
		{name: "malformed/expires with leading zero", url: inside, cookies: cloudFrontWith(canned, cloudFrontCookieExpires, "0"+endText)},
		{name: "malformed/expires with plus sign", url: inside, cookies: cloudFrontWith(canned, cloudFrontCookieExpires, "+"+endText)},
		{name: "malformed/expires with space", url: inside, cookies: cloudFrontWith(canned, cloudFrontCookieExpires, endText+" ")},
		{name: "malformed/expires overflows int64", url: inside, cookies: cloudFrontWith(canned, cloudFrontCookieExpires, "9223372036854775808")},
		{name: "malformed/expires empty", url: inside, cookies: cloudFrontWith(canned, cloudFrontCookieExpires, "")},
		{name: "malformed/policy not base64", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookiePolicy, "!!!!")},
		{name: "malformed/policy with a standard base64 character", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookiePolicy, "+"+pol[1:])},
		{name: "malformed/policy not json", url: inside, cookies: polRaw(`not json`)},
		{name: "malformed/policy two statements", url: inside, cookies: polRaw(`{"Statement":[` + validPolicy[14:len(validPolicy)-2] + `,` + validPolicy[14:len(validPolicy)-2] + `]}`)},
		{name: "malformed/policy no statement", url: inside, cookies: polRaw(`{"Statement":[]}`)},
		{name: "malformed/policy unknown top-level key", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `}}}],"Version":"1"}`)},
		{name: "malformed/policy unknown condition", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `},"NotIpAddress":{"AWS:SourceIp":"1.2.3.4/32"}}}]}`)},
		{name: "malformed/policy lower-case key", url: inside, cookies: polRaw(`{"Statement":[{"resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `}}}]}`)},
		{name: "malformed/policy duplicate resource", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"x","Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `}}}]}`)},
		{name: "malformed/policy without DateLessThan", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateGreaterThan":{"AWS:EpochTime":1}}}]}`)},
		{name: "malformed/policy without resource", url: inside, cookies: polRaw(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `}}}]}`)},
		{name: "malformed/policy epoch as exponent", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1.9e9}}}]}`)},
		{name: "malformed/policy epoch negative", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":-1}}}]}`)},
		{name: "malformed/policy epoch as string", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":"` + endText + `"}}}]}`)},
		{name: "malformed/policy resource not a string", url: inside, cookies: polRaw(`{"Statement":[{"Resource":["*"],"Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `}}}]}`)},
		{name: "malformed/policy ip without mask", url: inside, cookies: polRaw(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":` + endText + `},"IpAddress":{"AWS:SourceIp":"198.51.100.7"}}}]}`)},
		{name: "malformed/policy trailing data", url: inside, cookies: polRaw(validPolicy + `{}`)},
		{name: "malformed/policy invalid utf-8", url: inside, cookies: polRaw(strings.Replace(validPolicy, "guest", "gu\xffst", 1))},
		{name: "bad_signature/sha256 grant said to be SHA1", url: inside, cookies: cloudFrontWith(sha256Grant, cloudFrontCookieHashAlgorithm, "SHA1")},
		{name: "malformed/hash algorithm SHA-1 with a hyphen", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieHashAlgorithm, "SHA-1")},
		{name: "malformed/hash algorithm lower case", url: inside, cookies: cloudFrontWith(sha256Grant, cloudFrontCookieHashAlgorithm, "sha256")},
		{name: "malformed/hash algorithm empty", url: inside, cookies: cloudFrontWith(sha256Grant, cloudFrontCookieHashAlgorithm, "")},
		{name: "malformed/signed url without Key-Pair-Id", url: strings.Replace(cannedURL, "&Key-Pair-Id="+cloudFrontTestIDA, "", 1)},
		{name: "malformed/signed url without Expires or Policy", url: strings.Replace(cannedURL, "&Expires="+endText, "", 1)},
		{name: "malformed/signed url with Expires and Policy", url: customURL + "&Expires=" + endText},
		{name: "malformed/signed url with two signatures", url: cannedURL + "&Signature=" + sig},
		{name: "malformed/signed url with two key pair ids", url: cannedURL + "&Key-Pair-Id=" + cloudFrontTestIDA},

		{name: "unknown_key/other key pair id", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieKeyPairID, "KUNKNOWN")},
		{name: "unknown_key/before bad signature", url: inside, cookies: cloudFrontWith(cloudFrontWith(grant, cloudFrontCookieKeyPairID, "KUNKNOWN"), cloudFrontCookieSignature, "AAAA")},

		{name: "bad_signature/signed by another key under the same id", url: inside, cookies: cloudFrontWith(ecGrant, cloudFrontCookieHashAlgorithm, "-")},
		{name: "bad_signature/ecdsa signature under a known rsa key", url: inside, cookies: ecGrant},
		{name: "bad_signature/canned cookies used for another url", url: prefix + "p2.jpg", cookies: canned},
		{name: "bad_signature/canned cookies with another expiry", url: inside, cookies: cloudFrontWith(canned, cloudFrontCookieExpires, strconv.FormatInt(end.Unix()+3600, 10))},
		{name: "bad_signature/sha1 signature labelled sha256", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieHashAlgorithm, "SHA256")},
		{name: "bad_signature/sha256 signature without label", url: inside, cookies: cloudFrontWith(sha256Grant, cloudFrontCookieHashAlgorithm, "-")},
		{name: "bad_signature/same policy with whitespace", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookiePolicy, cloudFrontB64.EncodeToString(append(slices.Clone(polJSON), ' ')))},
		{name: "bad_signature/signature of the wrong length", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, "AAAA")},
		{name: "bad_signature/before expired", url: inside, cookies: cloudFrontWith(grant, cloudFrontCookieSignature, "AAAA"), now: end.Add(time.Hour)},
		{name: "bad_signature/signed url for another path", url: strings.Replace(cannedURL, "p1.jpg", "p2.jpg", 1)},
		{name: "bad_signature/signed url query changed", url: strings.Replace(cannedURL, "w=640", "w=1280", 1)},

		{name: "expired/at end", url: inside, cookies: grant, now: end},
		{name: "expired/after end", url: inside, cookies: grant, now: end.Add(time.Second)},
		{name: "expired/canned at end", url: inside, cookies: canned, now: end},
		{name: "expired/signed url at end", url: cannedURL, now: end},
		{name: "expired/before ip and scope checks", url: "https://cdn.site.com/other/x", cookies: withIP, ip: "203.0.113.1", now: end},
		{name: "not_yet_valid/before start", url: inside, cookies: withStart, now: now.Add(time.Minute - time.Nanosecond)},
		{name: "not_yet_valid/before ip and scope checks", url: "https://cdn.site.com/other/x", cookies: withStart, now: now},

		{name: "ip_mismatch/outside cidr", url: inside, cookies: withIP, ip: "198.51.101.1"},
		{name: "ip_mismatch/unknown client address", url: inside, cookies: withIP},
		{name: "ip_mismatch/ipv6 client, ipv4 cidr", url: inside, cookies: withIP, ip: "2001:db8::1"},
		{name: "ip_mismatch/ipv4 client, ipv6 cidr", url: inside, cookies: withIP6, ip: "198.51.100.7"},
		{name: "ip_mismatch/before scope check", url: "https://cdn.site.com/other/x", cookies: withIP, ip: "203.0.113.1"},

		{name: "scope_mismatch/prefix without its trailing slash", url: strings.TrimSuffix(prefix, "/"), cookies: grant},
		{name: "scope_mismatch/sibling with longer id", url: "https://cdn.site.com/temp/guest_abc1234/p1.jpg", cookies: grant},
		{name: "scope_mismatch/sibling with shorter id", url: "https://cdn.site.com/temp/guest_abc12/p1.jpg", cookies: grant},
		{name: "scope_mismatch/parent directory", url: "https://cdn.site.com/temp/", cookies: grant},
		{name: "scope_mismatch/other scheme", url: "http://cdn.site.com/temp/guest_abc123/p1.jpg", cookies: grant},
		{name: "scope_mismatch/host suffix", url: "https://cdn.site.com.evil.example/temp/guest_abc123/p1.jpg", cookies: grant},
		{name: "scope_mismatch/host with port", url: "https://cdn.site.com:8443/temp/guest_abc123/p1.jpg", cookies: grant},
		{name: "scope_mismatch/upper-case host", url: "https://CDN.site.com/temp/guest_abc123/p1.jpg", cookies: grant},
		{name: "scope_mismatch/prefix in the query of another url", url: "https://evil.example/?u=" + prefix, cookies: grant},
		{name: "scope_mismatch/dot-dot out of the prefix", url: prefix + "../guest_other/p1.jpg", cookies: grant},
		{name: "scope_mismatch/encoded dot-dot out of the prefix", url: prefix + "%2e%2E/guest_other/p1.jpg", cookies: grant},
		{name: "scope_mismatch/dot-dot behind an encoded slash", url: prefix + "x%2F..%2F..%2Fguest_other/p1.jpg", cookies: grant},
		{name: "scope_mismatch/trailing dot-dot", url: prefix + "..", cookies: grant},
		{name: "scope_mismatch/dot segment in a canned url", url: "https://cdn.site.com/temp/./p1.jpg", cookies: cloudFrontSignedCookies(t, cf, CloudFrontPolicy{Resource: "https://cdn.site.com/temp/./p1.jpg", DateLessThan: end})},
		{name: "scope_mismatch/question mark needs one character", url: prefix + "p.jpg", cookies: oneChar},
		{name: "scope_mismatch/signed url custom outside", url: strings.Replace(customURL, "guest_abc123", "guest_abc124", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.now
			if at.IsZero() {
				at = now
			}
			r := &Request{URL: tc.url, Cookies: tc.cookies}
			if tc.ip != "" {
				r.ClientIP = netip.MustParseAddr(tc.ip)
			}
			outcome, _, _ := strings.Cut(tc.name, "/")
			var want error
			if outcome != "ok" {
				if !slices.Contains(Reasons, Reason(outcome)) {
					t.Fatalf("case name %q does not start with ok/ or a reason", tc.name)
				}
				want = Reason(outcome)
			}
			err := verifier.Verify(r, at)
			if !errors.Is(err, want) || (want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, want)
			}
			if err != nil {
				var reason Reason
				if !errors.As(err, &reason) {
					t.Fatalf("Verify returned %T, want a Reason", err)
				}
			}
		})
	}
	if err := verifier.Verify(nil, now); !errors.Is(err, Missing) {
		t.Errorf("Verify(nil) = %v, want missing", err)
	}
}

func cloudFrontLenientDecode(s string) []byte {
	std := strings.NewReplacer("-", "+", "~", "/", "_", "=").Replace(s)
	b, err := base64.StdEncoding.DecodeString(std)
	if err != nil {
		panic(err)
	}
	return b
}

func TestCloudFrontKeyRotation(t *testing.T) {
	keyA := cloudFrontTestRSA(t)
	keyB := cloudFrontTestEC(t)
	pubA := CloudFrontPublicKey{ID: cloudFrontTestIDA, Key: keyA.Public()}
	pubB := CloudFrontPublicKey{ID: cloudFrontTestIDB, Key: keyB.Public()}
	const prefix = "https://cdn.site.com/temp/guest_abc123/"
	g := Grant{URLPrefix: prefix, Expires: cloudFrontNow.Add(20 * time.Minute)}

	signedByA, err := cloudFrontMustNew(t, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: keyA}).Sign(g)
	if err != nil {
		t.Fatal(err)
	}
	// The first key signs: a signer holding [B, A] signs with B.
	signerBA := cloudFrontMustNew(t, "SHA256", CloudFrontKey{ID: cloudFrontTestIDB, Signer: keyB}, CloudFrontKey{ID: cloudFrontTestIDA, Signer: keyA})
	signedByB, err := signerBA.Sign(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := cloudFrontCookieValue(signedByB, cloudFrontCookieKeyPairID); got != cloudFrontTestIDB {
		t.Fatalf("signer [B, A] signed with %s, want B", got)
	}

	tests := []struct {
		name     string
		verifier *CloudFront
		cookies  []Cookie
		want     error
	}{
		{"ok/verifier [B, A] accepts A", cloudFrontMustVerifier(t, pubB, pubA), signedByA, nil},
		{"ok/verifier [B, A] accepts B", cloudFrontMustVerifier(t, pubB, pubA), signedByB, nil},
		{"ok/signer [B, A] verifies what A signed", signerBA, signedByA, nil},
		{"unknown_key/verifier [B] rejects A", cloudFrontMustVerifier(t, pubB), signedByA, UnknownKey},
		{"unknown_key/verifier [A] rejects B", cloudFrontMustVerifier(t, pubA), signedByB, UnknownKey},
		{"bad_signature/id A bound to key B", cloudFrontMustVerifier(t, CloudFrontPublicKey{ID: cloudFrontTestIDA, Key: keyB.Public()}), signedByA, BadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.verifier.Verify(&Request{URL: prefix + "p1.jpg", Cookies: tc.cookies}, cloudFrontNow)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCloudFrontConstructors(t *testing.T) {
	keyA := cloudFrontTestRSA(t)
	keyB := cloudFrontTestEC(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := CloudFrontKey{ID: cloudFrontTestIDA, Signer: keyA}
	b := CloudFrontKey{ID: cloudFrontTestIDB, Signer: keyB}
	tests := []struct {
		name string
		hash string
		keys []CloudFrontKey
		want error
	}{
		{"ok/sha1 rsa", "SHA1", []CloudFrontKey{a}, nil},
		{"ok/default hash", "", []CloudFrontKey{a}, nil},
		{"ok/sha256 ecdsa", "SHA256", []CloudFrontKey{b, a}, nil},
		{"ok/sha1 rsa with an older ecdsa key", "SHA1", []CloudFrontKey{a, b}, nil},
		{"ok/three keys", "SHA256", []CloudFrontKey{a, b, {ID: "K3", Signer: keyA}}, nil},
		{"error/ecdsa signing key with sha1", "SHA1", []CloudFrontKey{b}, errCloudFrontECDSAHash},
		{"error/ecdsa signing key with default hash", "", []CloudFrontKey{b}, errCloudFrontECDSAHash},
		{"error/lower-case hash name", "sha256", []CloudFrontKey{a}, errCloudFrontHash},
		{"error/unknown hash", "SHA512", []CloudFrontKey{a}, errCloudFrontHash},
		{"error/no keys", "SHA1", nil, errCloudFrontKeyCount},
		{"error/four keys", "SHA1", []CloudFrontKey{a, b, {ID: "K3", Signer: keyA}, {ID: "K4", Signer: keyA}}, errCloudFrontKeyCount},
		{"error/duplicate id", "SHA256", []CloudFrontKey{a, {ID: cloudFrontTestIDA, Signer: keyB}}, errCloudFrontKeyIDDup},
		{"error/empty id", "SHA1", []CloudFrontKey{{ID: "", Signer: keyA}}, errCloudFrontKeyID},
		{"error/id with dash", "SHA1", []CloudFrontKey{{ID: "K2-J", Signer: keyA}}, errCloudFrontKeyID},
		{"error/id with space", "SHA1", []CloudFrontKey{{ID: "K2 J", Signer: keyA}}, errCloudFrontKeyID},
		{"error/nil signer", "SHA1", []CloudFrontKey{{ID: "K1"}}, errCloudFrontNilKey},
		{"error/rsa 1024", "SHA1", []CloudFrontKey{{ID: "K1", Signer: small}}, errCloudFrontKeyRSASize},
		{"error/p384", "SHA256", []CloudFrontKey{{ID: "K1", Signer: p384}}, errCloudFrontKeyCurve},
		{"error/ed25519", "SHA256", []CloudFrontKey{{ID: "K1", Signer: edKey}}, errCloudFrontKeyAlgorithm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCloudFront(tc.hash, tc.keys...)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("NewCloudFront = %v, want %v", err, tc.want)
			}
			if err == nil && c.Format() != "cloudfront" {
				t.Errorf("Format = %q", c.Format())
			}
		})
	}

	// Verify-only: every signing method errors, Verify works.
	v := cloudFrontMustVerifier(t, CloudFrontPublicKey{ID: cloudFrontTestIDA, Key: keyA.Public()})
	g := Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudFrontNow.Add(time.Hour)}
	if _, err := v.Sign(g); !errors.Is(err, errCloudFrontVerifyOnly) {
		t.Errorf("verify-only Sign = %v", err)
	}
	if _, err := v.SignCookies(CloudFrontCannedPolicy("https://a.example/x", cloudFrontNow), true); !errors.Is(err, errCloudFrontVerifyOnly) {
		t.Errorf("verify-only SignCookies = %v", err)
	}
	if _, err := v.SignURL("https://a.example/x", CloudFrontPolicy{DateLessThan: cloudFrontNow}); !errors.Is(err, errCloudFrontVerifyOnly) {
		t.Errorf("verify-only SignURL = %v", err)
	}
	if _, err := v.SignURLPolicy("https://a.example/x", CloudFrontCannedPolicy("https://a.example/x", cloudFrontNow)); !errors.Is(err, errCloudFrontVerifyOnly) {
		t.Errorf("verify-only SignURLPolicy = %v", err)
	}
	signed, err := cloudFrontMustNew(t, "SHA1", a).Sign(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(&Request{URL: g.URLPrefix + "x", Cookies: signed}, cloudFrontNow); err != nil {
		t.Errorf("verify-only Verify = %v", err)
	}
	for _, pubs := range [][]CloudFrontPublicKey{
		nil,
		{{ID: "K1", Key: nil}},
		{{ID: "K1", Key: small.Public()}},
		{{ID: "K1", Key: p384.Public()}},
		{{ID: "K1", Key: edKey.Public()}},
		{{ID: "K1", Key: &ecdsa.PublicKey{Curve: elliptic.P256(), X: keyA.Public().(*rsa.PublicKey).N, Y: keyA.Public().(*rsa.PublicKey).N}}},
		{{ID: "K1", Key: &rsa.PublicKey{N: keyA.Public().(*rsa.PublicKey).N, E: 4}}},
	} {
		if _, err := NewCloudFrontVerifier(pubs...); err == nil {
			t.Errorf("NewCloudFrontVerifier(%v) accepted", pubs)
		}
	}
}

func TestCloudFrontSign(t *testing.T) {
	cf := cloudFrontMustNew(t, "SHA256", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(t)})
	const prefix = "https://cdn.site.com/temp/guest_abc123/"
	end := cloudFrontNow.Add(20*time.Minute + 500*time.Millisecond)
	got, err := cf.Sign(Grant{URLPrefix: prefix, Expires: end})
	if err != nil {
		t.Fatal(err)
	}
	// Sign is SignCookies of the wildcard custom policy, expiry rounded down.
	policy, err := CloudFrontPolicy{Resource: prefix + "*", DateLessThan: end}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := `{"Statement":[{"Resource":"` + prefix + `*","Condition":{"DateLessThan":{"AWS:EpochTime":` + strconv.FormatInt(end.Unix(), 10) + `}}}]}`
	if string(policy) != wantPolicy {
		t.Fatalf("policy %s, want %s", policy, wantPolicy)
	}
	want, err := cf.SignCookies(policy, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Sign = %v\nwant %v", got, want)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
		if !slices.Contains(cf.CookieNames(), c.Name) {
			t.Errorf("CookieNames lacks %s", c.Name)
		}
	}
	if wantNames := []string{cloudFrontCookieKeyPairID, cloudFrontCookieSignature, cloudFrontCookiePolicy, cloudFrontCookieHashAlgorithm}; !slices.Equal(names, wantNames) {
		t.Errorf("cookie order %v, want %v", names, wantNames)
	}
	sha1Cookies, err := cloudFrontMustNew(t, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(t)}).Sign(Grant{URLPrefix: prefix, Expires: end})
	if err != nil {
		t.Fatal(err)
	}
	if len(sha1Cookies) != 3 || cloudFrontCookieValue(sha1Cookies, cloudFrontCookieHashAlgorithm) != "" {
		t.Errorf("SHA1 grant cookies %v: want no CloudFront-Hash-Algorithm", sha1Cookies)
	}

	for _, bad := range []Grant{
		{URLPrefix: "https://cdn.site.com/temp/guest_abc123", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/guest_*/", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/guest_?/", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/a b/", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/a\"b/", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/a\\b/", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/a#b/", Expires: end},
		{URLPrefix: "https://cdn.site.com/temp/été/", Expires: end},
		{URLPrefix: "ftp://cdn.site.com/temp/", Expires: end},
		{URLPrefix: "https:///temp/", Expires: end},
		{URLPrefix: "https://", Expires: end},
		{URLPrefix: "", Expires: end},
		{URLPrefix: prefix},
		{URLPrefix: prefix, Expires: time.Unix(0, 0)},
		{URLPrefix: prefix, Expires: time.Unix(-5, 0)},
	} {
		if _, err := cf.Sign(bad); err == nil {
			t.Errorf("Sign(%q, %v) accepted", bad.URLPrefix, bad.Expires)
		}
	}
}

func TestCloudFrontSignCookiesRejects(t *testing.T) {
	cf := cloudFrontMustNew(t, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(t)})
	end := cloudFrontNow
	canned := CloudFrontCannedPolicy("https://a.example/x.jpg", end)
	custom, _ := CloudFrontPolicy{Resource: "https://a.example/*", DateLessThan: end}.JSON()
	withIP, _ := CloudFrontPolicy{Resource: "https://a.example/x.jpg", DateLessThan: end, IPAddress: "1.2.3.4"}.JSON()
	tests := []struct {
		name   string
		policy []byte
		canned bool
		want   error
	}{
		{"ok/canned", canned, true, nil},
		{"ok/custom", custom, false, nil},
		{"ok/canned bytes signed as custom", canned, false, nil},
		{"error/wildcard as canned", CloudFrontCannedPolicy("https://a.example/*", end), true, errCloudFrontNotCanned},
		{"error/ip policy as canned", withIP, true, errCloudFrontNotCanned},
		{"error/canned with whitespace", append(slices.Clone(canned), ' '), true, errCloudFrontNotCanned},
		{"error/not a policy", []byte(`{}`), false, errCloudFrontPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cf.SignCookies(tc.policy, tc.canned)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("SignCookies = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCloudFrontSignURL(t *testing.T) {
	cf := cloudFrontMustNew(t, "SHA256", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(t)})
	verifier := cloudFrontMustVerifier(t, CloudFrontPublicKey{ID: cloudFrontTestIDA, Key: cloudFrontTestRSA(t).Public()})
	end := cloudFrontNow.Add(time.Hour)
	tests := []struct {
		name     string
		url      string
		policy   CloudFrontPolicy
		contains []string
		ip       string
		want     error
	}{
		{name: "ok/canned", url: "https://cdn.site.com/a.jpg", policy: CloudFrontPolicy{DateLessThan: end},
			contains: []string{"https://cdn.site.com/a.jpg?Expires=" + strconv.FormatInt(end.Unix(), 10) + "&Key-Pair-Id=" + cloudFrontTestIDA + "&Signature=", "&Hash-Algorithm=SHA256"}},
		{name: "ok/canned keeps the query as is", url: "https://cdn.site.com/a.jpg?q=a+b&flag", policy: CloudFrontPolicy{DateLessThan: end},
			contains: []string{"https://cdn.site.com/a.jpg?q=a+b&flag&Expires="}},
		{name: "ok/custom for an ip", url: "https://cdn.site.com/a.jpg", policy: CloudFrontPolicy{DateLessThan: end, IPAddress: "203.0.113.9"},
			contains: []string{"?Policy="}, ip: "203.0.113.9"},
		{name: "ok/custom for a wildcard resource", url: "https://cdn.site.com/d/a.jpg", policy: CloudFrontPolicy{Resource: "https://cdn.site.com/d/*", DateLessThan: end},
			contains: []string{"https://cdn.site.com/d/a.jpg?Policy="}},
		{name: "ok/custom for another exact resource", url: "https://cdn.site.com/d/a.jpg", policy: CloudFrontPolicy{Resource: "https://cdn.site.com/d/a.jp?", DateLessThan: end},
			contains: []string{"?Policy="}},
		{name: "error/url outside the resource", url: "https://cdn.site.com/e/a.jpg", policy: CloudFrontPolicy{Resource: "https://cdn.site.com/d/*", DateLessThan: end}, want: errCloudFrontOutOfPolicy},
		{name: "error/no expiry", url: "https://cdn.site.com/a.jpg", want: errCloudFrontExpires},
		{name: "error/bad ip", url: "https://cdn.site.com/a.jpg", policy: CloudFrontPolicy{DateLessThan: end, IPAddress: "1.2.3"}, want: errCloudFrontIP},
		{name: "error/fragment", url: "https://cdn.site.com/a.jpg#x", policy: CloudFrontPolicy{DateLessThan: end}, want: errCloudFrontURLFragment},
		{name: "error/already signed", url: "https://cdn.site.com/a.jpg?Signature=x", policy: CloudFrontPolicy{DateLessThan: end}, want: errCloudFrontURLParamUsed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cf.SignURL(tc.url, tc.policy)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("SignURL = %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			for _, s := range tc.contains {
				if !strings.Contains(got, s) {
					t.Errorf("%s\nlacks %s", got, s)
				}
			}
			if !strings.HasSuffix(got, "&Hash-Algorithm=SHA256") {
				t.Errorf("%s: Hash-Algorithm is not last", got)
			}
			r := &Request{URL: got}
			if tc.ip != "" {
				r.ClientIP = netip.MustParseAddr(tc.ip)
			}
			if err := verifier.Verify(r, cloudFrontNow); err != nil {
				t.Errorf("Verify(%s) = %v", got, err)
			}
			if err := verifier.Verify(r, end); !errors.Is(err, Expired) {
				t.Errorf("Verify at end = %v", err)
			}
		})
	}
	if _, err := cf.SignURLPolicy("https://cdn.site.com/a.jpg", []byte(`{"Statement":[]}`)); !errors.Is(err, errCloudFrontPolicy) {
		t.Errorf("SignURLPolicy with a bad policy = %v", err)
	}
	if _, err := cf.SignURLPolicy("https://cdn.site.com/a.jpg", CloudFrontCannedPolicy("https://cdn.site.com/b.jpg", end)); !errors.Is(err, errCloudFrontOutOfPolicy) {
		t.Errorf("SignURLPolicy outside the policy = %v", err)
	}
}

func TestCloudFrontResource(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{in: "https://cdn.site.com/temp/guest_abc123/p1.jpg", want: "https://cdn.site.com/temp/guest_abc123/p1.jpg"},
		{in: "https://cdn.site.com/temp/guest_abc123/été photo.jpg", want: "https://cdn.site.com/temp/guest_abc123/%C3%A9t%C3%A9%20photo.jpg"},
		{in: "HTTPS://CDN.Site.COM/A.jpg", want: "https://cdn.site.com/A.jpg"},
		{in: "https://cdn.site.com:443/a", want: "https://cdn.site.com/a"},
		{in: "http://cdn.site.com:80/a", want: "http://cdn.site.com/a"},
		{in: "http://cdn.site.com:443/a", want: "http://cdn.site.com:443/a"},
		{in: "https://cdn.site.com:/a", want: "https://cdn.site.com/a"},
		{in: "https://cdn.site.com", want: "https://cdn.site.com/"},
		{in: "https://cdn.site.com?a=1", want: "https://cdn.site.com/?a=1"},
		{in: "https://cdn.site.com/a?", want: "https://cdn.site.com/a"},
		{in: "https://cdn.site.com/a b?c d&e='f'", want: "https://cdn.site.com/a%20b?c%20d&e=%27f%27"},
		{in: "https://cdn.site.com/it's/{x}^`<>\"", want: "https://cdn.site.com/it's/%7Bx%7D%5E%60%3C%3E%22"},
		{in: "https://cdn.site.com/a%2Fb%zz?x=%41", want: "https://cdn.site.com/a%2Fb%zz?x=%41"},
		{in: "https://cdn.site.com/a/*/b?*", want: "https://cdn.site.com/a/*/b?*"},
		{in: "https://cdn.site.com/a.../b", want: "https://cdn.site.com/a.../b"},
		{in: "https://1.2.3.4/a", want: "https://1.2.3.4/a"},
		{in: "https://[2001:DB8:0:0::1]:8443/a", want: "https://[2001:db8::1]:8443/a"},
		{in: "https://cdn.site.com/a?w=640&fmt=webp", want: "https://cdn.site.com/a?w=640&fmt=webp"},
		{in: "https://cdn.site.com/a?Expires=1", err: errCloudFrontURLParamUsed},
		{in: "https://cdn.site.com/a?x=1&Key-Pair-Id=K", err: errCloudFrontURLParamUsed},
		{in: "https://cdn.site.com/a#frag", err: errCloudFrontURLFragment},
		{in: "https://user:pw@cdn.site.com/a", err: errCloudFrontURLUserinfo},
		{in: "ftp://cdn.site.com/a", err: errCloudFrontURL},
		{in: "cdn.site.com/a", err: errCloudFrontURL},
		{in: "/a", err: errCloudFrontURL},
		{in: "https://cdn.site.com/a/../b", err: errCloudFrontURLDots},
		{in: "https://cdn.site.com/a/./b", err: errCloudFrontURLDots},
		{in: "https://cdn.site.com/a/%2E%2e/b", err: errCloudFrontURLDots},
		{in: "https://cdn.site.com/..", err: errCloudFrontURLDots},
		{in: "https://cdn.site.com/a\\b", err: errCloudFrontURLChars},
		{in: "https://cdn.site.com/a\tb", err: errCloudFrontURLChars},
		{in: "https://cdn.site.com/a\x7f", err: errCloudFrontURLChars},
		{in: "https://cdn.site.com/\xff", err: errCloudFrontURLChars},
		{in: "https://exämple.com/a", err: errCloudFrontURLHost},
		{in: "https:///a", err: errCloudFrontURLHost},
		{in: "https://0x7f.1/a", err: errCloudFrontURLHost},
		{in: "https://010.0.0.1/a", err: errCloudFrontURLHost},
		{in: "https://[fe80::1%25eth0]/a", err: errCloudFrontURLHost},
		{in: "https://[::ffff:1.2.3.4]/a", err: errCloudFrontURLHost},
		{in: "https://[2001:db8::1]x/a", err: errCloudFrontURLHost},
		{in: "https://cdn.site.com:0/a", err: errCloudFrontURLPort},
		{in: "https://cdn.site.com:65536/a", err: errCloudFrontURLPort},
		{in: "https://cdn.site.com:0443/a", err: errCloudFrontURLPort},
		{in: "https://cdn.site.com:44x/a", err: errCloudFrontURLPort},
	}
	for _, tc := range tests {
		got, err := CloudFrontResource(tc.in)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("CloudFrontResource(%q) error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if got != tc.want {
			t.Errorf("CloudFrontResource(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCloudFrontPolicyJSON(t *testing.T) {
	end := time.Unix(1767226800, 0)
	tests := []struct {
		name string
		p    CloudFrontPolicy
		want string
		err  error
	}{
		{name: "ok/canned", p: CloudFrontPolicy{Resource: "https://a/x?b=1&c=2", DateLessThan: end},
			want: `{"Statement":[{"Resource":"https://a/x?b=1&c=2","Condition":{"DateLessThan":{"AWS:EpochTime":1767226800}}}]}`},
		{name: "ok/escapes like JSON.stringify", p: CloudFrontPolicy{Resource: "a\"b\\c\nd\te\x01f\x1f/<>&\u2028é\x7f", DateLessThan: end},
			want: `{"Statement":[{"Resource":"a\"b\\c\nd\te\u0001f\u001f/<>&` + "\u2028é\x7f" + `","Condition":{"DateLessThan":{"AWS:EpochTime":1767226800}}}]}`},
		{name: "ok/sub-second end rounds down, start rounds up", p: CloudFrontPolicy{Resource: "r", DateLessThan: end.Add(999 * time.Millisecond), DateGreaterThan: end.Add(-1500 * time.Millisecond)},
			want: `{"Statement":[{"Resource":"r","Condition":{"DateLessThan":{"AWS:EpochTime":1767226800},"DateGreaterThan":{"AWS:EpochTime":1767226799}}}]}`},
		{name: "ok/ipv6 address gets /128", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "2001:DB8::1"},
			want: `{"Statement":[{"Resource":"r","Condition":{"DateLessThan":{"AWS:EpochTime":1767226800},"IpAddress":{"AWS:SourceIp":"2001:db8::1/128"}}}]}`},
		{name: "ok/cidr kept", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "10.0.0.0/8"},
			want: `{"Statement":[{"Resource":"r","Condition":{"DateLessThan":{"AWS:EpochTime":1767226800},"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"}}}]}`},
		{name: "ok/year 9999", p: CloudFrontPolicy{Resource: "r", DateLessThan: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
			want: `{"Statement":[{"Resource":"r","Condition":{"DateLessThan":{"AWS:EpochTime":253402300799}}}]}`},
		{name: "error/no end", p: CloudFrontPolicy{Resource: "r"}, err: errCloudFrontExpires},
		{name: "error/end before 1970", p: CloudFrontPolicy{Resource: "r", DateLessThan: time.Unix(-1, 0)}, err: errCloudFrontExpires},
		{name: "error/start before 1970", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, DateGreaterThan: time.Unix(-2, 0)}, err: errCloudFrontStart},
		{name: "error/invalid utf-8", p: CloudFrontPolicy{Resource: "\xff", DateLessThan: end}, err: errCloudFrontResourceUTF8},
		{name: "error/ip with zone", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "fe80::1%eth0"}, err: errCloudFrontIP},
		{name: "error/ipv4-mapped", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "::ffff:1.2.3.4"}, err: errCloudFrontIP},
		{name: "error/mask too long", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "1.2.3.4/33"}, err: errCloudFrontIP},
		{name: "error/leading zero octet", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "01.2.3.4"}, err: errCloudFrontIP},
		{name: "error/empty mask", p: CloudFrontPolicy{Resource: "r", DateLessThan: end, IPAddress: "1.2.3.4/"}, err: errCloudFrontIP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.JSON()
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("JSON = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if string(got) != tc.want {
				t.Fatalf("JSON\n got %s\nwant %s", got, tc.want)
			}
			var generic map[string]any
			if err := json.Unmarshal(got, &generic); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			parsed, ok := cloudFrontParsePolicy(got)
			if !ok || parsed.resource != tc.p.Resource {
				t.Fatalf("parse back: %v %+v", ok, parsed)
			}
		})
	}
}

func TestCloudFrontMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything", true},
		{"https://a/*", "https://a/", true},
		{"https://a/*", "https://a", false},
		{"https://a/*", "https://ab/", false},
		{"*://a/x", "http://a/x", true},
		{"*://a/x", "://a/x", true},
		{"https://a/*game_download.zip*", "https://a/example_game_download.zip?license=yes", true},
		{"https://a/*game_download.zip*", "https://a/game_download.zi", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "a?c", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"a**", "a", true},
		{"*a", "bbba", true},
		{"*a", "bbab", false},
		{"x", "X", false},
	}
	for _, tc := range tests {
		if got := cloudFrontMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("cloudFrontMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
		if got := cloudFrontMatchReference(tc.pattern, tc.s); got != tc.want {
			t.Errorf("reference(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
	// The iterative matcher stays fast on the classic exponential case.
	long := strings.Repeat("a", 5000)
	if cloudFrontMatch(strings.Repeat("*a", 50)+"b", long) {
		t.Error("pathological pattern matched")
	}
}

// cloudFrontMatchReference is a dynamic-programming matcher used to check
// cloudFrontMatch: m[j] reports whether pattern[:i] matches s[:j].
func cloudFrontMatchReference(pattern, s string) bool {
	m := make([]bool, len(s)+1)
	m[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(s)+1)
		switch pattern[i] {
		case '*':
			next[0] = m[0]
			for j := 1; j <= len(s); j++ {
				next[j] = m[j] || next[j-1]
			}
		default:
			for j := 1; j <= len(s); j++ {
				next[j] = m[j-1] && (pattern[i] == '?' || pattern[i] == s[j-1])
			}
		}
		m = next
	}
	return m[len(s)]
}

func TestCloudFrontParseEpoch(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "7": 7, "1767226800": 1767226800, "9223372036854775807": 1<<63 - 1} {
		if got, ok := cloudFrontParseEpoch(s); !ok || got != want {
			t.Errorf("cloudFrontParseEpoch(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "00", "01", "-1", "+1", "1.0", "1e3", " 1", "1 ", "0x10", "9223372036854775808", "99999999999999999999", "١"} {
		if _, ok := cloudFrontParseEpoch(s); ok {
			t.Errorf("cloudFrontParseEpoch(%q) accepted", s)
		}
	}
}

func TestCloudFrontKeyFiles(t *testing.T) {
	rsaPKCS8 := cloudFrontReadKeyFile(t, "cloudfront_test_key.pem")
	rsaPKCS1 := cloudFrontReadKeyFile(t, "cloudfront_test_key.pkcs1.pem")
	rsaPub := cloudFrontReadKeyFile(t, "cloudfront_test_key.pub.pem")
	ecPKCS8 := cloudFrontReadKeyFile(t, "cloudfront_test_ec_key.pem")
	ecPub := cloudFrontReadKeyFile(t, "cloudfront_test_ec_key.pub.pem")
	rsaKey := cloudFrontTestRSA(t).(*rsa.PrivateKey)
	ecKey := cloudFrontTestEC(t).(*ecdsa.PrivateKey)
	ecSEC1der, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecSEC1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecSEC1der})
	rsaPubPKCS1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)})
	smallPub := cloudFrontPKIX(t, small.Public())
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384PEM := cloudFrontPKCS8(t, p384)
	p384SEC1der, _ := x509.MarshalECPrivateKey(p384)
	p384SEC1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p384SEC1der})
	p384Pub := cloudFrontPKIX(t, p384.Public())
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := cloudFrontPKCS8(t, edKey)
	block, _ := pem.Decode(rsaPKCS1)
	der := slices.Clone(block.Bytes)
	der[len(der)/2] ^= 0x01 // inside a key component: validation fails
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})
	encrypted := []byte(strings.Replace(string(rsaPKCS1), "-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n", 1))
	crlf := []byte(strings.ReplaceAll(string(rsaPKCS8), "\n", "\r\n"))
	certLike := []byte(strings.ReplaceAll(string(rsaPKCS8), "PRIVATE KEY", "CERTIFICATE"))

	priv := []struct {
		name string
		in   []byte
		want crypto.PublicKey // nil: rejected
		err  error
	}{
		{name: "ok/rsa pkcs8", in: rsaPKCS8, want: &rsaKey.PublicKey},
		{name: "ok/rsa pkcs1 as AWS hands out", in: rsaPKCS1, want: &rsaKey.PublicKey},
		{name: "ok/ecdsa pkcs8", in: ecPKCS8, want: &ecKey.PublicKey},
		{name: "ok/ecdsa sec1", in: ecSEC1, want: &ecKey.PublicKey},
		{name: "ok/surrounding whitespace", in: append(append([]byte("\n\t  "), rsaPKCS8...), "\n\n  "...), want: &rsaKey.PublicKey},
		{name: "ok/crlf line ends", in: crlf, want: &rsaKey.PublicKey},
		{name: "rejected/empty", in: nil, err: errCloudFrontKeyNotPEM},
		{name: "rejected/garbage", in: []byte("not a key"), err: errCloudFrontKeyNotPEM},
		{name: "rejected/text before the block", in: append([]byte("key:\n"), rsaPKCS8...), err: errCloudFrontKeyNotPEM},
		{name: "rejected/trailing garbage", in: append(slices.Clone(rsaPKCS8), "junk"...), err: errCloudFrontKeyTrailing},
		{name: "rejected/two blocks", in: append(slices.Clone(rsaPKCS8), ecPKCS8...), err: errCloudFrontKeyTrailing},
		{name: "rejected/truncated", in: rsaPKCS8[:len(rsaPKCS8)-30], err: errCloudFrontKeyNotPEM},
		{name: "rejected/encrypted pem", in: encrypted, err: errCloudFrontKeyHeaders},
		{name: "rejected/certificate block", in: certLike, err: errCloudFrontKeyPEMType},
		{name: "rejected/public key to the private parser", in: rsaPub, err: errCloudFrontKeyPEMType},
		{name: "rejected/corrupt der", in: corrupt, err: errCloudFrontKeyDER},
		{name: "rejected/pkcs1 label on pkcs8 der", in: []byte(strings.ReplaceAll(string(rsaPKCS8), "PRIVATE KEY", "RSA PRIVATE KEY")), err: errCloudFrontKeyDER},
		{name: "rejected/rsa 1024", in: smallPEM, err: errCloudFrontKeyRSASize},
		{name: "rejected/ecdsa p384 pkcs8", in: p384PEM, err: errCloudFrontKeyCurve},
		{name: "rejected/ecdsa p384 sec1", in: p384SEC1, err: errCloudFrontKeyCurve},
		{name: "rejected/ed25519", in: edPEM, err: errCloudFrontKeyAlgorithm},
		{name: "rejected/too large", in: append(slices.Clone(rsaPKCS8), bytes.Repeat([]byte(" "), cloudFrontMaxKeyFile)...), err: errCloudFrontKeyTooLarge},
	}
	for _, tc := range priv {
		t.Run("private/"+tc.name, func(t *testing.T) {
			k, err := ParseCloudFrontPrivateKey(tc.in)
			cloudFrontCheckKeyResult(t, tc.in, err, tc.err, tc.want, func() crypto.PublicKey { return k.Public() })
		})
	}
	pub := []struct {
		name string
		in   []byte
		want crypto.PublicKey
		err  error
	}{
		{name: "ok/rsa pkix", in: rsaPub, want: &rsaKey.PublicKey},
		{name: "ok/rsa pkcs1 public", in: rsaPubPKCS1, want: &rsaKey.PublicKey},
		{name: "ok/ecdsa pkix", in: ecPub, want: &ecKey.PublicKey},
		{name: "ok/rsa private key file", in: rsaPKCS1, want: &rsaKey.PublicKey},
		{name: "ok/ecdsa private key file", in: ecSEC1, want: &ecKey.PublicKey},
		{name: "rejected/garbage", in: []byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"), err: errCloudFrontKeyDER},
		{name: "rejected/rsa 1024 public", in: smallPub, err: errCloudFrontKeyRSASize},
		{name: "rejected/p384 public", in: p384Pub, err: errCloudFrontKeyCurve},
		{name: "rejected/ed25519 public", in: cloudFrontPKIX(t, edPub), err: errCloudFrontKeyAlgorithm},
		{name: "rejected/certificate block", in: certLike, err: errCloudFrontKeyPEMType},
		{name: "rejected/trailing garbage", in: append(slices.Clone(rsaPub), "x"...), err: errCloudFrontKeyTrailing},
	}
	for _, tc := range pub {
		t.Run("public/"+tc.name, func(t *testing.T) {
			k, err := ParseCloudFrontPublicKey(tc.in)
			cloudFrontCheckKeyResult(t, tc.in, err, tc.err, tc.want, func() crypto.PublicKey { return k })
		})
	}
}

// cloudFrontCheckKeyResult checks one key parse: the expected error or key,
// and that an error message quotes nothing of the key file's body.
func cloudFrontCheckKeyResult(t *testing.T, in []byte, err, wantErr error, want crypto.PublicKey, got func() crypto.PublicKey) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		cloudFrontCheckErrorQuotesNothing(t, in, err)
		return
	}
	if err != nil {
		t.Fatalf("rejected: %v", err)
	}
	if !got().(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
		t.Fatal("wrong key")
	}
}

// cloudFrontCheckErrorQuotesNothing fails if err's text contains any 8-byte
// run of the input that is not also part of a PEM armour line.
func cloudFrontCheckErrorQuotesNothing(t testing.TB, in []byte, err error) {
	t.Helper()
	msg := err.Error()
	for _, line := range strings.Split(string(in), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") || strings.Contains(line, ":") {
			continue
		}
		for i := 0; i+8 <= len(line); i++ {
			if strings.Contains(msg, line[i:i+8]) {
				t.Fatalf("error %q quotes the key file", msg)
			}
		}
	}
}

func cloudFrontPKCS8(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func cloudFrontPKIX(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestCloudFrontGenerateKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ecdsa bool
		hash  string
	}{{"rsa", false, "SHA1"}, {"ecdsa", true, "SHA256"}} {
		t.Run(tc.name, func(t *testing.T) {
			pemData, err := GenerateCloudFrontKey(rand.Reader, tc.ecdsa)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pemData, []byte("-----BEGIN PRIVATE KEY-----\n")) {
				t.Fatalf("not PKCS#8 PEM: %.40q", pemData)
			}
			key, err := ParseCloudFrontPrivateKey(pemData)
			if err != nil {
				t.Fatal(err)
			}
			switch k := key.(type) {
			case *rsa.PrivateKey:
				if tc.ecdsa || k.N.BitLen() != 2048 {
					t.Fatalf("got RSA-%d", k.N.BitLen())
				}
			case *ecdsa.PrivateKey:
				if !tc.ecdsa || k.Curve != elliptic.P256() {
					t.Fatal("got the wrong ECDSA key")
				}
			}
			pubPEM, err := CloudFrontPublicKeyPEM(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParseCloudFrontPublicKey(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			cf := cloudFrontMustNew(t, tc.hash, CloudFrontKey{ID: "KGEN", Signer: key})
			v := cloudFrontMustVerifier(t, CloudFrontPublicKey{ID: "KGEN", Key: pub})
			g := Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudFrontNow.Add(time.Minute)}
			cookies, err := cf.Sign(g)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(&Request{URL: g.URLPrefix + "a", Cookies: cookies}, cloudFrontNow); err != nil {
				t.Fatalf("round trip: %v", err)
			}
		})
	}
}

// cloudFrontOpaqueSigner hides the concrete key type, to run the generic
// crypto.Signer path (an HSM or KMS client would take it).
type cloudFrontOpaqueSigner struct{ crypto.Signer }

func TestCloudFrontOpaqueSigner(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		hash string
	}{{"rsa sha1", cloudFrontTestRSA(t), "SHA1"}, {"rsa sha256", cloudFrontTestRSA(t), "SHA256"}, {"ecdsa", cloudFrontTestEC(t), "SHA256"}} {
		t.Run(tc.name, func(t *testing.T) {
			direct := cloudFrontMustNew(t, tc.hash, CloudFrontKey{ID: "K1", Signer: tc.key})
			opaque := cloudFrontMustNew(t, tc.hash, CloudFrontKey{ID: "K1", Signer: cloudFrontOpaqueSigner{tc.key}})
			g := Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudFrontNow.Add(time.Minute)}
			a, err := direct.Sign(g)
			if err != nil {
				t.Fatal(err)
			}
			b, err := opaque.Sign(g)
			if err != nil {
				t.Fatal(err)
			}
			if _, isRSA := tc.key.(*rsa.PrivateKey); isRSA && !slices.Equal(a, b) {
				t.Errorf("opaque RSA signer differs:\n%v\n%v", a, b)
			}
			if err := direct.Verify(&Request{URL: g.URLPrefix + "x", Cookies: b}, cloudFrontNow); err != nil {
				t.Errorf("verify opaque signature: %v", err)
			}
		})
	}
}

// cloudFrontBenchGrant is a typical tokensvc grant: a new guest, 20 minutes.
var cloudFrontBenchGrant = Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudFrontNow.Add(20 * time.Minute)}

func benchSignCloudFront(b *testing.B) {
	cf := cloudFrontMustNew(b, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(b)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cf.Sign(cloudFrontBenchGrant); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerifyCloudFront(b *testing.B) {
	cf := cloudFrontMustNew(b, "SHA1", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestRSA(b)})
	cookies, err := cf.Sign(cloudFrontBenchGrant)
	if err != nil {
		b.Fatal(err)
	}
	r := &Request{URL: cloudFrontBenchGrant.URLPrefix + "p1.jpg", Cookies: cookies}
	b.ReportAllocs()
	for b.Loop() {
		if err := cf.Verify(r, cloudFrontNow); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSignCloudFrontBareRSA is the floor Sign is measured against: hashing
// the same policy and one rsa.SignPKCS1v15 call, nothing else.
func benchSignCloudFrontBareRSA(b *testing.B) {
	key := cloudFrontTestRSA(b).(*rsa.PrivateKey)
	policy, err := CloudFrontPolicy{Resource: cloudFrontBenchGrant.URLPrefix + "*", DateLessThan: cloudFrontBenchGrant.Expires}.JSON()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d := sha1.Sum(policy)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, d[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSignCloudFrontECDSA(b *testing.B) {
	cf := cloudFrontMustNew(b, "SHA256", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestEC(b)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cf.Sign(cloudFrontBenchGrant); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerifyCloudFrontECDSA(b *testing.B) {
	cf := cloudFrontMustNew(b, "SHA256", CloudFrontKey{ID: cloudFrontTestIDA, Signer: cloudFrontTestEC(b)})
	cookies, err := cf.Sign(cloudFrontBenchGrant)
	if err != nil {
		b.Fatal(err)
	}
	r := &Request{URL: cloudFrontBenchGrant.URLPrefix + "p1.jpg", Cookies: cookies}
	b.ReportAllocs()
	for b.Loop() {
		if err := cf.Verify(r, cloudFrontNow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCloudFrontSignRefusesAPolicyVerifyCannotRead: a custom policy goes
// out base64-encoded, and Verify reads at most cloudFrontMaxPolicyLen bytes
// of that; every signer that sends one refuses a longer one, and one just
// short of it verifies.
func TestCloudFrontSignRefusesAPolicyVerifyCannotRead(t *testing.T) {
	cf := cloudFrontMustNew(t, "SHA256", CloudFrontKey{ID: cloudFrontTestIDB, Signer: cloudFrontTestEC(t)})
	end := cloudFrontNow.Add(time.Hour)
	fits := 0
	for _, n := range []int{6000, 6100} { // the policy is n + 90 bytes: 8120 and 8256 encoded
		g := Grant{URLPrefix: "https://cdn.site.com/" + strings.Repeat("a", n-len("https://cdn.site.com/")-1) + "/", Expires: end}
		cookies, err := cf.Sign(g)
		if err != nil {
			if !errors.Is(err, errCloudFrontPolicyLong) {
				t.Fatalf("Sign of a %d-byte prefix: %v", n, err)
			}
			continue
		}
		fits = n
		if err := cf.Verify(&Request{URL: g.URLPrefix + "p.jpg", Cookies: cookies}, cloudFrontNow); err != nil {
			t.Fatalf("Sign of a %d-byte prefix gave cookies Verify refuses: %v", n, err)
		}
	}
	if fits != 6000 {
		t.Fatalf("the longest prefix signed was %d bytes, want 6000 (and 6100 refused)", fits)
	}
	long, err := CloudFrontPolicy{Resource: "https://cdn.site.com/" + strings.Repeat("b", 6200) + "/*", DateLessThan: end}.JSON()
	if err != nil {
		t.Fatal(err) // short enough for JSON (8192 bytes), too long once encoded
	}
	if _, err := cf.SignCookies(long, false); !errors.Is(err, errCloudFrontPolicyLong) {
		t.Errorf("SignCookies of a %d-byte policy: %v, want errCloudFrontPolicyLong", len(long), err)
	}
	if _, err := cf.SignURLPolicy("https://cdn.site.com/"+strings.Repeat("b", 6200)+"/p.jpg", long); !errors.Is(err, errCloudFrontPolicyLong) {
		t.Errorf("SignURLPolicy of a %d-byte policy: %v, want errCloudFrontPolicyLong", len(long), err)
	}
}

// TestCloudFrontPolicyJSONRefusesWhatVerifyCannotRead: a resource whose
// escaped form pushes the policy past cloudFrontMaxPolicyLen is refused, so
// nothing is ever signed that the verifier would reject as malformed.
func TestCloudFrontPolicyJSONRefusesWhatVerifyCannotRead(t *testing.T) {
	end := time.Unix(1767226800, 0)
	long := CloudFrontPolicy{Resource: strings.Repeat("\x1a", 1400), DateLessThan: end} // 6 bytes each, escaped
	if _, err := long.JSON(); !errors.Is(err, errCloudFrontPolicyLong) {
		t.Fatalf("JSON of an 8.4 KB policy: %v, want errCloudFrontPolicyLong", err)
	}
	fits := CloudFrontPolicy{Resource: strings.Repeat("a", 4000), DateLessThan: end}
	b, err := fits.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cloudFrontParsePolicy(b); !ok {
		t.Fatalf("a %d-byte policy JSON wrote does not parse", len(b))
	}
}
