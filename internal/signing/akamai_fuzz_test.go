package signing

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// akamaiFuzzSigners are the two configurations the fuzz targets use: the
// defaults, and escape early with a salt.
func akamaiFuzzSigners(t testing.TB) (plain, esc *Akamai) {
	return akamaiMust(t, AkamaiOptions{}, akamaiTestKeyA),
		akamaiMust(t, AkamaiOptions{EscapeEarly: true, Salt: "pepper-7Qx"}, akamaiTestKeyA)
}

// akamaiRebuild writes a parsed token back in canonical form.
func akamaiRebuild(t akamaiToken, delim byte) string {
	var f []string
	if t.ip != "" {
		f = append(f, "ip="+t.ip)
	}
	if t.hasSt {
		f = append(f, "st="+strconv.FormatInt(t.st, 10))
	}
	f = append(f, "exp="+strconv.FormatInt(t.exp, 10))
	for _, kv := range [][2]string{{"acl", t.acl}, {"id", t.id}, {"data", t.data}} {
		if kv[1] != "" {
			f = append(f, kv[0]+"="+kv[1])
		}
	}
	signed := strings.Join(f, string(delim))
	return signed + string(delim) + "hmac=" + t.hmac
}

// akamaiParamsOf turns a parsed (accepted) token back into the parameters
// that produce it, taking the URL of a URL token from the request.
func akamaiParamsOf(a *Akamai, t akamaiToken, reqURL string) (AkamaiTokenParams, bool) {
	p := AkamaiTokenParams{End: time.Unix(t.exp, 0), IP: t.ip, SessionID: t.id, Payload: t.data}
	if t.hasSt {
		p.Start = time.Unix(t.st, 0)
	}
	if a.escapeEarly {
		var ok1, ok2, ok3 bool
		p.IP, ok1 = akamaiUnescape(t.ip)
		p.SessionID, ok2 = akamaiUnescape(t.id)
		p.Payload, ok3 = akamaiUnescape(t.data)
		if !ok1 || !ok2 || !ok3 {
			return p, false
		}
	}
	if t.acl != "" {
		p.ACL = strings.Split(t.acl, string(a.aclDelim))
	} else {
		path, query, ok := akamaiSplitURL(reqURL)
		if !ok {
			return p, false
		}
		p.URL = string(akamaiAppendURL(nil, path, query, a.name))
	}
	return p, true
}

// FuzzAkamaiVerify feeds the verifier arbitrary requests. It never panics,
// answers nil or a known Reason, and whatever it accepts is exactly the token
// Token produces for the token's own fields (so it was signed by a key the
// verifier holds, and is in canonical form); flipping any byte of an
// accepted token gets it rejected, and it expires at its exp.
func FuzzAkamaiVerify(f *testing.F) {
	plain, esc := akamaiFuzzSigners(f)
	for _, v := range loadVectors[akamaiVector](f, "akamai_edgeauth.json") {
		u := akamaiInScopeURL(v)
		good := v.Expected.Exp - 1
		if v.Input.StartTime != nil {
			good = *v.Input.StartTime
		}
		f.Add(u, v.Expected.Token, good, v.Input.IP, v.Input.EscapeEarly)
		for i, a := range []*Akamai{plain, esc} {
			_, p := akamaiVectorSigner(f, v)
			if tok, err := a.Token(p); err == nil {
				f.Add(u, tok, good, v.Input.IP, i == 1)
				f.Add(u+"?a=1&"+a.name+"="+tok, "", good, v.Input.IP, i == 1)
			}
		}
	}
	f.Add("https://cdn.site.com/a", "exp=1~hmac=00", int64(0), "", false)
	f.Add("/", "ip=%zz~exp=9~acl=*~hmac=", int64(0), "::1", true)

	f.Fuzz(func(t *testing.T, reqURL, cookie string, now int64, ip string, escape bool) {
		a := plain
		if escape {
			a = esc
		}
		r := &Request{URL: reqURL}
		if cookie != "" {
			r.Cookies = []Cookie{{Name: a.name, Value: cookie}}
		}
		r.ClientIP, _ = netip.ParseAddr(ip)
		err := a.Verify(r, time.Unix(now, 0))
		if err != nil {
			var reason Reason
			if !errors.As(err, &reason) || !slices.Contains(Reasons, reason) {
				t.Fatalf("Verify = %v, not a Reason", err)
			}
			return
		}
		tok := cookie
		if tok == "" {
			_, query, _ := akamaiSplitURL(reqURL)
			tok, _ = akamaiQueryParam(query, a.name)
		}
		parsed, ok := akamaiParseToken(tok, a.fieldDelim, a.hexLen)
		if !ok {
			t.Fatalf("accepted a token that does not parse: %q", tok)
		}
		if got := akamaiRebuild(parsed, a.fieldDelim); got != tok {
			t.Fatalf("accepted a non-canonical token:\n got %q\nwant %q", tok, got)
		}
		p, ok := akamaiParamsOf(a, parsed, reqURL)
		if !ok {
			t.Fatalf("accepted token has bad escapes: %q", tok)
		}
		if want, err := a.Token(p); err != nil || want != tok {
			t.Fatalf("accepted token is not what Token makes for its fields:\n got %q\nwant %q (%v)", tok, want, err)
		}
		if err := a.Verify(r, time.Unix(parsed.exp, 0)); !errors.Is(err, Expired) {
			t.Fatalf("Verify at exp = %v, want expired", err)
		}
		if cookie == "" {
			return
		}
		b := []byte(cookie)
		for i := range b {
			b[i] ^= 0x01
			r.Cookies[0].Value = string(b)
			if err := a.Verify(r, time.Unix(now, 0)); err == nil {
				t.Fatalf("byte %d flipped, still accepted: %q", i, b)
			}
			b[i] ^= 0x01
		}
	})
}

