package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// gotipathVector is one entry of testdata/vectors/gotipath.json.
type gotipathVector struct {
	Name  string `json:"name"`
	Input struct {
		Domain  string `json:"domain"`
		Path    string `json:"path"`
		Expires int64  `json:"expires"`
		Secret  string `json:"secret"`
	} `json:"input"`
	Expected struct {
		ExpiresUTCYmdHis       string `json:"expires_utc_YmdHis"`
		PolicyPlain            string `json:"policy_plain"`
		SSPolicy               string `json:"ss_policy"`
		SSSignature            string `json:"ss_signature"`
		SSPolicyHeaderValue    string `json:"ss_policy_header_value"`
		SSSignatureHeaderValue string `json:"ss_signature_header_value"`
		CookieExpiresAttr      string `json:"cookie_expires_attr"`
	} `json:"expected"`
}

// gotipathDocExample is the "doc_example" object of gotipath.json: the
// example Set-Cookie lines of reference/002, decoded.
type gotipathDocExample struct {
	SSPolicyHeaderValue string   `json:"ss_policy_header_value"`
	SSPolicy            string   `json:"ss_policy"`
	PolicyPlain         string   `json:"policy_plain"`
	SSSignature         string   `json:"ss_signature"`
	CookieExpiresAttr   string   `json:"cookie_expires_attr"`
	Findings            []string `json:"findings"`
}

// gotipathCookieTime is the Set-Cookie Expires layout (net/http's
// TimeFormat, which this package must not import). The attribute belongs to
// package api; the vectors carry it, so the test checks the instant behind it.
const gotipathCookieTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// gotipathT0 is the fixed test clock of the house style.
var gotipathT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// gotipathRequest builds a request with the two cookies, policy first.
func gotipathRequest(url, policy, signature string) *Request {
	return &Request{URL: url, Cookies: []Cookie{
		{Name: "ss_policy", Value: policy},
		{Name: "ss_signature", Value: signature},
	}}
}

// gotipathRefSign is an independent, allocation-happy rendering of the PHP
// sample in reference/002, used to cross-check the optimised code.
func gotipathRefSign(secret []byte, domain, path string, expires time.Time) (policy, signature string) {
	plain := "URL=" + domain + path + ":Expires=" + expires.UTC().Format("20060102150405")
	policy = base64.StdEncoding.EncodeToString([]byte(plain))
	return policy, gotipathRefMAC(secret, policy)
}

// gotipathRefMAC is "0" . substr(hash_hmac('sha256', $msg, $secret), 0, 20).
func gotipathRefMAC(secret []byte, msg string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msg))
	return "0" + hex.EncodeToString(m.Sum(nil))[:20]
}

func gotipathMustNew(t testing.TB, secrets ...string) *Gotipath {
	t.Helper()
	var keys [][]byte
	for _, s := range secrets {
		keys = append(keys, []byte(s))
	}
	g, err := NewGotipath(keys...)
	if err != nil {
		t.Fatalf("NewGotipath: %v", err)
	}
	return g
}

// gotipathCheckMutations changes every byte of the ss_policy value (which =
// 0) or the ss_signature value (which = 1) to every other byte value and
// requires Malformed or BadSignature: those are checked before time and
// scope, so any other answer means the change got through.
func gotipathCheckMutations(t *testing.T, g *Gotipath, hostPath, policy, signature string, now time.Time, which int) {
	t.Helper()
	orig := policy
	if which == 1 {
		orig = signature
	}
	buf := []byte(orig)
	for i := range buf {
		for b := 0; b < 256; b++ {
			if byte(b) == orig[i] {
				continue
			}
			buf[i] = byte(b)
			p, s := policy, signature
			if which == 0 {
				p = string(buf)
			} else {
				s = string(buf)
			}
			err := g.check(gotipathRequest("", p, s), now, hostPath, true)
			if err != Malformed && err != BadSignature {
				t.Fatalf("cookie %d byte %d %q -> %q: got %v, want malformed or bad_signature", which, i, orig[i], byte(b), err)
			}
		}
		buf[i] = orig[i]
	}
}

