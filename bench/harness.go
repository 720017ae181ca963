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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// options are the command's flags.
type options struct {
	duration   time.Duration // measured time of each case
	warmup     time.Duration // unmeasured load before each case
	quick      bool          // smoke mode: few cases, 16 connections
	conns      []int         // connection counts
	out        string        // where performance.md and performance.svg go
	work       string        // scratch folder ("": a new temp dir, removed after)
	keep       bool          // keep the scratch folder
	timeout    time.Duration // hard bound on the whole run
	serverCore int
	loadCore   int
	pinSelf    bool   // pin the harness itself to the load core
	cases      string // regexp: run only the matching cases (and the floors)
	pairs      int    // paired rounds of each ratio target's case (0: none)
	command    string // the command line, for the report
}

// binaries are the programs the harness runs.
type binaries struct {
	tokensvc, floor, bombardier, vegeta string
	versions                            map[string]string // generator -> how it was found
}

// harness holds one run's state.
type harness struct {
	o       options
	log     io.Writer // progress lines
	root    string    // module root
	work    string
	bin     binaries
	keys    map[string]string // format -> key file
	token   string            // the backend's bearer token
	procs   *procs
	redis   *proc
	redisAt string
	clkTck  float64
	client  *http.Client
	// grantRates is how fast the harness's own client granted sessions,
	// by store, measured on the largest batch so far: it sizes the re-sign
	// case's wait.
	grantRates map[string]grantRate
	began      time.Time
}

type grantRate struct {
	n    int
	rate float64
}

const (
	origin  = "https://app.example.com"
	cdnBase = "https://cdn.example.com"
)

// run is the whole command: build, measure, report. Every process it
// starts is stopped by PID before it returns, whatever happens.
func run(ctx context.Context, o options, stdout, log io.Writer) (rep *report, err error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	h := &harness{o: o, log: log, procs: &procs{}, client: newClient(256), grantRates: map[string]grantRate{}, began: time.Now()}
	defer h.client.CloseIdleConnections()
	rep = &report{command: o.command, quick: o.quick, cases: o.cases, duration: o.duration, warmup: o.warmup}
	defer func() {
		h.procs.stopAll()
		rep.processes = h.procs.list()
	}()

	if err := h.checkMachine(); err != nil {
		return rep, err
	}
	rep.facts = machineFacts(ctx)
	rep.loadBefore = loadAverage()
	if f := strings.Fields(rep.loadBefore); len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil && l > 1 {
			h.logf("the machine is busy (load average %s): other work shares the cores, and the report will show it", rep.loadBefore)
		}
	}
	if o.pinSelf {
		// The harness's own work (granting sessions, the storm's 200
		// clients, scraping metrics) belongs on the load generator's core.
		if out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", strconv.Itoa(o.loadCore), strconv.Itoa(os.Getpid())).CombinedOutput(); err != nil {
			return rep, fmt.Errorf("pin the harness: %v: %s", err, out)
		}
	}

	h.work = o.work
	if h.work == "" {
		if h.work, err = os.MkdirTemp("", "tokensvc-bench-"); err != nil {
			return rep, err
		}
		if !o.keep {
			defer os.RemoveAll(h.work)
		}
	} else if err := os.MkdirAll(h.work, 0o700); err != nil {
		return rep, err
	}
	rep.work = h.work
	if h.root, err = moduleRoot(ctx); err != nil {
		return rep, err
	}
	h.clkTck = clockTicks(ctx)
	if err := h.build(ctx); err != nil {
		return rep, err
	}
	rep.facts.generators = h.bin.versions
	if err := h.keygen(ctx); err != nil {
		return rep, err
	}
	if err := h.startRedis(ctx); err != nil {
		return rep, err
	}
	rep.facts.redis = redisVersion(ctx)

	if err := h.runCases(ctx, rep); err != nil {
		return rep, err
	}
	if err := h.runMicro(ctx, rep); err != nil {
		return rep, err
	}
	rep.loadAfter = loadAverage()
	h.procs.stopAll()
	rep.processes = h.procs.list()

	rep.compute()
	fmt.Fprint(stdout, rep.table())
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return rep, err
	}
	if err := os.WriteFile(filepath.Join(o.out, "performance.md"), []byte(rep.markdown()), 0o644); err != nil {
		return rep, err
	}
	if err := rep.plot(filepath.Join(o.out, "performance.svg")); err != nil {
		return rep, fmt.Errorf("plot: %w", err)
	}
	fmt.Fprintf(log, "wrote %s and %s\n", filepath.Join(o.out, "performance.md"), filepath.Join(o.out, "performance.svg"))
	return rep, nil
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "bench: %5.1fs "+format+"\n", append([]any{time.Since(h.began).Seconds()}, args...)...)
}