// FuzzAkamaiSign signs grants for fuzz-chosen paths and expiries: a grant
// Sign accepts verifies inside its prefix before expiry, fails at expiry and
// outside the prefix, and any changed byte is rejected.
func FuzzAkamaiSign(f *testing.F) {
	f.Add("temp/guest_abc123", int64(1767226800), uint(5), byte('x'))
	f.Add("registered/user_42", int64(1), uint(0), byte(0))
	f.Add("", int64(9223372036854775807), uint(1000), byte('~'))
	f.Add("a b", int64(-1), uint(0), byte(0))
	f.Add("%2e%2e/x", int64(4102444800), uint(77), byte('0'))
	plain, _ := akamaiFuzzSigners(f)

	f.Fuzz(func(t *testing.T, seg string, exp int64, pos uint, c byte) {
		a := plain
		prefix := "https://cdn.site.com/" + seg + "/"
		cs, err := a.Sign(Grant{URLPrefix: prefix, Expires: time.Unix(exp, 0)})
		if err != nil {
			safe := exp > 0 && strings.Trim(seg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./%") == "" &&
				!hasDotSegment("/"+seg+"/")
			if safe {
				t.Fatalf("Sign(%q, %d) = %v, want success", prefix, exp, err)
			}
			return
		}
		if len(cs) != 1 || cs[0].Name != a.name {
			t.Fatalf("Sign = %+v", cs)
		}
		parsed, ok := akamaiParseToken(cs[0].Value, a.fieldDelim, a.hexLen)
		if !ok || parsed.acl != "/"+seg+"/*" || parsed.exp != exp || parsed.hasSt {
			t.Fatalf("Sign made %q", cs[0].Value)
		}
		in := &Request{URL: prefix + "p.jpg", Cookies: cs}
		if err := a.Verify(in, time.Unix(exp-1, 0)); err != nil {
			t.Fatalf("Verify before exp = %v", err)
		}
		if err := a.Verify(in, time.Unix(exp, 0)); !errors.Is(err, Expired) {
			t.Fatalf("Verify at exp = %v, want expired", err)
		}
		out := &Request{URL: "https://cdn.site.com/" + seg + "x/p.jpg", Cookies: cs}
		if err := a.Verify(out, time.Unix(exp-1, 0)); !errors.Is(err, ScopeMismatch) {
			t.Fatalf("Verify outside = %v, want scope_mismatch", err)
		}
		b := []byte(cs[0].Value)
		i := int(pos % uint(len(b)))
		if c == b[i] {
			c ^= 0x80
		}
		b[i] = c
		mut := &Request{URL: in.URL, Cookies: []Cookie{{Name: a.name, Value: string(b)}}}
		if err := a.Verify(mut, time.Unix(exp-1, 0)); err == nil {
			t.Fatalf("mutated token accepted: %q", b)
		}
	})
}

// FuzzAkamaiToken builds tokens from fuzz-chosen parameters: whatever Token
// accepts parses back, matches HashSource, verifies on a request inside its
// scope between st and exp, and is rejected at exp and before st.
func FuzzAkamaiToken(f *testing.F) {
	// A dot-segment ACL (found by this fuzzer once the verifiers refused
	// dot segments).
	f.Add("/.", false, int64(1767225600), int64(4102444960), int64(0), "", "", "", "", false)
	for _, v := range loadVectors[akamaiVector](f, "akamai_edgeauth.json") {
		in := v.Input
		scope, isURL := in.URL, true
		if len(in.ACL) > 0 {
			scope, isURL = strings.Join(in.ACL, "!"), false
		}
		var st, end, win int64
		if in.StartTime != nil {
			st = *in.StartTime
		}
		if in.EndTime != nil {
			end = *in.EndTime
		}
		if in.WindowSeconds != nil {
			win = *in.WindowSeconds
		}
		f.Add(scope, isURL, st, end, win, in.IP, in.SessionID, in.Payload, in.Salt, in.EscapeEarly)
	}
	// Crasher: an all-empty query "&" was rebuilt as "" (the verifier
	// dropped the last empty parameter).
	f.Add("/?&", true, int64(1767225600), int64(1767229200), int64(86), "", "0", "0", "0", false)
	f.Add("/a?b&__token__=1", true, int64(0), int64(5), int64(0), "", "", "", "", false)
	f.Add("/*?*?*?*", false, int64(1), int64(0), int64(1), "::ffff:1.2.3.4", "é~", "'*", "~", true)

	f.Fuzz(func(t *testing.T, scope string, isURL bool, st, end, win int64, ip, id, data, salt string, escape bool) {
		a, err := NewAkamai(AkamaiOptions{EscapeEarly: escape, Salt: salt}, akamaiMustKey(t, akamaiTestKeyA))
		if err != nil {
			t.Fatal(err)
		}
		p := AkamaiTokenParams{IP: ip, SessionID: id, Payload: data}
		if isURL {
			p.URL = scope
		} else if scope != "" {
			p.ACL = strings.Split(scope, "!")
		}
		if st != 0 {
			p.Start = time.Unix(st, 0)
		}
		if end != 0 {
			p.End = time.Unix(end, 0)
		}
		if win > 0 && win < 1<<33 {
			p.Window = time.Duration(win) * time.Second
		}
		tok, err := a.Token(p)
		if err != nil {
			return
		}
		hs, err := a.HashSource(p)
		if err != nil {
			t.Fatalf("Token ok but HashSource: %v", err)
		}
		parsed, ok := akamaiParseToken(tok, a.fieldDelim, a.hexLen)
		if !ok {
			t.Fatalf("own token does not parse: %q", tok)
		}
		if akamaiRebuild(parsed, a.fieldDelim) != tok {
			t.Fatalf("token %q is not canonical", tok)
		}
		// The hash source is the token's fields, then url= and salt=, which
		// never reach the token.
		want := parsed.signed
		if isURL {
			want += "~url="
			if escape {
				want += string(akamaiAppendEscape(nil, scope))
			} else {
				want += scope
			}
		}
		if salt != "" {
			want += "~salt=" + salt
		}
		if hs != want {
			t.Fatalf("hash source\n got %q\nwant %q", hs, want)
		}
		// A request inside the scope.
		var reqURL string
		if isURL {
			path, query, _ := strings.Cut(scope, "?")
			if !strings.HasPrefix(scope, "/") || strings.Contains(scope, "#") ||
				strings.Contains(scope, "?") && (query == "") || akamaiHasParam(query, a.name) || path == "" {
				return
			}
			reqURL = scope
		} else {
			reqURL = strings.NewReplacer("*", "", "?", "a").Replace(p.ACL[0])
			if !strings.HasPrefix(reqURL, "/") || strings.Contains(reqURL, "#") {
				return
			}
			// A path with a dot segment is never in scope (hasDotSegment):
			// a server would resolve it elsewhere.
			if hasDotSegment(reqURL) {
				r := &Request{URL: reqURL, Cookies: []Cookie{{Name: a.name, Value: tok}}}
				if ip != "" {
					r.ClientIP = netip.MustParseAddr(ip)
				}
				now := parsed.exp - 1
				if parsed.hasSt {
					now = parsed.st
				}
				if err := a.Verify(r, time.Unix(now, 0)); !errors.Is(err, ScopeMismatch) {
					t.Fatalf("Verify(%q) = %v, want scope_mismatch for a dot segment", reqURL, err)
				}
				return
			}
		}
		r := &Request{URL: reqURL, Cookies: []Cookie{{Name: a.name, Value: tok}}}
		if ip != "" {
			r.ClientIP = netip.MustParseAddr(ip)
		}
		good := parsed.exp - 1
		if parsed.hasSt {
			good = parsed.st
		}
		if err := a.Verify(r, time.Unix(good, 0)); err != nil {
			t.Fatalf("Verify(%q, %q) at %d = %v", reqURL, tok, good, err)
		}
		if err := a.Verify(r, time.Unix(parsed.exp, 0)); !errors.Is(err, Expired) {
			t.Fatalf("Verify at exp = %v, want expired", err)
		}
		if parsed.hasSt {
			if err := a.Verify(r, time.Unix(parsed.st-1, 0)); !errors.Is(err, NotYetValid) {
				t.Fatalf("Verify before st = %v, want not_yet_valid", err)
			}
		}
	})
}

func akamaiHasParam(query, name string) bool {
	for _, kv := range strings.Split(query, "&") {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			return true
		}
	}
	return false
}

