package signing

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cloudcdnFuzzKeys are the verifier's keys in FuzzCloudCDNVerify: three of
// the vector keys, so that vectors signed with them seed the corpus.
var cloudcdnFuzzKeys = []CloudCDNKey{
	cloudcdnTestKeyG, // my-key / nZtRohdNF9m3cKM24IcK4w==
	cloudcdnTestKeyA, // tokensvc-2026-01 / 3q2-7_7erb7erb7erb7erQ==
	{Name: "k0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY_", Key: cloudcdnTestKeyB.Key},
}

// cloudcdnFuzzSigners returns one signer per fuzz key, that key first, so
// an accepted credential can be re-signed with the key it names.
func cloudcdnFuzzSigners(t testing.TB) map[string]*CloudCDN {
	m := map[string]*CloudCDN{}
	for _, k := range cloudcdnFuzzKeys {
		m[k.Name] = cloudcdnMustNew(t, k)
	}
	return m
}

// FuzzCloudCDNVerify feeds Verify arbitrary URLs, cookie values and times.
// Properties: Verify never panics, returns nil or a Reason it can give, and
// gives the same answer twice; and whatever it accepts is exactly what the
// signer produces for the same fields (so no second spelling of a
// credential verifies), unexpired, and in scope.
func FuzzCloudCDNVerify(f *testing.F) {
	signers := cloudcdnFuzzSigners(f)
	cookieVectors := loadVectors[cloudcdnVector](f, "cloudcdn_cookie.json")
	urlVectors := loadVectors[cloudcdnVector](f, "cloudcdn_url.json")
	for _, v := range cookieVectors {
		now := v.Input.Expires - 1
		f.Add(v.Input.URLPrefix+"a/b.jpg", v.Expected.CookieValue, now)
		f.Add(v.Input.URLPrefix, v.Expected.CookieValue, v.Input.Expires)
	}
	for _, v := range urlVectors {
		now := v.Input.Expires - 1
		switch {
		case v.Expected.SignedURL != "":
			f.Add(v.Expected.SignedURL, "", now)
		default:
			f.Add(v.Input.URLPrefix+"x.ts?a=1&"+v.Expected.SignedParams+"&b=2", "", now)
		}
	}
	exp := cloudcdnNow.Add(20 * time.Minute)
	sA := signers[cloudcdnTestKeyA.Name]
	for _, p := range []string{"https://cdn.site.com/temp/guest_abc123/", "https://cdn.site.com/temp/guest_ab1", "http://h"} {
		cv, _ := sA.SignCookieValue(p, exp)
		pv, _ := sA.SignURLPrefixParams(p, exp)
		uv, _ := sA.SignURL(p+"1.jpg?x=y", exp)
		f.Add(p+"1.jpg", cv, cloudcdnNow.Unix())
		f.Add(p+"1.jpg?"+pv, "", cloudcdnNow.Unix())
		f.Add(uv, cv, cloudcdnNow.Unix())
	}
	f.Add("", "", int64(0))
	f.Add("https://cdn.site.com/?Signature=", ":::", int64(-1))

	v := cloudcdnMustNew(f, cloudcdnFuzzKeys...)
	f.Fuzz(func(t *testing.T, rawURL, cookie string, nowUnix int64) {
		r := &Request{URL: rawURL}
		if cookie != "" {
			r.Cookies = []Cookie{{Name: CloudCDNCookieName, Value: cookie}}
		}
		now := time.Unix(nowUnix, 0)
		err := v.Verify(r, now)
		if err2 := v.Verify(r, now); err2 != err {
			t.Fatalf("Verify is not deterministic: %v then %v", err, err2)
		}
		if err != nil {
			var reason Reason
			if !errors.As(err, &reason) || reason == NotYetValid || reason == IPMismatch {
				t.Fatalf("Verify returned %v (%T)", err, err)
			}
			return
		}

		// Accepted: rebuild the credential from its fields with our signer.
		cred, found, ok := cloudcdnParseURL(rawURL)
		if !found {
			cred, ok = cloudcdnParseCookie(cookie)
		}
		if !ok {
			t.Fatal("accepted a credential that does not parse")
		}
		if nowUnix >= cred.expires {
			t.Fatalf("accepted at %d, expires %d", nowUnix, cred.expires)
		}
		s := signers[cred.keyName]
		expires := time.Unix(cred.expires, 0)
		switch {
		case !found:
			want, err := s.SignCookieValue(cred.prefix, expires)
			if err != nil || want != cookie {
				t.Fatalf("accepted cookie %q, signer gives %q (%v)", cookie, want, err)
			}
		case cred.hasPrefix:
			want, err := s.SignURLPrefixParams(cred.prefix, expires)
			if err != nil || !strings.Contains(rawURL, want) {
				t.Fatalf("accepted URL %q, signer gives params %q (%v)", rawURL, want, err)
			}
		default:
			// The URL as it was before SignURL appended its parameters
			// (Expires is canonical, so its text is FormatInt's).
			tail := "Expires=" + strconv.FormatInt(cred.expires, 10) + "&KeyName=" + cred.keyName
			base, ok := strings.CutSuffix(cred.signed, tail)
			if !ok || base == "" {
				t.Fatalf("signed part %q does not end in %q", cred.signed, tail)
			}
			want, err := s.SignURL(base[:len(base)-1], expires)
			if err != nil || want != rawURL {
				t.Fatalf("accepted URL %q, signer gives %q (%v)", rawURL, want, err)
			}
		}
		if cred.hasPrefix && !strings.HasPrefix(rawURL, cred.prefix) {
			t.Fatalf("accepted %q outside prefix %q", rawURL, cred.prefix)
		}
		// And the same credential fails at its expiry.
		if err := v.Verify(r, expires); err != Expired {
			t.Fatalf("Verify at expiry = %v, want %v", err, Expired)
		}
	})
}

