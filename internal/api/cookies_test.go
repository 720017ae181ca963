package api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWriteIssuedReusesWithinTheSameMaxAge: the Set-Cookie values of an
// issued set are rendered once per Max-Age and then shared, never written
// to, and always the same bytes writeCookies makes.
func TestWriteIssuedReusesWithinTheSameMaxAge(t *testing.T) {
	a, _ := fuzzAPI(t)
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	iss := &issued{
		cookies: []cdnCookie{{format: "cloudcdn", name: "Cloud-CDN-Cookie", value: "URLPrefix=x:Expires=1:KeyName=k:Signature=s"}},
		at:      t0, expires: t0.Add(100 * time.Second),
	}
	write := func(prior []string, now time.Time) http.Header {
		h := http.Header{}
		if prior != nil {
			h["Set-Cookie"] = prior
		}
		a.writeIssued(h, iss, now)
		return h
	}
	want := func(now time.Time) []string {
		h := http.Header{}
		a.writeCookies(h, now, iss.cookies, iss.expires, "")
		return h["Set-Cookie"]
	}

	h1 := write(nil, t0.Add(300*time.Millisecond))
	if got := h1["Set-Cookie"]; !slices.Equal(got, want(t0.Add(300*time.Millisecond))) || !strings.Contains(got[0], "; Max-Age=99;") {
		t.Fatalf("first write: %q", got)
	}
	if h1.Get("Cache-Control") == "" {
		t.Error("no Cache-Control on a response that sets cookies")
	}
	h2 := write(nil, t0.Add(900*time.Millisecond))
	if &h2["Set-Cookie"][0] != &h1["Set-Cookie"][0] {
		t.Error("the same Max-Age rendered the values again instead of sharing them")
	}
	h3 := write(nil, t0.Add(1300*time.Millisecond))
	if got := h3["Set-Cookie"]; !slices.Equal(got, want(t0.Add(1300*time.Millisecond))) || !strings.Contains(got[0], "; Max-Age=98;") {
		t.Fatalf("next second: %q", got)
	}

	// Values already set stay first, and the shared values are not touched
	// by an append to either header.
	h4 := write([]string{"other=1"}, t0.Add(1400*time.Millisecond))
	if got := h4["Set-Cookie"]; len(got) != 2 || got[0] != "other=1" || got[1] != h3["Set-Cookie"][0] {
		t.Fatalf("with a prior value: %q", got)
	}
	h3.Add("Set-Cookie", "late=1")
	h5 := write(nil, t0.Add(1500*time.Millisecond))
	if got := h5["Set-Cookie"]; len(got) != 1 || cap(got) != 1 || got[0] != h4["Set-Cookie"][1] {
		t.Fatalf("an append to one answer's header reached another's: %q", got)
	}

	// Concurrent writers (a storm) race on nothing: go test -race checks.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				now := t0.Add(time.Duration(i*100+j) * 10 * time.Millisecond)
				if got := write(nil, now)["Set-Cookie"]; !slices.Equal(got, want(now)) {
					t.Errorf("at %v: %q", now, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// unwrapper is a ResponseWriter wrapper of the kind other middleware adds.
type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// selfUnwrapper is a broken wrapper: it unwraps to itself.
type selfUnwrapper struct{ http.ResponseWriter }

func (u *selfUnwrapper) Unwrap() http.ResponseWriter { return u }

// TestInfoOf: the request's facts are found on observe's writer, through
// wrappers that unwrap, and nowhere else.
func TestInfoOf(t *testing.T) {
	ri := &reqInfo{id: "x-1"}
	sw := &statusWriter{ResponseWriter: httptest.NewRecorder(), info: ri}
	for name, w := range map[string]http.ResponseWriter{"direct": sw, "wrapped twice": unwrapper{unwrapper{sw}}} {
		if infoOf(w) != ri || requestID(w) != "x-1" {
			t.Errorf("%s: not found", name)
		}
	}
	if infoOf(httptest.NewRecorder()) != nil || requestID(unwrapper{httptest.NewRecorder()}) != "" {
		t.Error("found facts on a writer observe never saw")
	}
	if infoOf(&selfUnwrapper{}) != nil {
		t.Error("found facts on a wrapper that unwraps to itself")
	}
}
