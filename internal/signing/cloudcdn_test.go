package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// cloudcdnVector is one entry of cloudcdn_cookie.json or cloudcdn_url.json
// (field meanings: testdata/vectors/README.md).
type cloudcdnVector struct {
	Name  string `json:"name"`
	Mode  string `json:"mode"` // url files only: "url" or "url_prefix"
	Input struct {
		URL       string `json:"url"`
		URLPrefix string `json:"url_prefix"`
		KeyName   string `json:"key_name"`
		KeyB64URL string `json:"key_b64url"`
		Expires   int64  `json:"expires"`
	} `json:"input"`
	Expected struct {
		KeyHex          string `json:"key_hex"`
		URLPrefixB64URL string `json:"url_prefix_b64url"`
		StringToSign    string `json:"string_to_sign"`
		Signature       string `json:"signature"`
		CookieValue     string `json:"cookie_value"`
		Cookie          string `json:"cookie"`
		SignedParams    string `json:"signed_params"`
		SignedURL       string `json:"signed_url"`
	} `json:"expected"`
}

// Test keys: the public vector keys, never used for anything real.
var (
	cloudcdnTestKeyA = CloudCDNKey{Name: "tokensvc-2026-01", Key: cloudcdnMustHex("deadbeeffedeadbedeadbedeadbedead")}
	cloudcdnTestKeyB = CloudCDNKey{Name: "tokensvc-2026-02", Key: cloudcdnMustHex("000102030405060708090a0b0c0d0e0f")}
	cloudcdnTestKeyG = CloudCDNKey{Name: "my-key", Key: cloudcdnMustHex("9d9b51a2174d17d9b770a336e0870ae3")}
)

// cloudcdnNow is the fixed test time (STYLE.md: time is injected).
var cloudcdnNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func cloudcdnMustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func cloudcdnMustNew(t testing.TB, keys ...CloudCDNKey) *CloudCDN {
	t.Helper()
	c, err := NewCloudCDN(keys...)
	if err != nil {
		t.Fatalf("NewCloudCDN: %v", err)
	}
	return c
}

// cloudcdnVectorSigner parses the vector's key file text and builds a signer
// with it, checking key_hex on the way.
func cloudcdnVectorSigner(t *testing.T, v cloudcdnVector) *CloudCDN {
	t.Helper()
	key, err := ParseCloudCDNKeyFile([]byte(v.Input.KeyB64URL))
	if err != nil {
		t.Fatalf("ParseCloudCDNKeyFile: %v", err)
	}
	if got := hex.EncodeToString(key); got != v.Expected.KeyHex {
		t.Errorf("key_hex = %s, want %s", got, v.Expected.KeyHex)
	}
	return cloudcdnMustNew(t, CloudCDNKey{Name: v.Input.KeyName, Key: key})
}

// cloudcdnTestMAC is an independent HMAC-SHA1 + padded base64url, written
// the way Google's samples write it (reference/003, Go sample).
func cloudcdnTestMAC(key []byte, msg string) string {
	m := hmac.New(sha1.New, key)
	m.Write([]byte(msg))
	return base64.URLEncoding.EncodeToString(m.Sum(nil))
}

// cloudcdnTestCookie builds a cookie value from raw field texts with a valid
// MAC over "f0:f1:f2", so a rejection can only come from the parser.
func cloudcdnTestCookie(key []byte, f0, f1, f2 string) string {
	signed := f0 + ":" + f1 + ":" + f2
	return signed + ":Signature=" + cloudcdnTestMAC(key, signed)
}

// cloudcdnForEachMutation calls f with every single-byte change of s: each
// position replaced by several bytes that differ from the original,
// including the separators and padding the format is built from.
func cloudcdnForEachMutation(s string, f func(pos int, m string)) {
	const repl = "A0=:&?%-_/+ \n\x00\xff"
	b := []byte(s)
	for i := range b {
		orig := b[i]
		cands := []byte{orig ^ 0x01, orig ^ 0x20}
		cands = append(cands, repl...)
		seen := map[byte]bool{orig: true}
		for _, c := range cands {
			if seen[c] {
				continue
			}
			seen[c] = true
			b[i] = c
			f(i, string(b))
		}
		b[i] = orig
	}
}