// FuzzCloudCDNSign signs fuzz-chosen prefixes and expiries as a cookie and
// as URL-prefix parameters. Properties: Sign fails exactly when the prefix
// or expiry is invalid; otherwise the credential parses back to its inputs,
// Verify accepts it before expiry inside the prefix, rejects it at expiry
// with Expired, and rejects it after any one-byte change.
func FuzzCloudCDNSign(f *testing.F) {
	for _, v := range loadVectors[cloudcdnVector](f, "cloudcdn_cookie.json") {
		f.Add(v.Input.URLPrefix, v.Input.Expires, uint16(3), byte('A'))
	}
	for _, v := range loadVectors[cloudcdnVector](f, "cloudcdn_url.json") {
		if v.Mode == "url_prefix" {
			f.Add(v.Input.URLPrefix, v.Input.Expires, uint16(40), byte(':'))
		}
	}
	f.Add("https://cdn.site.com/temp/guest_ab1", int64(0), uint16(0), byte('='))
	f.Add("http://", int64(1<<62), uint16(99), byte('&'))
	f.Add("https://cdn/a&Signature=x:KeyName=y", int64(5), uint16(7), byte('\n'))
	f.Add("ftp://x/", int64(5), uint16(7), byte(0))
	f.Add("https://x/?", int64(-1), uint16(7), byte(0))

	c := cloudcdnMustNew(f, cloudcdnTestKeyA)
	f.Fuzz(func(t *testing.T, prefix string, exp int64, pos uint16, b byte) {
		expires := time.Unix(exp, 0)
		invalid := cloudcdnCheckPrefix(prefix) != nil || exp < 0
		cookie, err := c.SignCookieValue(prefix, expires)
		params, err2 := c.SignURLPrefixParams(prefix, expires)
		cookies, err3 := c.Sign(Grant{URLPrefix: prefix, Expires: expires})
		if (err != nil) != invalid || (err2 != nil) != invalid || (err3 != nil) != invalid {
			t.Fatalf("prefix %q exp %d: errors %v, %v, %v; invalid=%v", prefix, exp, err, err2, err3, invalid)
		}
		if invalid {
			return
		}
		if len(cookies) != 1 || cookies[0].Name != CloudCDNCookieName || cookies[0].Value != cookie {
			t.Fatalf("Sign = %v, SignCookieValue = %q", cookies, cookie)
		}
		// The two shapes differ only in the separator (which is signed, so
		// the signatures differ too).
		ph, _, _ := strings.Cut(params, "&Signature=")
		ch, _, _ := strings.Cut(cookie, ":Signature=")
		if ph != strings.ReplaceAll(ch, ":", "&") {
			t.Fatalf("params %q and cookie %q sign different fields", params, cookie)
		}
		cred, ok := cloudcdnParseCookie(cookie)
		if !ok || cred.prefix != prefix || cred.expires != exp || cred.keyName != cloudcdnTestKeyA.Name {
			t.Fatalf("cookie %q parses to %+v (ok=%v)", cookie, cred, ok)
		}

		url := prefix + "x"
		for _, r := range []*Request{
			{URL: url, Cookies: cookies},
			{URL: url + "?" + params},
		} {
			cred := r.URL
			if len(r.Cookies) > 0 {
				cred = r.Cookies[0].Value
			}
			if err := c.Verify(r, expires.Add(-time.Second)); err != nil {
				t.Fatalf("Verify(%q) before expiry = %v", cred, err)
			}
			if err := c.Verify(r, expires); err != Expired {
				t.Fatalf("Verify(%q) at expiry = %v, want %v", cred, err, Expired)
			}
		}

		i := int(pos) % len(cookie)
		m := []byte(cookie)
		if m[i] == b {
			b++
		}
		m[i] = b
		r := &Request{URL: url, Cookies: []Cookie{{Name: CloudCDNCookieName, Value: string(m)}}}
		if err := c.Verify(r, expires.Add(-time.Second)); err == nil {
			t.Fatalf("mutated cookie accepted: %q (from %q)", m, cookie)
		}
		j := int(pos) % len(params)
		m = []byte(params)
		if m[j] == b {
			b++
		}
		m[j] = b
		if err := c.Verify(&Request{URL: url + "?" + string(m)}, expires.Add(-time.Second)); err == nil {
			t.Fatalf("mutated params accepted: %q (from %q)", m, params)
		}
	})
}

