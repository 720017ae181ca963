package main

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run measured.
type report struct {
	command    string
	quick      bool
	cases      string // -cases, when the run was partial
	duration   time.Duration
	warmup     time.Duration
	when       time.Time
	work       string
	facts      facts
	loadBefore string
	loadAfter  string
	results    []*result
	storms     []stormResult
	micro      []microResult
	pairs      []*paired
	processes  []started
	targets    []target
}

// rateOf is the requests/s of the first measured case that matches.
func (rp *report) rateOf(match func(caseDef) bool) float64 {
	for _, r := range rp.results {
		if match(r.caseDef) {
			return r.rps
		}
	}
	return 0
}

// floorFor is the floor run a case is compared with: of the floor runs with
// the same generator and connection count (first and last of the run), the
// faster one. Comparing with the faster floor is the stricter reading when
// other work on the machine slowed one of them.
func (rp *report) floorFor(c caseDef) *result {
	var best *result
	for _, r := range rp.results {
		if r.kind == kindFloor && r.gen == c.gen && r.conns == c.conns && (best == nil || r.rps > best.rps) {
			best = r
		}
	}
	return best
}

// compute fills in the ratios and judges the targets.
func (rp *report) compute() {
	if rp.when.IsZero() {
		rp.when = time.Now()
	}
	for _, r := range rp.results {
		r.ratio, r.cpuRatio = math.NaN(), math.NaN()
		if f := rp.floorFor(r.caseDef); f != nil && f.rps > 0 {
			r.ratio = r.rps / f.rps
			if r.cpuUS > 0 {
				r.cpuRatio = f.cpuUS / r.cpuUS
			}
		}
	}
	rp.targets = rp.judge()
}

// disturbed is the share of the server core other work may take before a
// case is flagged.
const disturbed = 0.1

// target is one of the targets, judged on this run.
type target struct {
	name     string
	measured string
	pass     bool
	measure  bool // false: the run did not measure it
	// unsettled: the paired rounds disagree, so the run cannot say (never
	// a pass).
	unsettled bool
}

func (rp *report) find(match func(caseDef) bool) *result {
	for _, r := range rp.results {
		if match(r.caseDef) {
			return r
		}
	}
	return nil
}

// targeted is the main table's case of the ratio target want (see
// ratioTarget) at conns connections.
func (rp *report) targeted(want float64, conns int) *result {
	return rp.find(func(c caseDef) bool {
		w, _ := ratioTarget(c)
		return w == want && c.conns == conns
	})
}

func (rp *report) judge() []target {
	var ts []target
	for _, n := range []int{16, 64} {
		g := rp.targeted(grantsVsFloor, n)
		ts = append(ts, rp.ratioVerdict(fmt.Sprintf("POST /grants, Cloud CDN, memory store, logging + metrics + session write on, %d connections: ≥ %g × floor req/s", n, grantsVsFloor), g, rp.baseFor(g), grantsVsFloor))
		if n == 16 {
			t := target{name: "POST /grants, Cloud CDN, memory store, 16 connections: p99 < 1 ms"}
			if g != nil {
				t.measure = true
				t.measured = fmtDur(g.load.p99)
				t.pass = g.load.p99 < time.Millisecond && clean(g)
			}
			ts = append(ts, t)
		}
	}
	for _, n := range []int{16, 64} {
		r := rp.targeted(refreshVsFloor, n)
		ts = append(ts, rp.ratioVerdict(fmt.Sprintf("POST /refresh, nothing due, memory store, %d connections: ≥ %g × floor req/s", n, refreshVsFloor), r, rp.baseFor(r), refreshVsFloor))
	}
	for _, n := range []int{16, 64} {
		var m *result
		rd := rp.targeted(redisVsMemory, n)
		if rd != nil {
			_, base := ratioTarget(rd.caseDef)
			m = rp.find(func(c caseDef) bool { return c == base })
		}
		ts = append(ts, rp.ratioVerdict(fmt.Sprintf("POST /grants, Cloud CDN, Redis store, %d connections: ≥ %g × the memory store's grants/s", n, redisVsMemory), rd, m, redisVsMemory))
	}
	for _, n := range []int{16, 64} {
		r := rp.find(func(c caseDef) bool {
			return c.kind == kindGrants && c.format == "cloudfront-ecdsa" && c.conns == n
		})
		t := target{name: fmt.Sprintf("POST /grants, CloudFront ECDSA P-256, %d connections: ≥ 12 000 grants/s", n)}
		if r != nil {
			t.measure = true
			t.measured = fmt.Sprintf("%.0f req/s", r.rps)
			t.pass = r.rps >= 12000 && clean(r)
		}
		ts = append(ts, t)
	}
	for _, f := range []string{"cloudfront-ecdsa", "cloudfront-rsa"} {
		t1 := target{name: fmt.Sprintf("200 concurrent POST /refresh of one due session, %s: exactly 1 signature", f)}
		t2 := target{name: fmt.Sprintf("200 concurrent POST /refresh of one due session, %s: p99 < 50 ms", f)}
		for _, s := range rp.storms {
			if s.format != f {
				continue
			}
			allOK := s.ok == s.n && s.distinct == 1 && s.resigned
			t1.measure, t2.measure = true, true
			t1.measured = fmt.Sprintf("%.0f signature(s); %d/%d answered 200, %d distinct cookie set(s), re-signed: %v", s.sigs, s.ok, s.n, s.distinct, s.resigned)
			t1.pass = s.sigs == 1 && allOK
			t2.measured = fmt.Sprintf("p99 %s (p50 %s, max %s)", fmtDur(s.p99), fmtDur(s.p50), fmtDur(s.max))
			t2.pass = s.p99 < 50*time.Millisecond && s.ok == s.n
		}
		ts = append(ts, t1, t2)
	}
	return append(ts, rp.microTargets()...)
}