func TestGotipathVectors(t *testing.T) {
	for _, v := range loadVectors[gotipathVector](t, "gotipath.json") {
		t.Run(v.Name, func(t *testing.T) {
			in, want := v.Input, v.Expected
			g := gotipathMustNew(t, in.Secret)
			exp := time.Unix(in.Expires, 0)

			policy, signature, err := g.SignCookie(in.Domain, in.Path, exp)
			if err != nil {
				t.Fatalf("SignCookie: %v", err)
			}
			if policy != want.SSPolicy {
				t.Errorf("ss_policy = %q, want %q", policy, want.SSPolicy)
			}
			if signature != want.SSSignature {
				t.Errorf("ss_signature = %q, want %q", signature, want.SSSignature)
			}
			if got := GotipathHeaderValue(policy); got != want.SSPolicyHeaderValue {
				t.Errorf("ss_policy header value = %q, want %q", got, want.SSPolicyHeaderValue)
			}
			if got := GotipathHeaderValue(signature); got != want.SSSignatureHeaderValue {
				t.Errorf("ss_signature header value = %q, want %q", got, want.SSSignatureHeaderValue)
			}
			if got := string(gotipathAppendStamp(nil, exp)); got != want.ExpiresUTCYmdHis {
				t.Errorf("YmdHis = %q, want %q", got, want.ExpiresUTCYmdHis)
			}
			if got := string(gotipathAppendPolicy(nil, in.Domain, in.Path, exp.UTC())); got != want.PolicyPlain {
				t.Errorf("policy = %q, want %q", got, want.PolicyPlain)
			}
			if plain, err := base64.StdEncoding.Strict().DecodeString(policy); err != nil || string(plain) != want.PolicyPlain {
				t.Errorf("base64 policy decodes to %q (%v), want %q", plain, err, want.PolicyPlain)
			}
			if got := exp.UTC().Format(gotipathCookieTime); got != want.CookieExpiresAttr {
				t.Errorf("cookie Expires = %q, want %q", got, want.CookieExpiresAttr)
			}
			// The same instant in another zone signs the same bytes: UTC is pinned.
			if p, _, _ := g.SignCookie(in.Domain, in.Path, exp.In(time.FixedZone("UTC+6", 6*3600))); p != want.SSPolicy {
				t.Errorf("zone leaked into the policy: %q", p)
			}

			prefix := "https://" + in.Domain + in.Path
			cookies, err := g.Sign(Grant{URLPrefix: prefix, Expires: exp})
			queryInPath := strings.ContainsAny(in.Path, "?#")
			switch {
			case queryInPath && err == nil:
				t.Errorf("Sign(%q) accepted a prefix with a query", prefix)
			case !queryInPath && err != nil:
				t.Errorf("Sign: %v", err)
			case !queryInPath:
				wantCookies := []Cookie{{"ss_policy", want.SSPolicyHeaderValue}, {"ss_signature", want.SSSignatureHeaderValue}}
				if len(cookies) != 2 || cookies[0] != wantCookies[0] || cookies[1] != wantCookies[1] {
					t.Errorf("Sign = %q, want %q", cookies, wantCookies)
				}
			}

			// Verification. A path holding '?' can never be matched by a
			// request URL (the query is ignored), so the credential is checked
			// against host+path directly as well as through a URL.
			hostPath := in.Domain + in.Path + "seg/file.ts"
			before, at := exp.Add(-time.Second), exp
			for _, form := range []struct{ name, policy string }{{"raw", policy}, {"header", want.SSPolicyHeaderValue}} {
				r := gotipathRequest("", form.policy, want.SSSignatureHeaderValue)
				if err := g.check(r, before, hostPath, true); err != nil {
					t.Errorf("%s form before expiry: %v", form.name, err)
				}
				if err := g.check(r, exp.Add(-time.Nanosecond), hostPath, true); err != nil {
					t.Errorf("%s form 1ns before expiry: %v", form.name, err)
				}
				if err := g.check(r, at, hostPath, true); err != Expired {
					t.Errorf("%s form at expiry: %v, want expired", form.name, err)
				}
				if err := g.check(r, at.Add(time.Hour), hostPath, true); err != Expired {
					t.Errorf("%s form after expiry: %v, want expired", form.name, err)
				}
				r.URL = "https://" + hostPath + "?token=1"
				wantErr := error(nil)
				if queryInPath {
					wantErr = ScopeMismatch
				}
				if err := g.Verify(r, before); err != wantErr {
					t.Errorf("%s form Verify(%q): %v, want %v", form.name, r.URL, err, wantErr)
				}
				if err := g.Verify(r, at); err != Expired {
					t.Errorf("%s form Verify at expiry: %v, want expired", form.name, err)
				}
			}

			gotipathCheckMutations(t, g, hostPath, want.SSPolicyHeaderValue, want.SSSignatureHeaderValue, before, 0)
			gotipathCheckMutations(t, g, hostPath, policy, signature, before, 0)
			gotipathCheckMutations(t, g, hostPath, want.SSPolicyHeaderValue, want.SSSignatureHeaderValue, before, 1)
		})
	}
}

