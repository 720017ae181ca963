package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tokensvc/tokensvc/internal/testenv"
)

// Lifetimes for the browser scenarios, scaled from minutes to seconds:
// GUEST_NEW 20 min -> 4 s, GUEST_OTP 1 h -> 8 s, LOGGED_IN 2 h -> 4 s with a
// 12 h cap -> 14 s.
var scaled = map[string]string{
	"TOKENSVC_GUEST_NEW_TTL": "4s",
	"TOKENSVC_GUEST_OTP_TTL": "8s",
	"TOKENSVC_LOGGED_IN_TTL": "4s",
	"TOKENSVC_LOGGED_IN_MAX": "14s",
}

// browser starts headless Chromium (Debian's package; nothing downloads a
// browser) and returns a tab context. A browser that cannot start fails the
// test at once with the reason, never a hang.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := testenv.LookPath(t, "chromium", "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first action starts the browser and binds it to the context it
	// runs on, so it must run on ctx itself, not on a child with a timeout;
	// a timer guards against a browser that hangs on start.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx, chromedp.Navigate("about:blank")) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium (%s) could not start: %v", bin, err)
		}
	case <-time.After(45 * time.Second):
		cancelTab()
		cancelAlloc()
		t.Fatalf("chromium (%s) did not start within 45 s", bin)
	}
	return ctx
}

// page is one demo page in one browser, on one tokensvc + edge.
type page struct {
	t    *testing.T
	ctx  context.Context
	dev  *devService
	name string
}

func (p *page) do(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.shot(p.name + "-failed")
		p.t.Fatalf("%s: %v\nservice log:\n%s", what, err, p.dev.svc.Logs.String())
	}
}

// eval runs a JS expression and returns its value.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	var v T
	err := retryGoneContext(ctx, func() (err error) {
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		return err
	})
	if err != nil {
		p.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// retryGoneContext runs f again while it fails because the page's
// JavaScript context it picked was replaced under it (the CDP error
// "Cannot find context with specified id": Chromium swaps contexts while
// a navigation settles, and chromedp can pick the old one). Any other
// error, or ctx ending, stops it.
func retryGoneContext(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "Cannot find context with specified id") || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitFor polls a JS predicate until it holds.
func (p *page) waitFor(what, expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	deadline := time.Now().Add(timeout)
	err := retryGoneContext(ctx, func() error {
		left := max(time.Until(deadline), time.Millisecond) // 0 would mean no timeout
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(left)))
		return err
	})
	if err != nil {
		p.shot(p.name + "-failed")
		log := eval[string](p, `document.getElementById("log").textContent`)
		p.t.Fatalf("waiting for %s: %v\npage log:\n%s\nservice log (tail):\n%s", what, err, log, tail(p.dev.svc.Logs.String(), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// shot saves a screenshot into the artifacts folder.
func (p *page) shot(name string) string {
	p.t.Helper()
	dir := artifacts(p.t)
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
	return path
}

const (
	allLoaded = `(() => { const a = [...document.querySelectorAll("img.photo")]; return a.length === 3 && a.every(i => i.complete && i.naturalWidth > 0); })()`
	allFailed = `(() => { const a = [...document.querySelectorAll("img.photo")]; return a.length === 3 && a.every(i => i.complete && i.naturalWidth === 0); })()`
	otpShown  = `!document.getElementById("otp-modal").hidden && /^[0-9]{6}$/.test(document.getElementById("dev-otp").textContent)`
	loginAsk  = `!document.getElementById("login-modal").hidden`
)

func click(id string) string { return `document.getElementById("` + id + `").click(), true` }

// stillLoaded checks, for d, that every photo stays loaded while the page
// keeps re-fetching them.
func (p *page) stillLoaded(what string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !eval[bool](p, allLoaded) {
			// A re-fetch can be in flight; give it a moment before failing.
			time.Sleep(400 * time.Millisecond)
			if !eval[bool](p, allLoaded) {
				p.shot(p.name + "-failed")
				p.t.Fatalf("%s: photos stopped loading at %v before the deadline\npage log:\n%s", what, time.Until(deadline), eval[string](p, `document.getElementById("log").textContent`))
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (p *page) cdnCookies() []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	var names []string
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{p.dev.edgeURL + "/", p.dev.svc.URL + "/"}})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			names = append(names, c.Name)
		}
		return nil
	}))
	if err != nil {
		p.t.Fatalf("cookies: %v", err)
	}
	return names
}