// clean says every request of r was answered 2xx.
func clean(r *result) bool { return r.load.requests > 0 && r.load.ok == r.load.requests }

// baseFor is the floor run a floor-ratio target's case r is compared with
// in the main table (nil for a nil r).
func (rp *report) baseFor(r *result) *result {
	if r == nil {
		return nil
	}
	return rp.floorFor(r.caseDef)
}

// pairedFor is the paired rounds of the case c, if the run measured them.
func (rp *report) pairedFor(c caseDef) *paired {
	for _, p := range rp.pairs {
		if p.caseDef == c {
			return p
		}
	}
	return nil
}

// ratioVerdict judges a ratio target of r to base: on r's paired rounds
// when the run has them (the median round; every round's case must be
// clean), else on the main table's two runs.
func (rp *report) ratioVerdict(name string, r, base *result, want float64) target {
	t := target{name: name}
	if r == nil || base == nil || base.rps <= 0 {
		return t
	}
	t.measure = true
	q := r.rps / base.rps
	table := fmt.Sprintf("%.2f × (%.0f vs %.0f req/s)", q, r.rps, base.rps)
	p := rp.pairedFor(r.caseDef)
	if p == nil || len(p.cases) == 0 {
		t.measured = table
		t.pass = q >= want && clean(r)
		return t
	}
	m := p.median()
	t.measured = fmt.Sprintf("%.2f ×, the median of %d paired rounds (%s); the main table's runs: %s", m, len(p.cases), fmtRatios(p.ratios()), table)
	t.pass = m >= want && clean(r)
	for i, c := range p.cases {
		// A failed request in either run of a round fails the target; a
		// base that served nothing makes the round's ratio NaN, which
		// compares false above.
		t.pass = t.pass && clean(c) && clean(p.bases[i])
	}
	if !p.settled() {
		t.unsettled, t.pass = true, false
		t.measured += fmt.Sprintf("; fewer than half the rounds within %.2f of the median: the machine's speed moved within rounds, run it again", settleBand)
	}
	return t
}

// settleBand is how far from the median a round may be and still agree.
const settleBand = 0.05

// settled says at least half the rounds (rounded up; the median's own
// included) lie within settleBand of the median. When they do not, the
// machine's speed moved within rounds (a floor slower than the case next to
// it, say) and the median says little.
func (p *paired) settled() bool {
	m, n := p.median(), 0
	for _, r := range p.ratios() {
		if math.Abs(r-m) <= settleBand+1e-9 {
			n++
		}
	}
	return n >= (len(p.cases)+1)/2
}

var pairColumns = []string{"case", "conns", "round", "base", "first", "base req/s", "case req/s", "case ÷ base", "case p99", "errors"}

