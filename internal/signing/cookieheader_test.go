package signing

import (
	"slices"
	"strings"
	"testing"
)

// cookieOf builds one expected cookie.
func cookieOf(name, value string) Cookie { return Cookie{Name: name, Value: value} }

func TestParseCookieHeader(t *testing.T) {
	tests := []struct {
		name, header string
		want         []Cookie
	}{
		{"ok/empty", "", nil},
		{"ok/one", "a=1", []Cookie{cookieOf("a", "1")}},
		{"ok/two in order", "b=2; a=1", []Cookie{cookieOf("b", "2"), cookieOf("a", "1")}},
		{"ok/no space after semicolon", "a=1;b=2", []Cookie{cookieOf("a", "1"), cookieOf("b", "2")}},
		{"ok/spaces and tabs trimmed around pairs", " \ta=1 ;\tb=2\t ", []Cookie{cookieOf("a", "1"), cookieOf("b", "2")}},
		{"ok/cut at first =", "Cloud-CDN-Cookie=URLPrefix=aHR0cA==:Expires=1", []Cookie{cookieOf("Cloud-CDN-Cookie", "URLPrefix=aHR0cA==:Expires=1")}},
		{"ok/value kept byte for byte", `p=VVJM%3D; q="quoted"; r=a+b`, []Cookie{cookieOf("p", "VVJM%3D"), cookieOf("q", `"quoted"`), cookieOf("r", "a+b")}},
		{"ok/inner spaces kept", "a=x y", []Cookie{cookieOf("a", "x y")}},
		{"ok/empty value", "a=; b=2", []Cookie{cookieOf("a", ""), cookieOf("b", "2")}},
		{"ok/no = is a name", "flag; b=2", []Cookie{cookieOf("flag", ""), cookieOf("b", "2")}},
		{"ok/empty pairs skipped", ";; a=1 ;;", []Cookie{cookieOf("a", "1")}},
		{"ok/duplicates kept in order", "a=1; a=2", []Cookie{cookieOf("a", "1"), cookieOf("a", "2")}},
		{"ok/empty name", "=v", []Cookie{cookieOf("", "v")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCookieHeader(tt.header)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseCookieHeader(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// FuzzCookieHeader checks two properties: the parser never panics and
// every pair it returns came from the header (no ';' in it, no surrounding
// OWS); and "n=v" pairs joined with "; " come back exactly, whenever n and v
// are representable (no ';', n without '=', neither with surrounding OWS).
func FuzzCookieHeader(f *testing.F) {
	for _, s := range []string{"", "a=1", "a=1; b=2", " a = 1 ;", "x=VVJM%3D", "Cloud-CDN-Cookie=URLPrefix=aHR0cA==:Expires=1", ";;", "=", "a", "\t"} {
		f.Add(s, "n", "v")
	}
	f.Add("CloudFront-Signature=abc~_; CloudFront-Key-Pair-Id=K2", "ss_policy", "VVJM%3D")
	f.Fuzz(func(t *testing.T, header, n, v string) {
		for _, c := range ParseCookieHeader(header) {
			pair := c.Name
			if c.Value != "" || strings.Contains(header, c.Name+"=") {
				pair += "=" + c.Value
			}
			if strings.Contains(pair, ";") {
				t.Fatalf("pair %q holds a ';'", pair)
			}
			if pair == "" || pair != strings.Trim(pair, " \t") {
				t.Fatalf("pair %q is empty or untrimmed", pair)
			}
			if !strings.Contains(header, pair) {
				t.Fatalf("pair %q is not in header %q", pair, header)
			}
		}

		// Round trip: three pairs built from n and v.
		if n == "" || strings.ContainsAny(n, ";=") || strings.ContainsRune(v, ';') ||
			n != strings.Trim(n, " \t") || v != strings.Trim(v, " \t") {
			return
		}
		want := []Cookie{cookieOf(n, v), cookieOf(n+"2", v), cookieOf("z", v+"x")}
		var parts []string
		for _, c := range want {
			parts = append(parts, c.Name+"="+c.Value)
		}
		if got := ParseCookieHeader(strings.Join(parts, "; ")); !slices.Equal(got, want) {
			t.Fatalf("round trip of %q = %q", want, got)
		}
	})
}