// FuzzCloudCDNSignURL signs fuzz-chosen URLs in full-URL mode. Properties:
// SignURL fails exactly when the URL or expiry is invalid; otherwise the
// signed URL is the input plus the three parameters, Verify accepts it
// before expiry, rejects it at expiry with Expired, and rejects it after any
// one-byte change anywhere in the URL.
func FuzzCloudCDNSignURL(f *testing.F) {
	for _, v := range loadVectors[cloudcdnVector](f, "cloudcdn_url.json") {
		if v.Mode == "url" {
			f.Add(v.Input.URL, v.Input.Expires, uint16(5), byte('?'))
		}
	}
	f.Add("https://cdn.site.com/a?", int64(1), uint16(0), byte('&'))
	f.Add("https://cdn.site.com/a?x=1&Expires=2&KeyName=k", int64(9), uint16(30), byte('='))
	f.Add("https://cdn.site.com/a&Signature=b?c", int64(9), uint16(30), byte('='))
	f.Add("https://cdn.site.com/a#b", int64(9), uint16(30), byte('='))

	c := cloudcdnMustNew(f, cloudcdnTestKeyA)
	f.Fuzz(func(t *testing.T, rawURL string, exp int64, pos uint16, b byte) {
		expires := time.Unix(exp, 0)
		invalid := cloudcdnCheckURL(rawURL) != nil || exp < 0
		signed, err := c.SignURL(rawURL, expires)
		if (err != nil) != invalid {
			t.Fatalf("SignURL(%q, %d) error = %v, invalid=%v", rawURL, exp, err, invalid)
		}
		if invalid {
			return
		}
		if !strings.HasPrefix(signed, rawURL+cloudcdnJoiner(rawURL)+"Expires=") {
			t.Fatalf("SignURL(%q) = %q changed the URL", rawURL, signed)
		}
		r := &Request{URL: signed}
		if err := c.Verify(r, expires.Add(-time.Second)); err != nil {
			t.Fatalf("Verify(%q) before expiry = %v", signed, err)
		}
		if err := c.Verify(r, expires); err != Expired {
			t.Fatalf("Verify(%q) at expiry = %v, want %v", signed, err, Expired)
		}
		i := int(pos) % len(signed)
		m := []byte(signed)
		if m[i] == b {
			b++
		}
		m[i] = b
		if err := c.Verify(&Request{URL: string(m)}, expires.Add(-time.Second)); err == nil {
			t.Fatalf("mutated URL accepted: %q (from %q)", m, signed)
		}
	})
}