func TestCloudCDNCookieVectors(t *testing.T) {
	for _, v := range loadVectors[cloudcdnVector](t, "cloudcdn_cookie.json") {
		t.Run(v.Name, func(t *testing.T) {
			c := cloudcdnVectorSigner(t, v)
			exp := time.Unix(v.Input.Expires, 0)

			value, err := c.SignCookieValue(v.Input.URLPrefix, exp)
			if err != nil {
				t.Fatalf("SignCookieValue: %v", err)
			}
			if value != v.Expected.CookieValue {
				t.Errorf("cookie_value:\n got %s\nwant %s", value, v.Expected.CookieValue)
			}
			cookies, err := c.Sign(Grant{URLPrefix: v.Input.URLPrefix, Expires: exp})
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if len(cookies) != 1 {
				t.Fatalf("Sign returned %d cookies, want 1", len(cookies))
			}
			if got := cookies[0].Name + "=" + cookies[0].Value; got != v.Expected.Cookie {
				t.Errorf("cookie:\n got %s\nwant %s", got, v.Expected.Cookie)
			}

			// The remaining fields, read back through the verifier's parser.
			cred, ok := cloudcdnParseCookie(value)
			if !ok {
				t.Fatalf("cloudcdnParseCookie(%q) failed", value)
			}
			for _, f := range []struct{ name, got, want string }{
				{"string_to_sign", cred.signed, v.Expected.StringToSign},
				{"url_prefix_b64url", cred.prefixB64, v.Expected.URLPrefixB64URL},
				{"signature", cred.sigText, v.Expected.Signature},
				{"url_prefix (decoded)", cred.prefix, v.Input.URLPrefix},
				{"key_name", cred.keyName, v.Input.KeyName},
				{"signature (independent HMAC)", cloudcdnTestMAC(cloudcdnMustHex(v.Expected.KeyHex), v.Expected.StringToSign), v.Expected.Signature},
			} {
				if f.got != f.want {
					t.Errorf("%s:\n got %s\nwant %s", f.name, f.got, f.want)
				}
			}
			if cred.expires != v.Input.Expires {
				t.Errorf("expires = %d, want %d", cred.expires, v.Input.Expires)
			}

			cookie := func(val string) *Request {
				return &Request{URL: v.Input.URLPrefix + "seg/0001.ts?q=1", Cookies: []Cookie{{Name: CloudCDNCookieName, Value: val}}}
			}
			cloudcdnCheckLifetime(t, c, cookie(value), v.Input.Expires)
			exact := &Request{URL: v.Input.URLPrefix, Cookies: cookie(value).Cookies}
			if err := c.Verify(exact, exp.Add(-time.Second)); err != nil {
				t.Errorf("Verify(URL = the prefix itself) = %v, want accept", err)
			}
			cloudcdnForEachMutation(value, func(pos int, m string) {
				if err := c.Verify(cookie(m), exp.Add(-time.Second)); err == nil {
					t.Errorf("mutated cookie accepted (byte %d): %q", pos, m)
				}
			})
		})
	}
}

func TestCloudCDNURLVectors(t *testing.T) {
	for _, v := range loadVectors[cloudcdnVector](t, "cloudcdn_url.json") {
		t.Run(v.Name, func(t *testing.T) {
			c := cloudcdnVectorSigner(t, v)
			exp := time.Unix(v.Input.Expires, 0)
			before := exp.Add(-time.Second)

			switch v.Mode {
			case "url":
				signed, err := c.SignURL(v.Input.URL, exp)
				if err != nil {
					t.Fatalf("SignURL: %v", err)
				}
				if signed != v.Expected.SignedURL {
					t.Errorf("signed_url:\n got %s\nwant %s", signed, v.Expected.SignedURL)
				}
				cred, found, ok := cloudcdnParseURL(signed)
				if !found || !ok || cred.hasPrefix {
					t.Fatalf("cloudcdnParseURL: found=%v ok=%v hasPrefix=%v", found, ok, cred.hasPrefix)
				}
				cloudcdnCompareURLCred(t, v, cred)
				cloudcdnCheckLifetime(t, c, &Request{URL: signed}, v.Input.Expires)
				// The whole URL is the credential: every byte is signed.
				cloudcdnForEachMutation(signed, func(pos int, m string) {
					if err := c.Verify(&Request{URL: m}, before); err == nil {
						t.Errorf("mutated URL accepted (byte %d): %q", pos, m)
					}
				})

			case "url_prefix":
				params, err := c.SignURLPrefixParams(v.Input.URLPrefix, exp)
				if err != nil {
					t.Fatalf("SignURLPrefixParams: %v", err)
				}
				if params != v.Expected.SignedParams {
					t.Errorf("signed_params:\n got %s\nwant %s", params, v.Expected.SignedParams)
				}
				reqURL := v.Input.URLPrefix + "seg/0001.ts?" + params
				if v.Input.URL != "" {
					signed, err := c.SignURLWithPrefix(v.Input.URL, v.Input.URLPrefix, exp)
					if err != nil {
						t.Fatalf("SignURLWithPrefix: %v", err)
					}
					if signed != v.Expected.SignedURL {
						t.Errorf("signed_url:\n got %s\nwant %s", signed, v.Expected.SignedURL)
					}
					reqURL = signed
				} else if v.Expected.SignedURL != "" {
					t.Fatalf("vector has signed_url but no url")
				}
				cred, found, ok := cloudcdnParseURL(reqURL)
				if !found || !ok || !cred.hasPrefix {
					t.Fatalf("cloudcdnParseURL: found=%v ok=%v hasPrefix=%v", found, ok, cred.hasPrefix)
				}
				cloudcdnCompareURLCred(t, v, cred)
				if cred.prefixB64 != v.Expected.URLPrefixB64URL {
					t.Errorf("url_prefix_b64url:\n got %s\nwant %s", cred.prefixB64, v.Expected.URLPrefixB64URL)
				}
				if cred.prefix != v.Input.URLPrefix {
					t.Errorf("decoded prefix = %q, want %q", cred.prefix, v.Input.URLPrefix)
				}
				cloudcdnCheckLifetime(t, c, &Request{URL: reqURL}, v.Input.Expires)
				// The credential is the parameters; the URL before them is
				// free to change within the prefix.
				head := strings.TrimSuffix(reqURL, params)
				cloudcdnForEachMutation(params, func(pos int, m string) {
					if err := c.Verify(&Request{URL: head + m}, before); err == nil {
						t.Errorf("mutated params accepted (byte %d): %q", pos, m)
					}
				})

			default:
				t.Fatalf("unknown mode %q", v.Mode)
			}
		})
	}
}

