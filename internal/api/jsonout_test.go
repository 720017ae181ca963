package api

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// TestHandBuiltJSONMatchesTheLibrary: the hand-appended responses are byte
// for byte what encoding/json/v2 makes of the same values, odd strings
// included.
func TestHandBuiltJSONMatchesTheLibrary(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	odd := "a\"b\\c\x01</script>é\u2028"
	g := &grantResponse{
		Role: "LOGGED_IN", Subject: "user_42", Rolling: true,
		SessionExpiresAt: t0, SessionCapAt: t0.Add(12 * time.Hour), CookiesExpireAt: t0.Add(123456789 * time.Nanosecond),
		Cookies: []cookieJSON{
			{CDN: "cloudcdn", Name: "Cloud-CDN-Cookie", Value: "URLPrefix=aA==:Expires=1", Domain: ".site.com", Path: "/", Expires: t0, MaxAge: 1200, Secure: true, HTTPOnly: true, SameSite: "Lax"},
			{CDN: "tokensvc", Name: odd, Value: odd, Path: "/x", Expires: t0, SameSite: "None"},
		},
	}
	r := &refreshResponse{Role: "GUEST_NEW", SessionExpiresAt: t0, SessionCapAt: t0, CookiesExpireAt: t0, CDN: []string{"cloudcdn", "akamai"}}
	empty := &grantResponse{Cookies: []cookieJSON{}}
	for _, v := range []jsonAppender{g, r, empty, &refreshResponse{CDN: []string{}}} {
		want, err := jsonv2.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("hand-built\n %s\nlibrary\n %s", got, want)
		}
	}
}

// TestTimesAreUTCAndCachedRight: the formatted-second cache answers what
// the time package would for each second (including seconds that share a
// slot, and fractions, which bypass it), and a time in another zone comes
// out in UTC.
func TestTimesAreUTCAndCachedRight(t *testing.T) {
	base := time.Date(2026, 11, 23, 23, 59, 58, 0, time.UTC)
	east := time.FixedZone("east", 5*3600+30*60)
	for i, tm := range []time.Time{
		base, base.Add(time.Second), base, base.Add(256 * time.Second), base,
		base.Add(1500 * time.Millisecond), base.In(east), time.Unix(0, 0), base.AddDate(-30, 0, 0),
	} {
		u := tm.UTC()
		if got, want := string(appendRFC3339(nil, tm)), u.Format(time.RFC3339Nano); got != want {
			t.Errorf("%d: appendRFC3339(%v) = %s, want %s", i, tm, got, want)
		}
		if got, want := string(appendHTTPDate(nil, tm)), u.Format(http.TimeFormat); got != want {
			t.Errorf("%d: appendHTTPDate(%v) = %s, want %s", i, tm, got, want)
		}
		lib, err := jsonv2.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendTime(nil, tm); !bytes.Equal(got, lib) {
			t.Errorf("%d: appendTime(%v) = %s, library says %s", i, tm, got, lib)
		}
	}
}

// TestJSONStringsMatchTheLibrary: the plain-ASCII shortcut of
// appendJSONString quotes every single byte, and a few strings, as
// encoding/json/v2 does.
func TestJSONStringsMatchTheLibrary(t *testing.T) {
	cases := []string{"", "plain", "URLPrefix=aHR0cHM6Ly9=:Expires=1:KeyName=k:Signature=a-_b=", "a\"b", "a\\b", "</x>&", "é", "\xff", "\u2028", "a\x7fb", "tab\there"}
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range cases {
		want, err := jsonv2.Marshal(s)
		if err != nil {
			// Invalid UTF-8: the library refuses; ours writes U+FFFD, as
			// jsontext.AppendQuote does.
			want, _ = jsontext.AppendQuote(nil, s)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
