package signing

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCookieHeader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Cookie
	}{
		{"ok/two", "a=1; b=2", []Cookie{{"a", "1"}, {"b", "2"}}},
		{"ok/values keep = and quotes", `Cloud-CDN-Cookie=URLPrefix=aA==:Expires=1; q="x"`, []Cookie{{"Cloud-CDN-Cookie", "URLPrefix=aA==:Expires=1"}, {"q", `"x"`}}},
		{"ok/percent kept", "ss_policy=VVJM%3D", []Cookie{{"ss_policy", "VVJM%3D"}}},
		{"ok/duplicates in order", "a=1;a=2", []Cookie{{"a", "1"}, {"a", "2"}}},
		{"ok/empty value", "a=", []Cookie{{"a", ""}}},
		{"skip/no equals", "junk; a=1; ;=x", []Cookie{{"a", "1"}}},
		{"ok/empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseCookieHeader(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseCookieHeader(f *testing.F) {
	for _, s := range []string{"a=1; b=2", "__token__=exp=1~acl=/*~hmac=ab", "x", ";;;=", "a==b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		for _, c := range ParseCookieHeader(h) {
			if c.Name == "" || strings.ContainsAny(c.Name, ";=") || strings.Contains(c.Value, ";") {
				t.Fatalf("bad cookie %q from %q", c, h)
			}
			if c.Name != strings.TrimSpace(c.Name) || c.Value != strings.TrimSpace(c.Value) {
				t.Fatalf("untrimmed %q", c)
			}
		}
	})
}

func TestReasonOf(t *testing.T) {
	if ReasonOf(Expired) != Expired || ReasonOf(errors.Join(errors.New("x"), BadSignature)) != BadSignature || ReasonOf(errors.New("x")) != Malformed {
		t.Fatal("ReasonOf")
	}
}