// FuzzAkamaiParseToken: any token the parser accepts is in canonical form,
// that is, writing its fields back gives the same text.
func FuzzAkamaiParseToken(f *testing.F) {
	for _, v := range loadVectors[akamaiVector](f, "akamai_edgeauth.json") {
		f.Add(v.Expected.Token, v.Input.Algorithm == "sha1")
	}
	f.Add("exp=01~hmac=", false)
	f.Fuzz(func(t *testing.T, tok string, sha1 bool) {
		hexLen := 64
		if sha1 {
			hexLen = 40
		}
		parsed, ok := akamaiParseToken(tok, '~', hexLen)
		if !ok {
			return
		}
		if got := akamaiRebuild(parsed, '~'); got != tok {
			t.Fatalf("parse(%q) writes back as %q", tok, got)
		}
		if !strings.HasPrefix(tok, parsed.signed+"~hmac=") {
			t.Fatalf("signed part %q of %q", parsed.signed, tok)
		}
	})
}

// FuzzAkamaiParseKey: a key file parses exactly when its trimmed text is
// hex of at least 16 bytes, the key re-encodes to that text, and an error
// never quotes a key-sized input.
func FuzzAkamaiParseKey(f *testing.F) {
	for _, v := range loadVectors[akamaiVector](f, "akamai_edgeauth.json") {
		f.Add([]byte(v.Input.KeyHex + "\n"))
	}
	f.Add([]byte(" 00112233445566778899AABBCCDDEEFF\r\n"))
	f.Add([]byte("zz112233445566778899aabbccddeeff"))
	f.Add([]byte("0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := ParseAkamaiKey(data)
		trimmed := strings.TrimSpace(string(data))
		ref, refErr := hex.DecodeString(trimmed)
		wantOK := refErr == nil && len(ref) >= 16
		if (err == nil) != wantOK {
			t.Fatalf("ParseAkamaiKey(%q) = %v, want ok=%v", data, err, wantOK)
		}
		if err != nil {
			if len(trimmed) >= 32 && strings.Contains(err.Error(), trimmed) {
				t.Fatalf("error quotes the key: %v", err)
			}
			return
		}
		if hex.EncodeToString(key) != strings.ToLower(trimmed) {
			t.Fatalf("key %x does not round-trip %q", key, trimmed)
		}
	})
}

