package main

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// TestChiHandlerGrantsARealCookie: the reference the harness compares
// tokensvc with must do the work it claims (a real signature a Cloud CDN
// verifier accepts for the subject's prefix, and nothing for a bad token,
// body or subject), or its row would flatter it.
func TestChiHandlerGrantsARealCookie(t *testing.T) {
	text, err := signing.GenerateCloudCDNKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParseCloudCDNKeyFile(text)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cloudcdn.key")
	if err := os.WriteFile(file, text, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FLOOR_API_TOKEN", "tok")
	h, err := chiHandler(file, "https://cdn.example.com")
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signing.NewCloudCDN(signing.CloudCDNKey{Name: "bench", Key: key})
	if err != nil {
		t.Fatal(err)
	}

	grant := func(auth, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/grants", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := grant("Bearer tok", `{"role":"GUEST_NEW","subject":"guest_abc"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != signing.CloudCDNCookieName {
		t.Fatalf("cookies %v", cookies)
	}
	ok := &signing.Request{URL: "https://cdn.example.com/temp/guest_abc/p1.jpg", Cookies: []signing.Cookie{{Name: cookies[0].Name, Value: cookies[0].Value}}}
	if err := verifier.Verify(ok, time.Now()); err != nil {
		t.Errorf("the granted cookie does not verify for its prefix: %v", err)
	}
	other := &signing.Request{URL: "https://cdn.example.com/temp/guest_other/p1.jpg", Cookies: ok.Cookies}
	if err := verifier.Verify(other, time.Now()); err == nil {
		t.Error("the granted cookie verifies for another subject's prefix")
	}

	for _, c := range []struct{ auth, body string }{
		{"Bearer nope", `{"role":"GUEST_NEW","subject":"guest_abc"}`},
		{"Bearer tok", `{"role":"GUEST_NEW"`},
		{"Bearer tok", `{"role":"GUEST_NEW","subject":"guest_../x"}`},
		{"Bearer tok", `{"role":"GUEST_NEW","subject":"user_abc"}`},
		{"Bearer tok", `{"role":"LOGGED_IN","subject":"user_abc"}`}, // a valid grant, but not the one the reference does
	} {
		if rec := grant(c.auth, c.body); rec.Code < 400 || len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s %s: status %d, cookies %v", c.auth, c.body, rec.Code, rec.Result().Cookies())
		}
	}
}
