package nginx

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/signing"
	"github.com/tokensvc/tokensvc/internal/testenv"
)

// writeKey writes a generated key file (0600) and returns its path.
func writeKey(t *testing.T, dir, name string, gen func() ([]byte, error)) string {
	t.Helper()
	b, err := gen()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// originConf is deploy/nginx/tokensvc-origin.conf with its marked lines
// pointed at the test's port, media folder and tokensvc.
func originConf(t *testing.T, port int, root, tokensvc string) string {
	t.Helper()
	b, err := os.ReadFile("tokensvc-origin.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, r := range [][2]string{
		{"listen 8443;", "listen 127.0.0.1:" + strconv.Itoa(port) + ";"},
		{"root /srv/media;", "root " + root + ";"},
		{"proxy_pass http://127.0.0.1:8080/verify;", "proxy_pass " + tokensvc + "/verify;"},
	} {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("tokensvc-origin.conf no longer has %q: update the test and the EDIT notes together", r[0])
		}
		conf = strings.Replace(conf, r[0], r[1], 1)
	}
	if !strings.Contains(conf, `set $tokensvc_public_base "https://cdn.site.com";`) {
		t.Fatal("tokensvc-origin.conf lost its public base line")
	}
	return conf
}

// TestOriginServesOnlyGrantedMedia runs Debian's nginx with the shipped
// config in front of a media folder, and the real tokensvc binary behind
// auth_request, for every format.
func TestOriginServesOnlyGrantedMedia(t *testing.T) {
	keys := t.TempDir()
	token := fmt.Sprintf("nginx-test-%x", randBytes(t, 12))
	svc := testenv.Serve(t, map[string]string{
		"TOKENSVC_CDN":                   "cloudcdn,akamai,cloudfront,gotipath",
		"TOKENSVC_CDN_BASE_URL":          "https://cdn.site.com",
		"TOKENSVC_API_KEYS":              "test:" + token,
		"TOKENSVC_GUEST_NEW_TTL":         "3s",
		"TOKENSVC_LOG_LEVEL":             "warn",
		"TOKENSVC_CLOUDCDN_KEYS":         "k1=" + writeKey(t, keys, "cdn.key", func() ([]byte, error) { return signing.GenerateCloudCDNKey(rand.Reader) }),
		"TOKENSVC_AKAMAI_KEY_FILES":      writeKey(t, keys, "akamai.key", func() ([]byte, error) { return signing.GenerateAkamaiKey(rand.Reader) }),
		"TOKENSVC_CLOUDFRONT_KEYS":       "KTEST=" + writeKey(t, keys, "cf.pem", func() ([]byte, error) { return signing.GenerateCloudFrontKey(rand.Reader, true) }),
		"TOKENSVC_GOTIPATH_SECRET_FILES": writeKey(t, keys, "goti.secret", func() ([]byte, error) { return signing.GenerateGotipathSecret(rand.Reader) }),
	})

	media := t.TempDir()
	os.Chmod(media, 0o755)
	for _, subject := range []string{"guest_alice", "guest_bob"} {
		dir := filepath.Join(media, "temp", subject)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "p1.jpg"), []byte("photo of "+subject), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := testenv.FreePort(t)
	testenv.Nginx(t, originConf(t, port, media, svc.URL))
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.WaitDial(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second, nil)

	// Grant alice's browser, through the API like a backend.
	req, _ := http.NewRequest(http.MethodPost, svc.URL+"/grants", strings.NewReader(`{"role":"GUEST_NEW","subject":"guest_alice"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var grant struct {
		Cookies []struct{ CDN, Name, Value string }
	}
	json.NewDecoder(resp.Body).Decode(&grant)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("grant: %d", resp.StatusCode)
	}
	byFormat := map[string][]string{}
	for _, c := range grant.Cookies {
		byFormat[c.CDN] = append(byFormat[c.CDN], c.Name+"="+c.Value)
	}

	// get fetches path from the origin with cookie and, in pairs, more
	// header names and values.
	get := func(path, cookie string, header ...string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, origin+path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	deny := func(what, path, cookie, reason string) {
		t.Helper()
		code, _, h := get(path, cookie)
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", what, code)
			return
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: 403 with Cache-Control %q: must never be cached", what, h.Get("Cache-Control"))
		}
		if reason != "" && h.Get("X-Tokensvc-Reason") != reason {
			t.Errorf("%s: reason %q, want %q", what, h.Get("X-Tokensvc-Reason"), reason)
		}
	}

	deny("no cookie", "/temp/guest_alice/p1.jpg", "", "missing")

	// A CDN or load balancer in front adds X-Forwarded-Proto; a client can
	// send the whole X-Forwarded-* form. The check must still be of the
	// URL nginx serves: the granted file with the cookie, never another.
	forwarded := func(path, cookie string) (int, string) {
		t.Helper()
		code, body, _ := get(path, cookie, "X-Forwarded-Proto", "https", "X-Forwarded-Host", "cdn.site.com", "X-Original-URI", "/temp/guest_alice/p1.jpg")
		return code, body
	}
	if code, body := forwarded("/temp/guest_alice/p1.jpg", strings.Join(byFormat["cloudcdn"], "; ")); code != http.StatusOK || body != "photo of guest_alice" {
		t.Errorf("granted file behind a proxy that adds X-Forwarded-*: %d %q", code, body)
	}
	if code, body := forwarded("/temp/guest_bob/p1.jpg", strings.Join(byFormat["cloudcdn"], "; ")); code != http.StatusForbidden {
		t.Errorf("another subject's file, with X-Forwarded-* naming the granted one: %d %q, want 403", code, body)
	}
	for _, format := range []string{"cloudcdn", "akamai", "cloudfront", "gotipath"} {
		cookie := strings.Join(byFormat[format], "; ")
		if cookie == "" {
			t.Fatalf("the grant set no %s cookie", format)
		}
		code, body, _ := get("/temp/guest_alice/p1.jpg", cookie)
		if code != http.StatusOK || body != "photo of guest_alice" {
			t.Errorf("%s: granted file: %d %q", format, code, body)
		}
		deny(format+": another subject's file", "/temp/guest_bob/p1.jpg", cookie, "scope_mismatch")
		// nginx resolves dot segments before try_files; the check sees the
		// raw URI, so tokensvc must refuse them.
		deny(format+": traversal", "/temp/guest_alice/../guest_bob/p1.jpg", cookie, "")
		deny(format+": encoded traversal", "/temp/guest_alice/%2e%2e/guest_bob/p1.jpg", cookie, "")
		for _, pos := range []int{0, len(cookie) / 2, len(cookie) - 1} {
			b := []byte(cookie)
			for b[pos] == '=' || b[pos] == ';' || b[pos] == ' ' {
				pos = (pos + 1) % len(b)
			}
			if b[pos] == 'x' {
				b[pos] = 'y'
			} else {
				b[pos] = 'x'
			}
			deny(fmt.Sprintf("%s: one byte changed at %d", format, pos), "/temp/guest_alice/p1.jpg", string(b), "")
		}
	}
	time.Sleep(3200 * time.Millisecond) // GUEST_NEW_TTL=3s: the real binary runs on the real clock
	for _, format := range []string{"cloudcdn", "akamai", "cloudfront", "gotipath"} {
		deny(format+": after expiry", "/temp/guest_alice/p1.jpg", strings.Join(byFormat[format], "; "), "expired")
	}
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
