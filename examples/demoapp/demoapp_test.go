package demoapp

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeTokensvc records what the demo backend sends and answers like
// tokensvc's /grants.
func fakeTokensvc(t *testing.T, calls *[]*http.Request) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		*calls = append(*calls, r)
		w.Header().Add("Set-Cookie", "Cloud-CDN-Cookie=x; Path=/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"role":"GUEST_OTP","rolling":false,"session_expires_at":"2030-01-02T03:04:05Z","session_cap_at":"2030-01-02T03:04:05Z"}`)
	}))
}

// otpDemo is the demo app over a fake tokensvc that records its calls.
type otpDemo struct {
	a     *App
	calls []*http.Request
}

func newOTPDemo(t *testing.T, now func() time.Time) *otpDemo {
	d := &otpDemo{}
	ts := fakeTokensvc(t, &d.calls)
	t.Cleanup(ts.Close)
	d.a = New(Options{TokensvcURL: ts.URL, APIToken: "tok", MediaURL: "http://cdn", Now: now})
	return d
}

// post sends a browser's POST, with its guest session cookie.
func (d *otpDemo) post(path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Cookie", "tokensvc_session=g.abc")
	rec := httptest.NewRecorder()
	d.a.ServeHTTP(rec, req)
	return rec
}

// requestOTP asks for a code and returns it and a wrong one.
func (d *otpDemo) requestOTP(t *testing.T) (code, wrong string) {
	t.Helper()
	var sent struct {
		DevOTP string `json:"dev_otp"`
	}
	json.NewDecoder(d.post("/demo/api/otp/request", "").Body).Decode(&sent)
	if len(sent.DevOTP) != 6 {
		t.Fatalf("dev OTP %q", sent.DevOTP)
	}
	wrong = "999999"
	if sent.DevOTP == wrong {
		wrong = "888888"
	}
	return sent.DevOTP, wrong
}

func TestOTPIsOneTimeAndChecked(t *testing.T) {
	d := newOTPDemo(t, nil)
	post := d.post
	if rec := post("/demo/api/otp/verify", `{"otp":"000000"}`); rec.Code != http.StatusForbidden || len(d.calls) != 0 {
		t.Fatalf("OTP before any was sent: %d, %d calls", rec.Code, len(d.calls))
	}
	code, wrong := d.requestOTP(t)
	if rec := post("/demo/api/otp/verify", `{"otp":"`+wrong+`"}`); rec.Code != http.StatusForbidden ||
		rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("wrong OTP: %d %v", rec.Code, rec.Header())
	}
	rec := post("/demo/api/otp/verify", `{"otp":"`+code+`"}`)
	if rec.Code != http.StatusOK || rec.Header().Get("Set-Cookie") == "" {
		t.Fatalf("right OTP: %d %v", rec.Code, rec.Header())
	}
	calls := d.calls
	if len(calls) != 1 || calls[0].URL.Path != "/grants" || calls[0].Header.Get("Authorization") != "Bearer tok" || calls[0].Header.Get("Cookie") != "tokensvc_session=g.abc" {
		t.Fatalf("backend call: %+v", calls)
	}
	body, _ := io.ReadAll(calls[0].Body)
	if string(body) != `{"role":"GUEST_OTP","subject":"guest_demo"}` {
		t.Fatalf("grant body %s", body)
	}
	if rec := post("/demo/api/otp/verify", `{"otp":"`+code+`"}`); rec.Code != http.StatusForbidden {
		t.Fatalf("the same OTP worked twice: %d", rec.Code)
	}
}

// TestOTPWrongGuessesSpendIt: a six-digit code must not be guessable by
// trying codes until one works: maxOTPMisses wrong guesses spend it.
func TestOTPWrongGuessesSpendIt(t *testing.T) {
	d := newOTPDemo(t, nil)
	code, wrong := d.requestOTP(t)
	for i := 0; i < maxOTPMisses; i++ {
		d.post("/demo/api/otp/verify", `{"otp":"`+wrong+`"}`)
	}
	if rec := d.post("/demo/api/otp/verify", `{"otp":"`+code+`"}`); rec.Code != http.StatusForbidden || len(d.calls) != 0 {
		t.Fatalf("the right code after %d wrong ones: %d, %d grants", maxOTPMisses, rec.Code, len(d.calls))
	}
}

// TestOTPExpires: a code works for otpLifetime, not a second more.
func TestOTPExpires(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	d := newOTPDemo(t, func() time.Time { return now })
	code, _ := d.requestOTP(t)
	now = now.Add(otpLifetime)
	if rec := d.post("/demo/api/otp/verify", `{"otp":"`+code+`"}`); rec.Code != http.StatusForbidden || len(d.calls) != 0 {
		t.Fatalf("the code at its end: %d, %d grants", rec.Code, len(d.calls))
	}
	code, _ = d.requestOTP(t)
	now = now.Add(otpLifetime - time.Second)
	if rec := d.post("/demo/api/otp/verify", `{"otp":"`+code+`"}`); rec.Code != http.StatusOK {
		t.Fatalf("the code a second before its end: %d", rec.Code)
	}
}

func TestMediaHoldsBothSubjects(t *testing.T) {
	for _, p := range []string{"temp/guest_demo/p1.jpg", "registered/user_demo/p3.jpg"} {
		if _, err := fs.Stat(Media(), p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestPageNamesTheMediaOrigin(t *testing.T) {
	a := New(Options{TokensvcURL: "http://x", MediaURL: "http://127.0.0.1:8081"})
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/demo", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "http://127.0.0.1:8081") || strings.Contains(rec.Body.String(), "{{MEDIA_URL}}") {
		t.Fatalf("page: %d", rec.Code)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' http://127.0.0.1:8081") {
		t.Fatalf("CSP %q", csp)
	}
}
