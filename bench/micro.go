package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"golang.org/x/perf/benchfmt"
)

// The two in-process targets are Go benchmarks, not load: the
// grant handler's allocations (BenchmarkPostGrants) and the memory store's
// bytes a live session (BenchmarkMemoryStoreFootprint, one million
// sessions). The harness compiles their test binaries, runs each pinned to
// the load core (the server core is idle by then), and reads the standard
// benchmark output with golang.org/x/perf/benchfmt, so the report carries
// their verdicts next to the load targets'.

// microBench is one benchmark the harness runs.
type microBench struct {
	pkg       string // package folder, from the module root
	bench     string // -test.bench
	benchtime string // -test.benchtime
}

var microBenches = []microBench{
	{"internal/api", "^BenchmarkPostGrants$", "20000x"},
	{"internal/session", "^BenchmarkMemoryStoreFootprint$", "1x"},
}

// Units of the benchmark lines the targets read.
const (
	unitAllocs  = "allocs/op"
	unitSession = "bytes/session"
)

// The targets' limits (the issue).
const (
	maxGrantAllocs     = 25
	maxBytesPerSession = 256
)

// microResult is one benchmark line: its name without "Benchmark" and
// GOMAXPROCS, and its values by unit.
type microResult struct {
	name   string
	values map[string]float64
}

// microName is what -cases matches to keep the benchmarks.
const microName = "benchmarks"

// runMicro builds and runs the benchmarks into rep.micro.
func (h *harness) runMicro(ctx context.Context, rep *report) error {
	if h.o.cases != "" && !regexp.MustCompile(h.o.cases).MatchString(microName) {
		return nil
	}
	for i, mb := range microBenches {
		bin := filepath.Join(h.work, "bin", "micro"+strconv.Itoa(i)+".test")
		h.logf("go test -c ./%s; %s -test.bench %s", mb.pkg, filepath.Base(bin), mb.bench)
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./"+mb.pkg)
		build.Dir = h.root
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go test -c ./%s: %v\n%s", mb.pkg, err, out)
		}
		cmd := exec.CommandContext(ctx, "taskset", "-c", strconv.Itoa(h.o.loadCore), bin,
			"-test.run", "^$", "-test.bench", mb.bench, "-test.benchmem", "-test.benchtime", mb.benchtime, "-test.count", "1")
		cmd.Dir = filepath.Join(h.root, mb.pkg) // where its tests expect to run
		cmd.Env = h.childEnv(nil)               // none of the caller's GOGC, GOMAXPROCS, TOKENSVC_*
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s %s: %v\n%s%s", mb.pkg, mb.bench, err, out, stderr.Bytes())
		}
		rs, err := parseMicro(bytes.NewReader(out), mb.pkg)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return fmt.Errorf("%s %s: no benchmark line in its output:\n%s", mb.pkg, mb.bench, out)
		}
		rep.micro = append(rep.micro, rs...)
	}
	return nil
}

// parseMicro reads the benchmark lines of a test binary's output.
func parseMicro(r io.Reader, file string) ([]microResult, error) {
	var rs []microResult
	br := benchfmt.NewReader(r, file)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			base, parts := rec.Name.Parts()
			name := string(base)
			for _, p := range parts {
				if !bytes.HasPrefix(p, []byte("-")) { // "-N" is GOMAXPROCS
					name += string(p)
				}
			}
			m := microResult{name: name, values: map[string]float64{}}
			for _, v := range rec.Values {
				// The reader tidies units (ns/op becomes sec/op); keep
				// them as the benchmark printed them.
				if v.OrigUnit != "" {
					m.values[v.OrigUnit] = v.OrigValue
				} else {
					m.values[v.Unit] = v.Value
				}
			}
			rs = append(rs, m)
		case *benchfmt.SyntaxError:
			return nil, rec
		}
	}
	return rs, br.Err()
}

// microTargets judges the allocation target for each format's grant, and
// the footprint target. A format the run did not measure is listed as not
// measured, never passed.
func (rp *report) microTargets() []target {
	var ts []target
	for _, f := range grantFormats {
		t := target{name: fmt.Sprintf("BenchmarkPostGrants/%s (the whole router: auth, decoding, policy, signing, the session write, cookies, JSON, access log, metrics): ≤ %d allocations a request", f, maxGrantAllocs)}
		for _, m := range rp.micro {
			if v, ok := m.values[unitAllocs]; ok && m.name == "PostGrants/"+f {
				t.measure = true
				t.measured = fmt.Sprintf("%g allocs/op, %g B/op", v, m.values["B/op"])
				t.pass = v <= maxGrantAllocs
			}
		}
		ts = append(ts, t)
	}
	t := target{name: fmt.Sprintf("BenchmarkMemoryStoreFootprint, 1 M live sessions: ≤ %d bytes a session", maxBytesPerSession)}
	for _, m := range rp.micro {
		if v, ok := m.values[unitSession]; ok && m.name == "MemoryStoreFootprint" {
			t.measure = true
			t.measured = fmt.Sprintf("%.1f bytes/session", v)
			t.pass = v <= maxBytesPerSession
		}
	}
	return append(ts, t)
}

// grantFormats are BenchmarkPostGrants' sub-benchmarks (internal/api).
var grantFormats = []string{"cloudcdn", "akamai", "gotipath", "cloudfront"}

// microRows are the benchmarks' lines for the report's table.
func (rp *report) microRows() [][]string {
	var rows [][]string
	for _, m := range rp.micro {
		cell := func(unit string, prec int) string {
			if v, ok := m.values[unit]; ok {
				return strconv.FormatFloat(v, 'f', prec, 64)
			}
			return "–"
		}
		rows = append(rows, []string{"Benchmark" + m.name, cell("ns/op", 0), cell("B/op", 0), cell(unitAllocs, 0), cell(unitSession, 1)})
	}
	return rows
}

var microColumns = []string{"benchmark", "ns/op", "B/op", "allocs/op", "bytes/session"}