func TestGotipathDocExample(t *testing.T) {
	raw, err := os.ReadFile(vectorPath("gotipath.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		DocExample *gotipathDocExample `json:"doc_example"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	d := f.DocExample
	if d == nil || len(d.Findings) == 0 {
		t.Fatal("gotipath.json has no doc_example")
	}
	if got := GotipathHeaderValue(d.SSPolicy); got != d.SSPolicyHeaderValue {
		t.Errorf("header value = %q, want %q", got, d.SSPolicyHeaderValue)
	}
	b64, ok := gotipathAppendUnwire(nil, d.SSPolicyHeaderValue)
	if !ok || string(b64) != d.SSPolicy {
		t.Fatalf("unwire = %q %v, want %q", b64, ok, d.SSPolicy)
	}
	plain, err := base64.StdEncoding.Strict().DecodeString(d.SSPolicy)
	if err != nil || string(plain) != d.PolicyPlain {
		t.Fatalf("policy = %q %v, want %q", plain, err, d.PolicyPlain)
	}
	scope, exp, ok := gotipathParsePolicy(plain)
	if !ok || string(scope) != "nscdn.nusratech.com/" {
		t.Fatalf("parse = %q %v", scope, ok)
	}
	// The finding behind the UTC pin: read as UTC, the policy expiry is the
	// same wall-clock hour as the cookie's GMT Expires attribute.
	cookieExp, err := time.Parse(gotipathCookieTime, d.CookieExpiresAttr)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2022, 8, 23, 13, 19, 55, 0, time.UTC); !exp.Equal(want) {
		t.Errorf("expiry = %v, want %v", exp, want)
	}
	if gap := cookieExp.Sub(exp); gap != 64*time.Second {
		t.Errorf("cookie Expires - policy expiry = %v, want 64s", gap)
	}
	// The published secret is not the one that signed the example.
	g := gotipathMustNew(t, "my-secret")
	if _, sig, _ := g.SignCookie("nscdn.nusratech.com", "/", exp); sig != "0e08f41322023391175f0" || sig == d.SSSignature {
		t.Errorf("my-secret signature = %q", sig)
	}
	r := gotipathRequest("https://nscdn.nusratech.com/a.mp4", d.SSPolicyHeaderValue, d.SSSignature)
	if err := g.Verify(r, exp.Add(-time.Minute)); err != BadSignature {
		t.Errorf("doc example with my-secret: %v, want bad_signature", err)
	}
}

func TestGotipathVerifyReasons(t *testing.T) {
	const secret = "test-secret-do-not-use"
	g := gotipathMustNew(t, secret)
	exp := gotipathT0.Add(20 * time.Minute)
	now := gotipathT0
	sign := func(domain, path string) (string, string) {
		t.Helper()
		p, s, err := g.SignCookie(domain, path, exp)
		if err != nil {
			t.Fatal(err)
		}
		return p, s
	}
	// signed signs an arbitrary base64 text with the right secret, so that a
	// case reaches the check after the signature.
	signed := func(b64 string) []Cookie {
		return []Cookie{{"ss_policy", b64}, {"ss_signature", gotipathRefMAC([]byte(secret), b64)}}
	}
	signedPlain := func(plain string) []Cookie {
		return signed(base64.StdEncoding.EncodeToString([]byte(plain)))
	}
	pol, sig := sign("cdn.site.com", "/temp/guest_abc123/")
	hpol := GotipathHeaderValue(pol)
	noSlashPol, noSlashSig := sign("cdn.site.com", "/registered/user_42")
	rootPol, rootSig := sign("cdn.site.com", "/")
	ok := func(p, s string) []Cookie { return []Cookie{{"ss_policy", p}, {"ss_signature", s}} }
	in := "https://cdn.site.com/temp/guest_abc123/index.m3u8"

	// A base64 text with non-zero trailing bits: a lenient decoder accepts
	// it (and would give the same bytes as the canonical text), Strict()
	// does not.
	nonStrict := base64.StdEncoding.EncodeToString([]byte("URL=cdn.site.com/temp/:Expires=20300102032405x"))
	nonStrict = nonStrict[:len(nonStrict)-3] + "z=="
	if _, err := base64.StdEncoding.DecodeString(nonStrict); err != nil {
		t.Fatalf("fixture: lenient decoder rejects %q: %v", nonStrict, err)
	}

	tests := []struct {
		name    string
		url     string
		cookies []Cookie
		now     time.Time
		want    error
	}{
		{"ok/header form", in, ok(hpol, sig), now, nil},
		{"ok/raw base64 form", in, ok(pol, sig), now, nil},
		{"ok/prefix itself", "https://cdn.site.com/temp/guest_abc123/", ok(hpol, sig), now, nil},
		{"ok/http scheme", "http://cdn.site.com/temp/guest_abc123/a", ok(hpol, sig), now, nil},
		{"ok/query ignored", in + "?x=1&y=/other/", ok(hpol, sig), now, nil},
		{"malformed/a raw fragment", in + "#top", ok(hpol, sig), now, Malformed},
		{"ok/one second before expiry", in, ok(hpol, sig), exp.Add(-time.Second), nil},
		{"ok/no start time: long before expiry", in, ok(hpol, sig), exp.AddDate(-20, 0, 0), nil},
		{"ok/other cookies around", in, []Cookie{{"a", "b"}, {"ss_policy", hpol}, {"c", "d"}, {"ss_signature", sig}}, now, nil},
		{"ok/root path covers everything", "https://cdn.site.com/x/y", ok(rootPol, rootSig), now, nil},
		{"ok/no trailing slash covers siblings", "https://cdn.site.com/registered/user_420/a", ok(noSlashPol, noSlashSig), now, nil},
		{"ok/no trailing slash covers itself", "https://cdn.site.com/registered/user_42", ok(noSlashPol, noSlashSig), now, nil},

		{"missing/no cookies", in, nil, now, Missing},
		{"missing/other cookies only", in, []Cookie{{"Cloud-CDN-Cookie", "x"}, {"ss_pol", hpol}}, now, Missing},
		{"malformed/policy only", in, []Cookie{{"ss_policy", hpol}}, now, Malformed},
		{"malformed/signature only", in, []Cookie{{"ss_signature", sig}}, now, Malformed},
		{"malformed/empty policy", in, ok("", sig), now, Malformed},
		{"malformed/empty signature", in, ok(hpol, ""), now, Malformed},
		{"malformed/lower-case escape", in, ok(strings.Replace(hpol, "%3D", "%3d", 1), sig), now, Malformed},
		{"malformed/escape of a letter", in, ok("%41"+hpol[1:], sig), now, Malformed},
		{"malformed/truncated escape", in, ok(strings.TrimSuffix(hpol, "3D")+"3", sig), now, Malformed},
		{"malformed/raw and escaped mixed", in, ok(strings.Replace(pol, "=", "%3D", 1)+"", sig), now, Malformed},
		{"malformed/space", in, ok(" "+hpol, sig), now, Malformed},
		{"malformed/newline in base64", in, ok(pol[:8]+"\n"+pol[8:], sig), now, Malformed},
		{"malformed/url-safe base64", in, signed(strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString([]byte("URL=cdn.site.com/?>~??:Expires=20300102032405")))), now, Malformed},
		{"malformed/unpadded base64", in, ok(strings.TrimRight(pol, "="), sig), now, Malformed},
		{"malformed/non-zero trailing bits", in, signed(nonStrict), now, Malformed},
		{"malformed/quoted value", in, ok(`"`+hpol+`"`, sig), now, Malformed},
		{"malformed/too long", in, ok(strings.Repeat("QUJD", 1025), sig), now, Malformed},
		{"malformed/signature upper-case hex", in, ok(hpol, strings.ToUpper(sig)), now, Malformed},
		{"malformed/signature short", in, ok(hpol, sig[:20]), now, Malformed},
		{"malformed/signature long", in, ok(hpol, sig+"0"), now, Malformed},
		{"malformed/signature without leading 0", in, ok(hpol, "1"+sig[1:]), now, Malformed},
		{"malformed/full 64-hex HMAC", in, ok(hpol, "0"+strings.Repeat("ab", 32)), now, Malformed},
		{"malformed/signed garbage", in, signedPlain("hello"), now, Malformed},
		{"malformed/signed policy without URL=", in, signedPlain("url=cdn.site.com/:Expires=20300102032405"), now, Malformed},
		{"malformed/signed policy without path", in, signedPlain("URL=cdn.site.com:Expires=20300102032405"), now, Malformed},
		{"malformed/signed policy with empty domain", in, signedPlain("URL=/temp/:Expires=20300102032405"), now, Malformed},
		{"malformed/signed policy with an empty port", in, signedPlain("URL=cdn.site.com:/:Expires=20300102032405"), now, Malformed},
		{"malformed/signed policy with a six-digit port", in, signedPlain("URL=cdn.site.com:123456/:Expires=20300102032405"), now, Malformed},
		{"malformed/signed policy with two colons", in, signedPlain("URL=a:b:443/:Expires=20300102032405"), now, Malformed},
		{"scope_mismatch/signed policy for another port", in, signedPlain("URL=cdn.site.com:443/:Expires=20300102032405"), now, ScopeMismatch},
		{"malformed/signed policy with unix expiry", in, signedPlain("URL=cdn.site.com/:Expires=1893553445"), now, Malformed},
		{"malformed/signed 13-digit stamp", in, signedPlain("URL=cdn.site.com/:Expires=2030010203240"), now, Malformed},
		{"malformed/signed 30 February", in, signedPlain("URL=cdn.site.com/:Expires=20300230000000"), now, Malformed},
		{"malformed/signed month 13", in, signedPlain("URL=cdn.site.com/:Expires=20301301000000"), now, Malformed},
		{"malformed/signed hour 24", in, signedPlain("URL=cdn.site.com/:Expires=20300102240000"), now, Malformed},
		{"malformed/signed leap second", in, signedPlain("URL=cdn.site.com/:Expires=20301231235960"), now, Malformed},
		{"malformed/signed sign in stamp", in, signedPlain("URL=cdn.site.com/:Expires=+0300102032405"), now, Malformed},
		{"malformed/first cookie wins", in, []Cookie{{"ss_policy", "!"}, {"ss_policy", hpol}, {"ss_signature", sig}}, now, Malformed},

		{"bad_signature/wrong secret", in, ok(hpol, gotipathRefMAC([]byte("other"), pol)), now, BadSignature},
		{"bad_signature/HMAC of the plain policy", in, ok(hpol, gotipathRefMAC([]byte(secret), "URL=cdn.site.com/temp/guest_abc123/:Expires=20300102032405")), now, BadSignature},
		{"bad_signature/secret and message swapped", in, ok(hpol, gotipathRefMAC([]byte(pol), secret)), now, BadSignature},
		{"bad_signature/last 20 hex instead of first", in, func() []Cookie {
			m := hmac.New(sha256.New, []byte(secret))
			m.Write([]byte(pol))
			h := hex.EncodeToString(m.Sum(nil))
			return ok(hpol, "0"+h[len(h)-20:])
		}(), now, BadSignature},
		{"bad_signature/signature of another policy", in, ok(hpol, rootSig), now, BadSignature},
		{"bad_signature/beats expiry", in, ok(hpol, rootSig), exp.Add(time.Hour), BadSignature},

		{"expired/at expiry", in, ok(hpol, sig), exp, Expired},
		{"expired/after expiry", in, ok(hpol, sig), exp.Add(time.Nanosecond), Expired},
		{"expired/beats scope", "https://elsewhere.com/", ok(hpol, sig), exp, Expired},
		{"expired/year 0000", in, signedPlain("URL=cdn.site.com/:Expires=00000101000000"), now, Expired},

		{"scope_mismatch/other host", "https://cdn.other.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/host suffix", "https://cdn.site.com.evil.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/subdomain", "https://x.cdn.site.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/upper-case host", "https://CDN.site.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/port", "https://cdn.site.com:443/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/user info", "https://u@cdn.site.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/prefix without its slash", "https://cdn.site.com/temp/guest_abc123", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/sibling guest", "https://cdn.site.com/temp/guest_abc1234/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/parent", "https://cdn.site.com/temp/", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/percent-encoded path", "https://cdn.site.com/temp/guest%5Fabc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/prefix only in query", "https://cdn.site.com/?u=cdn.site.com/temp/guest_abc123/", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/no trailing slash: shorter", "https://cdn.site.com/registered/user_4", ok(noSlashPol, noSlashSig), now, ScopeMismatch},
		{"scope_mismatch/relative URL", "/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/scheme-relative URL", "//cdn.site.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/bad scheme", "1https://cdn.site.com/temp/guest_abc123/a", ok(hpol, sig), now, ScopeMismatch},
		{"scope_mismatch/empty URL", "", ok(hpol, sig), now, ScopeMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Request{URL: tc.url, Cookies: tc.cookies}
			if got := g.Verify(r, tc.now); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("missing/nil request", func(t *testing.T) {
		if got := g.Verify(nil, now); got != Missing {
			t.Errorf("Verify(nil) = %v, want missing", got)
		}
	})
}

func TestGotipathKeyRotation(t *testing.T) {
	a, b, c := "secret-A", "secret-B", "secret-C"
	exp := gotipathT0.Add(20 * time.Minute)
	signer := gotipathMustNew(t, a, b)
	cookies, err := signer.Sign(Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	wantPol, wantSig := gotipathRefSign([]byte(a), "cdn.site.com", "/temp/guest_abc123/", exp)
	if cookies[0].Value != GotipathHeaderValue(wantPol) || cookies[1].Value != wantSig {
		t.Fatalf("the first secret must sign: got %q", cookies)
	}
	r := &Request{URL: "https://cdn.site.com/temp/guest_abc123/v.mp4", Cookies: cookies}
	tests := []struct {
		name    string
		secrets []string
		want    error
	}{
		{"ok/A alone", []string{a}, nil},
		{"ok/B then A", []string{b, a}, nil},
		{"ok/C, B then A", []string{c, b, a}, nil},
		{"ok/A then B", []string{a, b}, nil},
		{"bad_signature/B alone", []string{b}, BadSignature},
		{"bad_signature/B and C", []string{b, c}, BadSignature},
		{"bad_signature/A with a trailing newline", []string{a + "\n"}, BadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := gotipathMustNew(t, tc.secrets...)
			if got := v.Verify(r, gotipathT0); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
			wantAtExp := tc.want
			if wantAtExp == nil {
				wantAtExp = Expired
			}
			if got := v.Verify(r, exp); got != wantAtExp {
				t.Errorf("Verify at expiry = %v, want %v", got, wantAtExp)
			}
		})
	}
}

func TestGotipathNew(t *testing.T) {
	k := []byte("k")
	tests := []struct {
		name    string
		secrets [][]byte
		want    error
	}{
		{"ok/one", [][]byte{k}, nil},
		{"ok/three", [][]byte{k, k, k}, nil},
		{"error/none", nil, gotipathErrSecretCount},
		{"error/four", [][]byte{k, k, k, k}, gotipathErrSecretCount},
		{"error/empty first", [][]byte{{}, k}, gotipathErrEmptySecret},
		{"error/nil second", [][]byte{k, nil}, gotipathErrEmptySecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGotipath(tc.secrets...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewGotipath: %v, want %v", err, tc.want)
			}
			if err == nil && g.Format() != "gotipath" {
				t.Errorf("Format = %q", g.Format())
			}
		})
	}
	// The secret is copied: changing the caller's slice changes nothing.
	s := []byte("my-secret")
	g, err := NewGotipath(s)
	if err != nil {
		t.Fatal(err)
	}
	copy(s, "XXXXXXXXX")
	if _, sig, _ := g.SignCookie("nscdn.nusratech.com", "/", time.Unix(1662164413, 0)); sig != "0c56e7bb8ee6c2f24c3ba" {
		t.Errorf("secret not copied: %q", sig)
	}
}

func TestGotipathCookieNames(t *testing.T) {
	g := gotipathMustNew(t, "k")
	names := g.CookieNames()
	if len(names) != 2 || names[0] != "ss_policy" || names[1] != "ss_signature" {
		t.Fatalf("CookieNames = %q", names)
	}
	names[0] = "changed"
	if g.CookieNames()[0] != "ss_policy" {
		t.Error("CookieNames shares its slice")
	}
	cookies, err := g.Sign(Grant{URLPrefix: "https://cdn.site.com/", Expires: gotipathT0})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cookies {
		if c.Name != g.CookieNames()[i] {
			t.Errorf("cookie %d is %q, not in CookieNames order", i, c.Name)
		}
	}
}

func TestGotipathSignRejects(t *testing.T) {
	g := gotipathMustNew(t, "k")
	ok := gotipathT0
	tests := []struct {
		name, domain, path string
		exp                time.Time
		want               error
	}{
		{"ok/year 0000", "h", "/", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"ok/year 9999", "h", "/", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), nil},
		{"ok/path with colon and :Expires=", "h", "/a:Expires=20300101000000/", ok, nil},
		{"error/empty domain", "", "/", ok, gotipathErrDomain},
		{"error/domain with slash", "h/x", "/", ok, gotipathErrDomain},
		{"error/domain with an empty port", "h:", "/", ok, gotipathErrDomain},
		{"error/domain with a letter in the port", "h:44a", "/", ok, gotipathErrDomain},
		{"error/domain with two colons", "h:1:2", "/", ok, gotipathErrDomain},
		{"error/port only", ":443", "/", ok, gotipathErrDomain},
		{"error/domain with scheme", "https://h", "/", ok, gotipathErrDomain},
		{"error/domain with ?", "h?", "/", ok, gotipathErrDomain},
		{"error/domain with #", "h#", "/", ok, gotipathErrDomain},
		{"error/empty path", "h", "", ok, gotipathErrPath},
		{"error/relative path", "h", "temp/", ok, gotipathErrPath},
		{"error/year 10000", "h", "/", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), gotipathErrYear},
		{"error/year -1", "h", "/", time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), gotipathErrYear},
		{"error/year 10000 only in UTC", "h", "/", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("W", -3600)), gotipathErrYear},
		{"error/too long", "h", "/" + strings.Repeat("a", 3072), ok, gotipathErrTooLong},
		{"error/too long once escaped", "h", "/" + strings.Repeat("\xff", 2000), ok, gotipathErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, s, err := g.SignCookie(tc.domain, tc.path, tc.exp)
			if !errors.Is(err, tc.want) {
				t.Fatalf("SignCookie: %v, want %v", err, tc.want)
			}
			if err != nil {
				if p != "" || s != "" {
					t.Errorf("values returned with an error: %q %q", p, s)
				}
				return
			}
			wp, ws := gotipathRefSign([]byte("k"), tc.domain, tc.path, tc.exp.Truncate(time.Second))
			if p != wp || s != ws {
				t.Errorf("got %q %q, want %q %q", p, s, wp, ws)
			}
		})
	}

	for _, tc := range []struct{ name, prefix string }{
		{"error/no scheme", "cdn.site.com/temp/"},
		{"error/no host path", "https://cdn.site.com"},
		{"error/empty host", "https:///temp/"},
		{"error/empty port", "https://cdn.site.com:/temp/"},
		{"error/query", "https://cdn.site.com/temp/?a=b"},
		{"error/fragment", "https://cdn.site.com/temp/#x"},
		{"error/bad scheme", "ht tp://cdn.site.com/temp/"},
		{"error/empty", ""},
	} {
		t.Run("Sign/"+tc.name, func(t *testing.T) {
			if c, err := g.Sign(Grant{URLPrefix: tc.prefix, Expires: ok}); err == nil {
				t.Errorf("Sign(%q) = %q, want an error", tc.prefix, c)
			}
		})
	}
	t.Run("Sign/error/year 10000", func(t *testing.T) {
		if _, err := g.Sign(Grant{URLPrefix: "https://h/", Expires: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); !errors.Is(err, gotipathErrYear) {
			t.Errorf("Sign: %v", err)
		}
	})
	t.Run("ok/sub-second expiry is truncated", func(t *testing.T) {
		exp := gotipathT0.Add(999 * time.Millisecond)
		c, err := g.Sign(Grant{URLPrefix: "https://h/p/", Expires: exp})
		if err != nil {
			t.Fatal(err)
		}
		r := &Request{URL: "https://h/p/x", Cookies: c}
		if err := g.Verify(r, gotipathT0.Add(-time.Nanosecond)); err != nil {
			t.Errorf("before: %v", err)
		}
		if err := g.Verify(r, gotipathT0); err != Expired {
			t.Errorf("at the truncated second: %v, want expired", err)
		}
	})
}

func TestGotipathHeaderValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.", "AZaz09-_."},
		{"VVJM+/=", "VVJM%2B%2F%3D"},
		{"a b", "a+b"},
		{"~", "%7E"},
		{"*'()!", "%2A%27%28%29%21"},
		{"%", "%25"},
		{"é", "%C3%A9"},
		{"\x00\xff\n", "%00%FF%0A"},
		{"a;b,c\"d", "a%3Bb%2Cc%22d"},
	}
	for _, tc := range tests {
		t.Run("ok/"+tc.in, func(t *testing.T) {
			if got := GotipathHeaderValue(tc.in); got != tc.want {
				t.Errorf("GotipathHeaderValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := gotipathHeaderValueLen(tc.in); got != len(tc.want) {
				t.Errorf("len = %d, want %d", got, len(tc.want))
			}
		})
	}
}

func TestGotipathParseSecret(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means rejected
	}{
		{"ok/plain", "my-secret", "my-secret"},
		{"ok/newline", "my-secret\n", "my-secret"},
		{"ok/crlf", "my-secret\r\n", "my-secret"},
		{"ok/only one newline removed", "my-secret\n\n", "my-secret\n"},
		{"ok/only one crlf removed", "my-secret\r\n\r\n", "my-secret\r\n"},
		{"ok/lone cr kept", "my-secret\r", "my-secret\r"},
		{"ok/spaces kept", " my secret \n", " my secret "},
		{"ok/binary", "\x00\xff", "\x00\xff"},
		{"ok/a single newline as secret", "\n\n", "\n"},
		{"ok/generated", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"error/empty", "", ""},
		{"error/newline only", "\n", ""},
		{"error/crlf only", "\r\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			got, err := ParseGotipathSecret(in)
			if tc.want == "" {
				if !errors.Is(err, gotipathErrEmptySecret) || got != nil {
					t.Fatalf("ParseGotipathSecret(%q) = %q, %v; want an error", tc.in, got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("ParseGotipathSecret(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if len(in) > 0 {
				in[0] ^= 1
				if string(got) != tc.want {
					t.Error("the result shares the input's memory")
				}
			}
		})
	}
}

func TestGotipathGenerateSecret(t *testing.T) {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i * 9)
	}
	got, err := GenerateGotipathSecret(bytes.NewReader(seq))
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(seq) + "\n"; string(got) != want {
		t.Fatalf("GenerateGotipathSecret = %q, want %q", got, want)
	}
	secret, err := ParseGotipathSecret(got)
	if err != nil || string(secret) != strings.TrimSuffix(string(got), "\n") {
		t.Fatalf("round trip: %q %v", secret, err)
	}
	if _, err := NewGotipath(secret); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{
		"short":  bytes.NewReader(seq[:31]),
		"failed": iotest.ErrReader(errors.New("entropy gone")),
		"nil":    nil,
	} {
		t.Run("error/"+name, func(t *testing.T) {
			if out, err := GenerateGotipathSecret(r); err == nil || out != nil {
				t.Errorf("GenerateGotipathSecret = %q, %v; want an error", out, err)
			}
		})
	}
	a, _ := GenerateGotipathSecret(bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	b, _ := GenerateGotipathSecret(bytes.NewReader(bytes.Repeat([]byte{2}, 32)))
	if bytes.Equal(a, b) {
		t.Error("different randomness, same secret")
	}
}

