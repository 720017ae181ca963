package main

// The operator CLI, driven as operators drive it: the real binary is built
// once (testenv.Binary), and every test runs it with os/exec. Each public vector in
// internal/signing/testdata/vectors must come out of `tokensvc sign` byte for
// byte, and `tokensvc verify` must accept it before its expiry, reject it
// as expired at and after, and reject it with any one byte changed.

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/signing"

	"github.com/tokensvc/tokensvc/internal/testenv"
)

// vectorDir holds the public vectors (a copy of shared/testdata, see its
// ORIGIN.md). They are read, never rewritten.
const vectorDir = "../../internal/signing/testdata/vectors"

// childEnv is the environment the CLI runs of the binary get.
var childEnv []string

func TestMain(m *testing.M) {
	childEnv = os.Environ()
	// A binary built with -race (GOFLAGS=-race) sleeps one second at exit
	// by default, so that late reports from other goroutines get out:
	// that alone would make the ~1000 runs here take minutes.
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		childEnv = append(childEnv, "GORACE="+strings.TrimSpace(g+" "+testenv.RaceOptions))
	}
	os.Exit(testenv.Main(m)) // removes the binary testenv.Binary builds
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// tokensvc runs the binary with args.
func tokensvc(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Binary(t), args...)
	cmd.Env = childEnv
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run tokensvc %q: %v", args, err)
	}
	return r
}