// TestBrowserScenarios walks scenarios A, B and C in headless Chromium
// against the demo app, the real tokensvc binary and its edge, for the Cloud
// CDN and CloudFront formats.
func TestBrowserScenarios(t *testing.T) {
	for _, format := range []string{"cloudcdn", "cloudfront"} {
		t.Run(format, func(t *testing.T) {
			dev := startDev(t, format, scaled)
			ctx := browser(t)

			// Scenario A: a new guest uploads; the photos load; after the
			// hard end they fail, /refresh says otp_required, the OTP modal
			// opens.
			p := &page{t: t, ctx: ctx, dev: dev, name: "scenario-A-" + format}
			p.do("open the demo", 20*time.Second, chromedp.Navigate(dev.svc.URL+"/demo?reload=700&activity=500"))
			eval[bool](p, click("upload"))
			p.waitFor("guest photos to load", allLoaded, 3*time.Second)
			p.shot("scenario-A-" + format + "-loaded")
			p.waitFor("photos to fail after the 4 s hard end", allFailed, 8*time.Second)
			p.waitFor("the OTP modal (otp_required)", otpShown, 5*time.Second)
			if log := eval[string](p, `document.getElementById("log").textContent`); !strings.Contains(log, "otp_required") {
				t.Fatalf("the page did not get otp_required from /refresh:\n%s", log)
			}
			p.shot("scenario-A-" + format)

			// Scenario B: the guest enters the OTP; the same photos load
			// again (GUEST_OTP), for the scaled hour, then end.
			p.name = "scenario-B-" + format
			otp := eval[string](p, `document.getElementById("dev-otp").textContent`)
			eval[bool](p, `document.getElementById("otp-input").value = "`+otp+`", true`)
			submitted := time.Now()
			eval[bool](p, click("otp-submit"))
			p.waitFor("photos to load again after the OTP", allLoaded, 4*time.Second)
			if eval[string](p, `document.getElementById("role").textContent`) != "GUEST_OTP" {
				t.Fatalf("role is not GUEST_OTP")
			}
			p.shot("scenario-B-" + format)
			// The session ends 8 s after its grant, truncated to the
			// second: at least 7 s after the click. Watch until 1 s before
			// that, however long the photos took to load.
			p.stillLoaded("GUEST_OTP photos", time.Until(submitted.Add(6*time.Second)))
			p.waitFor("photos to fail after the OTP session's end", allFailed, 8*time.Second)
			p.waitFor("the OTP modal again", otpShown, 5*time.Second)

			// Scenario C: a signed-in user (fresh tab state: the backend
			// forwards the guest's cookies, so that session is revoked).
			p.name = "scenario-C-" + format
			eval[bool](p, `document.getElementById("otp-modal").hidden = true, true`)
			eval[bool](p, click("login"))
			p.waitFor("the user's photos to load", allLoaded, 4*time.Second)
			if got := eval[string](p, `document.querySelector("img.photo").dataset.base`); !strings.Contains(got, "/registered/user_demo/") {
				t.Fatalf("logged-in photo URL %s", got)
			}
			// Past the first cookie lifetime (4 s), through rolling refresh.
			p.stillLoaded("LOGGED_IN photos past the first cookie lifetime", 7*time.Second)
			p.shot("scenario-C-" + format + "-rolling")
			// After the absolute cap (14 s from the login): login_required.
			p.waitFor("login_required after the cap", loginAsk, 12*time.Second)
			p.waitFor("photos to fail after the cap", allFailed, 4*time.Second)
			p.shot("scenario-C-" + format + "-capped")

			// Log in again, then log out: photos fail at once and the
			// cookies are gone from the browser's jar.
			eval[bool](p, click("relogin"))
			p.waitFor("photos after logging in again", allLoaded, 4*time.Second)
			if len(p.cdnCookies()) == 0 {
				t.Fatal("no cookies in the jar while logged in")
			}
			eval[bool](p, click("logout"))
			p.waitFor("photos to fail right after logout", allFailed, 2*time.Second)
			if left := p.cdnCookies(); len(left) != 0 {
				t.Fatalf("cookies left in the browser after logout: %v", left)
			}
			p.shot("scenario-C-" + format + "-logged-out")
			fmt.Fprintf(os.Stderr, "browser %s: screenshots in %s\n", format, artifacts(t))
		})
	}
}
