package signing

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// gotipathFuzzSecrets are the two secrets of gotipath.json, so that the
// vectors seed FuzzGotipathVerify with credentials that pass the signature.
var gotipathFuzzSecrets = []string{"my-secret", "Gx7!pQ2#zR9$w"}

// gotipathIsBase64Text reports whether t is non-empty and over the standard
// base64 alphabet, padding included.
func gotipathIsBase64Text(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// gotipathURLDecode is a lenient percent-decoder (any hex case, '+' kept),
// independent of the code under test.
func gotipathURLDecode(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			hi, lo := gotipathFuzzUnhex(v[i+1]), gotipathFuzzUnhex(v[i+2])
			if hi >= 0 && lo >= 0 {
				b.WriteByte(byte(hi<<4 | lo))
				i += 2
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func gotipathFuzzUnhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// FuzzGotipathVerify feeds Verify arbitrary cookie values, URLs and clocks.
// Properties: it never panics; it answers nil or one of the Reasons this
// format can give; and whenever it accepts, an independent check agrees on
// every step: the policy value is the raw or urlencoded spelling of a strict
// base64 text, one secret's reference HMAC of that text is the signature,
// the decoded policy parses, now is before expiry, and the URL is in scope.
func FuzzGotipathVerify(f *testing.F) {
	for _, v := range loadVectors[gotipathVector](f, "gotipath.json") {
		url := "https://" + v.Input.Domain + v.Input.Path + "a/b.ts?q=1"
		f.Add(v.Expected.SSPolicyHeaderValue, v.Expected.SSSignature, url, v.Input.Expires-1)
		f.Add(v.Expected.SSPolicy, v.Expected.SSSignature, url, v.Input.Expires)
		f.Add(strings.ToLower(v.Expected.SSPolicyHeaderValue), v.Expected.SSSignature, url, v.Input.Expires-60)
	}
	f.Add("", "", "", int64(0))
	f.Add("%3D", "0", "https://", int64(-1))
	f.Add("QUJD%2", "0aaaaaaaaaaaaaaaaaaaa", "a://b/c", int64(1<<62))

	g := gotipathMustNew(f, gotipathFuzzSecrets...)
	f.Fuzz(func(t *testing.T, policy, signature, url string, nowUnix int64) {
		r := gotipathRequest(url, policy, signature)
		now := time.Unix(nowUnix, 0)
		err := g.Verify(r, now)
		switch err {
		case nil:
		case Malformed, BadSignature, Expired, ScopeMismatch:
			return
		default:
			t.Fatalf("Verify = %v: not a reason this format gives with both cookies", err)
		}

		b64 := gotipathURLDecode(policy)
		if !gotipathIsBase64Text(b64) || (policy != b64 && policy != GotipathHeaderValue(b64)) {
			t.Fatalf("accepted policy %q is neither raw base64 nor its urlencoded form", policy)
		}
		plain, derr := base64.StdEncoding.Strict().DecodeString(b64)
		if derr != nil {
			t.Fatalf("accepted policy %q is not strict base64: %v", b64, derr)
		}
		signed := false
		for _, s := range gotipathFuzzSecrets {
			signed = signed || gotipathRefMAC([]byte(s), b64) == signature
		}
		if !signed {
			t.Fatalf("accepted signature %q matches no secret", signature)
		}
		scope, exp, ok := gotipathParsePolicy(plain)
		if !ok || !now.Before(exp) {
			t.Fatalf("accepted policy %q (ok %v) at %v", plain, ok, now)
		}
		hostPath := url[strings.Index(url, "://")+3:]
		if i := strings.IndexAny(hostPath, "?#"); i >= 0 {
			hostPath = hostPath[:i]
		}
		if !strings.HasPrefix(hostPath, string(scope)) {
			t.Fatalf("accepted %q outside %q", url, scope)
		}
	})
}

// FuzzGotipathSignVerify signs fuzz-chosen input and checks the round trip:
// SignCookie fails exactly on the documented invalid inputs; otherwise it
// matches the reference PHP rendering, Sign agrees with it, Verify accepts
// the cookies one nanosecond before expiry for a URL under the prefix,
// answers Expired at expiry, and rejects the cookies after a fuzz-chosen
// single-byte change with Malformed or BadSignature.
// gotipathRefDomain is the domain rule written as a regular expression, as
// an independent reference for gotipathValidDomain.
var gotipathRefDomain = regexp.MustCompile(`^[^/:?#]+(:[0-9]{1,5})?$`)

func FuzzGotipathSignVerify(f *testing.F) {
	// Found by this fuzzer once Sign refused dot segments.
	f.Add("0", "/.", int64(-62167219125), []byte("0"), uint(1070), byte('%'))
	f.Add("0", "/.;#", int64(-62167219113), []byte("0"), uint(1087), byte('d')) // dot segment before a fragment (found by the fuzzer)
	for _, v := range loadVectors[gotipathVector](f, "gotipath.json") {
		f.Add(v.Input.Domain, v.Input.Path, v.Input.Expires, []byte(v.Input.Secret), uint(7), byte('A'))
	}
	f.Add("cdn.site.com", "/temp/guest_abc123/", gotipathT0.Unix(), []byte("k"), uint(0), byte(0))
	f.Add("h", "/", int64(-62167219200), []byte("\x00"), uint(1000), byte('%')) // 0000-01-01
	f.Add("h", "/", int64(253402300800), []byte("k"), uint(3), byte('='))       // 10000-01-01
	f.Add("h:80", "/", int64(0), []byte("k"), uint(3), byte('='))               // port
	f.Add("h", "x", int64(0), []byte("k"), uint(3), byte('='))                  // relative path
	f.Add("h", "/\xff\xfe ~", int64(1<<40), []byte("k"), uint(5), byte('\n'))   // escapes
	f.Add("h", "/a:Expires=20300101000000", int64(0), []byte("k"), uint(9), byte('0'))

	f.Fuzz(func(t *testing.T, domain, path string, expUnix int64, secret []byte, pos uint, b byte) {
		g, err := NewGotipath(secret)
		if len(secret) == 0 {
			if err == nil {
				t.Fatal("NewGotipath accepted an empty secret")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		exp := time.Unix(expUnix, 0)
		policy, signature, err := g.SignCookie(domain, path, exp)

		badDomain := !gotipathRefDomain.MatchString(domain)
		badPath := path == "" || path[0] != '/'
		year := exp.UTC().Year()
		badYear := year < 0 || year > 9999
		var refPol, refSig string
		tooLong := false
		if !badDomain && !badPath && !badYear {
			refPol, refSig = gotipathRefSign(secret, domain, path, exp)
			tooLong = len(GotipathHeaderValue(refPol)) > gotipathMaxValue
		}
		switch {
		case badDomain:
			if !errors.Is(err, gotipathErrDomain) {
				t.Fatalf("domain %q: %v", domain, err)
			}
			return
		case badPath:
			if !errors.Is(err, gotipathErrPath) {
				t.Fatalf("path %q: %v", path, err)
			}
			return
		case badYear:
			if !errors.Is(err, gotipathErrYear) {
				t.Fatalf("year %d: %v", year, err)
			}
			return
		case tooLong:
			if !errors.Is(err, gotipathErrTooLong) {
				t.Fatalf("long policy: %v", err)
			}
			return
		case err != nil:
			t.Fatalf("SignCookie(%q, %q, %d): %v", domain, path, expUnix, err)
		}
		if policy != refPol || signature != refSig {
			t.Fatalf("SignCookie = %q %q, reference %q %q", policy, signature, refPol, refSig)
		}
		header := GotipathHeaderValue(policy)

		// Sign takes a URL; it refuses what a URL cannot carry in its path,
		// and a dot segment, which Verify never accepts in a request path
		// (hasDotSegment): such a grant could never be used.
		cookies, serr := g.Sign(Grant{URLPrefix: "https://" + domain + path, Expires: exp})
		if hasDotSegment(path) && !strings.ContainsAny(path, "?#") {
			if serr == nil {
				t.Fatalf("Sign accepted a path with a dot segment: %q", path)
			}
			return
		}
		if strings.ContainsAny(path, "?#") {
			if serr == nil {
				t.Fatalf("Sign accepted a path with a query or fragment: %q", path)
			}
		} else if serr != nil || len(cookies) != 2 || cookies[0].Value != header || cookies[1].Value != signature {
			t.Fatalf("Sign = %q, %v; want %q %q", cookies, serr, header, signature)
		}

		hostPath := domain + path + "x"
		before := exp.Add(-time.Nanosecond)
		if gotipathDotSegment(hostPath) {
			// No request path with a dot segment is ever accepted, whatever
			// the cookie grants (a path with '?' or '#' can still hold one:
			// found by the fuzzer, "/.;#").
			for _, p := range []string{policy, header} {
				if err := g.check(gotipathRequest("", p, signature), before, hostPath, true); err != ScopeMismatch {
					t.Fatalf("request path %q with a dot segment: %v, want scope_mismatch", hostPath, err)
				}
			}
			return
		}
		for _, p := range []string{policy, header} {
			r := gotipathRequest("", p, signature)
			if err := g.check(r, before, hostPath, true); err != nil {
				t.Fatalf("fresh cookie %q rejected: %v", p, err)
			}
			if err := g.check(r, exp, hostPath, true); err != Expired {
				t.Fatalf("at expiry: %v, want expired", err)
			}
		}
		if !strings.ContainsAny(path, "?#") {
			r := gotipathRequest("https://"+hostPath+"?q", header, signature)
			if err := g.Verify(r, before); err != nil {
				t.Fatalf("Verify(%q): %v", r.URL, err)
			}
		}

		// One changed byte in either value.
		values := []string{header, policy, signature}
		v := values[int(pos/2)%len(values)]
		i := int(pos % uint(len(v)))
		if v[i] == b {
			b++
		}
		mutated := v[:i] + string([]byte{b}) + v[i+1:]
		r := gotipathRequest("", mutated, signature)
		if v == signature {
			r = gotipathRequest("", header, mutated)
		}
		if err := g.check(r, before, hostPath, true); err != Malformed && err != BadSignature {
			t.Fatalf("byte %d of %q changed to %q: %v", i, v, b, err)
		}
	})
}

// FuzzGotipathPolicy fuzzes the plain-policy parser. Property: whatever it
// accepts is exactly what gotipathAppendPolicy writes back for the parsed
// domain, path and expiry (so one policy has one spelling), with a valid
// domain and a path that starts with '/'.
func FuzzGotipathPolicy(f *testing.F) {
	for _, v := range loadVectors[gotipathVector](f, "gotipath.json") {
		f.Add([]byte(v.Expected.PolicyPlain))
	}
	for _, s := range []string{
		"", "URL=", "URL=h/:Expires=", "URL=h/:Expires=00000101000000", "URL=h/:Expires=20240230000000",
		"URL=h:1/:Expires=20240101000000", "URL=/:Expires=20240101000000", "URL=h/a:Expires=1:Expires=20240101000000",
		"URL=h/:Expires=2024010100000\x00", "URL=h/:Expires=-2024010100000",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		scope, exp, ok := gotipathParsePolicy(p)
		if !ok {
			return
		}
		slash := bytes.IndexByte(scope, '/')
		if slash < 0 || !gotipathValidDomain(scope[:slash]) {
			t.Fatalf("accepted scope %q", scope)
		}
		if exp.Location() != time.UTC || exp.Nanosecond() != 0 || exp.Year() < 0 || exp.Year() > 9999 {
			t.Fatalf("accepted expiry %v", exp)
		}
		back := gotipathAppendPolicy(nil, string(scope[:slash]), string(scope[slash:]), exp)
		if !bytes.Equal(back, p) {
			t.Fatalf("policy %q parses but writes back as %q", p, back)
		}
	})
}

// FuzzGotipathWireValue fuzzes the ss_policy wire decoder. Properties: it
// accepts v exactly when v is a base64-alphabet text t itself or
// GotipathHeaderValue(t), and then returns t.
func FuzzGotipathWireValue(f *testing.F) {
	for _, v := range loadVectors[gotipathVector](f, "gotipath.json") {
		f.Add(v.Expected.SSPolicyHeaderValue)
		f.Add(v.Expected.SSPolicy)
	}
	for _, s := range []string{"", "%", "%3", "%3d", "%3D=", "a+b", "%2B+", "%41", "QUJD\n", "%252B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := gotipathAppendUnwire(nil, v)
		t2 := gotipathURLDecode(v)
		want := gotipathIsBase64Text(t2) && (v == t2 || v == GotipathHeaderValue(t2))
		if v == "" {
			want = true // the empty text: Verify rejects it before decoding
		}
		if ok != want {
			t.Fatalf("unwire(%q) ok = %v, want %v", v, ok, want)
		}
		if ok && string(got) != t2 {
			t.Fatalf("unwire(%q) = %q, want %q", v, got, t2)
		}
	})
}

// FuzzGotipathSecret fuzzes the secret-file parser. Properties: an accepted
// file is the secret plus at most one "\n" or "\r\n"; the secret is never
// empty; writing it back with a newline parses to the same secret; and a
// rejection is the one constant error, which carries no file bytes.
func FuzzGotipathSecret(f *testing.F) {
	for _, s := range []string{"my-secret", "my-secret\n", "my-secret\r\n", "\n", "\r\n", "", "\n\n", "a\r", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		secret, err := ParseGotipathSecret(data)
		if err != nil {
			if err != gotipathErrEmptySecret || secret != nil {
				t.Fatalf("ParseGotipathSecret(%q) = %q, %v", data, secret, err)
			}
			if s := string(data); s != "" && s != "\n" && s != "\r\n" {
				t.Fatalf("rejected a non-empty secret %q", data)
			}
			return
		}
		if len(secret) == 0 {
			t.Fatal("accepted an empty secret")
		}
		d := string(data)
		s := string(secret)
		if d != s && d != s+"\n" && d != s+"\r\n" {
			t.Fatalf("ParseGotipathSecret(%q) = %q", data, secret)
		}
		if strings.HasSuffix(d, "\n") && d == s {
			t.Fatalf("trailing newline kept in %q", data)
		}
		// Written back with "\r\n" it always round-trips; with "\n" only when
		// it does not end in '\r' (then "\r\n" is what gets removed).
		for _, nl := range []string{"\r\n", "\n"} {
			if nl == "\n" && strings.HasSuffix(s, "\r") {
				continue
			}
			again, err := ParseGotipathSecret(append(bytes.Clone(secret), nl...))
			if err != nil || !bytes.Equal(again, secret) {
				t.Fatalf("round trip of %q with %q: %q, %v", secret, nl, again, err)
			}
		}
		if _, err := NewGotipath(secret); err != nil {
			t.Fatalf("NewGotipath(parsed secret): %v", err)
		}
	})
}