// mustSign runs a sign command that must succeed.
func mustSign(t *testing.T, args ...string) string {
	t.Helper()
	r := tokensvc(t, append([]string{"sign"}, args...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("tokensvc sign %q: %v", args, r)
	}
	return r.stdout
}

// writeFile writes a key (or policy) file with mode 0600, as an operator
// keeps keys.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadVectors reads one vector file; a missing or empty file fails the test,
// so an emptied copy can never pass as green.
func loadVectors[V any](t *testing.T, name string) []V {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var f struct {
		Vectors []V `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", name)
	}
	return f.Vectors
}

func unix(n int64) string { return strconv.FormatInt(n, 10) }

// setCookieLines is what sign prints for cookies: one "Set-Cookie: n=v"
// line per pair.
func setCookieLines(pairs ...string) string {
	var b strings.Builder
	for _, p := range pairs {
		b.WriteString("Set-Cookie: " + p + "\n")
	}
	return b.String()
}

// pairsOf turns sign's output back into name=value pairs.
func pairsOf(t *testing.T, out string) []string {
	t.Helper()
	var pairs []string
	for line := range strings.Lines(out) {
		p, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "Set-Cookie: ")
		if !ok {
			t.Fatalf("not a Set-Cookie line: %q", line)
		}
		pairs = append(pairs, p)
	}
	return pairs
}

// credential is what verify is given: a request URL and a Cookie header
// built from pairs. Mutations change one byte of one cookie value, or of
// the URL at or after urlCredStart (the signed parameters; -1 when the
// credential is in the cookies only).
type credential struct {
	url          string
	pairs        []string
	urlCredStart int
}

func (c credential) args() []string {
	args := []string{"--url", c.url}
	if len(c.pairs) > 0 {
		args = append(args, "--cookie", strings.Join(c.pairs, "; "))
	}
	return args
}

// verifyCase describes how one vector's credential is checked.
type verifyCase struct {
	kind     string
	keyArgs  []string
	cred     credential
	clientIP string
	validAt  int64  // a time inside the validity window
	expires  int64  // the first second it is expired
	start    int64  // 0, or the first second it is valid
	okOutput string // "valid", or the one rejection a vector cannot avoid
}

// checkVerify runs verify before expiry, at and after expiry, before the
// start, and with single-byte changes of every credential value.
func checkVerify(t *testing.T, vc verifyCase) {
	t.Helper()
	run := func(c credential, at int64) result {
		args := append([]string{"verify", vc.kind}, vc.keyArgs...)
		args = append(args, c.args()...)
		args = append(args, "--at", unix(at))
		if vc.clientIP != "" {
			args = append(args, "--client-ip", vc.clientIP)
		}
		return tokensvc(t, args...)
	}
	want := vc.okOutput
	if want == "" {
		want = "valid"
	}
	wantCode := 0
	if want != "valid" {
		wantCode = 1
	}
	if r := run(vc.cred, vc.validAt); r.code != wantCode || r.stdout != want+"\n" || r.stderr != "" {
		t.Errorf("verify at %d (before expiry): %v, want %q", vc.validAt, r, want)
	}
	for _, at := range []int64{vc.expires, vc.expires + 3600} {
		if r := run(vc.cred, at); r.code != 1 || r.stdout != "invalid: expired\n" {
			t.Errorf("verify at %d (expires %d): %v, want invalid: expired", at, vc.expires, r)
		}
	}
	if vc.start > 0 {
		if r := run(vc.cred, vc.start-1); r.code != 1 || r.stdout != "invalid: not_yet_valid\n" {
			t.Errorf("verify at %d (starts %d): %v, want invalid: not_yet_valid", vc.start-1, vc.start, r)
		}
	}
	for _, m := range mutations(vc.cred) {
		r := run(m.cred, vc.validAt)
		// Where an authentic credential gets a rejection anyway (see
		// okOutput), a changed one must fail earlier, with another reason.
		if r.code != 1 || !strings.HasPrefix(r.stdout, "invalid: ") || r.stdout == want+"\n" {
			t.Errorf("verify with %s: %v, want invalid: <reason>", m.what, r)
		}
	}
}

type mutation struct {
	what string
	cred credential
}

// mutations changes one byte at several positions (first, last and three
// in between) of each cookie value and of the signed URL parameters.
func mutations(c credential) []mutation {
	var out []mutation
	for i, p := range c.pairs {
		name, value, _ := strings.Cut(p, "=")
		for _, pos := range positions(len(value)) {
			m := c
			m.pairs = slices.Clone(c.pairs)
			m.pairs[i] = name + "=" + value[:pos] + string(otherByte(value[pos])) + value[pos+1:]
			out = append(out, mutation{what: fmt.Sprintf("cookie %s byte %d changed", name, pos), cred: m})
		}
	}
	if c.urlCredStart >= 0 {
		tail := len(c.url) - c.urlCredStart
		for _, pos := range positions(tail) {
			pos += c.urlCredStart
			m := c
			m.url = c.url[:pos] + string(otherByte(c.url[pos])) + c.url[pos+1:]
			out = append(out, mutation{what: fmt.Sprintf("URL byte %d changed", pos), cred: m})
		}
	}
	return out
}

// positions returns up to five distinct offsets in a value of length n:
// the first, the last and three in between.
func positions(n int) []int {
	var out []int
	for _, p := range []int{0, n / 4, n / 2, 3 * n / 4, n - 1} {
		if p >= 0 && p < n && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// otherByte returns a different byte of the same kind where there is one
// (the next digit or letter), so that a change keeps the value's syntax and
// has to be caught by the signature, and 'x' for anything else.
func otherByte(b byte) byte {
	switch {
	case '0' <= b && b <= '9':
		return '0' + (b-'0'+1)%10
	case 'a' <= b && b <= 'z':
		return 'a' + (b-'a'+1)%26
	case 'A' <= b && b <= 'Z':
		return 'A' + (b-'A'+1)%26
	case b == 'x':
		return 'y'
	}
	return 'x'
}

// urlCredStart is where the signed parameters start in a signed URL: the
// first Expires=, Policy= or URLPrefix= parameter.
func urlCredStart(t *testing.T, u string) int {
	t.Helper()
	best := -1
	for _, name := range []string{"Expires=", "Policy=", "URLPrefix="} {
		for _, sep := range []string{"?", "&"} {
			if i := strings.Index(u, sep+name); i >= 0 && (best < 0 || i+1 < best) {
				best = i + 1
			}
		}
	}
	if best < 0 {
		t.Fatalf("no signed parameters in %q", u)
	}
	return best
}

// ---------------------------------------------------------------- Cloud CDN

type cloudCDNVector struct {
	Name  string `json:"name"`
	Mode  string `json:"mode"` // cloudcdn_url.json: url or url_prefix
	Input struct {
		URL       string `json:"url"`
		URLPrefix string `json:"url_prefix"`
		KeyName   string `json:"key_name"`
		KeyB64URL string `json:"key_b64url"`
		Expires   int64  `json:"expires"`
	} `json:"input"`
	Expected struct {
		Cookie       string `json:"cookie"`
		SignedURL    string `json:"signed_url"`
		SignedParams string `json:"signed_params"`
	} `json:"expected"`
}

func TestCLICloudCDNCookieVectors(t *testing.T) {
	for _, v := range loadVectors[cloudCDNVector](t, "cloudcdn_cookie.json") {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			in := v.Input
			key := writeFile(t, t.TempDir(), "cdn.key", []byte(in.KeyB64URL))
			keyArgs := []string{"--key-name", in.KeyName, "--key-file", key}
			out := mustSign(t, append([]string{"cloudcdn-cookie", "--url-prefix", in.URLPrefix, "--expires", unix(in.Expires)}, keyArgs...)...)
			if want := setCookieLines(v.Expected.Cookie); out != want {
				t.Fatalf("sign:\n got %q\nwant %q", out, want)
			}
			checkVerify(t, verifyCase{
				kind:    "cloudcdn-cookie",
				keyArgs: keyArgs,
				cred:    credential{url: in.URLPrefix + "seg1.ts", pairs: pairsOf(t, out), urlCredStart: -1},
				validAt: in.Expires - 1,
				expires: in.Expires,
			})
		})
	}
}

func TestCLICloudCDNURLVectors(t *testing.T) {
	for _, v := range loadVectors[cloudCDNVector](t, "cloudcdn_url.json") {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			in := v.Input
			key := writeFile(t, t.TempDir(), "cdn.key", []byte(in.KeyB64URL))
			keyArgs := []string{"--key-name", in.KeyName, "--key-file", key}
			args := append([]string{"cloudcdn-url", "--expires", unix(in.Expires)}, keyArgs...)
			var want, reqURL string
			switch v.Mode {
			case "url":
				args = append(args, "--url", in.URL)
				want, reqURL = v.Expected.SignedURL, v.Expected.SignedURL
			case "url_prefix":
				args = append(args, "--url-prefix", in.URLPrefix)
				if in.URL != "" {
					args = append(args, "--url", in.URL)
					want, reqURL = v.Expected.SignedURL, v.Expected.SignedURL
				} else {
					// The parameters alone; any URL under the prefix
					// can carry them.
					want, reqURL = v.Expected.SignedParams, in.URLPrefix+"seg1.ts?"+v.Expected.SignedParams
				}
			default:
				t.Fatalf("unknown mode %q", v.Mode)
			}
			if out := mustSign(t, args...); out != want+"\n" {
				t.Fatalf("sign:\n got %q\nwant %q", out, want+"\n")
			}
			checkVerify(t, verifyCase{
				kind:    "cloudcdn-url",
				keyArgs: keyArgs,
				cred:    credential{url: reqURL, urlCredStart: urlCredStart(t, reqURL)},
				validAt: in.Expires - 1,
				expires: in.Expires,
			})
		})
	}
}

// ------------------------------------------------------------------- Akamai

type akamaiVector struct {
	Name  string `json:"name"`
	Input struct {
		KeyHex         string   `json:"key_hex"`
		Algorithm      string   `json:"algorithm"`
		TokenName      string   `json:"token_name"`
		FieldDelimiter string   `json:"field_delimiter"`
		ACLDelimiter   string   `json:"acl_delimiter"`
		EscapeEarly    bool     `json:"escape_early"`
		ACL            []string `json:"acl"`
		URL            string   `json:"url"`
		StartTime      *int64   `json:"start_time"`
		EndTime        *int64   `json:"end_time"`
		WindowSeconds  *int64   `json:"window_seconds"`
		IP             string   `json:"ip"`
		SessionID      string   `json:"session_id"`
		Payload        string   `json:"payload"`
		Salt           string   `json:"salt"`
	} `json:"input"`
	Expected struct {
		Exp    int64  `json:"exp"`
		Cookie string `json:"cookie"`
	} `json:"expected"`
}

func TestCLIAkamaiVectors(t *testing.T) {
	for _, v := range loadVectors[akamaiVector](t, "akamai_edgeauth.json") {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			in := v.Input
			key := writeFile(t, t.TempDir(), "akamai.hex", []byte(in.KeyHex))
			// The settings the edge must share: sign and verify take them all.
			keyArgs := []string{"--key-file", key, "--algorithm", in.Algorithm, "--token-name", in.TokenName,
				"--field-delimiter", in.FieldDelimiter, "--acl-delimiter", in.ACLDelimiter,
				"--escape-early=" + strconv.FormatBool(in.EscapeEarly)}
			if in.Salt != "" {
				keyArgs = append(keyArgs, "--salt", in.Salt)
			}
			args := append([]string{"akamai"}, keyArgs...)
			for _, acl := range in.ACL {
				args = append(args, "--acl", acl)
			}
			if in.URL != "" {
				args = append(args, "--url", in.URL)
			}
			var start int64
			if in.StartTime != nil {
				start = *in.StartTime
				args = append(args, "--start", unix(start))
			}
			if in.EndTime != nil {
				args = append(args, "--expires", unix(*in.EndTime))
			}
			if in.WindowSeconds != nil {
				args = append(args, "--window", unix(*in.WindowSeconds))
			}
			for flag, value := range map[string]string{"--ip": in.IP, "--session-id": in.SessionID, "--payload": in.Payload} {
				if value != "" {
					args = append(args, flag, value)
				}
			}
			out := mustSign(t, args...)
			if want := setCookieLines(v.Expected.Cookie); out != want {
				t.Fatalf("sign:\n got %q\nwant %q", out, want)
			}

			// A request the token covers: the signed URL for URL tokens,
			// else the first ACL with its wildcards filled in.
			reqURL := "https://cdn.site.com" + in.URL
			if in.URL == "" {
				reqURL = "https://cdn.site.com" + strings.NewReplacer("*", "p1.jpg", "?", "a").Replace(in.ACL[0])
			}
			checkVerify(t, verifyCase{
				kind:     "akamai",
				keyArgs:  keyArgs,
				cred:     credential{url: reqURL, pairs: pairsOf(t, out), urlCredStart: -1},
				clientIP: in.IP,
				validAt:  v.Expected.Exp - 1,
				expires:  v.Expected.Exp,
				start:    start,
			})
		})
	}
}

// --------------------------------------------------------------- CloudFront

type cloudFrontVector struct {
	Name  string `json:"name"`
	API   string `json:"api"` // getSignedCookies or getSignedUrl
	Input struct {
		PrivateKeyFile  string `json:"private_key_file"`
		PublicKeyFile   string `json:"public_key_file"`
		KeyPairID       string `json:"key_pair_id"`
		HashAlgorithm   string `json:"hash_algorithm"`
		URL             string `json:"url"`
		DateLessThan    *int64 `json:"date_less_than"`
		DateGreaterThan *int64 `json:"date_greater_than"`
		IPAddress       string `json:"ip_address"`
		Policy          string `json:"policy"`
	} `json:"input"`
	Expected struct {
		PolicyKind     string   `json:"policy_kind"`
		SignedPolicy   string   `json:"signed_policy"`
		SetCookiePairs []string `json:"set_cookie_pairs"`
		SignedURL      string   `json:"signed_url"`
		Resource       string   `json:"resource"`
		VerifyOnly     bool     `json:"verify_only"`
	} `json:"expected"`
}

// cloudFrontPolicy is what the tests read back from a signed policy: the
// Resource and the validity window.
type cloudFrontPolicy struct {
	Statement []struct {
		Resource  string `json:"Resource"`
		Condition struct {
			DateLessThan struct {
				Epoch int64 `json:"AWS:EpochTime"`
			} `json:"DateLessThan"`
			DateGreaterThan *struct {
				Epoch int64 `json:"AWS:EpochTime"`
			} `json:"DateGreaterThan"`
		} `json:"Condition"`
	} `json:"Statement"`
}

// cloudFrontRequestURL returns a request URL inside a Resource pattern: a
// scheme wildcard becomes https, any other '*' a file name.
func cloudFrontRequestURL(resource string) string {
	if rest, ok := strings.CutPrefix(resource, "*://"); ok {
		resource = "https://" + rest
	}
	return strings.ReplaceAll(resource, "*", "p1.jpg")
}

// cloudFrontClientIP returns an address inside an IP condition.
func cloudFrontClientIP(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "/") {
		return s
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p.Masked().Addr().Next().String()
}

func TestCLICloudFrontVectors(t *testing.T) {
	for _, v := range loadVectors[cloudFrontVector](t, "cloudfront.json") {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			in, want := v.Input, v.Expected
			dir := t.TempDir()
			priv := writeFile(t, dir, "cf.pem", readVectorFile(t, in.PrivateKeyFile))
			pub := writeFile(t, dir, "cf.pub.pem", readVectorFile(t, in.PublicKeyFile))

			kind := "cloudfront-url"
			if v.API == "getSignedCookies" {
				kind = "cloudfront-cookie"
			}
			args := []string{kind, "--key-file", priv, "--key-pair-id", in.KeyPairID, "--hash-algorithm", in.HashAlgorithm}
			if in.Policy != "" {
				// One trailing newline, as an editor leaves it, is not
				// part of the policy.
				args = append(args, "--policy-file", writeFile(t, dir, "policy.json", []byte(in.Policy+"\n")))
				if kind == "cloudfront-url" {
					args = append(args, "--url", in.URL)
				}
			} else {
				args = append(args, "--url", in.URL, "--expires", unix(*in.DateLessThan))
				if in.DateGreaterThan != nil {
					args = append(args, "--start", unix(*in.DateGreaterThan))
				}
				if in.IPAddress != "" {
					args = append(args, "--ip", in.IPAddress)
				}
			}
			out := mustSign(t, args...)

			var pol cloudFrontPolicy
			if err := json.Unmarshal([]byte(want.SignedPolicy), &pol); err != nil || len(pol.Statement) != 1 {
				t.Fatalf("signed_policy: %v", err)
			}
			st := pol.Statement[0]
			vc := verifyCase{
				kind:     kind,
				keyArgs:  []string{"--key-file", pub, "--key-pair-id", in.KeyPairID},
				clientIP: cloudFrontClientIP(t, in.IPAddress),
				validAt:  st.Condition.DateLessThan.Epoch - 1,
				expires:  st.Condition.DateLessThan.Epoch,
			}
			if g := st.Condition.DateGreaterThan; g != nil {
				vc.start = g.Epoch
			}

			if kind == "cloudfront-url" {
				if out != want.SignedURL+"\n" {
					t.Fatalf("sign:\n got %q\nwant %q", out, want.SignedURL+"\n")
				}
				vc.cred = credential{url: want.SignedURL, urlCredStart: urlCredStart(t, want.SignedURL)}
				checkVerify(t, vc)
				checkVerifyWithPrivateKey(t, vc, priv)
				return
			}

			got := pairsOf(t, out)
			if !want.VerifyOnly {
				if !slices.Equal(got, want.SetCookiePairs) {
					t.Fatalf("sign:\n got %q\nwant %q", got, want.SetCookiePairs)
				}
			} else {
				// ECDSA signatures are randomized: every other cookie must
				// match byte for byte, and our own cookies must verify.
				if len(got) != len(want.SetCookiePairs) {
					t.Fatalf("sign: got %q, want %d cookies", got, len(want.SetCookiePairs))
				}
				for i := range got {
					if !strings.HasPrefix(want.SetCookiePairs[i], "CloudFront-Signature=") && got[i] != want.SetCookiePairs[i] {
						t.Errorf("cookie %d: got %q, want %q", i, got[i], want.SetCookiePairs[i])
					}
				}
			}
			// A canned policy's resource is the request URL itself.
			reqURL := st.Resource
			if want.PolicyKind != "canned" {
				reqURL = cloudFrontRequestURL(st.Resource)
			}
			vc.cred = credential{url: reqURL, pairs: want.SetCookiePairs, urlCredStart: -1}
			checkVerify(t, vc)
			checkVerifyWithPrivateKey(t, vc, priv)
			if want.VerifyOnly {
				// The round trip: the cookies we just signed verify too.
				vc.cred.pairs = got
				checkVerify(t, vc)
			}
		})
	}
}

// checkVerifyWithPrivateKey: verify also takes a private key PEM (its public
// half is used).
func checkVerifyWithPrivateKey(t *testing.T, vc verifyCase, privFile string) {
	t.Helper()
	args := []string{"verify", vc.kind, "--key-file", privFile, "--key-pair-id", vc.keyArgs[3], "--at", unix(vc.validAt)}
	args = append(args, vc.cred.args()...)
	if vc.clientIP != "" {
		args = append(args, "--client-ip", vc.clientIP)
	}
	if r := tokensvc(t, args...); r.code != 0 || r.stdout != "valid\n" {
		t.Errorf("verify with the private key PEM: %v", r)
	}
}

func readVectorFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCLICloudFrontPKCS1Key: the PKCS#1 form AWS hands out signs exactly
// like the PKCS#8 file of the same key.
func TestCLICloudFrontPKCS1Key(t *testing.T) {
	t.Parallel()
	args := []string{"cloudfront-cookie", "--key-pair-id", "K2JCJMDEHXQW5F", "--url", "https://cdn.site.com/temp/guest_abc123/p1.jpg", "--expires", "1767226800"}
	pkcs8 := mustSign(t, append(args, "--key-file", filepath.Join(vectorDir, "cloudfront_test_key.pem"))...)
	pkcs1 := mustSign(t, append(args, "--key-file", filepath.Join(vectorDir, "cloudfront_test_key.pkcs1.pem"))...)
	if pkcs8 != pkcs1 {
		t.Errorf("PKCS#1 and PKCS#8 files sign differently:\n%s\n%s", pkcs1, pkcs8)
	}
}

// ----------------------------------------------------------------- Gotipath

type gotipathVector struct {
	Name  string `json:"name"`
	Input struct {
		Domain  string `json:"domain"`
		Path    string `json:"path"`
		Expires int64  `json:"expires"`
		Secret  string `json:"secret"`
	} `json:"input"`
	Expected struct {
		SSPolicyHeaderValue    string `json:"ss_policy_header_value"`
		SSSignatureHeaderValue string `json:"ss_signature_header_value"`
	} `json:"expected"`
}

func TestCLIGotipathVectors(t *testing.T) {
	for _, v := range loadVectors[gotipathVector](t, "gotipath.json") {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			in := v.Input
			// The secret's raw bytes, no newline: the file is used as is.
			key := writeFile(t, t.TempDir(), "secret", []byte(in.Secret))
			out := mustSign(t, "gotipath", "--key-file", key, "--domain", in.Domain, "--path", in.Path, "--expires", unix(in.Expires))
			want := setCookieLines("ss_policy="+v.Expected.SSPolicyHeaderValue, "ss_signature="+v.Expected.SSSignatureHeaderValue)
			if out != want {
				t.Fatalf("sign:\n got %q\nwant %q", out, want)
			}
			vc := verifyCase{
				kind:    "gotipath",
				keyArgs: []string{"--key-file", key},
				cred:    credential{url: "https://" + in.Domain + in.Path + "a.mp4", pairs: pairsOf(t, out), urlCredStart: -1},
				validAt: in.Expires - 1,
				expires: in.Expires,
			}
			if strings.ContainsAny(in.Path, "?#") {
				// A policy path holding '?' can never match a request:
				// its URL's path ends at the '?'. The signature and the
				// expiry are still checked first, so an authentic
				// cookie gets scope_mismatch (a changed one, a different
				// reason) and expired after its expiry.
				vc.okOutput = "invalid: scope_mismatch"
			}
			checkVerify(t, vc)
		})
	}
}

// ------------------------------------------------------------------- keygen

func TestCLIKeygen(t *testing.T) {
	const exp = "4102444800" // 2100-01-01
	tests := []struct {
		name  string
		flags []string
		file  string
		parse func([]byte) error
		// sign and verify with the generated key (file k, public key pub).
		sign, verify func(k, pub string) []string
	}{
		{
			name: "cloudcdn", flags: []string{"--cdn", "cloudcdn"}, file: "cdn.key",
			parse: func(b []byte) error { _, err := signing.ParseCloudCDNKeyFile(b); return err },
			sign: func(k, _ string) []string {
				return []string{"cloudcdn-cookie", "--key-name", "k1", "--key-file", k, "--url-prefix", "https://cdn.example.com/v/", "--expires", exp}
			},
			verify: func(k, _ string) []string {
				return []string{"cloudcdn-cookie", "--key-name", "k1", "--key-file", k, "--url", "https://cdn.example.com/v/a.ts"}
			},
		},
		{
			name: "akamai", flags: []string{"--cdn", "akamai"}, file: "akamai.hex",
			parse: func(b []byte) error { _, err := signing.ParseAkamaiKey(b); return err },
			sign: func(k, _ string) []string {
				return []string{"akamai", "--key-file", k, "--acl", "/v/*", "--expires", exp}
			},
			verify: func(k, _ string) []string {
				return []string{"akamai", "--key-file", k, "--url", "https://cdn.example.com/v/a.ts"}
			},
		},
		{
			name: "cloudfront", flags: []string{"--cdn", "cloudfront"}, file: "cf.pem",
			parse: func(b []byte) error { _, err := signing.ParseCloudFrontPrivateKey(b); return err },
			sign: func(k, _ string) []string {
				return []string{"cloudfront-cookie", "--key-file", k, "--key-pair-id", "KTEST", "--url", "https://cdn.example.com/v/*", "--expires", exp}
			},
			verify: func(_, pub string) []string {
				return []string{"cloudfront-cookie", "--key-file", pub, "--key-pair-id", "KTEST", "--url", "https://cdn.example.com/v/a.ts"}
			},
		},
		{
			name: "cloudfront ecdsa", flags: []string{"--cdn", "cloudfront", "--ecdsa"}, file: "cf-ec.pem",
			parse: func(b []byte) error { _, err := signing.ParseCloudFrontPrivateKey(b); return err },
			sign: func(k, _ string) []string {
				return []string{"cloudfront-cookie", "--key-file", k, "--key-pair-id", "KTEST", "--url", "https://cdn.example.com/v/a.ts", "--expires", exp}
			},
			verify: func(_, pub string) []string {
				return []string{"cloudfront-cookie", "--key-file", pub, "--key-pair-id", "KTEST", "--url", "https://cdn.example.com/v/a.ts"}
			},
		},
		{
			name: "gotipath", flags: []string{"--cdn", "gotipath"}, file: "secret",
			parse: func(b []byte) error { _, err := signing.ParseGotipathSecret(b); return err },
			sign: func(k, _ string) []string {
				return []string{"gotipath", "--key-file", k, "--domain", "cdn.example.com", "--path", "/v/", "--expires", exp}
			},
			verify: func(k, _ string) []string {
				return []string{"gotipath", "--key-file", k, "--url", "https://cdn.example.com/v/a.ts"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, tt.file)
			r := tokensvc(t, append([]string{"keygen", "--out", out}, tt.flags...)...)
			if r.code != 0 {
				t.Fatalf("keygen: %v", r)
			}
			if strings.Contains(r.stdout+r.stderr, "PRIVATE KEY") {
				t.Errorf("keygen --out printed the private key: %v", r)
			}
			key, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(key) > 8 && strings.Contains(r.stdout+r.stderr, strings.TrimSpace(string(key))) {
				t.Errorf("keygen --out printed the key: %v", r)
			}
			checkMode(t, out, 0o600)
			if err := tt.parse(key); err != nil {
				t.Fatalf("generated key does not parse: %v", err)
			}

			pub := ""
			if strings.HasPrefix(tt.name, "cloudfront") {
				pub = strings.TrimSuffix(out, ".pem") + ".pub.pem"
				pubPEM, err := os.ReadFile(pub)
				if err != nil {
					t.Fatalf("public key file: %v", err)
				}
				if r.stdout != string(pubPEM) {
					t.Errorf("stdout %q is not the public key %q", r.stdout, pubPEM)
				}
				pk, err := signing.ParseCloudFrontPublicKey(pubPEM)
				if err != nil {
					t.Fatal(err)
				}
				sk, _ := signing.ParseCloudFrontPrivateKey(key)
				if !pk.(interface{ Equal(crypto.PublicKey) bool }).Equal(sk.Public()) {
					t.Error("public key file does not match the private key")
				}
				if !strings.Contains(string(pubPEM), "-----BEGIN PUBLIC KEY-----") {
					t.Errorf("public key is not PKIX PEM: %q", pubPEM)
				}
			}

			// Never overwrite a key: the second run fails and leaves
			// the files as they were.
			again := tokensvc(t, append([]string{"keygen", "--out", out}, tt.flags...)...)
			if again.code != 2 || !strings.Contains(again.stderr, "already exists") || strings.Count(again.stderr, "\n") != 1 {
				t.Errorf("keygen over an existing file: %v", again)
			}
			if now, _ := os.ReadFile(out); !bytes.Equal(now, key) {
				t.Error("keygen overwrote an existing key")
			}

			// The key signs and verifies through the binary.
			signed := mustSign(t, tt.sign(out, pub)...)
			v := tokensvc(t, append(append([]string{"verify"}, tt.verify(out, pub)...), "--cookie", strings.Join(pairsOf(t, signed), "; "))...)
			if v.code != 0 || v.stdout != "valid\n" {
				t.Errorf("verify with the generated key: %v", v)
			}

			// Without --out the key goes to stdout, and parses.
			s := tokensvc(t, append([]string{"keygen"}, tt.flags...)...)
			if s.code != 0 || s.stderr != "" {
				t.Fatalf("keygen to stdout: %v", s)
			}
			if err := tt.parse([]byte(s.stdout)); err != nil {
				t.Errorf("key printed to stdout does not parse: %v", err)
			}
			if strings.Contains(s.stdout, "PUBLIC KEY") {
				t.Errorf("keygen without --out printed more than the private key")
			}
			if s.stdout == string(key) {
				t.Error("two keygen runs gave the same key")
			}
		})
	}
}

// TestCLIKeygenPublicKeyExists: when the public key file is in the way,
// keygen writes neither file.
func TestCLIKeygenPublicKeyExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "cf.pub.pem", []byte("in the way"))
	r := tokensvc(t, "keygen", "--cdn", "cloudfront", "--ecdsa", "--out", filepath.Join(dir, "cf.pem"))
	if r.code != 2 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("keygen: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "cf.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("private key left behind: %v", err)
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", path, got, want)
	}
}

// --------------------------------------------------------------- bad input

func TestCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	// A key file whose content must never show up in a message.
	secretish := writeFile(t, dir, "bad.key", []byte("SECRET-NOT-A-KEY-7f3a\n"))
	short := writeFile(t, dir, "short.key", []byte("AAAA\n"))
	akamaiKey := writeFile(t, dir, "akamai.hex", []byte("52a152d7f6e3b0c4d2e1a9f8b7c6d5e4\n"))
	cdnKey := writeFile(t, dir, "cdn.key", []byte("nZtRohdNF9m3cKM24IcK4w==\n"))
	missing := filepath.Join(dir, "missing.key")
	cdn := []string{"--url-prefix", "https://cdn.example.com/v/", "--expires", "1767226800"}

	tests := []struct {
		name string
		args []string
		err  string // substring of the one stderr line
	}{
		{"2/sign without kind", []string{"sign"}, "KIND is required"},
		{"2/sign unknown kind", []string{"sign", "cloudflare"}, `unknown kind "cloudflare"`},
		{"2/verify unknown kind", []string{"verify", "akamai-url"}, `unknown kind "akamai-url"`},
		{"2/unknown flag", []string{"sign", "akamai", "--key", "x"}, "flag provided but not defined: -key"},
		{"2/flag without value", []string{"sign", "akamai", "--expires"}, "flag needs an argument: -expires"},
		{"2/stray argument", []string{"sign", "gotipath", "--domain", "d", "oops"}, `unexpected argument "oops"`},
		{"2/missing key file", append([]string{"sign", "cloudcdn-cookie", "--key-name", "k", "--key-file", missing}, cdn...), "no such file"},
		{"2/key file is a folder", append([]string{"sign", "cloudcdn-cookie", "--key-name", "k", "--key-file", dir}, cdn...), "--key-file"},
		{"2/cloudcdn key not base64url", append([]string{"sign", "cloudcdn-cookie", "--key-name", "k", "--key-file", secretish}, cdn...), "base64url"},
		{"2/cloudcdn key too short", append([]string{"sign", "cloudcdn-cookie", "--key-name", "k", "--key-file", short}, cdn...), "need 16"},
		{"2/cloudcdn bad key name", append([]string{"sign", "cloudcdn-cookie", "--key-name", "bad:name", "--key-file", cdnKey}, cdn...), "invalid key name"},
		{"2/akamai key not hex", []string{"sign", "akamai", "--key-file", secretish, "--acl", "/v/*", "--expires", "1767226800"}, "akamai key"},
		{"2/akamai needs an end", []string{"sign", "akamai", "--key-file", akamaiKey, "--acl", "/v/*"}, "tokensvc sign akamai: --expires or --window is required"},
		{"2/akamai bad algorithm", []string{"sign", "akamai", "--key-file", akamaiKey, "--acl", "/v/*", "--expires", "1767226800", "--algorithm", "sha512"}, "algorithm"},
		{"2/akamai two-byte delimiter", []string{"sign", "akamai", "--key-file", akamaiKey, "--acl", "/v/*", "--expires", "1767226800", "--field-delimiter", "~~"}, "--field-delimiter"},
		{"2/cloudfront key not PEM", []string{"sign", "cloudfront-cookie", "--key-file", secretish, "--key-pair-id", "K", "--url", "https://a.example/x", "--expires", "1767226800"}, "PEM"},
		{"2/cloudfront bad hash", []string{"sign", "cloudfront-url", "--key-file", secretish, "--key-pair-id", "K", "--url", "https://a.example/x", "--expires", "1", "--hash-algorithm", "MD5"}, "--hash-algorithm"},
		{"2/cloudfront policy and expires", []string{"sign", "cloudfront-cookie", "--key-file", secretish, "--key-pair-id", "K", "--policy-file", secretish, "--expires", "1"}, "--policy-file excludes"},
		{"2/cloudfront verify key unreadable", []string{"verify", "cloudfront-cookie", "--key-file", missing, "--key-pair-id", "K", "--url", "https://a.example/x", "--cookie", "a=1"}, "no such file"},
		{"2/expires before 1970", []string{"sign", "cloudcdn-cookie", "--key-name", "k", "--key-file", cdnKey, "--url-prefix", "https://cdn.example.com/v/", "--expires", "-1"}, "before 1970"},
		{"2/expires not a number", []string{"sign", "gotipath", "--key-file", akamaiKey, "--domain", "d", "--path", "/", "--expires", "tomorrow"}, "Unix seconds"},
		{"2/at not a number", []string{"verify", "gotipath", "--key-file", akamaiKey, "--url", "https://d/", "--cookie", "", "--at", "1e9"}, "--at"},
		{"2/bad client ip", []string{"verify", "akamai", "--key-file", akamaiKey, "--url", "https://d/", "--client-ip", "1.2.3"}, "--client-ip"},
		{"2/verify without url", []string{"verify", "akamai", "--key-file", akamaiKey}, "--url is required"},
		{"2/edge public url with a path", []string{"edge", "--root", dir, "--listen", "127.0.0.1:0", "--public-url", "https://cdn.example.com/media"}, "--public-url"},
		{"2/edge public url with a bare query", []string{"edge", "--root", dir, "--listen", "127.0.0.1:0", "--public-url", "http://cdn.example.com?"}, "--public-url"},
		{"2/edge public url with a default port", []string{"edge", "--root", dir, "--listen", "127.0.0.1:0", "--public-url", "https://cdn.example.com:443"}, "--public-url"},
		{"2/keygen unknown cdn", []string{"keygen", "--cdn", "fastly"}, `--cdn "fastly"`},
		{"2/keygen ecdsa not cloudfront", []string{"keygen", "--cdn", "gotipath", "--ecdsa"}, "--ecdsa applies to --cdn cloudfront only"},
		{"2/keygen into a missing folder", []string{"keygen", "--cdn", "akamai", "--out", filepath.Join(dir, "no", "k")}, "--out"},
		// Output that would not be one header or one line (review): a
		// newline in an ACL printed a second Set-Cookie line.
		{"2/akamai acl with a newline", []string{"sign", "akamai", "--key-file", akamaiKey, "--acl", "/v/a\nSet-Cookie: evil=1", "--expires", "1767226800"}, "0x0a"},
		{"2/akamai payload with a semicolon", []string{"sign", "akamai", "--key-file", akamaiKey, "--acl", "/v/*", "--payload", "x;y", "--expires", "1767226800"}, "0x3b"},
		{"2/cloudcdn url with a newline", []string{"sign", "cloudcdn-url", "--key-name", "k", "--key-file", cdnKey, "--url", "https://cdn.example.com/a\nb", "--expires", "1767226800"}, "0x0a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tokensvc(t, tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (%v)", r.code, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			if !strings.Contains(r.stderr, tt.err) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.err)
			}
			for _, bad := range []string{"goroutine", "panic", "SECRET"} {
				if strings.Contains(r.stderr, bad) {
					t.Errorf("stderr holds %q: %q", bad, r.stderr)
				}
			}
		})
	}
}

// TestCLIEdgeChecksTheBaseURL: without --public-url, the edge takes
// TOKENSVC_CDN_BASE_URL, and refuses a spelling the browser never sends,
// as serve does.
func TestCLIEdgeChecksTheBaseURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Binary(t), "edge", "--root", t.TempDir(), "--listen", "127.0.0.1:0")
	cmd.Env = append(slices.Clone(childEnv), "TOKENSVC_DEV=true", "TOKENSVC_DEV_DIR="+filepath.Join(t.TempDir(), "dev"),
		"TOKENSVC_CDN_BASE_URL=https://CDN.example.com:443")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(errb.String(), "TOKENSVC_CDN_BASE_URL") {
		t.Errorf("edge with TOKENSVC_CDN_BASE_URL=https://CDN.example.com:443: %v, stderr %q; want exit 2 naming it", err, errb.String())
	}
}

// TestCLIHelp: -h prints the flags and exits 0.
func TestCLIHelp(t *testing.T) {
	for _, args := range [][]string{
		{"keygen", "-h"}, {"sign", "-h"}, {"verify", "--help"},
		{"sign", "cloudcdn-url", "-h"}, {"verify", "cloudfront-cookie", "-h"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := tokensvc(t, args...)
			if r.code != 0 || !strings.Contains(r.stderr, "usage: tokensvc") {
				t.Errorf("%v", r)
			}
		})
	}
	// The top level, bare or as docker run IMAGE --help: the commands.
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := tokensvc(t, args...)
			if r.code != 0 || !strings.Contains(r.stdout, "usage: tokensvc [serve]") {
				t.Errorf("%v", r)
			}
		})
	}
}

// ------------------------------------------------- rotation and reasons

// TestCLIVerifyKeyRotation: verify takes several keys and accepts a
// credential signed with any of them (for Cloud CDN and CloudFront the
// names or ids pair up with the files in order).
func TestCLIVerifyKeyRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const exp, at = "1767226800", "1767226000"
	oldCDN := writeFile(t, dir, "old.key", []byte("nZtRohdNF9m3cKM24IcK4w==\n"))
	newCDN := writeFile(t, dir, "new.key", []byte("3q2-7_7erb7erb7erb7erQ==\n"))
	oldAka := writeFile(t, dir, "old.hex", []byte("52a152d7f6e3b0c4d2e1a9f8b7c6d5e4\n"))
	newAka := writeFile(t, dir, "new.hex", []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"))
	oldGoti := writeFile(t, dir, "old.secret", []byte("my-secret"))
	newGoti := writeFile(t, dir, "new.secret", []byte("Gx7!pQ2#zR9$w"))
	rsaPub := filepath.Join(vectorDir, "cloudfront_test_key.pub.pem")
	ecPub := filepath.Join(vectorDir, "cloudfront_test_ec_key.pub.pem")

	tests := []struct {
		name   string
		sign   []string
		verify []string
		first  int // verify[:first] names the newer key only
	}{
		{"cloudcdn/old key second",
			[]string{"cloudcdn-cookie", "--key-name", "old", "--key-file", oldCDN, "--url-prefix", "https://cdn.example.com/v/", "--expires", exp},
			[]string{"cloudcdn-cookie", "--key-name", "new", "--key-file", newCDN, "--key-name", "old", "--key-file", oldCDN}, 5},
		{"akamai/old key second",
			[]string{"akamai", "--key-file", oldAka, "--acl", "/v/*", "--expires", exp},
			[]string{"akamai", "--key-file", newAka, "--key-file", oldAka}, 3},
		{"cloudfront/ecdsa key second",
			[]string{"cloudfront-cookie", "--key-file", filepath.Join(vectorDir, "cloudfront_test_ec_key.pem"), "--key-pair-id", "KEC", "--url", "https://cdn.example.com/v/a.ts", "--expires", exp},
			[]string{"cloudfront-cookie", "--key-file", rsaPub, "--key-pair-id", "KRSA", "--key-file", ecPub, "--key-pair-id", "KEC"}, 5},
		{"gotipath/old secret second",
			[]string{"gotipath", "--key-file", oldGoti, "--domain", "cdn.example.com", "--path", "/v/", "--expires", exp},
			[]string{"gotipath", "--key-file", newGoti, "--key-file", oldGoti}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cookie := strings.Join(pairsOf(t, mustSign(t, tt.sign...)), "; ")
			args := append(append([]string{"verify"}, tt.verify...), "--url", "https://cdn.example.com/v/a.ts", "--cookie", cookie, "--at", at)
			if r := tokensvc(t, args...); r.code != 0 || r.stdout != "valid\n" {
				t.Errorf("verify with the key among others: %v", r)
			}
			// Without the signing key the same cookie is rejected.
			only := append(append([]string{"verify"}, tt.verify[:tt.first]...), "--url", "https://cdn.example.com/v/a.ts", "--cookie", cookie, "--at", at)
			if r := tokensvc(t, only...); r.code != 1 || !strings.HasPrefix(r.stdout, "invalid: ") {
				t.Errorf("verify without the signing key: %v", r)
			}
		})
	}
}

// TestCLIVerifyReasons: the reason verify prints is the verifier's.
func TestCLIVerifyReasons(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cdnKey := writeFile(t, dir, "cdn.key", []byte("nZtRohdNF9m3cKM24IcK4w==\n"))
	akaKey := writeFile(t, dir, "aka.hex", []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"))
	cdnCookie := strings.Join(pairsOf(t, mustSign(t, "cloudcdn-cookie", "--key-name", "my-key", "--key-file", cdnKey,
		"--url-prefix", "https://cdn.example.com/v/", "--expires", "1767226800")), "; ")
	ipCookie := strings.Join(pairsOf(t, mustSign(t, "akamai", "--key-file", akaKey, "--acl", "/*", "--ip", "203.0.113.7",
		"--expires", "1767226800")), "; ")
	cdn := []string{"cloudcdn-cookie", "--key-name", "my-key", "--key-file", cdnKey, "--at", "1767226000"}
	aka := []string{"akamai", "--key-file", akaKey, "--at", "1767226000", "--url", "https://cdn.example.com/v/a.ts"}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"0/in scope", append(cdn, "--url", "https://cdn.example.com/v/a.ts", "--cookie", cdnCookie), "valid"},
		{"1/scope_mismatch", append(cdn, "--url", "https://cdn.example.com/w/a.ts", "--cookie", cdnCookie), "invalid: scope_mismatch"},
		{"1/unknown_key", []string{"cloudcdn-cookie", "--key-name", "other", "--key-file", cdnKey, "--url", "https://cdn.example.com/v/a.ts", "--cookie", cdnCookie}, "invalid: unknown_key"},
		{"1/missing cookie", append(cdn, "--url", "https://cdn.example.com/v/a.ts", "--cookie", "session=abc"), "invalid: missing"},
		{"0/ip bound, same client", append(aka, "--cookie", ipCookie, "--client-ip", "203.0.113.7"), "valid"},
		{"1/ip bound, other client", append(aka, "--cookie", ipCookie, "--client-ip", "203.0.113.8"), "invalid: ip_mismatch"},
		{"1/ip bound, client unknown", append(aka, "--cookie", ipCookie), "invalid: ip_mismatch"},
		{"1/akamai missing token", aka, "invalid: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tokensvc(t, append([]string{"verify"}, tt.args...)...)
			code := 1
			if tt.want == "valid" {
				code = 0
			}
			if r.code != code || r.stdout != tt.want+"\n" || r.stderr != "" {
				t.Errorf("%v, want %q", r, tt.want)
			}
		})
	}
}
