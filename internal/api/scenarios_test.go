package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// forEach runs fn for every store and every CDN configuration.
func forEach(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, sk := range stores(t) {
		for _, fs := range formatSets {
			t.Run(sk.name+"/"+strings.Join(fs, "+"), func(t *testing.T) {
				fn(t, newHarness(t, sk, fs))
			})
		}
	}
}

const (
	guestPhoto = cdnBase + "/temp/guest_abc123/p1.jpg"
	userPhoto  = cdnBase + "/registered/user_42/album/p2.jpg"
)

func wantMedia(t *testing.T, h *harness, b *browser, url string, want error) {
	t.Helper()
	err := h.media(b, url)
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s at +%v: %v, want access", url, h.clk.Now().Sub(startOf(h)), err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s at +%v: err = %v, want %v", url, h.clk.Now().Sub(startOf(h)), err, want)
	}
}

func startOf(h *harness) time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }

func wantProblem(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, readBody(resp))
	}
	if got := problemCode(t, resp); got != code {
		t.Fatalf("code %q, want %q", got, code)
	}
}

// cookieExpiry returns the Expires of every CDN cookie in resp, failing if
// they disagree.
func cookieExpiry(t *testing.T, h *harness, resp *http.Response) time.Time {
	t.Helper()
	var exp time.Time
	n := 0
	for _, c := range resp.Cookies() {
		if c.Name == "tokensvc_session" {
			continue
		}
		n++
		if !exp.IsZero() && !exp.Equal(c.Expires) {
			t.Fatalf("cookie %s expires %v, others %v", c.Name, c.Expires, exp)
		}
		exp = c.Expires
	}
	if n == 0 {
		t.Fatalf("no CDN cookie in the response")
	}
	return exp
}

