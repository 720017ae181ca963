package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Two established load generators, each closed-loop (every connection sends
// its next request as soon as the answer to the last one arrived) with
// keep-alive on:
//
//   - bombardier (fasthttp) sends one fixed request. It costs its core about
//     half what vegeta does per request, so against the floor it saturates
//     the server's core rather than its own: the floor's requests/s is then
//     the server's, not the generator's.
//   - vegeta sends a different request each time from a JSON targets file,
//     which the re-sign case needs (a different session cookie per request).
//     On one core it tops out near 50 k req/s, below the floor server, so it
//     gets a floor of its own: every ratio in the report is against the floor
//     measured with the same generator at the same connection count.
const (
	bombardier = "bombardier"
	vegeta     = "vegeta"
)

// Pinned versions, installed with `go install` when not on PATH.
var generatorModules = map[string]string{
	bombardier: "github.com/codesenberg/bombardier@v1.2.6",
	vegeta:     "github.com/tsenart/vegeta/v12@v12.13.0",
}

// request is one HTTP request a case sends.
type request struct {
	method string
	url    string
	header [][2]string
	body   string
}

// loadSpec is one closed-loop run of a generator.
type loadSpec struct {
	gen      string
	conns    int
	duration time.Duration
	req      request // the request sent (bombardier; vegeta when targets is "")
	targets  string  // vegeta only: a JSON targets file, used round robin
}

// loadResult is what a generator measured.
type loadResult struct {
	requests int64
	ok       int64 // 2xx answers
	elapsed  time.Duration
	p50, p99 time.Duration
	codes    string // status classes or codes, for the report
	errors   []string
}

func (r loadResult) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// runLoad runs one generator pinned to the load core and waits for it. The
// run is bounded twice: by the generator's own duration and by a context
// deadline a minute later, after which the generator is killed.
func (h *harness) runLoad(ctx context.Context, ls loadSpec, tag string) (loadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, ls.duration+time.Minute)
	defer cancel()
	switch ls.gen {
	case bombardier:
		return h.runBombardier(ctx, ls, tag)
	case vegeta:
		return h.runVegeta(ctx, ls, tag)
	}
	return loadResult{}, fmt.Errorf("unknown generator %q", ls.gen)
}