func (p *paired) rows() [][]string {
	var out [][]string
	rs := p.ratios()
	_, base := ratioTarget(p.caseDef)
	for i, c := range p.cases {
		first := "base"
		if i%2 == 1 {
			first = "case"
		}
		out = append(out, []string{p.label(), fmt.Sprint(p.conns), fmt.Sprint(i + 1), baseName(base), first,
			fmt.Sprintf("%.0f", p.bases[i].rps), fmt.Sprintf("%.0f", c.rps), fmtNum(rs[i], 2), fmtDur(c.load.p99), fmtErrors(c)})
	}
	return append(out, []string{p.label(), fmt.Sprint(p.conns), "median", "", "", "", "", fmtNum(p.median(), 2), "", ""})
}

// fmtDur prints a latency with a sensible unit.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fmtNum(v float64, prec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func fmtErrors(r *result) string {
	bad := r.load.requests - r.load.ok
	if bad == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", bad, r.load.codes)
}

func storeCell(c caseDef) string {
	if c.store == "" {
		return "–"
	}
	return c.store
}

func formatCell(c caseDef) string {
	if c.format == "" {
		return "–"
	}
	return c.format
}

// columns of the results table.
var columns = []string{"case", "format", "store", "generator", "conns", "req/s", "p50", "p99",
	"server CPU µs/req", "server cores", "others on server core", "redis CPU µs/req", "signatures/req", "× floor req/s", "× floor CPU", "errors"}

func (r *result) cells() []string {
	return []string{
		r.label(), formatCell(r.caseDef), storeCell(r.caseDef), r.gen, fmt.Sprint(r.conns),
		fmt.Sprintf("%.0f", r.rps), fmtDur(r.load.p50), fmtDur(r.load.p99),
		fmtNum(r.cpuUS, 1), fmtNum(r.core, 2), fmtNum(r.others, 2), fmtNum(r.redisUS, 1), fmtNum(r.sigs, 3),
		fmtNum(r.ratio, 2), fmtNum(r.cpuRatio, 2), fmtErrors(r),
	}
}

var stormColumns = []string{"format", "requests", "answered 200", "signatures", "distinct cookie sets", "p50", "p99", "max", "server CPU ms", "session age"}

func (s stormResult) cells() []string {
	return []string{s.format, fmt.Sprint(s.n), fmt.Sprint(s.ok), fmt.Sprintf("%.0f", s.sigs), fmt.Sprint(s.distinct),
		fmtDur(s.p50), fmtDur(s.p99), fmtDur(s.max), fmt.Sprintf("%.0f", s.cpuMS), fmt.Sprintf("%.1f s of %s", s.age.Seconds(), s.ttl)}
}

func passWord(t target) string {
	switch {
	case !t.measure:
		return "not measured"
	case t.unsettled:
		return "UNSETTLED"
	case t.pass:
		return "PASS"
	}
	return "FAIL"
}

// table is the plain-text report printed to stdout.
func (rp *report) table() string {
	var b strings.Builder
	var rows [][]string
	for _, r := range rp.results {
		rows = append(rows, r.cells())
	}
	textTable(&b, columns, rows)
	if len(rp.storms) > 0 {
		b.WriteString("\nrefresh storms (200 concurrent POST /refresh, one due session, memory store)\n")
		rows = nil
		for _, s := range rp.storms {
			rows = append(rows, s.cells())
		}
		textTable(&b, stormColumns, rows)
	}
	if len(rp.micro) > 0 {
		b.WriteString("\nin-process benchmarks (go test -bench, pinned to the load core)\n")
		textTable(&b, microColumns, rp.microRows())
	}
	if len(rp.pairs) > 0 {
		b.WriteString("\npaired rounds (the ratio targets' case and its base back to back)\n")
		rows = nil
		for _, p := range rp.pairs {
			rows = append(rows, p.rows()...)
		}
		textTable(&b, pairColumns, rows)
	}
	b.WriteString("\ntargets\n")
	for _, t := range rp.targets {
		fmt.Fprintf(&b, "  %-12s %s: %s\n", passWord(t), t.name, t.measured)
	}
	var notes []string
	for _, r := range rp.results {
		if r.note != "" {
			notes = append(notes, fmt.Sprintf("  %s, %d connections: %s", r.series(), r.conns, r.note))
		}
		if r.others > disturbed {
			notes = append(notes, fmt.Sprintf("  %s, %d connections: other work used %.2f of the server core", r.series(), r.conns, r.others))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nnotes\n" + strings.Join(notes, "\n") + "\n")
	}
	fmt.Fprintf(&b, "\nload average before %s, after %s\n", rp.loadBefore, rp.loadAfter)
	return b.String()
}

// textTable writes cols and rows to b as aligned plain-text columns.
func textTable(b *strings.Builder, cols []string, rows [][]string) {
	w := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(cols, "\t"))
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
}