// akamaiGlobRef is a plain dynamic-programming glob, the reference for the
// iterative matcher.
func akamaiGlobRef(pattern, s string) bool {
	// m[j] reports whether pattern[:i] matches s[:j].
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

// FuzzAkamaiGlob compares the ACL matcher with the dynamic-programming
// reference.
func FuzzAkamaiGlob(f *testing.F) {
	for _, v := range loadVectors[akamaiVector](f, "akamai_edgeauth.json") {
		for _, acl := range v.Input.ACL {
			f.Add(acl, akamaiInScopeURL(v)[len("https://cdn.site.com"):])
		}
	}
	f.Add("*?*?*?*?*?*?x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Add("/public/??", "/public/a")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 300 || len(s) > 300 {
			return
		}
		if got, want := akamaiGlob(pattern, s), akamaiGlobRef(pattern, s); got != want {
			t.Fatalf("glob(%q, %q) = %v, reference %v", pattern, s, got, want)
		}
	})
}

// FuzzAkamaiEscape compares escape_early with an independent derivation
// from url.QueryEscape (which keeps A-Z a-z 0-9 - _ . ~ and writes space as
// '+'), and checks that unescaping gives the input back.
func FuzzAkamaiEscape(f *testing.F) {
	for _, v := range loadVectors[akamaiVector](f, "akamai_edgeauth.json") {
		f.Add(v.Input.URL + v.Input.SessionID + v.Input.Payload + v.Input.IP)
	}
	f.Add("my photo~(1)*'ü.jpg?w=640&h=480!")
	fix := strings.NewReplacer("+", "%20", "~", "%7E", "%21", "!", "%28", "(", "%29", ")")
	f.Fuzz(func(t *testing.T, s string) {
		got := string(akamaiAppendEscape(nil, s))
		ref := fix.Replace(url.QueryEscape(s))
		var want strings.Builder
		for i := 0; i < len(ref); i++ {
			if ref[i] == '%' {
				want.WriteString("%" + strings.ToLower(ref[i+1:i+3]))
				i += 2
				continue
			}
			want.WriteByte(ref[i])
		}
		if got != want.String() {
			t.Fatalf("escape(%q) = %q, reference %q", s, got, want.String())
		}
		if back, ok := akamaiUnescape(got); !ok || back != s {
			t.Fatalf("unescape(escape(%q)) = %q, %v", s, back, ok)
		}
	})
}
