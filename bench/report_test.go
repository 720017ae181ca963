package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func res(c caseDef, rps float64, cpuUS float64, p99 time.Duration) *result {
	n := int64(rps * 5)
	return &result{caseDef: c, rps: rps, cpuUS: cpuUS, redisUS: math.NaN(), sigs: math.NaN(),
		load: loadResult{requests: n, ok: n, elapsed: 5 * time.Second, p99: p99}}
}

// TestCompare: every ratio is against the faster floor run with the same
// generator and connection count, and the targets follow from the ratios.
func TestCompare(t *testing.T) {
	floor := func(gen string, conns, round int) caseDef {
		return caseDef{kind: kindFloor, gen: gen, conns: conns, round: round}
	}
	grants := func(format, store string, conns int) caseDef {
		return caseDef{kind: kindGrants, format: format, store: store, gen: bombardier, conns: conns}
	}
	rp := &report{results: []*result{
		res(floor(bombardier, 16, 1), 80000, 12, 600*time.Microsecond),
		res(floor(bombardier, 16, 2), 100000, 10, 600*time.Microsecond), // the faster floor counts
		res(floor(vegeta, 16, 1), 40000, 15, 800*time.Microsecond),
		res(grants("cloudcdn", "memory", 16), 70000, 14, 900*time.Microsecond),
		res(grants("cloudcdn", "redis", 16), 30000, 30, 2*time.Millisecond),
		res(grants("cloudfront-ecdsa", "memory", 16), 12000, 70, 3*time.Millisecond),
		res(caseDef{kind: kindRefresh, format: "cloudcdn", store: "memory", gen: vegeta, conns: 16, pool: 1000}, 36000, 20, time.Millisecond),
	}}
	rp.compute()

	if got := rp.results[3].ratio; math.Abs(got-0.70) > 1e-9 {
		t.Errorf("grants ratio %v, want 0.70 (against the faster floor)", got)
	}
	if got := rp.results[3].cpuRatio; math.Abs(got-10.0/14) > 1e-9 {
		t.Errorf("grants CPU ratio %v, want %v", got, 10.0/14)
	}
	if got := rp.results[6].ratio; math.Abs(got-0.9) > 1e-9 {
		t.Errorf("vegeta case ratio %v, want 0.9 (against the vegeta floor)", got)
	}
	if got := rp.results[0].ratio; math.Abs(got-0.8) > 1e-9 {
		t.Errorf("slower floor ratio %v, want 0.8", got)
	}

	verdicts := map[string]string{}
	for _, tg := range rp.targets {
		verdicts[tg.name] = passWord(tg)
	}
	for _, c := range []struct{ prefix, want string }{
		{"POST /grants, Cloud CDN, memory store, logging + metrics + session write on, 16 connections", "PASS"},
		{"POST /grants, Cloud CDN, memory store, 16 connections: p99", "PASS"},
		{"POST /grants, Cloud CDN, memory store, logging + metrics + session write on, 64 connections", "not measured"},
		{"POST /grants, Cloud CDN, Redis store, 16 connections", "FAIL"}, // 30000/70000 < 0.5
		{"POST /grants, CloudFront ECDSA P-256, 16 connections", "PASS"},
		{"POST /refresh, nothing due, memory store, 16 connections", "not measured"}, // only a vegeta pool case
		{"200 concurrent POST /refresh of one due session, cloudfront-rsa: exactly 1 signature", "not measured"},
	} {
		found := false
		for name, v := range verdicts {
			if strings.HasPrefix(name, c.prefix) {
				found = true
				if v != c.want {
					t.Errorf("%s: %s, want %s", name, v, c.want)
				}
			}
		}
		if !found {
			t.Errorf("no target starting %q", c.prefix)
		}
	}
}