// checkMachine refuses to run where pinning cannot separate the server
// from the load generator.
func (h *harness) checkMachine() error {
	for _, p := range []string{"taskset", "redis-server", "go"} {
		if _, err := exec.LookPath(p); err != nil {
			hint := ""
			if p == "redis-server" {
				hint = " (apt-get install redis-server; scripts/test.sh installs it)"
			}
			return fmt.Errorf("%s not found on PATH%s", p, hint)
		}
	}
	n := numCPU()
	if h.o.serverCore == h.o.loadCore || h.o.serverCore >= n || h.o.loadCore >= n {
		return fmt.Errorf("need two distinct cores for server (%d) and load (%d); this machine has %d", h.o.serverCore, h.o.loadCore, n)
	}
	return nil
}

// moduleRoot is the folder of tokensvc's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the tokensvc module (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
func clockTicks(ctx context.Context) float64 {
	out, err := exec.CommandContext(ctx, "getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100
}

// build compiles tokensvc and the floor server, and finds or installs the
// load generators at their pinned versions.
func (h *harness) build(ctx context.Context) error {
	binDir := filepath.Join(h.work, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	h.bin.tokensvc = filepath.Join(binDir, "tokensvc")
	h.bin.floor = filepath.Join(binDir, "floor")
	for _, b := range []struct{ out, pkg string }{{h.bin.tokensvc, "./cmd/tokensvc"}, {h.bin.floor, "./bench/floor"}} {
		h.logf("go build %s", b.pkg)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
		cmd.Dir = h.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	h.bin.versions = map[string]string{}
	for _, g := range []string{bombardier, vegeta} {
		path, how, err := h.generator(ctx, g)
		if err != nil {
			return err
		}
		h.bin.versions[g] = how
		if g == bombardier {
			h.bin.bombardier = path
		} else {
			h.bin.vegeta = path
		}
	}
	return nil
}

// generator finds a load generator on PATH or installs its pinned version
// into the scratch folder's GOBIN.
func (h *harness) generator(ctx context.Context, name string) (path, how string, err error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, "on PATH at " + p, nil
	}
	gobin := filepath.Join(h.work, "gobin")
	mod := generatorModules[name]
	h.logf("go install %s", mod)
	cmd := exec.CommandContext(ctx, "go", "install", mod)
	cmd.Dir = h.work // outside the module: @version installs ignore it anyway
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go install %s: %v\n%s", mod, err, out)
	}
	return filepath.Join(gobin, name), "go install " + mod, nil
}

// formatKeys are the key files tokensvc keygen makes for each benchmarked
// format.
var formatKeys = []struct {
	format string // the harness's name, with the CloudFront key type
	args   []string
	file   string
}{
	{"cloudcdn", []string{"--cdn", "cloudcdn"}, "cloudcdn.key"},
	{"akamai", []string{"--cdn", "akamai"}, "akamai.key"},
	{"gotipath", []string{"--cdn", "gotipath"}, "gotipath.key"},
	{"cloudfront-ecdsa", []string{"--cdn", "cloudfront", "--ecdsa"}, "cloudfront-ecdsa.pem"},
	{"cloudfront-rsa", []string{"--cdn", "cloudfront"}, "cloudfront-rsa.pem"},
}

// keygen makes every key with the built binary, as an operator would.
func (h *harness) keygen(ctx context.Context) error {
	dir := filepath.Join(h.work, "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	h.keys = map[string]string{}
	for _, k := range formatKeys {
		path := filepath.Join(dir, k.file)
		cmd := exec.CommandContext(ctx, h.bin.tokensvc, append(append([]string{"keygen"}, k.args...), "--out", path)...)
		cmd.Env = h.childEnv(nil)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("tokensvc keygen %s: %v\n%s", strings.Join(k.args, " "), err, out)
		}
		h.keys[k.format] = path
	}
	tok, err := randomHex(16)
	if err != nil {
		return err
	}
	h.token = tok
	return nil
}

// childEnv is the harness's environment without anything that would change
// how a child runs behind the report's back: no TOKENSVC_* (the cases set
// their own) and no Go runtime tuning (GOMAXPROCS follows the pinned core).
func (h *harness) childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TOKENSVC_") {
			continue
		}
		switch k {
		case "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startRedis starts the Redis cases' own redis-server on a free loopback
// port, pinned to the server core with tokensvc (the store's CPU is part of
// the service's cost on that core), with persistence off.
func (h *harness) startRedis(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	dir := filepath.Join(h.work, "redis")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	h.redisAt = "127.0.0.1:" + strconv.Itoa(port)
	p, err := h.procs.start(ctx, spec{
		name: "redis-server", core: h.o.serverCore, bin: "redis-server",
		args: []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
			"--dir", dir, "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning"},
		env: h.childEnv(nil), errf: filepath.Join(dir, "redis.log"), out: filepath.Join(dir, "redis.out"),
	})
	if err != nil {
		return err
	}
	h.redis = p
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("redis-server exited: %s", readTail(filepath.Join(dir, "redis.out")))
		}
		if redisCommand(h.redisAt, "PING") == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("redis-server did not answer PING within 10s")
}