// TestGotipathConcurrent shares one Gotipath between goroutines (run it
// under -race): the pooled HMACs and buffers must never be shared by two
// calls at once, which would show as a wrong signature.
func TestGotipathConcurrent(t *testing.T) {
	g := gotipathMustNew(t, "a", "b", "c")
	v := gotipathMustNew(t, "c", "b", "a")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				path := "/temp/guest_" + strings.Repeat("x", (w*7+i)%40) + "/"
				exp := gotipathT0.Add(time.Duration(i) * time.Minute)
				c, err := g.Sign(Grant{URLPrefix: "https://cdn.site.com" + path, Expires: exp})
				if err != nil {
					t.Error(err)
					return
				}
				wp, ws := gotipathRefSign([]byte("a"), "cdn.site.com", path, exp)
				if c[0].Value != GotipathHeaderValue(wp) || c[1].Value != ws {
					t.Errorf("concurrent Sign = %q", c)
					return
				}
				r := &Request{URL: "https://cdn.site.com" + path + "f", Cookies: c}
				if err := v.Verify(r, exp.Add(-time.Second)); err != nil {
					t.Errorf("concurrent Verify: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// gotipathBenchGrant is the typical tokensvc grant: a new guest, 20 minutes.
func gotipathBenchGrant() Grant {
	return Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: gotipathT0.Add(20 * time.Minute)}
}

func benchSignGotipath(b *testing.B) {
	g := gotipathMustNew(b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	gr := gotipathBenchGrant()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Sign(gr); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerifyGotipath(b *testing.B) {
	g := gotipathMustNew(b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	gr := gotipathBenchGrant()
	c, err := g.Sign(gr)
	if err != nil {
		b.Fatal(err)
	}
	r := &Request{URL: "https://cdn.site.com/temp/guest_abc123/index.m3u8", Cookies: c}
	now := gr.Expires.Add(-10 * time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Verify(r, now); err != nil {
			b.Fatal(err)
		}
	}
}
