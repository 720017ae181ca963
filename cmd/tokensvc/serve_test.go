package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/testenv"
)

// TestReadmeDevFlow follows the README: the binary in dev mode generates its
// keys, answers a grant made with the API key it wrote, and its edge admits
// the granted photo. (Dev mode is forced and the ports are free ones, so the
// test never depends on 8080 and 8081 being free; with no TOKENSVC_*
// variable at all, config.Load turns dev mode on: see internal/config.)
func TestReadmeDevFlow(t *testing.T) {
	dir := t.TempDir()
	edge := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	svc := testenv.Serve(t, map[string]string{
		"TOKENSVC_DEV": "true", "TOKENSVC_DEV_DIR": filepath.Join(dir, "dev"), "TOKENSVC_DEV_EDGE_ADDR": edge,
	})
	for _, f := range []string{"api-keys", "cloudcdn.key"} {
		fi, err := os.Stat(filepath.Join(dir, "dev", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("dev file %s: %v %v", f, fi, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "dev", "api-keys"))
	_, token, _ := strings.Cut(strings.TrimSpace(string(b)), ":") // cut -d: -f2
	req, _ := http.NewRequest(http.MethodPost, svc.URL+"/grants", strings.NewReader(`{"role":"GUEST_NEW","subject":"guest_demo"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(resp.Cookies()) != 2 {
		t.Fatalf("grant: %d with %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	photo, _ := http.NewRequest(http.MethodGet, "http://"+edge+"/temp/guest_demo/p1.jpg", nil)
	photo.AddCookie(resp.Cookies()[0])
	presp, err := http.DefaultClient.Do(photo)
	if err != nil {
		t.Fatal(err)
	}
	jpeg, _ := io.ReadAll(presp.Body)
	presp.Body.Close()
	if presp.StatusCode != 200 || !bytes.HasPrefix(jpeg, []byte{0xff, 0xd8}) {
		t.Fatalf("photo through the dev edge: %d, %d bytes", presp.StatusCode, len(jpeg))
	}
	if !strings.Contains(svc.Logs.String(), "dev mode") {
		t.Errorf("no dev mode warning in the log")
	}
	dresp, err := http.Get(svc.URL + "/demo")
	if err != nil || dresp.StatusCode != 200 {
		t.Fatalf("demo page: %v %v", dresp, err)
	}
	dresp.Body.Close()
	// Opened at localhost, the page would get cookies the browser never
	// sends to the edge at 127.0.0.1: it is sent there instead.
	u, _ := url.Parse(svc.URL)
	local, _ := http.NewRequest(http.MethodGet, "http://localhost:"+u.Port()+"/demo?x=1", nil)
	lresp, err := http.DefaultTransport.RoundTrip(local)
	if err != nil {
		t.Fatal(err)
	}
	lresp.Body.Close()
	if want := "http://127.0.0.1:" + u.Port() + "/demo?x=1"; lresp.StatusCode != http.StatusTemporaryRedirect || lresp.Header.Get("Location") != want {
		t.Errorf("demo at localhost: %d to %q, want 307 to %q", lresp.StatusCode, lresp.Header.Get("Location"), want)
	}
}

// TestOnEdgeHost: the demo page opened at localhost is sent to the API's own
// listener under the edge's host, and only when that listener is there.
func TestOnEdgeHost(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, c := range []struct {
		name, cdn, listen, host, want string // want "": served, no redirect
	}{
		{"localhost to the edge's host", "http://127.0.0.1:8081", "127.0.0.1:8080", "localhost:8080", "http://127.0.0.1:8080/demo?x=1"},
		{"host without a port", "http://127.0.0.1:8081", "127.0.0.1:8080", "LOCALHOST", "http://127.0.0.1:8080/demo?x=1"},
		{"the Host's port is not used", "http://127.0.0.1:8081", "127.0.0.1:8080", "localhost:80x", "http://127.0.0.1:8080/demo?x=1"},
		{"already at the edge's host", "http://127.0.0.1:8081", "127.0.0.1:8080", "127.0.0.1:8080", ""},
		{"listener on ::1: 127.0.0.1 would not answer", "http://127.0.0.1:8081", "[::1]:8080", "localhost:8080", ""},
		{"listener on every address", "http://127.0.0.1:8081", "0.0.0.0:8080", "localhost:8080", ""},
		{"edge elsewhere", "http://cdn.test:8081", "127.0.0.1:8080", "localhost:8080", ""},
		{"edge at localhost", "http://localhost:8081", "127.0.0.1:8080", "localhost:8080", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/demo?x=1", nil)
			req.Host = c.host
			rec := httptest.NewRecorder()
			onEdgeHost(page, c.cdn, c.listen).ServeHTTP(rec, req)
			if loc := rec.Header().Get("Location"); loc != c.want || (c.want != "" && rec.Code != http.StatusTemporaryRedirect) {
				t.Errorf("%d to %q, want %q", rec.Code, loc, c.want)
			}
		})
	}
}

// TestServeReportsEveryConfigProblem: a broken configuration lists every
// problem and exits 1 before opening a port.
func TestServeReportsEveryConfigProblem(t *testing.T) {
	stderr := serveRefused(t, map[string]string{
		"TOKENSVC_CDN":           "cloudcdn,fastly",
		"TOKENSVC_SESSION_STORE": "postgres",
		"TOKENSVC_API_KEYS":      "web:0123456789abcdef-secret",
	})
	for _, want := range []string{"fastly", "TOKENSVC_CDN_BASE_URL", "TOKENSVC_CLOUDCDN_KEYS", "TOKENSVC_SESSION_STORE"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %s:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "0123456789abcdef-secret") || strings.Contains(stderr, "goroutine") {
		t.Errorf("stderr leaks a token or a stack:\n%s", stderr)
	}
}

// TestServeHintsAtDevMode: a newcomer who only moves the port leaves dev
// mode; the refusal says how to get it back, unless dev mode was set either
// way on purpose.
func TestServeHintsAtDevMode(t *testing.T) {
	const hint = "add TOKENSVC_DEV=true"
	if stderr := serveRefused(t, map[string]string{}); !strings.Contains(stderr, hint) {
		t.Errorf("only TOKENSVC_ADDR set: no hint at dev mode:\n%s", stderr)
	}
	if stderr := serveRefused(t, map[string]string{"TOKENSVC_DEV": "false"}); strings.Contains(stderr, hint) {
		t.Errorf("TOKENSVC_DEV=false: hints at dev mode anyway:\n%s", stderr)
	}
}

// TestServeRefusesAnUnknownSetting: a misspelt TOKENSVC_* variable stops
// the start (exit 1, its name on stderr, its value not), where it would
// otherwise leave the setting at its default without a word.
func TestServeRefusesAnUnknownSetting(t *testing.T) {
	env := serveEnv(t) // were the variable ignored, this would serve
	env["TOKENSVC_COOKIE_DOMIAN"] = ".site.example-secret"
	stderr := serveRefused(t, env)
	if !strings.Contains(stderr, "TOKENSVC_COOKIE_DOMIAN is not a tokensvc setting") || strings.Contains(stderr, "example-secret") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// serveRefused runs the binary's serve with env (and a free loopback
// TOKENSVC_ADDR), expects it to exit 1 within 30 s, and returns its stderr.
func serveRefused(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Binary(t))
	cmd.Env = testenv.Env("127.0.0.1:"+strconv.Itoa(testenv.FreePort(t)), env)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr:\n%s", err, stderr.String())
	}
	return stderr.String()
}

// serveEnv is a working configuration (not dev mode) with one Cloud CDN key.
func serveEnv(t *testing.T) map[string]string {
	key := filepath.Join(t.TempDir(), "k")
	os.WriteFile(key, []byte("nZtRohdNF9m3cKM24IcK4w==\n"), 0o600)
	return map[string]string{
		"TOKENSVC_CDN_BASE_URL": "https://cdn.site.com", "TOKENSVC_CLOUDCDN_KEYS": "k1=" + key,
		"TOKENSVC_API_KEYS": "web:0123456789abcdef0123",
	}
}

// TestServeShutsDownOnSIGTERM: on SIGTERM the listener closes at once, a
// request in flight still gets its whole answer, and the process exits 0.
func TestServeShutsDownOnSIGTERM(t *testing.T) {
	// Not testenv.Serve: this test signals the process and reads its exit.
	addr := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	cmd := exec.Command(testenv.Binary(t))
	cmd.Env = testenv.Env(addr, serveEnv(t))
	logs := &testenv.Logs{}
	cmd.Stderr = logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1) // the one Wait
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	testenv.WaitHTTP(t, "http://"+addr+"/readyz", 10*time.Second, logs)

	// A grant whose body is half sent: in flight when the signal comes.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"role":"GUEST_NEW","subject":"guest_inflight"}`
	fmt.Fprintf(conn, "POST /grants HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer 0123456789abcdef0123\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:10])
	time.Sleep(200 * time.Millisecond) // let the server read the headers

	cmd.Process.Signal(syscall.SIGTERM)
	// New connections are refused once the listener is closed.
	refused := false
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("still accepting connections 5 s after SIGTERM")
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("exited (%v) with a request in flight\n%s", err, logs.String())
	default:
	}
	// The rest of the body: the grant completes.
	io.WriteString(conn, body[10:])
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight grant got no answer: %v\n%s", err, logs.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(resp.Cookies()) == 0 {
		t.Errorf("the in-flight grant: %d, %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop within 20 s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown log:\n%s", logs.String())
	}
}

// TestServeMetricsOnTheirOwnAddress: with TOKENSVC_METRICS_ADDR, /metrics is
// served there and not on the API listener.
func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	maddr := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	env := serveEnv(t)
	env["TOKENSVC_METRICS_ADDR"] = maddr
	svc := testenv.Serve(t, env)
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "tokensvc_") {
		t.Errorf("metrics address: %d, %d bytes", resp.StatusCode, len(b))
	}
	resp, err = client.Get(svc.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("API listener /metrics: %d, want 404", resp.StatusCode)
	}
}

// TestServeScopesTheSessionCookie: the session cookie's own Path and
// host-only setting, each on its own, reach the cookies the binary sets; the
// CDN cookie keeps the shared Domain and Path.
func TestServeScopesTheSessionCookie(t *testing.T) {
	for _, c := range []struct {
		path, hostOnly, want string
	}{
		{"/api", "", "Path=/api; Domain=.site.com; Expires="},
		{"", "true", "Path=/; Expires="},
	} {
		env := serveEnv(t)
		env["TOKENSVC_COOKIE_DOMAIN"] = ".site.com"
		if c.path != "" {
			env["TOKENSVC_SESSION_COOKIE_PATH"] = c.path
		}
		if c.hostOnly != "" {
			env["TOKENSVC_SESSION_COOKIE_HOST_ONLY"] = c.hostOnly
		}
		svc := testenv.Serve(t, env)
		req, _ := http.NewRequest(http.MethodPost, svc.URL+"/grants", strings.NewReader(`{"role":"GUEST_NEW","subject":"guest_scope"}`))
		req.Header.Set("Authorization", "Bearer 0123456789abcdef0123")
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var session, cdn []string
		for _, v := range resp.Header.Values("Set-Cookie") {
			name, rest, _ := strings.Cut(v, "=")
			value, attrs, _ := strings.Cut(rest, "; ")
			switch {
			case name == "tokensvc_session" && value != "":
				session = append(session, attrs)
			case name == "Cloud-CDN-Cookie":
				cdn = append(cdn, attrs)
			}
		}
		if len(session) != 1 || !strings.HasPrefix(session[0], c.want) {
			t.Errorf("path %q host-only %q: session cookie attributes %q, want %q…", c.path, c.hostOnly, session, c.want)
		}
		if len(cdn) != 1 || !strings.HasPrefix(cdn[0], "Path=/; Domain=.site.com; ") {
			t.Errorf("CDN cookie attributes %q: want Path=/ and Domain=.site.com", cdn)
		}
	}
}

// TestServeRateLimitsAPIKeys: TOKENSVC_API_KEY_RATE and _BURST reach the
// binary's backend routes: one grant a hundred seconds, one at once.
func TestServeRateLimitsAPIKeys(t *testing.T) {
	env := serveEnv(t)
	env["TOKENSVC_API_KEY_RATE"] = "0.01"
	env["TOKENSVC_API_KEY_BURST"] = "1"
	svc := testenv.Serve(t, env)
	client := &http.Client{Timeout: 5 * time.Second}
	for i, want := range []int{http.StatusCreated, http.StatusTooManyRequests} {
		req, _ := http.NewRequest(http.MethodPost, svc.URL+"/grants", strings.NewReader(`{"role":"GUEST_NEW","subject":"guest_rate"}`))
		req.Header.Set("Authorization", "Bearer 0123456789abcdef0123")
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("grant %d: %d %s, want %d", i, resp.StatusCode, body, want)
		}
		if want != http.StatusTooManyRequests {
			continue
		}
		// The bucket refills one grant in 100 s, minus what has passed.
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 90 || ra > 100 || !strings.Contains(string(body), `"code":"rate_limited"`) {
			t.Errorf("429 with Retry-After %q and %s", resp.Header.Get("Retry-After"), body)
		}
	}
}