// redisCommand sends one inline command and expects a simple +OK/+PONG.
func redisCommand(addr, cmd string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+") {
		return fmt.Errorf("redis %s: %s", cmd, strings.TrimSpace(line))
	}
	return nil
}

func redisVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "redis-server", "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// server is one running floor or tokensvc process.
type server struct {
	name  string // "floor" or a format
	store string // tokensvc: memory or redis
	p     *proc
	url   string
	log   string
}

// tokensvcConf is one tokensvc configuration.
type tokensvcConf struct {
	format      string // a formatKeys name
	store       string // memory or redis
	loggedInTTL time.Duration
	setting     string // one more TOKENSVC_NAME=value, when not "" (it wins over the configuration env writes before it)
}

// env is the configuration, only through TOKENSVC_* variables, with dev
// mode off and access logging on (info), as in production.
func (h *harness) env(c tokensvcConf, addr string) ([]string, error) {
	key, ok := h.keys[c.format]
	if !ok {
		return nil, fmt.Errorf("no key for format %q", c.format)
	}
	env := []string{
		"TOKENSVC_DEV=false",
		"TOKENSVC_ADDR=" + addr,
		"TOKENSVC_LOG_LEVEL=info",
		"TOKENSVC_LOG_JSON=true",
		"TOKENSVC_CDN_BASE_URL=" + cdnBase,
		"TOKENSVC_API_KEYS=bench:" + h.token,
		"TOKENSVC_ALLOWED_ORIGINS=" + origin,
		"TOKENSVC_SESSION_STORE=" + c.store,
	}
	switch c.format {
	case "cloudcdn":
		env = append(env, "TOKENSVC_CDN=cloudcdn", "TOKENSVC_CLOUDCDN_KEYS=bench="+key)
	case "akamai":
		env = append(env, "TOKENSVC_CDN=akamai", "TOKENSVC_AKAMAI_KEY_FILES="+key)
	case "gotipath":
		env = append(env, "TOKENSVC_CDN=gotipath", "TOKENSVC_GOTIPATH_SECRET_FILES="+key)
	case "cloudfront-ecdsa":
		env = append(env, "TOKENSVC_CDN=cloudfront", "TOKENSVC_CLOUDFRONT_KEYS=KBENCHECDSA="+key)
	case "cloudfront-rsa":
		env = append(env, "TOKENSVC_CDN=cloudfront", "TOKENSVC_CLOUDFRONT_KEYS=KBENCHRSA="+key)
	}
	if c.store == "redis" {
		env = append(env, "TOKENSVC_REDIS_URL=redis://"+h.redisAt+"/0")
	}
	if c.setting != "" {
		if !strings.HasPrefix(c.setting, "TOKENSVC_") || !strings.Contains(c.setting, "=") {
			return nil, fmt.Errorf("setting %q is not TOKENSVC_NAME=value", c.setting)
		}
		// exec keeps the last of duplicate keys, so this overrides.
		env = append(env, c.setting)
	}
	if c.loggedInTTL > 0 {
		env = append(env, "TOKENSVC_LOGGED_IN_TTL="+c.loggedInTTL.String(), "TOKENSVC_LOGGED_IN_MAX=12h")
	}
	return h.childEnv(env), nil
}

