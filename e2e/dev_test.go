package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokensvc/tokensvc/internal/testenv"
)

// devService is the built binary in dev mode: API, demo app and edge.
type devService struct {
	svc     *testenv.Service
	edgeURL string
	token   string
	devDir  string
}

// startDev runs `tokensvc` in dev mode for format on free ports.
func startDev(t *testing.T, format string, extra map[string]string) *devService {
	t.Helper()
	dir := t.TempDir()
	edge := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	env := map[string]string{
		"TOKENSVC_DEV":           "true",
		"TOKENSVC_DEV_DIR":       filepath.Join(dir, "dev"),
		"TOKENSVC_DEV_EDGE_ADDR": edge,
		"TOKENSVC_CDN":           format,
		"TOKENSVC_LOG_LEVEL":     "info",
	}
	for k, v := range extra {
		env[k] = v
	}
	svc := testenv.Serve(t, env)
	testenv.WaitDial(t, edge, 10*time.Second, nil)
	b, err := os.ReadFile(filepath.Join(dir, "dev", "api-keys"))
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
	return &devService{svc: svc, edgeURL: "http://" + edge, token: tok, devDir: filepath.Join(dir, "dev")}
}

// grant asks for a grant as a backend and returns the cookies as a Cookie
// header value per CDN format, plus the session cookie.
func (d *devService) grant(t *testing.T, role, subject string) (byFormat map[string]string, session string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.svc.URL+"/grants", strings.NewReader(`{"role":"`+role+`","subject":"`+subject+`"}`))
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("grant: %d %s", resp.StatusCode, b)
	}
	var g struct {
		Cookies []struct{ CDN, Name, Value string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		t.Fatal(err)
	}
	byFormat = map[string]string{}
	for _, c := range g.Cookies {
		if c.CDN == "tokensvc" {
			session = c.Name + "=" + c.Value
			continue
		}
		if byFormat[c.CDN] != "" {
			byFormat[c.CDN] += "; "
		}
		byFormat[c.CDN] += c.Name + "=" + c.Value
	}
	return byFormat, session
}

var artifactsDir struct {
	once sync.Once
	path string
}

// artifacts is the folder screenshots go to: TOKENSVC_ARTIFACTS, or
// artifacts/browser at the repository root (git-ignored).
func artifacts(t *testing.T) string {
	t.Helper()
	artifactsDir.once.Do(func() {
		p := os.Getenv("TOKENSVC_ARTIFACTS")
		if p == "" {
			p = filepath.Join("..", "artifacts", "browser")
		}
		os.MkdirAll(p, 0o755)
		artifactsDir.path, _ = filepath.Abs(p)
	})
	return artifactsDir.path
}
