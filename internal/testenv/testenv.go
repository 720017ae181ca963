// Package testenv starts the real outside programs tests need (redis-server,
// nginx, chromium) on free loopback ports and stops them when the test ends.
//
// A missing program fails the test with a message naming the install step;
// it never skips, so a green run always means the real thing ran. A developer
// who wants the quick in-process tests only sets TOKENSVC_SKIP_EXTERNAL=1;
// the README's test command never does.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// LookPath finds an outside program, also in the sbin folders that a
// non-root PATH may lack (Debian puts nginx in /usr/sbin).
func LookPath(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if os.Getenv("TOKENSVC_SKIP_EXTERNAL") == "1" {
		t.Skipf("%s not installed and TOKENSVC_SKIP_EXTERNAL=1", name)
	}
	t.Fatalf("%s is not installed: run the README's test command (scripts/test.sh installs it), or apt-get install -y %s", name, pkg)
	return ""
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitDial waits until addr accepts TCP connections.
func WaitDial(t testing.TB, addr string, timeout time.Duration, logs interface{ String() string }) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			out := ""
			if logs != nil {
				out = logs.String()
			}
			t.Fatalf("%s did not start listening within %v: %v\n%s", addr, timeout, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Start runs cmd and stops it (SIGTERM, then SIGKILL) when the test ends.
// Its output is kept and printed if the test fails. A race report in it (a
// binary built with -race, see Binary) fails the test: the report alone,
// not its exit status, which a stopped process does not have.
func Start(t testing.TB, cmd *exec.Cmd) *Logs {
	t.Helper()
	out := &Logs{}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group (so the cleanup reaches its children too), and
	// killed with the test process: a test that times out skips cleanups,
	// and nothing it started may outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		switch {
		case strings.Contains(out.String(), "WARNING: DATA RACE"):
			t.Errorf("%s reported a data race:\n%s", filepath.Base(cmd.Path), out.String())
		case t.Failed():
			t.Logf("output of %s:\n%s", filepath.Base(cmd.Path), out.String())
		}
	})
	return out
}

// Redis starts a throwaway redis-server on a free loopback port, with no
// persistence, and returns its address.
func Redis(t testing.TB) string {
	t.Helper()
	bin := LookPath(t, "redis-server", "redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes")
	logs := Start(t, cmd)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	WaitDial(t, addr, 10*time.Second, logs)
	return addr
}

// RedisCluster starts a three-master Redis Cluster on free loopback ports
// and returns a go-redis cluster URL for it.
func RedisCluster(t testing.TB) string {
	t.Helper()
	bin := LookPath(t, "redis-server", "redis-server")
	cli := LookPath(t, "redis-cli", "redis-tools")
	dir := t.TempDir()
	var addrs []string
	for i := 0; i < 3; i++ {
		port := FreePort(t)
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)),
			"--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--dir", dir)
		logs := Start(t, cmd)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		WaitDial(t, addr, 10*time.Second, logs)
		addrs = append(addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	host, port, _ := net.SplitHostPort(addrs[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
		if bytes.Contains(out, []byte("cluster_state:ok")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster did not become ok:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "redis://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2]
}

// RedisSentinel starts a Redis master and one Sentinel watching it, and
// returns a go-redis Sentinel URL (the Sentinel's address and master_name).
func RedisSentinel(t testing.TB) string {
	t.Helper()
	master := Redis(t)
	bin := LookPath(t, "redis-server", "redis-server")
	dir := t.TempDir()
	port := FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	mh, mp, _ := net.SplitHostPort(master)
	cfg := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor tokensvc %s %s 1\nsentinel down-after-milliseconds tokensvc 5000\n", port, dir, mh, mp)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := Start(t, exec.Command(bin, conf, "--sentinel"))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	WaitDial(t, addr, 10*time.Second, logs)
	return "redis://" + addr + "?master_name=tokensvc"
}