// TestPairedRounds: with paired rounds, a floor-ratio target is judged on
// the median round, and a round with failed requests fails it.
func TestPairedRounds(t *testing.T) {
	g := caseDef{kind: kindGrants, format: "cloudcdn", store: "memory", gen: bombardier, conns: 16}
	fl := caseDef{kind: kindFloor, gen: bombardier, conns: 16, round: 1}
	round := func(i int, floor, c float64) (*result, *result) {
		f, r := fl, g
		f.round, f.pair, r.pair = 0, i, i
		return res(f, floor, 10, time.Millisecond), res(r, c, 15, time.Millisecond)
	}
	build := func(rounds ...[2]float64) *report {
		rp := &report{results: []*result{res(fl, 100000, 10, time.Millisecond), res(g, 50000, 20, 900*time.Microsecond)}}
		p := &paired{caseDef: g}
		for i, r := range rounds {
			f, c := round(i+1, r[0], r[1])
			p.bases, p.cases = append(p.bases, f), append(p.cases, c)
		}
		rp.pairs = []*paired{p}
		rp.compute()
		return rp
	}
	verdict := func(rp *report) target {
		return targetNamed(t, rp, "POST /grants, Cloud CDN, memory store, logging + metrics + session write on, 16 connections")
	}

	rp := build([2]float64{80000, 56000}, [2]float64{90000, 54000}, [2]float64{100000, 66000}) // 0.70, 0.60, 0.66
	if m := rp.pairs[0].median(); math.Abs(m-0.66) > 1e-9 {
		t.Errorf("median %v, want 0.66", m)
	}
	tg := verdict(rp)
	if passWord(tg) != "PASS" || !strings.Contains(tg.measured, "median of 3 paired rounds (0.70, 0.60, 0.66)") || !strings.Contains(tg.measured, "main table's runs: 0.50 ×") {
		t.Errorf("%s: %s", passWord(tg), tg.measured)
	}
	md := rp.markdown()
	for _, want := range []string{"### Paired rounds", "| POST /grants cloudcdn | 16 | 2 | floor | case | 90000 | 54000 | 0.60 |", "| median |", "**Paired rounds**", "- POST /grants, 16 connections: the floor spent 10.0 µs", "- p99 under 1 ms at 16 connections"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}

	if tg := verdict(build([2]float64{80000, 48000}, [2]float64{90000, 54000})); passWord(tg) != "FAIL" || !strings.Contains(tg.measured, "0.60 ×, the median of 2") {
		t.Errorf("even count: %s: %s", passWord(tg), tg.measured)
	}
	// Rounds that disagree (a floor that slowed within its round) settle
	// nothing, even with a median above the target.
	if tg := verdict(build([2]float64{80000, 55200}, [2]float64{57000, 55000}, [2]float64{90000, 73800})); passWord(tg) != "UNSETTLED" || !strings.Contains(tg.measured, "run it again") {
		t.Errorf("rounds 0.69, 0.96, 0.82: %s: %s", passWord(tg), tg.measured)
	}
	if tg := verdict(build([2]float64{80000, 57600}, [2]float64{57000, 55000}, [2]float64{90000, 63000})); passWord(tg) != "PASS" {
		t.Errorf("rounds 0.72, 0.96, 0.70 (two agree): %s: %s", passWord(tg), tg.measured)
	}
	// With an even count, half the rounds within the band settle it.
	if tg := verdict(build([2]float64{80000, 56000}, [2]float64{90000, 63900}, [2]float64{100000, 90000}, [2]float64{100000, 50000})); passWord(tg) == "UNSETTLED" {
		t.Errorf("rounds 0.70, 0.71, 0.90, 0.50: %s: %s", passWord(tg), tg.measured)
	}
	rp = build([2]float64{80000, 56000}, [2]float64{90000, 63000}, [2]float64{100000, 70000})
	rp.pairs[0].bases[2].load.ok--
	rp.compute()
	if tg := verdict(rp); passWord(tg) != "FAIL" {
		t.Errorf("a round whose floor failed a request: %s: %s", passWord(tg), tg.measured)
	}
	rp = build([2]float64{80000, 56000}, [2]float64{90000, 63000}, [2]float64{100000, 70000})
	rp.pairs[0].cases[1].load.ok--
	rp.compute()
	if tg := verdict(rp); passWord(tg) != "FAIL" {
		t.Errorf("a round with a failed request: %s: %s", passWord(tg), tg.measured)
	}
}