// Scenario A (reference/000): a new guest gets 20 minutes, hard. A refresh
// at 19 minutes keeps the same end; at 21 minutes the answer is
// otp_required, and still is days later.
func TestScenarioA(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		t0 := h.clk.Now()
		resp := h.grant(b, "GUEST_NEW", "guest_abc123")
		end := t0.Add(20 * time.Minute)
		if got := cookieExpiry(t, h, resp); !got.Equal(end) {
			t.Fatalf("cookies expire %v, want %v", got, end)
		}
		wantMedia(t, h, b, guestPhoto, nil)
		wantMedia(t, h, b, cdnBase+"/temp/guest_abc1234/p1.jpg", signing.ScopeMismatch)
		wantMedia(t, h, b, cdnBase+"/registered/user_42/p1.jpg", signing.ScopeMismatch)

		h.clk.Advance(19 * time.Minute)
		resp = h.browserPost(b, "/refresh")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh at 19 min: %d %s", resp.StatusCode, readBody(resp))
		}
		if got := cookieExpiry(t, h, resp); !got.Equal(end) {
			t.Fatalf("refresh at 19 min moved the hard end to %v, want %v", got, end)
		}
		var body struct {
			SessionExpiresAt time.Time `json:"session_expires_at"`
			Rolling          bool      `json:"rolling"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if !body.SessionExpiresAt.Equal(end) || body.Rolling {
			t.Fatalf("refresh body %+v, want a fixed end at %v", body, end)
		}
		wantMedia(t, h, b, guestPhoto, nil)

		h.clk.Advance(time.Minute - time.Second)
		wantMedia(t, h, b, guestPhoto, nil)
		h.clk.Advance(time.Second)
		wantMedia(t, h, b, guestPhoto, signing.Expired)

		h.clk.Advance(time.Minute) // 21 minutes
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "otp_required")
		h.clk.Advance(72 * time.Hour)
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "otp_required")
	})
}

// Scenario B: the returning guest passes an OTP and gets an hour.
func TestScenarioB(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		h.grant(b, "GUEST_NEW", "guest_abc123")
		h.clk.Advance(25 * time.Minute)
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "otp_required")
		wantMedia(t, h, b, guestPhoto, signing.Expired)

		t1 := h.clk.Now()
		resp := h.grant(b, "GUEST_OTP", "guest_abc123")
		if got := cookieExpiry(t, h, resp); !got.Equal(t1.Add(time.Hour)) {
			t.Fatalf("OTP cookies expire %v, want %v", got, t1.Add(time.Hour))
		}
		wantMedia(t, h, b, guestPhoto, nil)
		h.clk.Advance(59 * time.Minute)
		resp = h.browserPost(b, "/refresh")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh at 59 min: %d %s", resp.StatusCode, readBody(resp))
		}
		if got := cookieExpiry(t, h, resp); !got.Equal(t1.Add(time.Hour)) {
			t.Fatalf("OTP refresh moved the end to %v", got)
		}
		wantMedia(t, h, b, guestPhoto, nil)
		h.clk.Advance(time.Minute)
		wantMedia(t, h, b, guestPhoto, signing.Expired)
		h.clk.Advance(time.Minute)
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "otp_required")
	})
}

// Scenario C: a signed-in user who refreshes every 90 minutes keeps access
// until the 12-hour cap, then gets login_required.
func TestScenarioC(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		t0 := h.clk.Now()
		capAt := t0.Add(12 * time.Hour)
		resp := h.grant(b, "LOGGED_IN", "user_42")
		if got := cookieExpiry(t, h, resp); !got.Equal(t0.Add(2 * time.Hour)) {
			t.Fatalf("cookies expire %v, want 2h", got)
		}
		wantMedia(t, h, b, userPhoto, nil)
		wantMedia(t, h, b, cdnBase+"/registered/user_43/p.jpg", signing.ScopeMismatch)
		for i := 1; ; i++ {
			h.clk.Advance(90 * time.Minute)
			now := h.clk.Now()
			if !now.Before(capAt) {
				break
			}
			resp := h.browserPost(b, "/refresh")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh %d at +%v: %d %s", i, now.Sub(t0), resp.StatusCode, readBody(resp))
			}
			want := now.Add(2 * time.Hour)
			if want.After(capAt) {
				want = capAt
			}
			if got := cookieExpiry(t, h, resp); !got.Equal(want) {
				t.Fatalf("refresh %d at +%v: cookies expire %v, want %v", i, now.Sub(t0), got, want)
			}
			wantMedia(t, h, b, userPhoto, nil)
		}
		// 13.5 h: past the cap.
		wantMedia(t, h, b, userPhoto, signing.Expired)
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "login_required")
		h.clk.Advance(96 * time.Hour)
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "login_required")
	})
}

// TestScenarioCCap lands a refresh right before the cap: the cookies end at
// the cap, not two hours later.
func TestScenarioCCap(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		t0 := h.clk.Now()
		h.grant(b, "LOGGED_IN", "user_42")
		for h.clk.Now().Before(t0.Add(11 * time.Hour)) {
			h.clk.Advance(time.Hour)
			if resp := h.browserPost(b, "/refresh"); resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh: %d", resp.StatusCode)
			}
		}
		h.clk.Advance(59 * time.Minute)
		resp := h.browserPost(b, "/refresh")
		if got := cookieExpiry(t, h, resp); !got.Equal(t0.Add(12 * time.Hour)) {
			t.Fatalf("cookies expire %v, want the cap %v", got, t0.Add(12*time.Hour))
		}
		h.clk.Advance(time.Minute)
		wantMedia(t, h, b, userPhoto, signing.Expired)
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "login_required")
	})
}

// TestUpgrade: a guest logs in. The backend forwards the browser's cookies
// with the grant; the same CDN cookie names are overwritten and the guest
// session is revoked (a new session id on every privilege change).
func TestUpgrade(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		h.grant(b, "GUEST_NEW", "guest_abc123")
		guest := &browser{cookies: map[string]string{}}
		for k, v := range b.cookies {
			guest.cookies[k] = v
		}
		names := func(resp *http.Response) []string {
			var out []string
			for _, c := range resp.Cookies() {
				if c.Name != "tokensvc_session" {
					out = append(out, c.Name)
				}
			}
			return out
		}
		h.clk.Advance(5 * time.Minute)
		guestNames := strings.Join(names(h.browserPost(guest, "/refresh")), ",")
		resp := h.grant(b, "LOGGED_IN", "user_42")
		if got := strings.Join(names(resp), ","); got != guestNames {
			t.Fatalf("login set cookies %s, the guest had %s: the same names must be overwritten", got, guestNames)
		}
		if b.cookies["tokensvc_session"] == guest.cookies["tokensvc_session"] {
			t.Fatal("the session id did not change on the privilege change")
		}
		wantMedia(t, h, b, userPhoto, nil)
		wantMedia(t, h, b, guestPhoto, signing.ScopeMismatch)
		// The old guest session is revoked at once.
		wantProblem(t, h.browserPost(guest, "/refresh"), http.StatusUnauthorized, "otp_required")
		if resp := h.browserPost(b, "/refresh"); resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh after login: %d", resp.StatusCode)
		}
	})
}

// TestLogout: the browser's logout revokes the session at once and clears
// every cookie the grant set, with the same Domain and Path.
func TestLogout(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		grant := h.grant(b, "LOGGED_IN", "user_42")
		stolen := &browser{cookies: map[string]string{"tokensvc_session": b.cookies["tokensvc_session"]}}
		resp := h.browserPost(b, "/logout")
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %d %s", resp.StatusCode, readBody(resp))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q on a response that sets cookies", cc)
		}
		cleared := map[string]bool{}
		for _, c := range resp.Cookies() {
			if c.MaxAge >= 0 && c.Value != "" {
				t.Errorf("logout set %s=%s instead of clearing it", c.Name, c.Value)
			}
			if strings.TrimPrefix(c.Domain, ".") != "site.com" || c.Path != "/" {
				t.Errorf("clearing %s with Domain=%q Path=%q: must match the grant's", c.Name, c.Domain, c.Path)
			}
			cleared[c.Name] = true
		}
		for _, c := range grant.Cookies() {
			if !cleared[c.Name] {
				t.Errorf("logout did not clear %s", c.Name)
			}
		}
		if len(b.cookies) != 0 {
			t.Errorf("browser still holds %v", b.cookies)
		}
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "no_session")
		// A replayed session cookie is revoked server-side.
		wantProblem(t, h.browserPost(stolen, "/refresh"), http.StatusUnauthorized, "login_required")
	})
}

// TestRefreshTakesTheLiveSessionCookie: a browser that kept an ended
// session cookie from before a change of the cookies' Domain or Path (and
// sends it first) is served by its live one, on /refresh and
// /sessions/touch; with none live the answer speaks for the first.
func TestRefreshTakesTheLiveSessionCookie(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		ended := h.session("GUEST_NEW", "guest_old")
		if resp := h.do(func() *http.Request {
			req := h.backendReq(http.MethodPost, "/sessions/revoke", "")
			req.Header.Set("Cookie", "tokensvc_session="+ended)
			return req
		}()); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		live := h.session("LOGGED_IN", "user_live")
		cookie := "tokensvc_session=" + ended + "; tokensvc_session=" + live

		req := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/refresh", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", cookie)
		resp := h.do(req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh with an ended value first: %d %s", resp.StatusCode, readBody(resp))
		}
		b := newBrowser()
		b.take(t, resp)
		if err := h.media(b, cdnBase+"/registered/user_live/p1.jpg"); err != nil {
			t.Errorf("refresh did not hand out the live session's cookies: %v", err)
		}

		// /sessions/touch: a re-sign is due, so the live session answers 200.
		h.clk.Advance(61 * time.Minute)
		req = h.backendReq(http.MethodPost, "/sessions/touch", "")
		req.Header.Set("Cookie", cookie)
		if resp := h.do(req); resp.StatusCode != http.StatusOK {
			t.Errorf("touch with an ended value first: %d %s", resp.StatusCode, readBody(resp))
		}

		// Two live values: the first is used, the second left alone (not
		// re-signed although due, not slid).
		second := h.session("LOGGED_IN", "user_second")
		h.clk.Advance(61 * time.Minute)
		before := h.signatures()
		req = httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/refresh", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", "tokensvc_session="+live+"; tokensvc_session="+second)
		resp = h.do(req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh with two live values: %d %s", resp.StatusCode, readBody(resp))
		}
		b = newBrowser()
		b.take(t, resp)
		if err := h.media(b, cdnBase+"/registered/user_live/p1.jpg"); err != nil {
			t.Errorf("two live values: not the first's cookies: %v", err)
		}
		if got, want := h.signatures()-before, float64(len(h.signers)); got != want {
			t.Errorf("two live values: %v signatures, want %v (the first's re-sign only)", got, want)
		}

		// None live: the first value's tier answers (a guest's: otp_required).
		user := h.session("LOGGED_IN", "user_gone")
		h.clk.Advance(13 * time.Hour)
		req = httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/refresh", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", "tokensvc_session="+ended+"; tokensvc_session="+user)
		wantProblem(t, h.do(req), http.StatusUnauthorized, "otp_required")
	})
}

// TestEndingRoutesEndEverySessionCookie: under a shared cookie Domain another
// subdomain can plant its own session value with a longer Path, which the
// browser sends first. Logout, revoke and a grant's replacement end every
// value the request carries, so the planted one cannot shield the real
// session; a request with more values than api.MaxSessionCookies ends the
// first and the last half of them, counts one revocation and logs a warning.
func TestEndingRoutesEndEverySessionCookie(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		live := func(id string) bool {
			resp := h.browserPost(&browser{cookies: map[string]string{"tokensvc_session": id}}, "/refresh")
			readBody(resp)
			return resp.StatusCode == http.StatusOK
		}
		ending := []struct {
			name    string
			request func(cookie string) *http.Request
			status  int
		}{
			{"logout", func(cookie string) *http.Request {
				req := httptest.NewRequest(http.MethodPost, "http://tokensvc.internal/logout", nil)
				req.Header.Set("Origin", origin)
				req.Header.Set("Cookie", cookie)
				return req
			}, http.StatusNoContent},
			{"revoke", func(cookie string) *http.Request {
				req := h.backendReq(http.MethodPost, "/sessions/revoke", "")
				req.Header.Set("Cookie", cookie)
				return req
			}, http.StatusOK},
			{"grant", func(cookie string) *http.Request {
				req := h.backendReq(http.MethodPost, "/grants", `{"role":"GUEST_NEW","subject":"guest_next"}`)
				req.Header.Set("Cookie", cookie)
				return req
			}, http.StatusCreated},
		}
		for _, e := range ending {
			planted, victim := h.session("GUEST_NEW", "guest_attacker"), h.session("LOGGED_IN", "user_victim")
			// Two headers, as HTTP/2 sends them, and the real value twice.
			req := e.request("tokensvc_session=" + planted + "; other=1")
			req.Header.Add("Cookie", "tokensvc_session="+victim+"; tokensvc_session="+victim)
			resp := h.do(req)
			body := readBody(resp)
			if resp.StatusCode != e.status {
				t.Fatalf("%s: %d %s", e.name, resp.StatusCode, body)
			}
			if live(planted) || live(victim) {
				t.Errorf("%s: planted session live %v, real session live %v; want both ended", e.name, live(planted), live(victim))
			}
			if e.name == "revoke" && !strings.Contains(body, `"revoked":2`) {
				t.Errorf("revoke: %s, want 2 revoked", body)
			}
		}

		// Past the bound the first and the last values are ended: planted
		// values come first (longer Paths), the real Path=/ cookie last,
		// so planting more of them cannot push the real one out.
		var ids []string
		for i := range api.MaxSessionCookies + 2 {
			ids = append(ids, h.session("GUEST_NEW", fmt.Sprintf("guest_%d", i)))
		}
		victim := h.session("LOGGED_IN", "user_victim")
		ids = append(ids, victim)
		before := h.counterSum("tokensvc_session_revocations_total", map[string]string{"reason": "revoke"})
		resp := h.do(ending[1].request("tokensvc_session=" + strings.Join(ids, "; tokensvc_session=")))
		if body := readBody(resp); !strings.Contains(body, fmt.Sprintf(`"revoked":%d`, api.MaxSessionCookies)) {
			t.Errorf("revoke of %d values: %s, want %d revoked", len(ids), body, api.MaxSessionCookies)
		}
		half := api.MaxSessionCookies / 2
		for i, id := range ids {
			ended := i < half || i >= len(ids)-half
			if live(id) == ended {
				t.Errorf("value %d of %d: live %v, want ended %v", i, len(ids), live(id), ended)
			}
		}
		if got := h.counterSum("tokensvc_session_revocations_total", map[string]string{"reason": "revoke"}) - before; got != 1 {
			t.Errorf("revocations counted %v for one request, want 1", got)
		}
		if !strings.Contains(h.logs.String(), "more session cookies than are revoked at once") {
			t.Error("no warning for the values left out")
		}
	})
}

// TestLogoutEverywhere: a backend ends every session of a subject.
func TestLogoutEverywhere(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		laptop, phone, other := newBrowser(), newBrowser(), newBrowser()
		h.grant(laptop, "LOGGED_IN", "user_42")
		h.grant(phone, "LOGGED_IN", "user_42")
		h.grant(other, "LOGGED_IN", "user_7")
		resp := h.do(h.backendReq(http.MethodPost, "/subjects/user_42/revoke", ""))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke subject: %d %s", resp.StatusCode, readBody(resp))
		}
		var body struct{ Revoked int }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Revoked != 2 {
			t.Fatalf("revoked = %d (%v), want 2", body.Revoked, err)
		}
		wantProblem(t, h.browserPost(laptop, "/refresh"), http.StatusUnauthorized, "login_required")
		wantProblem(t, h.browserPost(phone, "/refresh"), http.StatusUnauthorized, "login_required")
		if resp := h.browserPost(other, "/refresh"); resp.StatusCode != http.StatusOK {
			t.Fatalf("another user's session was revoked: %d", resp.StatusCode)
		}
	})
}

// TestBackendRevoke: a backend revokes the one session whose cookies it
// forwards.
func TestBackendRevoke(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		h.grant(b, "GUEST_OTP", "guest_abc123")
		req := h.backendFor(b, http.MethodPost, "/sessions/revoke")
		resp := h.do(req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d %s", resp.StatusCode, readBody(resp))
		}
		wantProblem(t, h.browserPost(b, "/refresh"), http.StatusUnauthorized, "otp_required")
	})
}

// TestTouch: the rolling refresh for backends signs nothing until the
// cookies pass half their lifetime, and slides the session meanwhile.
func TestTouch(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		t0 := h.clk.Now()
		h.grant(b, "LOGGED_IN", "user_42")
		touch := func() *http.Response {
			req := h.backendFor(b, http.MethodPost, "/sessions/touch")
			resp := h.do(req)
			b.take(t, resp)
			return resp
		}
		sigs := h.signatures()
		h.clk.Advance(59 * time.Minute)
		resp := touch()
		if resp.StatusCode != http.StatusNoContent || len(resp.Cookies()) != 0 {
			t.Fatalf("touch before half-life: %d with %d cookies, want 204 and none", resp.StatusCode, len(resp.Cookies()))
		}
		if h.signatures() != sigs {
			t.Fatalf("touch before half-life signed something")
		}
		h.clk.Advance(time.Minute) // exactly half of 2 h
		resp = touch()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("touch at half-life: %d %s", resp.StatusCode, readBody(resp))
		}
		if got := cookieExpiry(t, h, resp); !got.Equal(t0.Add(3 * time.Hour)) {
			t.Fatalf("re-issued cookies expire %v, want now+2h", got)
		}
		if got := h.signatures() - sigs; got != float64(len(h.signers)) {
			t.Fatalf("%v signatures for one re-issue of %d formats", got, len(h.signers))
		}
		wantMedia(t, h, b, userPhoto, nil)
		// A guest is never due: its end is fixed.
		g := newBrowser()
		h.grant(g, "GUEST_NEW", "guest_abc123")
		h.clk.Advance(15 * time.Minute)
		req := h.backendFor(g, http.MethodPost, "/sessions/touch")
		if resp := h.do(req); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("guest touch: %d", resp.StatusCode)
		}
	})
}

// TestRollingSlidesWithoutSigning: activity slides a LOGGED_IN session's end
// even when no cookie is due, so it lasts 2 h from the last activity.
func TestRollingSlidesWithoutSigning(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		t0 := h.clk.Now()
		h.grant(b, "LOGGED_IN", "user_42")
		h.clk.Advance(50 * time.Minute)
		req := h.backendFor(b, http.MethodPost, "/sessions/touch")
		if resp := h.do(req); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("touch: %d", resp.StatusCode)
		}
		// The cookies still end at 2 h, but the session lives to 2 h 50.
		h.clk.Advance(2*time.Hour + 49*time.Minute - 50*time.Minute)
		wantMedia(t, h, b, userPhoto, signing.Expired)
		resp := h.browserPost(b, "/refresh")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh 2h49 after the grant, 1h59 after the last activity: %d %s", resp.StatusCode, readBody(resp))
		}
		if got := cookieExpiry(t, h, resp); !got.Equal(t0.Add(2*time.Hour + 49*time.Minute).Add(2 * time.Hour)) {
			t.Fatalf("cookies expire %v", got)
		}
		wantMedia(t, h, b, userPhoto, nil)
	})
}

// TestRefreshStorm: 200 simultaneous /refresh calls from one page whose
// cookies are due cost one signature per format.
func TestRefreshStorm(t *testing.T) {
	forEach(t, func(t *testing.T, h *harness) {
		b := newBrowser()
		h.grant(b, "LOGGED_IN", "user_42")
		h.clk.Advance(90 * time.Minute)
		before := h.signatures()
		var wg sync.WaitGroup
		codes := make(chan int, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, "http://tokensvc.internal/refresh", nil)
				req.Header.Set("Origin", origin)
				req.Header.Set("Cookie", b.header())
				codes <- h.do(req).StatusCode
			}()
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != http.StatusOK {
				t.Fatalf("a storm refresh got %d", c)
			}
		}
		if got := h.signatures() - before; got != float64(len(h.signers)) {
			t.Fatalf("200 concurrent refreshes cost %v signatures, want %d (one per format)", got, len(h.signers))
		}
	})
}
