package testenv

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var built struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// RaceEnv is the GORACE setting for a started binary: a -race binary
// otherwise sleeps a second at exit, for late reports, on every stop.
const RaceEnv = "GORACE=" + RaceOptions

// RaceOptions are RaceEnv's settings, for a caller that adds its own.
const RaceOptions = "atexit_sleep_ms=0 halt_on_error=1"

// Main runs the tests and then removes the binary Binary built, if any:
// call it from TestMain in every package that uses Binary or Serve.
func Main(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// Binary builds cmd/tokensvc once per test process and returns its path.
// It is built with -race when the tests are.
func Binary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			built.err = err
			return
		}
		dir, err := os.MkdirTemp("", "tokensvc-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.path = filepath.Join(dir, "tokensvc")
		args := []string{"build", "-o", built.path}
		if RaceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/tokensvc")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// moduleRoot finds the folder of go.mod from the test's working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the tokensvc module")
	}
	return filepath.Dir(mod), nil
}

// Service is a running tokensvc binary.
type Service struct {
	URL  string // http://127.0.0.1:PORT
	Logs interface{ String() string }
}

// Serve starts the built binary with env (TOKENSVC_ADDR is set here) and
// waits until /readyz answers 200. It is stopped when the test ends.
func Serve(t testing.TB, env map[string]string, args ...string) *Service {
	t.Helper()
	bin := Binary(t)
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = Env(addr, env)
	logs := Start(t, cmd)
	WaitHTTP(t, "http://"+addr+"/readyz", 15*time.Second, logs)
	return &Service{URL: "http://" + addr, Logs: logs}
}

// Env is the whole environment of a started tokensvc binary: PATH, HOME,
// RaceEnv, TOKENSVC_ADDR=addr and env, nothing inherited besides.
func Env(addr string, env map[string]string) []string {
	e := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TOKENSVC_ADDR=" + addr, RaceEnv}
	for k, v := range env {
		e = append(e, k+"="+v)
	}
	return e
}

// WaitHTTP waits until url answers 200.
func WaitHTTP(t testing.TB, url string, timeout time.Duration, logs interface{ String() string }) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	// A server that accepts and never answers must not hang the wait.
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %v (last error %v)\n%s", url, timeout, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Nginx runs nginx in the foreground with the given http-block content
// (server blocks), in its own prefix folder, and stops it at the end.
func Nginx(t testing.TB, httpBlock string) {
	t.Helper()
	bin := LookPath(t, "nginx", "nginx")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	user := ""
	if os.Geteuid() == 0 {
		// As root, nginx would switch its workers to "nobody"; keep them
		// as the test user so they can read the test's files.
		user = "user root;\n"
	}
	conf := user + `daemon off;
master_process on;
worker_processes 1;
pid ` + filepath.Join(dir, "nginx.pid") + `;
error_log ` + filepath.Join(dir, "logs", "error.log") + ` info;
events { worker_connections 64; }
http {
    access_log ` + filepath.Join(dir, "logs", "access.log") + `;
    client_body_temp_path ` + filepath.Join(dir, "tmp", "body") + `;
    proxy_temp_path ` + filepath.Join(dir, "tmp", "proxy") + `;
    fastcgi_temp_path ` + filepath.Join(dir, "tmp", "fastcgi") + `;
    uwsgi_temp_path ` + filepath.Join(dir, "tmp", "uwsgi") + `;
    scgi_temp_path ` + filepath.Join(dir, "tmp", "scgi") + `;
    types { image/jpeg jpg; text/plain txt; }
    default_type application/octet-stream;
` + httpBlock + `
}
`
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-c", path).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s\n%s", err, out, conf)
	}
	logs := Start(t, exec.Command(bin, "-p", dir, "-c", path))
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			t.Logf("nginx error.log:\n%s", b)
		}
	})
	_ = logs
}