func cloudcdnCompareURLCred(t *testing.T, v cloudcdnVector, cred cloudcdnCred) {
	t.Helper()
	for _, f := range []struct{ name, got, want string }{
		{"string_to_sign", cred.signed, v.Expected.StringToSign},
		{"signature", cred.sigText, v.Expected.Signature},
		{"key_name", cred.keyName, v.Input.KeyName},
		{"signature (independent HMAC)", cloudcdnTestMAC(cloudcdnMustHex(v.Expected.KeyHex), v.Expected.StringToSign), v.Expected.Signature},
	} {
		if f.got != f.want {
			t.Errorf("%s:\n got %s\nwant %s", f.name, f.got, f.want)
		}
	}
	if cred.expires != v.Input.Expires {
		t.Errorf("expires = %d, want %d", cred.expires, v.Input.Expires)
	}
}

// cloudcdnCheckLifetime: accepted just before expiry (and long before, as
// there is no start time), Expired at and after it; the end is exclusive.
func cloudcdnCheckLifetime(t *testing.T, c *CloudCDN, r *Request, expires int64) {
	t.Helper()
	exp := time.Unix(expires, 0)
	for _, tc := range []struct {
		name string
		now  time.Time
		want error
	}{
		{"ok/1s before expiry", exp.Add(-time.Second), nil},
		{"ok/1ns before expiry", exp.Add(-time.Nanosecond), nil},
		{"ok/at 1970 (no start time)", time.Unix(0, 0).Add(-time.Nanosecond), nil},
		{"expired/at expiry", exp, Expired},
		{"expired/at expiry+999ms", exp.Add(999 * time.Millisecond), Expired},
		{"expired/1h after", exp.Add(time.Hour), Expired},
	} {
		if expires == 0 && tc.want == nil {
			continue
		}
		if err := c.Verify(r, tc.now); err != tc.want {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCloudCDNVerifyReasons(t *testing.T) {
	const (
		prefix = "https://cdn.site.com/temp/guest_abc123/"
		inside = prefix + "p1.jpg"
	)
	keyA := cloudcdnTestKeyA.Key
	exp := cloudcdnNow.Add(20 * time.Minute)
	c := cloudcdnMustNew(t, cloudcdnTestKeyA, cloudcdnTestKeyG)
	other := cloudcdnMustNew(t, CloudCDNKey{Name: cloudcdnTestKeyA.Name, Key: cloudcdnTestKeyB.Key})
	unknown := cloudcdnMustNew(t, CloudCDNKey{Name: "retired-key", Key: cloudcdnTestKeyA.Key})

	mustCookie := func(s *CloudCDN, p string) string {
		v, err := s.SignCookieValue(p, exp)
		if err != nil {
			t.Fatalf("SignCookieValue(%q): %v", p, err)
		}
		return v
	}
	mustURL := func(u string) string {
		v, err := c.SignURL(u, exp)
		if err != nil {
			t.Fatalf("SignURL(%q): %v", u, err)
		}
		return v
	}
	mustParams := func(p string) string {
		v, err := c.SignURLPrefixParams(p, exp)
		if err != nil {
			t.Fatalf("SignURLPrefixParams(%q): %v", p, err)
		}
		return v
	}
	good := mustCookie(c, prefix)
	b64 := func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
	pf := "URLPrefix=" + b64(prefix)
	ef := "Expires=" + strconv.FormatInt(exp.Unix(), 10)
	kf := "KeyName=" + cloudcdnTestKeyA.Name
	goodSig := good[strings.LastIndex(good, "Signature=")+len("Signature="):]
	withSig := func(sig string) string { return pf + ":" + ef + ":" + kf + ":Signature=" + sig }
	// A prefix of 28 bytes encodes with "==", so its last character
	// carries 4 trailing bits a lenient decoder ignores.
	const shortPrefix = "https://cdn.site.com/temp/g/"
	fullURL := mustURL(inside)
	params := mustParams(prefix)

	cases := []struct {
		name    string
		url     string   // default: inside
		cookies []Cookie // set; or
		cookie  string   // one Cloud-CDN-Cookie
		ip      string
		now     time.Time // default: cloudcdnNow
		want    error
	}{
		{name: "ok/cookie", cookie: good},
		{name: "ok/URL is the prefix itself", url: prefix, cookie: good},
		{name: "ok/query after the path", url: inside + "?w=640&h=480", cookie: good},
		{name: "ok/client IP is not bound", cookie: good, ip: "203.0.113.7"},
		{name: "ok/first of two cookies is used", cookies: []Cookie{{CloudCDNCookieName, good}, {CloudCDNCookieName, "junk"}}},
		{name: "ok/no start time: valid long before expiry", cookie: good, now: time.Unix(0, 0)},

		{name: "missing/no cookie, no query", url: inside},
		{name: "missing/cookie name is case-sensitive", cookies: []Cookie{{"cloud-cdn-cookie", good}}},
		{name: "missing/other cookies only", cookies: []Cookie{{"session", "x"}, {"CloudFront-Policy", "y"}}},
		{name: "missing/query has Expires and KeyName but no Signature", url: strings.TrimSuffix(fullURL, fullURL[strings.LastIndex(fullURL, "&"):])},
		{name: "missing/Signature name is case-sensitive", url: strings.Replace(fullURL, "&Signature=", "&signature=", 1)},

		{name: "malformed/empty cookie", cookies: []Cookie{{CloudCDNCookieName, ""}}},
		{name: "malformed/only three fields", cookie: pf + ":" + ef + ":" + kf},
		{name: "malformed/fifth field", cookie: good + ":Extra=1"},
		{name: "malformed/fields out of order", cookie: cloudcdnTestCookie(keyA, ef, pf, kf)},
		{name: "malformed/field names are case-sensitive", cookie: cloudcdnTestCookie(keyA, "urlprefix="+b64(prefix), ef, kf)},
		{name: "malformed/quoted cookie value", cookie: `"` + good + `"`},
		{name: "malformed/URLPrefix unpadded", cookie: cloudcdnTestCookie(keyA, "URLPrefix="+base64.RawURLEncoding.EncodeToString([]byte(shortPrefix)), ef, kf)},
		{name: "malformed/URLPrefix non-zero trailing bits", cookie: cloudcdnTestCookie(keyA, "URLPrefix="+cloudcdnSetTrailingBit(b64(shortPrefix)), ef, kf)},
		{name: "malformed/URLPrefix with a newline", cookie: cloudcdnTestCookie(keyA, "URLPrefix="+b64(prefix)[:8]+"\n"+b64(prefix)[8:], ef, kf)},
		{name: "malformed/URLPrefix standard alphabet", cookie: cloudcdnTestCookie(keyA, "URLPrefix="+base64.StdEncoding.EncodeToString([]byte("https://cdn.site.com/~~~/")), ef, kf)},
		{name: "malformed/URLPrefix not http(s)", cookie: cloudcdnTestCookie(keyA, "URLPrefix="+b64("ftp://cdn.site.com/temp/"), ef, kf)},
		{name: "malformed/URLPrefix with a query", cookie: cloudcdnTestCookie(keyA, "URLPrefix="+b64(prefix+"?a=1"), ef, kf)},
		{name: "malformed/URLPrefix empty", cookie: cloudcdnTestCookie(keyA, "URLPrefix=", ef, kf)},
		{name: "malformed/Expires leading zero", cookie: cloudcdnTestCookie(keyA, pf, "Expires=0"+ef[len("Expires="):], kf)},
		{name: "malformed/Expires plus sign", cookie: cloudcdnTestCookie(keyA, pf, "Expires=+"+ef[len("Expires="):], kf)},
		{name: "malformed/Expires negative", cookie: cloudcdnTestCookie(keyA, pf, "Expires=-1", kf)},
		{name: "malformed/Expires overflows int64", cookie: cloudcdnTestCookie(keyA, pf, "Expires=9223372036854775808", kf)},
		{name: "malformed/Expires empty", cookie: cloudcdnTestCookie(keyA, pf, "Expires=", kf)},
		{name: "malformed/Expires with a space", cookie: cloudcdnTestCookie(keyA, pf, ef+" ", kf)},
		{name: "malformed/KeyName empty", cookie: cloudcdnTestCookie(keyA, pf, ef, "KeyName=")},
		{name: "malformed/KeyName with a dot", cookie: cloudcdnTestCookie(keyA, pf, ef, "KeyName=tokensvc.2026")},
		{name: "malformed/KeyName 64 chars", cookie: cloudcdnTestCookie(keyA, pf, ef, "KeyName="+strings.Repeat("k", 64))},
		{name: "malformed/Signature unpadded", cookie: withSig(strings.TrimSuffix(goodSig, "="))},
		{name: "malformed/Signature non-zero trailing bits", cookie: withSig(cloudcdnSetTrailingBit(goodSig))},
		{name: "malformed/Signature standard alphabet", cookie: withSig("+" + goodSig[1:])},
		{name: "malformed/Signature percent-encoded padding", cookie: withSig(strings.TrimSuffix(goodSig, "=") + "%3D")},
		{name: "malformed/Signature of 32 bytes", cookie: withSig(base64.URLEncoding.EncodeToString(make([]byte, 32)))},
		{name: "malformed/Signature empty", cookie: withSig("")},
		{name: "malformed/first of two cookies is used", cookies: []Cookie{{CloudCDNCookieName, "junk"}, {CloudCDNCookieName, good}}},

		{name: "unknown_key/name not configured", cookie: mustCookie(unknown, prefix)},
		{name: "bad_signature/other key bytes, same name", cookie: mustCookie(other, prefix)},
		{name: "bad_signature/Expires changed", cookie: strings.Replace(good, ef, "Expires="+strconv.FormatInt(exp.Unix()+3600, 10), 1)},
		{name: "bad_signature/URLPrefix widened", cookie: strings.Replace(good, pf, "URLPrefix="+b64("https://cdn.site.com/"), 1)},
		{name: "bad_signature/signature of another policy", cookie: withSig(cloudcdnTestMAC(keyA, "URLPrefix=x"))},

		{name: "expired/at expiry", cookie: good, now: exp, want: Expired},
		{name: "expired/after expiry", cookie: good, now: exp.Add(time.Minute), want: Expired},
		{name: "ok/1ns before expiry", cookie: good, now: exp.Add(-time.Nanosecond)},

		// Cloud CDN matches the prefix as a plain string (reference/003).
		{name: "ok/guest_ab1 prefix also covers guest_ab12/x", url: "https://cdn.site.com/temp/guest_ab12/x", cookie: mustCookie(c, "https://cdn.site.com/temp/guest_ab1")},
		{name: "scope_mismatch/guest_ab1/ prefix does not cover guest_ab12/x", url: "https://cdn.site.com/temp/guest_ab12/x", cookie: mustCookie(c, "https://cdn.site.com/temp/guest_ab1/")},
		{name: "ok/host-only prefix without slash covers a longer host", url: "https://cdn.site.com.evil.example/x", cookie: mustCookie(c, "https://cdn.site.com")},
		{name: "scope_mismatch/http request, https prefix", url: "http://cdn.site.com/temp/guest_abc123/p1.jpg", cookie: good},
		{name: "scope_mismatch/other host", url: "https://media.site.com/temp/guest_abc123/p1.jpg", cookie: good},
		{name: "scope_mismatch/host case differs", url: "https://CDN.site.com/temp/guest_abc123/p1.jpg", cookie: good},
		{name: "scope_mismatch/parent directory", url: "https://cdn.site.com/temp/", cookie: good},
		{name: "scope_mismatch/prefix without its slash", url: "https://cdn.site.com/temp/guest_abc123", cookie: good},
		{name: "scope_mismatch/sibling guest", url: "https://cdn.site.com/temp/guest_abc124/p1.jpg", cookie: good},
		{name: "scope_mismatch/prefix only inside the query", url: "https://cdn.site.com/other?u=" + inside, cookie: good},
		{name: "scope_mismatch/percent-encoded path", url: "https://cdn.site.com/temp/guest%5Fabc123/p1.jpg", cookie: good},
		{name: "scope_mismatch/relative URL", url: "/temp/guest_abc123/p1.jpg", cookie: good},

		{name: "ok/url full", url: fullURL},
		{name: "ok/url prefix", url: inside + "?" + params},
		{name: "ok/url prefix, other params before and after", url: inside + "?a=1&" + params + "&b=2"},
		{name: "ok/url wins over a broken cookie", url: fullURL, cookie: "junk"},
		{name: "malformed/url wins over a valid cookie", url: fullURL + "x", cookie: good},
		{name: "malformed/url two Signature params", url: fullURL + "&Signature=" + goodSig},
		{name: "malformed/url full, Signature not last", url: fullURL + "&b=2"},
		{name: "malformed/url full, Signature first", url: inside + "?Signature=" + goodSig},
		{name: "malformed/url full, KeyName before Expires", url: inside + "?" + kf + "&" + ef + "&Signature=" + cloudcdnTestMAC(keyA, inside+"?"+kf+"&"+ef)},
		{name: "malformed/url prefix params not adjacent", url: inside + "?" + strings.Replace(params, "&KeyName", "&a=1&KeyName", 1)},
		{name: "malformed/url two URLPrefix params", url: inside + "?URLPrefix=" + b64(prefix) + "&" + params},
		{name: "malformed/url Signature without '='", url: inside + "?" + ef + "&" + kf + "&Signature"},
		{name: "unknown_key/url", url: strings.Replace(fullURL, kf, "KeyName=retired-key", 1)},
		{name: "bad_signature/url full, path changed", url: strings.Replace(fullURL, "p1.jpg", "p2.jpg", 1)},
		{name: "bad_signature/url full, query added before Expires", url: strings.Replace(fullURL, "?", "?a=1&", 1)},
		{name: "expired/url full", url: fullURL, now: exp, want: Expired},
		{name: "expired/url prefix", url: inside + "?" + params, now: exp, want: Expired},
		{name: "scope_mismatch/url prefix, other guest", url: "https://cdn.site.com/temp/guest_zzz/p1.jpg?" + params},
		{name: "scope_mismatch/url prefix, other host", url: "https://evil.example/temp/guest_abc123/p1.jpg?" + params},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				if reason, _, ok := strings.Cut(tc.name, "/"); ok && reason != "ok" {
					want = Reason(reason)
				}
			}
			r := &Request{URL: tc.url, Cookies: tc.cookies}
			if r.URL == "" {
				r.URL = inside
			}
			if tc.cookie != "" {
				r.Cookies = []Cookie{{CloudCDNCookieName, tc.cookie}}
			}
			if tc.ip != "" {
				r.ClientIP = netip.MustParseAddr(tc.ip)
			}
			now := tc.now
			if now.IsZero() {
				now = cloudcdnNow
			}
			err := c.Verify(r, now)
			if err != want {
				t.Errorf("Verify = %v, want %v", err, want)
			}
			if err != nil && !errors.Is(err, ReasonOf(err)) {
				t.Errorf("Verify returned a non-Reason error %T", err)
			}
		})
	}
}