// TestPairedRedisRounds: the Redis target's rounds run against the memory
// store, and its verdict takes their median.
func TestPairedRedisRounds(t *testing.T) {
	mem := caseDef{kind: kindGrants, format: "cloudcdn", store: "memory", gen: bombardier, conns: 64}
	rd := mem
	rd.store = "redis"
	if want, base := ratioTarget(rd); want != 0.5 || base != mem {
		t.Fatalf("ratioTarget(redis) = %v, %+v", want, base)
	}
	rp := &report{results: []*result{
		res(caseDef{kind: kindFloor, gen: bombardier, conns: 64, round: 1}, 90000, 11, time.Millisecond),
		res(mem, 50000, 20, time.Millisecond), res(rd, 20000, 30, 4*time.Millisecond),
	}}
	p := &paired{caseDef: rd}
	for i, r := range [][2]float64{{40000, 22000}, {44000, 21000}, {42000, 21500}} {
		b, c := mem, rd
		b.pair, c.pair = i+1, i+1
		p.bases, p.cases = append(p.bases, res(b, r[0], 20, time.Millisecond)), append(p.cases, res(c, r[1], 30, 4*time.Millisecond))
	}
	rp.pairs = []*paired{p}
	rp.compute()
	if tg := targetNamed(t, rp, "POST /grants, Cloud CDN, Redis store, 64 connections"); passWord(tg) != "PASS" ||
		!strings.Contains(tg.measured, "0.51 ×, the median of 3 paired rounds (0.55, 0.48, 0.51); the main table's runs: 0.40 ×") {
		t.Errorf("%s: %s", passWord(tg), tg.measured)
	}
	if md := rp.markdown(); !strings.Contains(md, "| POST /grants cloudcdn | 64 | 1 | memory store | base | 40000 | 22000 | 0.55 |") {
		t.Errorf("markdown lacks the Redis round:\n%s", md)
	}
}

// TestStormTargets: one signature is not enough; every answer must be a 200
// with the same, new cookies.
func TestStormTargets(t *testing.T) {
	for _, c := range []struct {
		name string
		s    stormResult
		want string
	}{
		{"pass/one signature", stormResult{format: "cloudfront-rsa", n: 200, ok: 200, sigs: 1, distinct: 1, resigned: true, p99: 20 * time.Millisecond}, "PASS"},
		{"fail/two signatures", stormResult{format: "cloudfront-rsa", n: 200, ok: 200, sigs: 2, distinct: 2, resigned: true, p99: 20 * time.Millisecond}, "FAIL"},
		{"fail/not re-signed", stormResult{format: "cloudfront-rsa", n: 200, ok: 200, sigs: 1, distinct: 1, resigned: false, p99: 20 * time.Millisecond}, "FAIL"},
		{"fail/some 401", stormResult{format: "cloudfront-rsa", n: 200, ok: 150, sigs: 1, distinct: 1, resigned: true, p99: 20 * time.Millisecond}, "FAIL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rp := &report{storms: []stormResult{c.s}}
			rp.compute()
			if tg := targetNamed(t, rp, "200 concurrent POST /refresh of one due session, cloudfront-rsa: exactly 1 signature"); passWord(tg) != c.want {
				t.Errorf("%s: %s", passWord(tg), tg.measured)
			}
		})
	}
}

func TestSumMetric(t *testing.T) {
	const text = `# HELP tokensvc_signatures_total Signing operations by CDN format.
# TYPE tokensvc_signatures_total counter
tokensvc_signatures_total{cdn="akamai"} 3
tokensvc_signatures_total{cdn="cloudcdn"} 1.5e+06
tokensvc_signatures_totalx{cdn="cloudcdn"} 7
tokensvc_sign_errors_total{cdn="cloudcdn"} 9
`
	got, err := sumMetric(strings.NewReader(text), "tokensvc_signatures_total")
	if err != nil || got != 1500003 {
		t.Errorf("sumMetric = %v, %v; want 1500003", got, err)
	}
	if _, err := sumMetric(strings.NewReader("up 1\n"), "tokensvc_signatures_total"); err == nil {
		t.Error("a missing metric is an error, not zero")
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 200; i++ {
		s = append(s, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 100}, {0.99, 198}, {1, 200}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p*100, got, c.want)
		}
	}
}