func mdRow(cells []string) string {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

func mdHeader(cols []string) string {
	seps := make([]string, len(cols))
	for i := range seps {
		seps[i] = "---"
	}
	return mdRow(append([]string(nil), cols...)) + "| " + strings.Join(seps, " | ") + " |\n"
}

// markdown is docs/performance.md: generated, never edited by hand.
func (rp *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# tokensvc performance\n\n")
	p("<!-- Generated by `%s`; do not edit by hand: run it again. -->\n\n", rp.command)
	if rp.quick {
		p("**Smoke run (-quick): a few cases, short runs. Not a measurement to quote.**\n\n")
	}
	if rp.cases != "" {
		p("**Partial run: only the floors and the cases matching `%s`.**\n\n", rp.cases)
	}
	p("Measured %s with\n\n```sh\n%s\n```\n\n", rp.when.UTC().Format("2006-01-02 15:04 MST"), rp.command)

	p("## Method\n\n")
	p("- Each server (a fresh process per case) is pinned to core 0 with `taskset -c 0`; the load generator to core 1 with `taskset -c 1`. ")
	p("The Redis cases' own `redis-server` (loopback, persistence off, emptied before each case) is pinned to core 0 with tokensvc: its CPU is part of the service's cost on that core, and is shown in its own column. ")
	p("The harness itself (granting sessions, the storms) is pinned to core 1. Everything listens on 127.0.0.1; keep-alive is on.\n")
	p("- The **floor** (`bench/floor`) is a plain net/http handler that writes one fixed `Set-Cookie` and answers 204: the least a Go HTTP server does per request.\n")
	p("- **Floor replaying** a route: the same floor server, with tokensvc's server timeouts, answering every request with the status, headers and body a fresh tokensvc gave to the same request (`floor -replay`; captured at the start of the case). It costs what net/http and the kernel cost for tokensvc's answer, so the CPU µs/req between it and the route's own row is tokensvc's work (routing, auth, decoding, policy, signing, the store, logging, metrics), and its × floor is the most any net/http server sending those bytes could reach.\n")
	p("- The **plain chi handler** (`floor -chi`) is the issue's reference point, \"a plain chi handler with no store\": a chi router whose POST /grants checks the bearer token, decodes the body with encoding/json, checks the subject, signs one Cloud CDN cookie with tokensvc's signer and answers 201 with the Set-Cookie and a small JSON body, with tokensvc's server timeouts. No session store, access log, metrics, request id, CORS or problem documents.\n")
	p("- tokensvc runs as in production: dev mode off, configured only through `TOKENSVC_*` variables, keys made by `tokensvc keygen`, access logging on (`TOKENSVC_LOG_LEVEL=info`, JSON, to a file), metrics on, and every grant writes its session to the store. ")
	p("Grants are `GUEST_NEW`; refreshes are `LOGGED_IN` (rolling) sessions with the `tokensvc_session` cookie and an allowed `Origin`.\n")
	p("- Load is closed-loop at %s connections, %s measured per case after %s of unmeasured warm-up (the re-sign case has none: its pool is spent once). ", joinInts(connsOf(rp)), rp.duration, rp.warmup)
	p("**bombardier** (fasthttp) sends one fixed request; **vegeta** sends a different request each time from a JSON targets file (the re-sign case needs a different session each time). ")
	p("vegeta costs its core about twice what bombardier does per request, so it gets a floor of its own: **every ratio is against the floor measured in this run with the same generator and connection count**")
	if !rp.quick {
		p(" (the floor runs first and again last; the faster of the two is used)")
	}
	p(".\n")
	if len(rp.pairs) > 0 {
		p("- **Paired rounds** (the ratio targets: grants and refresh against the floor, the Redis store against the memory store): after the main table, each targeted case and its base run back to back %d more times, each a fresh process with the same warm-up and measured time, the base first in odd rounds and the case first in even ones. ", len(rp.pairs[0].cases))
		p("A round's ratio is the case's requests/s over that round's base; the verdict takes the median round, and is UNSETTLED (never a pass) when fewer than half the rounds lie within %.2f of the median. The machine's speed drifts over a run by more than the targets' margins (compare the floor's first and last rows, or the replay rows, between runs), and two runs seconds apart share most of the drift.\n", settleBand)
	}
	p("- *server CPU µs/req* is the server process's utime+stime from `/proc/PID/stat` (all threads) over the run, divided by the requests served; *server cores* is that CPU over the run's wall time. ")
	p("Near 1.0 the server's core was the limit; well below it, the generator was (or other work took the core: *others on server core* is the core's busy time, from `/proc/stat`, that the case's own processes did not use, hypervisor steal included). *× floor CPU* is the floor's CPU per request over the case's: the throughput ratio the case would have if the server's core alone were the limit.\n")
	p("- *signatures/req* is the change of `tokensvc_signatures_total` over the run divided by the requests: 1 for a grant, 0 when nothing is due, 1 when every refresh re-signs.\n")
	p("- **Re-sign due**: tokensvc re-signs a `LOGGED_IN` session's cookies once they pass half their lifetime T. The case sets a short T (`TOKENSVC_LOGGED_IN_TTL`), grants a pool of sessions larger than the run can reach, waits until the youngest is past T/2, then hits each session once before the oldest ends; T is chosen from the grant time and the run length (see the notes). ")
	p("It is a cold re-sign: no other request of that session came first.\n")
	p("- **Storms**: one `LOGGED_IN` session with a 4 s lifetime is granted; 200 connections are opened; once its cookies are past half their life, 200 goroutines released at once each send one `POST /refresh` with it. Latency is measured by the Go client, from send to full answer.\n\n")

	p("## Results\n\n")
	b.WriteString(mdHeader(columns))
	for _, r := range rp.results {
		b.WriteString(mdRow(r.cells()))
	}
	p("\n")
	var notes []string
	for _, r := range rp.results {
		if r.note != "" {
			notes = append(notes, fmt.Sprintf("- %s, %d connections: %s.", r.series(), r.conns, r.note))
		}
		if r.others > disturbed {
			notes = append(notes, fmt.Sprintf("- %s, %d connections: other work used %.2f of the server core during the run; read its numbers with care.", r.series(), r.conns, r.others))
		}
		if r.warnings > 0 {
			notes = append(notes, fmt.Sprintf("- %s, %d connections: tokensvc logged %d warning or error lines.", r.series(), r.conns, r.warnings))
		}
	}
	if len(notes) > 0 {
		p("%s\n\n", strings.Join(notes, "\n"))
	}
	if len(rp.storms) > 0 {
		p("### Refresh storms\n\n200 concurrent `POST /refresh` with one due session (memory store).\n\n")
		b.WriteString(mdHeader(stormColumns))
		for _, s := range rp.storms {
			b.WriteString(mdRow(s.cells()))
		}
		p("\n")
	}
	if len(rp.pairs) > 0 {
		p("### Paired rounds\n\nThe ratio targets' cases, run again next to their base (the floor, or the memory store for the Redis target; see Method); the verdict takes the median round.\n\n")
		b.WriteString(mdHeader(pairColumns))
		for _, pr := range rp.pairs {
			for _, row := range pr.rows() {
				b.WriteString(mdRow(row))
			}
		}
		p("\n")
	}
	if len(rp.micro) > 0 {
		p("### In-process benchmarks\n\nThe allocation and memory targets are Go benchmarks, not load: each test binary (`go test -c`) runs pinned to the load generator's core once the load cases are done, and its output is read with `golang.org/x/perf/benchfmt`. `BenchmarkPostGrants` is one `POST /grants` through the whole router with the access log and metrics on (`-test.benchtime %s` a format); `BenchmarkMemoryStoreFootprint` puts one million live sessions in the memory store and reports the heap they hold.\n\n", microBenches[0].benchtime)
		b.WriteString(mdHeader(microColumns))
		for _, row := range rp.microRows() {
			b.WriteString(mdRow(row))
		}
		p("\n")
	}
	p("![requests/s and p99 against connections](performance.svg)\n\n")

	p("## Targets\n\n")
	p("From the issue; judged on this run only (a case with any failed request fails its target; the ratio targets on the paired rounds when the run has them).\n\n")
	b.WriteString(mdHeader([]string{"target", "measured", "verdict"}))
	for _, t := range rp.targets {
		m := t.measured
		if !t.measure {
			m = "–"
		}
		b.WriteString(mdRow([]string{t.name, m, passWord(t)}))
	}
	p("\n")

	if reading := rp.reading(); reading != "" {
		p("### What the targets ask per request\n\n%s\n", reading)
	}

	p("## Machine\n\n")
	f := rp.facts
	p("- `nproc`: %d; CPU model: %s; memory: %s\n", f.nproc, f.cpuModel, f.memory)
	p("- kernel: %s\n", f.kernel)
	p("- Go: %s\n", f.goVersion)
	p("- %s\n", f.redis)
	for _, g := range []string{bombardier, vegeta} {
		if v, ok := f.generators[g]; ok {
			p("- %s: %s\n", g, v)
		}
	}
	p("- load average (1, 5, 15 min) before the run: %s; after: %s. The machine may have been doing other work.\n", rp.loadBefore, rp.loadAfter)
	return b.String()
}

func connsOf(rp *report) []int {
	seen := map[int]bool{}
	var out []int
	for _, r := range rp.results {
		if !seen[r.conns] {
			seen[r.conns] = true
			out = append(out, r.conns)
		}
	}
	return out
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " and ")
}