// FuzzCloudCDNKeyFile parses arbitrary key files. Properties: an accepted
// file holds 16 bytes that round-trip through GenerateCloudCDNKey's form
// (padded, with a newline) and the unpadded form; a rejected file's error
// never quotes the file.
func FuzzCloudCDNKeyFile(f *testing.F) {
	for _, name := range []string{"cloudcdn_cookie.json", "cloudcdn_url.json"} {
		for _, v := range loadVectors[cloudcdnVector](f, name) {
			f.Add([]byte(v.Input.KeyB64URL))
			f.Add([]byte(v.Input.KeyB64URL + "\n"))
		}
	}
	f.Add([]byte("nZtRohdNF9m3cKM24IcK4w"))
	f.Add([]byte("3q2+7/7erb7erb7erb7erQ=="))
	f.Add([]byte(" \r\n"))
	f.Add([]byte("nZtRohdNF9m3cKM24IcK4w==\nnZtRohdNF9m3cKM24IcK4w=="))

	keyText := regexp.MustCompile(`^[A-Za-z0-9_=-]{16,}$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := ParseCloudCDNKeyFile(data)
		if err != nil {
			if trimmed := bytes.TrimSpace(data); keyText.Match(trimmed) && strings.Contains(err.Error(), string(trimmed)) {
				t.Fatalf("error %q quotes the key file", err)
			}
			return
		}
		if len(key) != cloudcdnKeySize {
			t.Fatalf("accepted %d bytes", len(key))
		}
		for _, form := range []string{
			base64.URLEncoding.EncodeToString(key) + "\n",
			base64.RawURLEncoding.EncodeToString(key),
		} {
			back, err := ParseCloudCDNKeyFile([]byte(form))
			if err != nil || !bytes.Equal(back, key) {
				t.Fatalf("round trip through %q: %x, %v; want %x", form, back, err, key)
			}
		}
		// The lenient decode differs from a strict one only in the
		// ignored trailing bits: both give the same bytes when strict
		// succeeds.
		text := bytes.TrimRight(bytes.TrimSpace(data), "=")
		if strict, err := base64.RawURLEncoding.Strict().DecodeString(string(text)); err == nil && !bytes.Equal(strict, key) {
			t.Fatalf("lenient %x, strict %x", key, strict)
		}
	})
}

// FuzzCloudCDNNew builds signers from fuzz-chosen key names and key bytes.
// Properties: ValidCloudCDNKeyName agrees with an independent regular
// expression; NewCloudCDN fails exactly when the name or length is wrong,
// with an error that does not depend on the key bytes at all (so it cannot
// leak them); a signer it builds round-trips a cookie through Verify.
func FuzzCloudCDNNew(f *testing.F) {
	for _, v := range loadVectors[cloudcdnVector](f, "cloudcdn_cookie.json") {
		f.Add(v.Input.KeyName, cloudcdnMustHex(v.Expected.KeyHex))
	}
	f.Add("", []byte{})
	f.Add("a:b", []byte("0123456789abcdef"))
	f.Add(strings.Repeat("x", 64), []byte("0123456789abcdef"))
	f.Add("k", []byte("0123456789abcde"))

	nameRE := regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)
	f.Fuzz(func(t *testing.T, name string, key []byte) {
		valid := nameRE.MatchString(name)
		if got := ValidCloudCDNKeyName(name); got != valid {
			t.Fatalf("ValidCloudCDNKeyName(%q) = %v, want %v", name, got, valid)
		}
		c, err := NewCloudCDN(CloudCDNKey{Name: name, Key: key})
		if (err == nil) != (valid && len(key) == cloudcdnKeySize) {
			t.Fatalf("NewCloudCDN(%q, %d bytes) error = %v", name, len(key), err)
		}
		if err != nil {
			_, err2 := NewCloudCDN(CloudCDNKey{Name: name, Key: make([]byte, len(key))})
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("error depends on key bytes: %q vs %q", err, err2)
			}
			return
		}
		const prefix = "https://cdn.site.com/temp/guest_abc123/"
		cookies, err := c.Sign(Grant{URLPrefix: prefix, Expires: cloudcdnNow})
		if err != nil {
			t.Fatal(err)
		}
		r := &Request{URL: prefix + "a", Cookies: cookies}
		if err := c.Verify(r, cloudcdnNow.Add(-time.Second)); err != nil {
			t.Fatalf("Verify = %v", err)
		}
	})
}
