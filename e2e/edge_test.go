package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/testenv"
)

func fetch(t *testing.T, url, cookie string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Tokensvc-Reason")
}

// TestEdgeAllFormats: for each format, the real binary in dev mode grants,
// and its edge admits exactly the granted prefix, as the CDN would; a
// refresh keeps it open.
func TestEdgeAllFormats(t *testing.T) {
	for _, format := range []string{"cloudcdn", "akamai", "cloudfront", "gotipath"} {
		t.Run(format, func(t *testing.T) {
			d := startDev(t, format, nil)
			cookies, session := d.grant(t, "GUEST_NEW", "guest_demo")
			c := cookies[format]
			if c == "" {
				t.Fatalf("no %s cookie in the grant", format)
			}
			checkEdge(t, d.edgeURL, c)

			// /refresh from the page (same origin as the API) hands out the
			// cookies again.
			req, _ := http.NewRequest(http.MethodPost, d.svc.URL+"/refresh", nil)
			req.Header.Set("Origin", d.svc.URL)
			req.Header.Set("Cookie", session)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
				t.Fatalf("refresh: %d with %d cookies", resp.StatusCode, len(resp.Cookies()))
			}
			var fresh []string
			for _, ck := range resp.Cookies() {
				fresh = append(fresh, ck.Name+"="+ck.Value)
			}
			if code, _ := fetch(t, d.edgeURL+"/temp/guest_demo/p2.jpg", strings.Join(fresh, "; ")); code != 200 {
				t.Fatalf("refreshed cookies: %d", code)
			}
		})
	}
}

func checkEdge(t *testing.T, edgeURL, cookie string) {
	t.Helper()
	for _, tt := range []struct {
		path, cookie string
		code         int
		reason       string
	}{
		{"/temp/guest_demo/p1.jpg", cookie, 200, ""},
		{"/temp/guest_demo/p3.jpg?v=123", cookie, 200, ""},
		{"/temp/guest_demo/p1.jpg", "", 403, "missing"},
		{"/registered/user_demo/p1.jpg", cookie, 403, "scope_mismatch"},
		{"/temp/guest_demo/../../registered/user_demo/p1.jpg", cookie, 403, "scope_mismatch"},
	} {
		code, reason := fetch(t, edgeURL+tt.path, tt.cookie)
		if code != tt.code || reason != tt.reason {
			t.Errorf("%s (cookie %v): %d %q, want %d %q", tt.path, tt.cookie != "", code, reason, tt.code, tt.reason)
		}
	}
}

// TestEdgeTwoFormats: a site migrating from Cloud CDN to Akamai (reference
// 000) grants both cookies at once; an edge of either format admits them.
func TestEdgeTwoFormats(t *testing.T) {
	d := startDev(t, "cloudcdn,akamai", nil)
	cookies, _ := d.grant(t, "LOGGED_IN", "user_demo")
	all := cookies["cloudcdn"] + "; " + cookies["akamai"]

	// The dev edge enforces the first format; `tokensvc edge --cdn akamai`
	// the second, with the same generated keys.
	root := t.TempDir()
	dir := filepath.Join(root, "registered", "user_demo")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "p1.jpg"), []byte("photo"), 0o644)
	// A symlink in the folder to a file outside it: the edge must not
	// follow it out (os.DirFS would).
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("SECRET"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "link.jpg")); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	cmd := exec.Command(testenv.Binary(t), "edge", "--cdn", "akamai", "--root", root, "--listen", addr, "--public-url", d.edgeURL)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), testenv.RaceEnv, "TOKENSVC_DEV=true", "TOKENSVC_DEV_DIR=" + d.devDir, "TOKENSVC_CDN=cloudcdn,akamai", "TOKENSVC_DEV_EDGE_ADDR=" + strings.TrimPrefix(d.edgeURL, "http://")}
	logs := testenv.Start(t, cmd)
	testenv.WaitDial(t, addr, 10*time.Second, logs)

	for _, e := range []struct{ name, url, only string }{
		{"cloudcdn edge", d.edgeURL, cookies["cloudcdn"]},
		{"akamai edge", "http://" + addr, cookies["akamai"]},
	} {
		if code, reason := fetch(t, e.url+"/registered/user_demo/p1.jpg", all); code != 200 {
			t.Errorf("%s with both cookies: %d %s", e.name, code, reason)
		}
		if code, _ := fetch(t, e.url+"/registered/user_demo/p1.jpg", e.only); code != 200 {
			t.Errorf("%s with its own cookie: %d", e.name, code)
		}
	}
	if code, reason := fetch(t, "http://"+addr+"/registered/user_demo/p1.jpg", cookies["cloudcdn"]); code != 403 || reason != "missing" {
		t.Errorf("akamai edge with only the Cloud CDN cookie: %d %s, want 403 missing", code, reason)
	}
	if code, _ := fetch(t, "http://"+addr+"/registered/user_demo/link.jpg", cookies["akamai"]); code == 200 {
		t.Errorf("the edge followed a symlink out of --root")
	}
}