func TestCPUTicks(t *testing.T) {
	n, err := cpuTicks(os.Getpid())
	if err != nil || n < 0 {
		t.Fatalf("cpuTicks(self) = %d, %v", n, err)
	}
	if _, err := coreBusy(0); err != nil {
		t.Fatal(err)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick"})
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != time.Second || len(o.conns) != 1 || o.conns[0] != 16 || o.out != "docs" {
		t.Errorf("quick: %+v", o)
	}
	o, err = parseFlags([]string{"-quick", "-duration", "3s"})
	if err != nil || o.duration != 3*time.Second {
		t.Errorf("-duration beats -quick: %v, %v", o.duration, err)
	}
	if o.command != "go run ./bench -quick -duration 3s" {
		t.Errorf("command %q", o.command)
	}
	o, _ = parseFlags(nil)
	if len(o.conns) != 2 || o.duration != 5*time.Second || o.pairs != 3 {
		t.Errorf("defaults: %+v", o)
	}
	if o, _ := parseFlags([]string{"-quick"}); o.pairs != 1 {
		t.Errorf("quick: %d paired rounds, want 1", o.pairs)
	}
	if o, _ := parseFlags([]string{"-quick", "-pairs", "0"}); o.pairs != 0 {
		t.Errorf("-pairs 0 with -quick: %d", o.pairs)
	}
	if _, err := parseFlags([]string{"-pairs", "-1"}); err == nil {
		t.Error("-pairs -1 accepted")
	}
}

// targetNamed is rp's target whose name starts with prefix; the test fails
// when there is none, so a renamed target cannot leave it checking nothing.
func targetNamed(t *testing.T, rp *report, prefix string) target {
	t.Helper()
	for _, tg := range rp.targets {
		if strings.HasPrefix(tg.name, prefix) {
			return tg
		}
	}
	t.Fatalf("no target named %q...", prefix)
	return target{}
}

// microOutput is what the two benchmarks' test binaries print (go test
// -bench, GOMAXPROCS 1 as pinned, so no "-N" suffix), with one line from a
// GOMAXPROCS 2 run to show the suffix is dropped.
const microOutput = `goos: linux
goarch: amd64
pkg: github.com/tokensvc/tokensvc/internal/api
cpu: AMD EPYC
BenchmarkPostGrants/cloudcdn         	   20000	      4238 ns/op	    1638 B/op	      12 allocs/op
BenchmarkPostGrants/akamai-2         	   20000	      4041 ns/op	    1398 B/op	      11 allocs/op
BenchmarkPostGrants/cloudfront       	   20000	     27616 ns/op	    8423 B/op	      70 allocs/op
PASS
pkg: github.com/tokensvc/tokensvc/internal/session
BenchmarkMemoryStoreFootprint 	       1	 775342135 ns/op	       217.8 bytes/session	459527056 B/op	 2007961 allocs/op
PASS
`

// TestMicroTargets: the benchmark lines are read with their units, each
// format's allocations are judged on their own, and a format with no line
// is not measured rather than passed.
func TestMicroTargets(t *testing.T) {
	ms, err := parseMicro(strings.NewReader(microOutput), "out")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 || ms[1].name != "PostGrants/akamai" || ms[3].values[unitSession] != 217.8 ||
		ms[0].values["ns/op"] != 4238 || ms[0].values[unitAllocs] != 12 {
		t.Fatalf("parsed %+v", ms)
	}
	if row := (&report{micro: ms}).microRows()[0]; row[1] != "4238" {
		t.Errorf("ns/op cell %q, want 4238", row[1])
	}
	rp := &report{micro: ms}
	rp.compute()
	for _, c := range []struct{ name, want string }{
		{"BenchmarkPostGrants/cloudcdn", "PASS"},
		{"BenchmarkPostGrants/akamai", "PASS"},
		{"BenchmarkPostGrants/gotipath", "not measured"},
		{"BenchmarkPostGrants/cloudfront", "FAIL"},
		{"BenchmarkMemoryStoreFootprint", "PASS"},
	} {
		var found bool
		for _, tg := range rp.targets {
			if strings.HasPrefix(tg.name, c.name+" ") || strings.HasPrefix(tg.name, c.name+",") {
				found = true
				if got := passWord(tg); got != c.want {
					t.Errorf("%s: %s (%s), want %s", c.name, got, tg.measured, c.want)
				}
			}
		}
		if !found {
			t.Errorf("no target for %s", c.name)
		}
	}
	if _, err := parseMicro(strings.NewReader("BenchmarkX 10 oops ns/op\n"), "bad"); err == nil {
		t.Error("a malformed benchmark line was accepted")
	}
}