// startTokensvc starts a fresh tokensvc pinned to the server core; each case
// gets its own process (and an emptied Redis), so no case inherits another's
// sessions, heap or caches. Its log goes to a file in the scratch folder.
func (h *harness) startTokensvc(ctx context.Context, c tokensvcConf, tag string) (*server, error) {
	if c.store == "redis" {
		if err := redisCommand(h.redisAt, "FLUSHALL"); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env, err := h.env(c, addr)
	if err != nil {
		return nil, err
	}
	s := &server{name: c.format, store: c.store, url: "http://" + addr, log: filepath.Join(h.work, tag+".tokensvc.log")}
	s.p, err = h.procs.start(ctx, spec{name: "tokensvc " + c.format + "/" + c.store, core: h.o.serverCore, bin: h.bin.tokensvc, env: env, errf: s.log})
	if err != nil {
		return nil, err
	}
	if err := h.waitReady(ctx, s, "/readyz"); err != nil {
		h.procs.stopOne(s.p)
		return nil, err
	}
	return s, nil
}

// startFloor starts the floor server pinned to the server core.
func (h *harness) startFloor(ctx context.Context, tag string, env []string, args ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &server{name: "floor", url: "http://" + addr, log: filepath.Join(h.work, tag+".floor.log")}
	s.p, err = h.procs.start(ctx, spec{name: "floor", core: h.o.serverCore, bin: h.bin.floor, args: append([]string{"-addr", addr}, args...), env: h.childEnv(env), errf: s.log})
	if err != nil {
		return nil, err
	}
	if err := h.waitReady(ctx, s, "/"); err != nil {
		h.procs.stopOne(s.p)
		return nil, err
	}
	return s, nil
}

func (h *harness) waitReady(ctx context.Context, s *server, path string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if s.p.exited() {
			return fmt.Errorf("%s exited at start: %s", s.name, readTail(s.log))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
		if resp, err := h.client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(30 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within 15s: %s", s.name, readTail(s.log))
}

// stopServer stops a server by PID and counts the warnings and errors it
// logged; the log (one line a request) is then removed unless -keep.
func (h *harness) stopServer(s *server) (warnings int) {
	// A connection the client dialled but never used is "new" to the
	// server, and a graceful shutdown waits up to 5 s for it: close them.
	h.client.CloseIdleConnections()
	t := time.Now()
	h.procs.stopOne(s.p)
	if d := time.Since(t); d > time.Second {
		h.logf("    stopping %s took %.1f s", s.name, d.Seconds())
	}
	f, err := os.Open(s.log)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.Contains(line, []byte(`"level":"warn"`)) || bytes.Contains(line, []byte(`"level":"error"`)) {
			warnings++
		}
	}
	f.Close()
	if !h.o.keep {
		os.Remove(s.log)
	}
	return warnings
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}