func TestCloudCDNVerifyNilRequest(t *testing.T) {
	c := cloudcdnMustNew(t, cloudcdnTestKeyA)
	if err := c.Verify(nil, cloudcdnNow); err != Missing {
		t.Errorf("Verify(nil) = %v, want %v", err, Missing)
	}
}

// cloudcdnSetTrailingBit sets the lowest bit of the last base64 character
// before the padding, which the padding leaves unused: a lenient decoder
// returns the same bytes, a strict one refuses.
func cloudcdnSetTrailingBit(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := len(strings.TrimRight(s, "=")) - 1
	v := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[v|1]) + s[i+1:]
}

func TestCloudCDNKeyRotation(t *testing.T) {
	const prefix = "https://cdn.site.com/registered/user_42/"
	req := func(v string) *Request {
		return &Request{URL: prefix + "a.jpg", Cookies: []Cookie{{CloudCDNCookieName, v}}}
	}
	exp := cloudcdnNow.Add(2 * time.Hour)
	signerA := cloudcdnMustNew(t, cloudcdnTestKeyA)
	v, err := signerA.SignCookieValue(prefix, exp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v, ":KeyName="+cloudcdnTestKeyA.Name+":") {
		t.Fatalf("signed with the wrong key: %s", v)
	}
	for _, tc := range []struct {
		name string
		keys []CloudCDNKey
		want error
	}{
		{"ok/[A] accepts", []CloudCDNKey{cloudcdnTestKeyA}, nil},
		{"ok/[B, A] accepts", []CloudCDNKey{cloudcdnTestKeyB, cloudcdnTestKeyA}, nil},
		{"ok/[G, B, A] accepts", []CloudCDNKey{cloudcdnTestKeyG, cloudcdnTestKeyB, cloudcdnTestKeyA}, nil},
		{"unknown_key/[B] rejects", []CloudCDNKey{cloudcdnTestKeyB}, UnknownKey},
		{"bad_signature/B's bytes under A's name", []CloudCDNKey{{Name: cloudcdnTestKeyA.Name, Key: cloudcdnTestKeyB.Key}}, BadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := cloudcdnMustNew(t, tc.keys...).Verify(req(v), cloudcdnNow); err != tc.want {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	// The first key signs.
	ba := cloudcdnMustNew(t, cloudcdnTestKeyB, cloudcdnTestKeyA)
	v2, err := ba.SignCookieValue(prefix, exp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v2, ":KeyName="+cloudcdnTestKeyB.Name+":") {
		t.Errorf("[B, A] did not sign with B: %s", v2)
	}
	if err := signerA.Verify(req(v2), cloudcdnNow); err != UnknownKey {
		t.Errorf("[A] on a B cookie = %v, want %v", err, UnknownKey)
	}
}

func TestNewCloudCDN(t *testing.T) {
	k16 := cloudcdnTestKeyA.Key
	for _, tc := range []struct {
		name string
		keys []CloudCDNKey
		ok   bool
	}{
		{"ok/one key", []CloudCDNKey{cloudcdnTestKeyA}, true},
		{"ok/three keys", []CloudCDNKey{cloudcdnTestKeyA, cloudcdnTestKeyB, cloudcdnTestKeyG}, true},
		{"ok/63-char name", []CloudCDNKey{{strings.Repeat("a", 63), k16}}, true},
		{"error/no keys", nil, false},
		{"error/four keys", []CloudCDNKey{cloudcdnTestKeyA, cloudcdnTestKeyB, cloudcdnTestKeyG, {"k4", k16}}, false},
		{"error/duplicate name", []CloudCDNKey{cloudcdnTestKeyA, {cloudcdnTestKeyA.Name, cloudcdnTestKeyB.Key}}, false},
		{"error/empty name", []CloudCDNKey{{"", k16}}, false},
		{"error/64-char name", []CloudCDNKey{{strings.Repeat("a", 64), k16}}, false},
		{"error/name with a colon", []CloudCDNKey{{"a:b", k16}}, false},
		{"error/name with an ampersand", []CloudCDNKey{{"a&b", k16}}, false},
		{"error/15-byte key", []CloudCDNKey{{"k", k16[:15]}}, false},
		{"error/17-byte key", []CloudCDNKey{{"k", append(bytes.Clone(k16), 0)}}, false},
		{"error/nil key", []CloudCDNKey{{"k", nil}}, false},
		{"error/base64 text instead of raw key", []CloudCDNKey{{"k", []byte("3q2-7_7erb7erb7erb7erQ==")}}, false},
		{"error/bad second key", []CloudCDNKey{cloudcdnTestKeyA, {"k2", k16[:8]}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCloudCDN(tc.keys...)
			if (err == nil) != tc.ok {
				t.Fatalf("NewCloudCDN error = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				for _, k := range tc.keys {
					cloudcdnAssertNoKeyBytes(t, err.Error(), k.Key)
				}
				return
			}
			if c.Format() != "cloudcdn" {
				t.Errorf("Format = %q", c.Format())
			}
		})
	}
	// The key is copied: changing the caller's slice changes nothing.
	key := bytes.Clone(k16)
	c := cloudcdnMustNew(t, CloudCDNKey{Name: "k", Key: key})
	before, _ := c.SignCookieValue("https://cdn.site.com/", cloudcdnNow)
	key[0] ^= 0xff
	after, _ := c.SignCookieValue("https://cdn.site.com/", cloudcdnNow)
	if before != after {
		t.Error("NewCloudCDN kept a reference to the caller's key slice")
	}
}

// cloudcdnAssertNoKeyBytes fails if msg carries the key raw, in hex or in
// either base64 alphabet.
func cloudcdnAssertNoKeyBytes(t *testing.T, msg string, key []byte) {
	t.Helper()
	if len(key) < 4 {
		return
	}
	for _, form := range []string{
		string(key), hex.EncodeToString(key), strings.ToUpper(hex.EncodeToString(key)),
		base64.StdEncoding.EncodeToString(key)[:4*(len(key)/3)],
		base64.URLEncoding.EncodeToString(key)[:4*(len(key)/3)],
	} {
		if form != "" && strings.Contains(msg, form) {
			t.Errorf("error %q contains key material", msg)
		}
	}
}

func TestValidCloudCDNKeyName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"my-key", true},
		{"tokensvc-2026-01", true},
		{"A", true},
		{"_", true},
		{"k0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY_", true},
		{strings.Repeat("z", 64), false},
		{"", false},
		{"my key", false},
		{"my.key", false},
		{"my:key", false},
		{"my&key", false},
		{"my=key", false},
		{"ключ", false},
		{"key\n", false},
	} {
		if got := ValidCloudCDNKeyName(tc.name); got != tc.want {
			t.Errorf("ValidCloudCDNKeyName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseCloudCDNKeyFile(t *testing.T) {
	const g = "9d9b51a2174d17d9b770a336e0870ae3"
	for _, tc := range []struct {
		name string
		in   string
		want string // hex; "" means an error
	}{
		{"ok/padded", "nZtRohdNF9m3cKM24IcK4w==", g},
		{"ok/padded with newline (gcloud file)", "nZtRohdNF9m3cKM24IcK4w==\n", g},
		{"ok/CRLF", "nZtRohdNF9m3cKM24IcK4w==\r\n", g},
		{"ok/surrounding whitespace", " \t nZtRohdNF9m3cKM24IcK4w==\n\n", g},
		{"ok/unpadded", "nZtRohdNF9m3cKM24IcK4w", g},
		{"ok/unpadded with newline", "nZtRohdNF9m3cKM24IcK4w\n", g},
		{"ok/URL-safe alphabet", "3q2-7_7erb7erb7erb7erQ==", "deadbeeffedeadbedeadbedeadbedead"},
		{"ok/non-zero trailing bits (google_java_key_aaaa)", "aaaaaaaaaaaaaaaaaaaaaa==", "69a69a69a69a69a69a69a69a69a69a69"},
		{"ok/non-zero trailing bits, unpadded", "aaaaaaaaaaaaaaaaaaaaaa", "69a69a69a69a69a69a69a69a69a69a69"},
		{"error/empty", "", ""},
		{"error/whitespace only", " \n", ""},
		{"error/standard alphabet", "3q2+7/7erb7erb7erb7erQ==", ""},
		{"error/one '=' of padding", "nZtRohdNF9m3cKM24IcK4w=", ""},
		{"error/three '='", "nZtRohdNF9m3cKM24IcK4w===", ""},
		{"error/text after the padding", "nZtRohdNF9m3cKM24IcK4w==x", ""},
		{"error/newline inside", "nZtRohdNF9m3\ncKM24IcK4w==", ""},
		{"error/space inside", "nZtRohdNF9m3 cKM24IcK4w==", ""},
		{"error/15 bytes", base64.URLEncoding.EncodeToString(make([]byte, 15)), ""},
		{"error/17 bytes", base64.URLEncoding.EncodeToString(make([]byte, 17)), ""},
		{"error/32 bytes", base64.URLEncoding.EncodeToString(make([]byte, 32)), ""},
		{"error/hex text", g, ""},
		{"error/NUL byte", "nZtRohdNF9m3cKM24IcK4w==\x00", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := ParseCloudCDNKeyFile([]byte(tc.in))
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted, key %x", key)
				}
				if trimmed := strings.TrimSpace(tc.in); len(trimmed) >= 8 && strings.Contains(err.Error(), trimmed) {
					t.Errorf("error %q contains the key file text", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got := hex.EncodeToString(key); got != tc.want {
				t.Errorf("key = %s, want %s", got, tc.want)
			}
		})
	}
}

// cloudcdnBytesReader yields fixed bytes, then io.EOF.
type cloudcdnBytesReader struct{ b []byte }

func (r *cloudcdnBytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errors.New("cloudcdn test reader: exhausted")
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestGenerateCloudCDNKey(t *testing.T) {
	for _, tc := range []struct{ hex, want string }{
		// What `head -c 16 | base64 | tr +/ -_` prints for these bytes.
		{"000102030405060708090a0b0c0d0e0f", "AAECAwQFBgcICQoLDA0ODw==\n"},
		{"deadbeeffedeadbedeadbedeadbedead", "3q2-7_7erb7erb7erb7erQ==\n"},
		{"fbffbffbffbffbffbffbffbffbffbfff", "-_-_-_-_-_-_-_-_-_-__w==\n"},
	} {
		raw := cloudcdnMustHex(tc.hex)
		// Extra bytes in the reader must not be read.
		got, err := GenerateCloudCDNKey(&cloudcdnBytesReader{append(bytes.Clone(raw), 0xff)})
		if err != nil {
			t.Fatalf("GenerateCloudCDNKey: %v", err)
		}
		if string(got) != tc.want {
			t.Errorf("GenerateCloudCDNKey(%s) = %q, want %q", tc.hex, got, tc.want)
		}
		back, err := ParseCloudCDNKeyFile(got)
		if err != nil || !bytes.Equal(back, raw) {
			t.Errorf("round trip: %x, %v; want %s", back, err, tc.hex)
		}
	}
	if _, err := GenerateCloudCDNKey(&cloudcdnBytesReader{make([]byte, 15)}); err == nil {
		t.Error("GenerateCloudCDNKey accepted a short read")
	}
}

func TestCloudCDNSignErrors(t *testing.T) {
	c := cloudcdnMustNew(t, cloudcdnTestKeyA)
	exp := cloudcdnNow
	for _, tc := range []struct {
		name   string
		prefix string
		exp    time.Time
	}{
		{"error/no scheme", "cdn.site.com/temp/", exp},
		{"error/ftp scheme", "ftp://cdn.site.com/temp/", exp},
		{"error/upper-case scheme", "HTTPS://cdn.site.com/temp/", exp},
		{"error/empty", "", exp},
		{"error/query", "https://cdn.site.com/temp/?a=1", exp},
		{"error/fragment", "https://cdn.site.com/temp/#x", exp},
		{"error/expiry before 1970", "https://cdn.site.com/temp/", time.Unix(-1, 0)},
		{"error/zero time", "https://cdn.site.com/temp/", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := c.SignCookieValue(tc.prefix, tc.exp); err == nil {
				t.Errorf("SignCookieValue = %q, want an error", v)
			}
			if v, err := c.SignURLPrefixParams(tc.prefix, tc.exp); err == nil {
				t.Errorf("SignURLPrefixParams = %q, want an error", v)
			}
			if cs, err := c.Sign(Grant{URLPrefix: tc.prefix, Expires: tc.exp}); err == nil {
				t.Errorf("Sign = %v, want an error", cs)
			}
		})
	}
	for _, tc := range []struct{ name, url, prefix string }{
		{"error/url without scheme", "cdn.site.com/a.jpg", ""},
		{"error/url fragment", "https://cdn.site.com/a.jpg#top", ""},
		{"error/url already signed", "https://cdn.site.com/a.jpg?Expires=1&KeyName=k&Signature=x", ""},
		{"error/url with a bare Signature param", "https://cdn.site.com/a.jpg?Signature", ""},
		{"error/url with a URLPrefix param", "https://cdn.site.com/a.jpg?URLPrefix=aHR0cHM6Ly9jZG4v", ""},
		{"error/url outside the prefix", "https://cdn.site.com/b/a.jpg", "https://cdn.site.com/a/"},
		{"error/url matches the prefix only in its query", "https://cdn.site.com/x?u=https://cdn.site.com/a/", "https://cdn.site.com/a/"},
		{"error/url fine, prefix bad", "https://cdn.site.com/a/b?c=1", "https://cdn.site.com/a/b?c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prefix == "" {
				if v, err := c.SignURL(tc.url, exp); err == nil {
					t.Errorf("SignURL = %q, want an error", v)
				}
				return
			}
			if v, err := c.SignURLWithPrefix(tc.url, tc.prefix, exp); err == nil {
				t.Errorf("SignURLWithPrefix = %q, want an error", v)
			}
		})
	}
	if _, err := c.SignURL("https://cdn.site.com/a.jpg", time.Unix(-1, 0)); err == nil {
		t.Error("SignURL accepted an expiry before 1970")
	}
}

func TestCloudCDNSignEdges(t *testing.T) {
	c := cloudcdnMustNew(t, cloudcdnTestKeyA)
	for _, tc := range []struct {
		name, url string
		exp       int64
		want      string // the string to sign
	}{
		{"ok/expires 0", "https://cdn.site.com/a", 0, "https://cdn.site.com/a?Expires=0&KeyName=tokensvc-2026-01"},
		{"ok/empty query", "https://cdn.site.com/a?", 1, "https://cdn.site.com/a?&Expires=1&KeyName=tokensvc-2026-01"},
		{"ok/max int64", "http://cdn.site.com/a?b", 1<<63 - 1, "http://cdn.site.com/a?b&Expires=9223372036854775807&KeyName=tokensvc-2026-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.SignURL(tc.url, time.Unix(tc.exp, 0))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want + "&Signature=" + cloudcdnTestMAC(cloudcdnTestKeyA.Key, tc.want)
			if got != want {
				t.Errorf("SignURL:\n got %s\nwant %s", got, want)
			}
			if err := c.Verify(&Request{URL: got}, time.Unix(tc.exp, 0).Add(-time.Nanosecond)); err != nil && tc.exp > 0 {
				t.Errorf("Verify = %v", err)
			}
		})
	}
	if got := c.CookieNames(); len(got) != 1 || got[0] != CloudCDNCookieName {
		t.Errorf("CookieNames = %v", got)
	}
	c.CookieNames()[0] = "changed"
	if c.CookieNames()[0] != CloudCDNCookieName {
		t.Error("CookieNames returned a shared slice")
	}
}