func (h *harness) runBombardier(ctx context.Context, ls loadSpec, tag string) (loadResult, error) {
	ls.duration = max(ls.duration, time.Second) // bombardier's own minimum
	args := []string{
		"-c", strconv.Itoa(ls.conns), "-d", ls.duration.String(),
		"-l", "-p", "r", "-o", "j", "--timeout", "10s",
		"-m", ls.req.method,
	}
	for _, kv := range ls.req.header {
		args = append(args, "-H", kv[0]+": "+kv[1])
	}
	if ls.req.body != "" {
		args = append(args, "-b", ls.req.body)
	}
	args = append(args, ls.req.url)
	out := filepath.Join(h.work, tag+".bombardier.json")
	p, err := h.procs.start(ctx, spec{name: "bombardier", core: h.o.loadCore, bin: h.bin.bombardier, args: args, env: h.childEnv(nil), out: out, errf: out + ".err"})
	if err != nil {
		return loadResult{}, err
	}
	err = p.wait()
	h.procs.forget(p)
	if err != nil {
		return loadResult{}, fmt.Errorf("bombardier: %v: %s", err, readTail(out+".err"))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return loadResult{}, err
	}
	var rep struct {
		Result struct {
			TimeTakenSeconds float64 `json:"timeTakenSeconds"`
			Req1xx           int64   `json:"req1xx"`
			Req2xx           int64   `json:"req2xx"`
			Req3xx           int64   `json:"req3xx"`
			Req4xx           int64   `json:"req4xx"`
			Req5xx           int64   `json:"req5xx"`
			Others           int64   `json:"others"`
			Latency          struct {
				Percentiles map[string]float64 `json:"percentiles"` // µs
			} `json:"latency"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return loadResult{}, fmt.Errorf("bombardier output: %w", err)
	}
	r := rep.Result
	res := loadResult{
		requests: r.Req1xx + r.Req2xx + r.Req3xx + r.Req4xx + r.Req5xx + r.Others,
		ok:       r.Req2xx,
		elapsed:  time.Duration(r.TimeTakenSeconds * float64(time.Second)),
		p50:      time.Duration(r.Latency.Percentiles["50"] * float64(time.Microsecond)),
		p99:      time.Duration(r.Latency.Percentiles["99"] * float64(time.Microsecond)),
	}
	var codes []string
	for _, c := range []struct {
		name string
		n    int64
	}{{"1xx", r.Req1xx}, {"2xx", r.Req2xx}, {"3xx", r.Req3xx}, {"4xx", r.Req4xx}, {"5xx", r.Req5xx}, {"errors", r.Others}} {
		if c.n > 0 {
			codes = append(codes, fmt.Sprintf("%s:%d", c.name, c.n))
		}
	}
	res.codes = strings.Join(codes, " ")
	return res, nil
}

// vegetaTarget is one line of vegeta's JSON targets format.
type vegetaTarget struct {
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Body   []byte              `json:"body,omitempty"` // base64 in JSON, as vegeta expects
	Header map[string][]string `json:"header,omitempty"`
}

func targetOf(r request) vegetaTarget {
	t := vegetaTarget{Method: r.method, URL: r.url, Header: map[string][]string{}}
	for _, kv := range r.header {
		t.Header[kv[0]] = append(t.Header[kv[0]], kv[1])
	}
	if r.body != "" {
		t.Body = []byte(r.body)
	}
	return t
}

// writeTargets writes one vegeta JSON target a line.
func writeTargets(path string, reqs func(yield func(request) bool)) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	var encErr error
	reqs(func(r request) bool {
		encErr = enc.Encode(targetOf(r))
		return encErr == nil
	})
	if encErr != nil {
		f.Close()
		return encErr
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (h *harness) runVegeta(ctx context.Context, ls loadSpec, tag string) (loadResult, error) {
	targets := ls.targets
	if targets == "" {
		targets = filepath.Join(h.work, tag+".targets.json")
		if err := writeTargets(targets, func(yield func(request) bool) { yield(ls.req) }); err != nil {
			return loadResult{}, err
		}
	}
	bin := filepath.Join(h.work, tag+".vegeta.bin")
	n := strconv.Itoa(ls.conns)
	args := []string{"attack",
		"-targets", targets, "-format", "json",
		"-rate", "0", "-workers", n, "-max-workers", n,
		"-duration", ls.duration.String(), "-keepalive=true",
		"-max-body", "0", "-timeout", "10s", "-output", bin,
	}
	p, err := h.procs.start(ctx, spec{name: "vegeta attack", core: h.o.loadCore, bin: h.bin.vegeta, args: args, env: h.childEnv(nil), errf: bin + ".err"})
	if err != nil {
		return loadResult{}, err
	}
	err = p.wait()
	h.procs.forget(p)
	if err != nil {
		return loadResult{}, fmt.Errorf("vegeta attack: %v: %s", err, readTail(bin+".err"))
	}
	// The report is made after the attack, so it costs the measurement
	// nothing.
	out := bin + ".report.json"
	p, err = h.procs.start(ctx, spec{name: "vegeta report", core: h.o.loadCore, bin: h.bin.vegeta, args: []string{"report", "-type", "json", bin}, env: h.childEnv(nil), out: out, errf: out + ".err"})
	if err != nil {
		return loadResult{}, err
	}
	err = p.wait()
	h.procs.forget(p)
	if err != nil {
		return loadResult{}, fmt.Errorf("vegeta report: %v: %s", err, readTail(out+".err"))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return loadResult{}, err
	}
	var rep struct {
		Latencies struct {
			P50 int64 `json:"50th"`
			P99 int64 `json:"99th"`
		} `json:"latencies"`
		Duration    int64            `json:"duration"`
		Requests    int64            `json:"requests"`
		StatusCodes map[string]int64 `json:"status_codes"`
		Errors      []string         `json:"errors"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return loadResult{}, fmt.Errorf("vegeta report: %w", err)
	}
	res := loadResult{
		requests: rep.Requests,
		elapsed:  time.Duration(rep.Duration),
		p50:      time.Duration(rep.Latencies.P50),
		p99:      time.Duration(rep.Latencies.P99),
		errors:   rep.Errors,
	}
	keys := make([]string, 0, len(rep.StatusCodes))
	for k := range rep.StatusCodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var codes []string
	for _, k := range keys {
		if strings.HasPrefix(k, "2") {
			res.ok += rep.StatusCodes[k]
		}
		name := k
		if k == "0" {
			name = "errors"
		}
		codes = append(codes, fmt.Sprintf("%s:%d", name, rep.StatusCodes[k]))
	}
	res.codes = strings.Join(codes, " ")
	// Results files hold one record per request: drop them as soon as they
	// are read, a long run would fill the disk otherwise.
	if !h.o.keep {
		os.Remove(bin)
	}
	return res, nil
}

// readTail returns the end of a small log file, for an error message.
func readTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}