// reading turns the ratio targets into per-request budgets, from this run's
// numbers: with both servers held to one core, a throughput ratio is close
// to a ratio of CPU per request, and a closed loop of N connections at R
// requests/s has a mean latency of N/R (Little's law).
func (rp *report) reading() string {
	var b strings.Builder
	budget := func(r *result, want float64, what string) {
		f := rp.floorFor(r.caseDef)
		if f == nil || r.cpuUS <= 0 {
			return
		}
		fmt.Fprintf(&b, "- %s, %d connections: the floor spent %.1f µs of CPU a request, so %.2f of its rate leaves %.1f µs a request; tokensvc spent %.1f µs (%.1f µs over the floor).\n",
			what, r.conns, f.cpuUS, want, f.cpuUS/want, r.cpuUS, r.cpuUS-f.cpuUS)
	}
	for _, t := range []struct {
		want float64
		what string
	}{{grantsVsFloor, "POST /grants"}, {refreshVsFloor, "POST /refresh, nothing due"}} {
		for _, r := range rp.results {
			if w, _ := ratioTarget(r.caseDef); w == t.want {
				budget(r, t.want, t.what)
			}
		}
	}
	// The chi reference and the log-off grants, each next to the logged
	// grants of its connection count (ratios as compute set them).
	for _, r := range rp.results {
		if math.IsNaN(r.ratio) {
			continue
		}
		g := rp.targeted(grantsVsFloor, r.conns)
		switch {
		case r.kind == kindChi:
			fmt.Fprintf(&b, "- The issue's own reference, a plain chi handler with no store (`floor -chi`), %d connections: %.2f × the floor's req/s, %.1f µs of CPU a request (the issue: 0.61).", r.conns, r.ratio, r.cpuUS)
			if g != nil && !math.IsNaN(g.ratio) {
				fmt.Fprintf(&b, " tokensvc's grants, with the store, access log and metrics on: %.2f ×, %.1f µs.", g.ratio, g.cpuUS)
			}
			b.WriteString("\n")
		case r.kind == kindGrants && r.setting == logOff && g != nil && !math.IsNaN(g.ratio):
			fmt.Fprintf(&b, "- The access log, %d connections: with it off (`%s`) grants reached %.2f × the floor, %.1f µs a request; with it on, %.2f ×, %.1f µs.\n", r.conns, logOff, r.ratio, r.cpuUS, g.ratio, g.cpuUS)
		}
	}
	if g := rp.targeted(grantsVsFloor, 16); g != nil && g.rps > 0 {
		fmt.Fprintf(&b, "- p99 under 1 ms at 16 connections: 16 requests always in flight at %.0f req/s wait %s on average (16 ÷ rate); the p99 was %s. Below 1 ms takes a rate well above 16 000 req/s and a tail close to the mean.\n",
			g.rps, fmtDur(time.Duration(16/g.rps*float64(time.Second))), fmtDur(g.load.p99))
	}
	return b.String()
}
