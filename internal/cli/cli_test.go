package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// testNow is the fixed clock of these tests (STYLE.md: time is injected).
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// runTool runs one tool in process with the fixed clock.
func runTool(t *testing.T, cmd string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: func() time.Time { return testNow }, rand: strings.NewReader(strings.Repeat("k", 1024))}
	code = e.run(cmd, args)
	return code, out.String(), errb.String()
}

func TestParseUnix(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1767226800", 1767226800, true},
		{"253402300799", 253402300799, true},
		{"-1", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"2026-01-01", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := parseUnix("expires", tt.in)
		if (err == nil) != tt.ok || (tt.ok && got.Unix() != tt.want) {
			t.Errorf("parseUnix(%q) = %v, %v; want %d ok=%v", tt.in, got.Unix(), err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--expires") {
			t.Errorf("parseUnix(%q) error %q does not name the flag", tt.in, err)
		}
	}
}

func TestTrimOneNewline(t *testing.T) {
	for in, want := range map[string]string{
		"p": "p", "p\n": "p", "p\r\n": "p", "p\n\n": "p\n", "\n": "", "p\r": "p\r", "": "",
	} {
		if got := string(trimOneNewline([]byte(in))); got != want {
			t.Errorf("trimOneNewline(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPublicKeyPath(t *testing.T) {
	for in, want := range map[string]string{
		"cf.pem": "cf.pub.pem", "/k/cf": "/k/cf.pub.pem", "cf.key": "cf.key.pub.pem",
	} {
		if got := publicKeyPath(in); got != want {
			t.Errorf("publicKeyPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAkamaiWindowCountsFromNow: --window without --start ends at now +
// window and carries no st= (as the EdgeAuth libraries do).
func TestAkamaiWindowCountsFromNow(t *testing.T) {
	key := filepath.Join(t.TempDir(), "akamai.hex")
	if err := os.WriteFile(key, []byte("52a152d7f6e3b0c4d2e1a9f8b7c6d5e4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runTool(t, "sign", "akamai", "--key-file", key, "--acl", "/temp/*", "--window", "600")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	raw, _ := signing.ParseAkamaiKey([]byte("52a152d7f6e3b0c4d2e1a9f8b7c6d5e4"))
	a, err := signing.NewAkamai(signing.AkamaiOptions{}, raw)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Token(signing.AkamaiTokenParams{ACL: []string{"/temp/*"}, End: testNow.Add(600 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Set-Cookie: __token__=" + tok + "\n"; out != want {
		t.Errorf("out = %q, want %q", out, want)
	}
	if strings.Contains(out, "st=") {
		t.Errorf("token has st=: %q", out)
	}
}

// TestVerifyDefaultsToNow: without --at, verify uses the injected clock.
func TestVerifyDefaultsToNow(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "secret")
	if err := os.WriteFile(key, []byte("my-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	exp := testNow.Add(time.Minute).Unix()
	code, out, errOut := runTool(t, "sign", "gotipath", "--key-file", key, "--domain", "cdn.example.com", "--path", "/v/", "--expires", itoa(exp))
	if code != 0 {
		t.Fatalf("sign: exit %d: %s", code, errOut)
	}
	cookie := cookieHeaderOf(out)
	for _, tt := range []struct {
		name string
		at   []string
		code int
		out  string
	}{
		{"0/now before expiry", nil, 0, "valid\n"},
		{"1/at expiry", []string{"--at", itoa(exp)}, 1, "invalid: expired\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"gotipath", "--key-file", key, "--url", "https://cdn.example.com/v/a.mp4", "--cookie", cookie}, tt.at...)
			code, out, errOut := runTool(t, "verify", args...)
			if code != tt.code || out != tt.out {
				t.Errorf("exit %d, out %q, stderr %q; want %d, %q", code, out, errOut, tt.code, tt.out)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		args []string
		code int
		err  string // substring of stderr
	}{
		{"0/sign -h lists kinds", "sign", []string{"-h"}, 0, "cloudfront-cookie"},
		{"0/verify akamai -h lists flags", "verify", []string{"akamai", "-h"}, 0, "-client-ip"},
		{"0/keygen -h", "keygen", []string{"-h"}, 0, "-ecdsa"},
		{"2/sign without kind", "sign", nil, 2, "KIND is required"},
		{"2/unknown kind", "verify", []string{"cloudflare"}, 2, `unknown kind "cloudflare"`},
		{"2/unknown tool", "frob", nil, 2, "unknown tool"},
		{"2/unknown flag", "sign", []string{"gotipath", "--nope"}, 2, "tokensvc sign gotipath: flag provided but not defined: -nope"},
		{"2/stray argument", "sign", []string{"gotipath", "extra"}, 2, `unexpected argument "extra"`},
		{"2/akamai needs an end", "sign", []string{"akamai", "--acl", "/a/*"}, 2, "tokensvc sign akamai: --expires or --window is required"},
		{"2/keygen needs cdn", "keygen", nil, 2, "--cdn is required"},
		{"2/ecdsa only for cloudfront", "keygen", []string{"--cdn", "akamai", "--ecdsa"}, 2, "--ecdsa applies to --cdn cloudfront only"},
		{"2/verify needs url", "verify", []string{"gotipath", "--key-file", "x", "--cookie", ""}, 2, "--url is required"},
		{"2/verify cookie kind needs cookie", "verify", []string{"gotipath", "--key-file", "x", "--url", "https://a/"}, 2, "--cookie is required"},
		{"2/verify url kind refuses cookie", "verify", []string{"cloudcdn-url", "--key-name", "k", "--key-file", "x", "--url", "https://a/", "--cookie", "a=1"}, 2, "--cookie does not apply"},
		{"2/bad client ip", "verify", []string{"akamai", "--key-file", "x", "--url", "https://a/", "--client-ip", "300.1.1.1"}, 2, "--client-ip"},
		{"2/bad at", "verify", []string{"akamai", "--key-file", "x", "--url", "https://a/", "--at", "-5"}, 2, "before 1970"},
		{"2/sign takes one key", "sign", []string{"gotipath", "--key-file", "a", "--key-file", "b", "--domain", "d", "--path", "/", "--expires", "1"}, 2, "sign takes one --key-file"},
		{"2/cloudcdn names and files pair up", "verify", []string{"cloudcdn-cookie", "--key-name", "a", "--key-name", "b", "--key-file", "x", "--url", "https://a/", "--cookie", ""}, 2, "pair up in order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runTool(t, tt.cmd, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.err)
			}
			if code == 2 && strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errOut)
			}
		})
	}
}

// itoa formats Unix seconds for a flag.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cookieHeaderOf turns sign's "Set-Cookie: n=v" lines into a Cookie header.
func cookieHeaderOf(out string) string {
	var pairs []string
	for line := range strings.Lines(out) {
		pairs = append(pairs, strings.TrimSuffix(strings.TrimPrefix(line, "Set-Cookie: "), "\n"))
	}
	return strings.Join(pairs, "; ")
}