// TestCloudCDNConcurrent runs Sign and Verify from many goroutines on one
// value, so -race sees the pooled HMACs being shared.
func TestCloudCDNConcurrent(t *testing.T) {
	c := cloudcdnMustNew(t, cloudcdnTestKeyA, cloudcdnTestKeyB)
	g := Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudcdnNow.Add(20 * time.Minute)}
	want, err := c.Sign(g)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				got, err := c.Sign(g)
				if err != nil || got[0] != want[0] {
					t.Errorf("Sign = %v, %v", got, err)
					return
				}
				r := &Request{URL: g.URLPrefix + "p.jpg", Cookies: got}
				if err := c.Verify(r, cloudcdnNow); err != nil {
					t.Errorf("Verify = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// benchSignCloudCDN is called by the shared BenchmarkSign.
func benchSignCloudCDN(b *testing.B) {
	c := cloudcdnMustNew(b, cloudcdnTestKeyA)
	g := Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudcdnNow.Add(20 * time.Minute)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Sign(g); err != nil {
			b.Fatal(err)
		}
	}
}

// benchVerifyCloudCDN is called by the shared BenchmarkVerify.
func benchVerifyCloudCDN(b *testing.B) {
	c := cloudcdnMustNew(b, cloudcdnTestKeyA)
	g := Grant{URLPrefix: "https://cdn.site.com/temp/guest_abc123/", Expires: cloudcdnNow.Add(20 * time.Minute)}
	cookies, err := c.Sign(g)
	if err != nil {
		b.Fatal(err)
	}
	r := &Request{URL: g.URLPrefix + "p1.jpg", Cookies: cookies}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Verify(r, cloudcdnNow); err != nil {
			b.Fatal(err)
		}
	}
}
