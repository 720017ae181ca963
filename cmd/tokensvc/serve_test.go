package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
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
}

// TestServeReportsEveryConfigProblem: a broken configuration lists every
// problem and exits 1 before opening a port.
func TestServeReportsEveryConfigProblem(t *testing.T) {
	port := testenv.FreePort(t)
	cmd := exec.Command(testenv.Binary(t))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), testenv.RaceEnv,
		"TOKENSVC_ADDR=127.0.0.1:" + strconv.Itoa(port),
		"TOKENSVC_CDN=cloudcdn,fastly",
		"TOKENSVC_SESSION_STORE=postgres",
		"TOKENSVC_API_KEYS=web:0123456789abcdef-secret",
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"fastly", "TOKENSVC_CDN_BASE_URL", "TOKENSVC_CLOUDCDN_KEYS", "TOKENSVC_SESSION_STORE"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not mention %s:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "0123456789abcdef-secret") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("stderr leaks a token or a stack:\n%s", stderr.String())
	}
}

// TestServeShutsDownOnSIGTERM: in-flight work ends, the process exits 0.
func TestServeShutsDownOnSIGTERM(t *testing.T) {
	port := testenv.FreePort(t)
	keys := t.TempDir()
	key := filepath.Join(keys, "k")
	os.WriteFile(key, []byte("nZtRohdNF9m3cKM24IcK4w==\n"), 0o600)
	cmd := exec.Command(testenv.Binary(t))
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), testenv.RaceEnv, "TOKENSVC_ADDR=" + addr,
		"TOKENSVC_CDN_BASE_URL=https://cdn.site.com", "TOKENSVC_CLOUDCDN_KEYS=k1=" + key,
		"TOKENSVC_API_KEYS=web:0123456789abcdef0123",
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitHTTP(t, "http://"+addr+"/readyz", 10*time.Second, &logs)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not stop within 20 s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown log:\n%s", logs.String())
	}
}
