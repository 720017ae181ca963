package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Case kinds.
const (
	kindFloor   = "floor"   // the floor server
	kindGrants  = "grants"  // POST /grants, a new GUEST_NEW session each time
	kindRefresh = "refresh" // POST /refresh, nothing due
	kindResign  = "resign"  // POST /refresh, a re-sign due on every request
	kindReplay  = "replay"  // the floor server answering with a tokensvc answer
	kindChi     = "chi"     // the floor server as a plain chi grant handler, no store
)

// caseDef is one row of the table.
type caseDef struct {
	kind   string
	format string // a formatKeys name ("" for the floor)
	store  string // memory or redis ("" for the floor)
	gen    string // bombardier or vegeta
	conns  int
	pool   int // refresh: sessions the load is spread over
	round  int // floor: 1 measured first, 2 measured last
	// setting: one TOKENSVC_NAME=value tokensvc runs with on top of the
	// harness's configuration (grants only; "" is the default
	// configuration): the Redis flush delay, or the access log off.
	setting string
	// replay: which answer the floor replays, "grants" or "refresh" (the
	// cloudcdn grants and not-due refresh cases' answers, captured at the
	// start of the case from a real tokensvc).
	replays string
	// pair: one of the paired rounds of a ratio target (1, 2, ...; 0 for
	// the main table's runs).
	pair int
}

// series names a case without its connection count: one line of the plot.
func (c caseDef) series() string {
	switch c.kind {
	case kindFloor:
		return "floor (" + c.gen + ")"
	case kindGrants:
		if c.setting != "" {
			return fmt.Sprintf("grants %s %s, %s (%s)", c.format, c.store, c.setting, c.gen)
		}
		return fmt.Sprintf("grants %s %s (%s)", c.format, c.store, c.gen)
	case kindRefresh:
		if c.pool > 1 {
			return fmt.Sprintf("refresh not due %s %s, %d sessions (%s)", c.format, c.store, c.pool, c.gen)
		}
		return fmt.Sprintf("refresh not due %s %s (%s)", c.format, c.store, c.gen)
	case kindResign:
		return fmt.Sprintf("refresh re-sign due %s %s (%s)", c.format, c.store, c.gen)
	case kindReplay:
		return fmt.Sprintf("floor replaying %s %s (%s)", c.replays, c.format, c.gen)
	case kindChi:
		return fmt.Sprintf("plain chi grant handler, no store %s (%s)", c.format, c.gen)
	}
	return c.kind
}

// label is the table's first column.
func (c caseDef) label() string {
	switch c.kind {
	case kindFloor:
		if c.round == 2 {
			return "floor, again at the end"
		}
		return "floor"
	case kindGrants:
		if c.setting != "" {
			return "POST /grants " + c.format + ", " + c.setting
		}
		return "POST /grants " + c.format
	case kindRefresh:
		if c.pool > 1 {
			return fmt.Sprintf("POST /refresh not due, %d sessions", c.pool)
		}
		return "POST /refresh not due, 1 session"
	case kindResign:
		return "POST /refresh re-sign due"
	case kindReplay:
		if c.replays == "refresh" {
			return "floor replaying POST /refresh not due"
		}
		return "floor replaying POST /grants"
	case kindChi:
		return "plain chi POST /grants, no store, log or metrics"
	}
	return c.kind
}

// tag is a file-name-safe id of the case.
func (c caseDef) tag() string {
	var parts []string
	set := ""
	if c.setting != "" {
		name, value, _ := strings.Cut(strings.TrimPrefix(c.setting, "TOKENSVC_"), "=")
		set = strings.ToLower(strings.ReplaceAll(name, "_", "")) + value
	}
	pair := ""
	if c.pair > 0 {
		pair = fmt.Sprintf("p%d", c.pair)
	}
	for _, p := range []string{c.kind, c.replays, c.format, c.store, set, c.gen, fmt.Sprintf("c%d", c.conns), fmt.Sprintf("r%d", c.round), pair} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "-")
}

// result is one measured case.
type result struct {
	caseDef
	load     loadResult
	rps      float64
	cpuUS    float64 // server CPU µs per request
	core     float64 // server CPU over the run's wall time, in cores
	redisUS  float64 // redis-server CPU µs per request (NaN: no Redis)
	others   float64 // the server core's busy time not spent by the case's processes, in cores
	sigs     float64 // tokensvc_signatures_total delta per request (NaN: floor)
	ratio    float64 // rps over the floor's (same generator and connections)
	cpuRatio float64 // floor CPU µs per request over this case's
	warnings int     // warn/error lines tokensvc logged
	note     string
}

// stormResult is one refresh storm.
type stormResult struct {
	format    string
	n         int
	ok        int
	sigs      float64
	p50, p99  time.Duration
	max       time.Duration
	distinct  int  // distinct CDN cookie sets handed out
	resigned  bool // they differ from the grant's: a re-sign happened
	ttl       time.Duration
	age       time.Duration // age of the session when the storm hit
	cpuMS     float64       // server CPU for the whole storm
	errorText string
}

// plan lists the cases of a run, in the order they run. The floor runs
// first and again last, so drift from other work on the machine shows.
// -cases keeps the floors and the matching cases.
func plan(o options) []caseDef {
	all := fullPlan(o)
	if o.cases == "" {
		return all
	}
	re := regexp.MustCompile(o.cases) // checked by parseFlags
	var cs []caseDef
	for _, c := range all {
		if c.kind == kindFloor || re.MatchString(c.series()) {
			cs = append(cs, c)
		}
	}
	return cs
}

func fullPlan(o options) []caseDef {
	var cs []caseDef
	add := func(c caseDef) {
		for _, n := range o.conns {
			c.conns = n
			cs = append(cs, c)
		}
	}
	const pool = 1000
	replays := func() {
		for _, what := range []string{"grants", "refresh"} {
			add(caseDef{kind: kindReplay, replays: what, format: "cloudcdn", gen: bombardier})
		}
		add(caseDef{kind: kindChi, format: "cloudcdn", gen: bombardier})
	}
	if o.quick {
		add(caseDef{kind: kindFloor, gen: bombardier, round: 1})
		add(caseDef{kind: kindFloor, gen: vegeta, round: 1})
		replays()
		add(caseDef{kind: kindGrants, format: "cloudcdn", store: "memory", gen: bombardier})
		add(caseDef{kind: kindGrants, format: "cloudcdn", store: "redis", gen: bombardier})
		add(caseDef{kind: kindRefresh, format: "cloudcdn", store: "memory", gen: bombardier, pool: 1})
		add(caseDef{kind: kindRefresh, format: "cloudcdn", store: "memory", gen: vegeta, pool: pool})
		add(caseDef{kind: kindResign, format: "cloudcdn", store: "memory", gen: vegeta})
		return cs
	}
	add(caseDef{kind: kindFloor, gen: bombardier, round: 1})
	add(caseDef{kind: kindFloor, gen: vegeta, round: 1})
	replays()
	add(caseDef{kind: kindGrants, format: "cloudcdn", store: "memory", gen: bombardier})
	add(caseDef{kind: kindGrants, format: "cloudcdn", store: "redis", gen: bombardier})
	// The same without the autopipeliner's flush delay (go-redis's own
	// coalescing, the lowest latency on an idle service).
	add(caseDef{kind: kindGrants, format: "cloudcdn", store: "redis", gen: bombardier, setting: "TOKENSVC_REDIS_FLUSH_DELAY=0s"})
	// The memory store's grants with the access log off (it logs warnings
	// and errors only): what one log line a request costs.
	add(caseDef{kind: kindGrants, format: "cloudcdn", store: "memory", gen: bombardier, setting: logOff})
	for _, f := range []string{"akamai", "gotipath", "cloudfront-ecdsa", "cloudfront-rsa"} {
		add(caseDef{kind: kindGrants, format: f, store: "memory", gen: bombardier})
	}
	for _, st := range []string{"memory", "redis"} {
		add(caseDef{kind: kindRefresh, format: "cloudcdn", store: st, gen: bombardier, pool: 1})
	}
	for _, st := range []string{"memory", "redis"} {
		add(caseDef{kind: kindRefresh, format: "cloudcdn", store: st, gen: vegeta, pool: pool})
	}
	for _, st := range []string{"memory", "redis"} {
		add(caseDef{kind: kindResign, format: "cloudcdn", store: st, gen: vegeta})
	}
	add(caseDef{kind: kindFloor, gen: bombardier, round: 2})
	add(caseDef{kind: kindFloor, gen: vegeta, round: 2})
	return cs
}

// stormFormats are the formats whose refresh storm is measured.
func stormFormats(o options) []string {
	fs := []string{"cloudfront-ecdsa", "cloudfront-rsa"}
	if o.quick {
		fs = fs[:1]
	}
	if o.cases == "" {
		return fs
	}
	re := regexp.MustCompile(o.cases)
	var out []string
	for _, f := range fs {
		if re.MatchString("storm " + f) {
			out = append(out, f)
		}
	}
	return out
}

// runCases runs the plan, then the storms.
func (h *harness) runCases(ctx context.Context, rep *report) error {
	cases := plan(h.o)
	for i, c := range cases {
		h.logf("[%d/%d] %s, %d connections", i+1, len(cases), c.series(), c.conns)
		r, err := h.runCase(ctx, c, rep)
		if err != nil {
			return fmt.Errorf("%s, %d connections: %w", c.series(), c.conns, err)
		}
		h.logf("    %.0f req/s, p50 %s, p99 %s, %.1f µs CPU/req, %s", r.rps, r.load.p50, r.load.p99, r.cpuUS, r.load.codes)
		rep.results = append(rep.results, r)
	}
	for _, c := range cases {
		if want, _ := ratioTarget(c); h.o.pairs == 0 || want == 0 {
			continue
		}
		p, err := h.pairedRounds(ctx, c)
		if err != nil {
			return fmt.Errorf("%s, %d connections, paired rounds: %w", c.series(), c.conns, err)
		}
		h.logf("    paired rounds: %s, median %.2f", fmtRatios(p.ratios()), p.median())
		rep.pairs = append(rep.pairs, p)
	}
	for _, f := range stormFormats(h.o) {
		h.logf("storm: 200 concurrent POST /refresh, %s", f)
		s, err := h.storm(ctx, f)
		if err != nil {
			return fmt.Errorf("storm %s: %w", f, err)
		}
		h.logf("    %d signature(s), p99 %s, %d/%d ok", int(s.sigs), s.p99, s.ok, s.n)
		rep.storms = append(rep.storms, s)
	}
	return nil
}

// runCase measures one case of any kind.
func (h *harness) runCase(ctx context.Context, c caseDef, rep *report) (*result, error) {
	switch c.kind {
	case kindFloor:
		return h.floorCase(ctx, c)
	case kindGrants:
		return h.grantsCase(ctx, c)
	case kindRefresh:
		return h.refreshCase(ctx, c)
	case kindResign:
		return h.resignCase(ctx, c, rep)
	case kindReplay:
		return h.replayCase(ctx, c)
	case kindChi:
		return h.chiCase(ctx, c)
	}
	return nil, fmt.Errorf("unknown case kind %q", c.kind)
}

// logOff is the setting of the grants row with the access log off (it is
// written at info).
const logOff = "TOKENSVC_LOG_LEVEL=warn"

// The ratio targets.
const (
	grantsVsFloor  = 0.65 // POST /grants, Cloud CDN, memory store, against the floor
	refreshVsFloor = 0.8  // POST /refresh, nothing due, memory store, against the floor
	redisVsMemory  = 0.5  // POST /grants, Cloud CDN, the Redis store against the memory store
)

// ratioTarget is the ratio for the cases that have one, and the
// case it is a ratio to: the floor's requests/s for POST /grants Cloud CDN
// and POST /refresh not due (memory store, one fixed request), the memory
// store's grants/s for the Redis store's. want is 0 for the other cases.
func ratioTarget(c caseDef) (want float64, base caseDef) {
	floor := caseDef{kind: kindFloor, gen: c.gen, conns: c.conns}
	switch {
	case c.kind == kindGrants && c.format == "cloudcdn" && c.store == "memory" && c.gen == bombardier && c.setting == "":
		return grantsVsFloor, floor
	case c.kind == kindGrants && c.format == "cloudcdn" && c.store == "redis" && c.gen == bombardier && c.setting == "":
		m := c
		m.store = "memory"
		return redisVsMemory, m
	case c.kind == kindRefresh && c.pool == 1 && c.store == "memory" && c.gen == bombardier:
		return refreshVsFloor, floor
	}
	return 0, caseDef{}
}

// paired is a ratio target's case measured again in rounds, each against
// its base case (the floor, or the memory store) run right next to it.
type paired struct {
	caseDef
	bases, cases []*result // round i is bases[i] and cases[i]
}

func (p *paired) ratios() []float64 {
	out := make([]float64, len(p.cases))
	for i := range p.cases {
		out[i] = math.NaN()
		if p.bases[i].rps > 0 {
			out[i] = p.cases[i].rps / p.bases[i].rps
		}
	}
	return out
}

// median is the median round ratio (the mean of the middle two for an even
// count).
func (p *paired) median() float64 {
	r := p.ratios()
	if len(r) == 0 {
		return math.NaN()
	}
	sort.Float64s(r)
	if n := len(r); n%2 == 0 {
		return (r[n/2-1] + r[n/2]) / 2
	}
	return r[len(r)/2]
}

func fmtRatios(rs []float64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmtNum(r, 2)
	}
	return strings.Join(s, ", ")
}

// pairedRounds measures c against its base case in h.o.pairs rounds: each
// round runs the two back to back (fresh processes, the same warm-up and
// measured time as the main table), the base first in odd rounds and c
// first in even ones, so that neither always gets the warmer machine. The
// machine's speed drifts over a run by more than the targets' margins; two
// runs seconds apart share most of it.
func (h *harness) pairedRounds(ctx context.Context, c caseDef) (*paired, error) {
	_, base := ratioTarget(c)
	p := &paired{caseDef: c}
	for i := 1; i <= h.o.pairs; i++ {
		bc, cc := base, c
		bc.pair, cc.pair = i, i
		var b, r *result
		var err error
		if i%2 == 1 {
			if b, err = h.runCase(ctx, bc, nil); err == nil {
				r, err = h.runCase(ctx, cc, nil)
			}
		} else {
			if r, err = h.runCase(ctx, cc, nil); err == nil {
				b, err = h.runCase(ctx, bc, nil)
			}
		}
		if err != nil {
			return nil, err
		}
		h.logf("    round %d: %s %.0f req/s, case %.0f req/s (%s)", i, baseName(base), b.rps, r.rps, r.load.codes)
		p.bases, p.cases = append(p.bases, b), append(p.cases, r)
	}
	return p, nil
}

// baseName names a ratio's base case in the report.
func baseName(c caseDef) string {
	if c.kind == kindFloor {
		return "floor"
	}
	return c.store + " store"
}

// warm runs unmeasured load first: connections open, heaps and pools grow
// to their working size.
func (h *harness) warm(ctx context.Context, ls loadSpec, tag string) error {
	if h.o.warmup <= 0 {
		return nil
	}
	ls.duration = h.o.warmup
	_, err := h.runLoad(ctx, ls, tag+"-warmup")
	return err
}

func (h *harness) floorCase(ctx context.Context, c caseDef) (*result, error) {
	return h.floorGrants(ctx, c, nil)
}

// floorGrants measures the floor server, started with env and args, under
// the grants case's load.
func (h *harness) floorGrants(ctx context.Context, c caseDef, env []string, args ...string) (*result, error) {
	s, err := h.startFloor(ctx, c.tag(), env, args...)
	if err != nil {
		return nil, err
	}
	defer h.stopServer(s)
	ls := loadSpec{gen: c.gen, conns: c.conns, duration: h.o.duration, req: h.grantsRequest(s.url)}
	if err := h.warm(ctx, ls, c.tag()); err != nil {
		return nil, err
	}
	return h.measure(ctx, c, s, ls, c.tag())
}

// replayCase runs the floor server answering every request with the answer
// tokensvc gave to the same request (captured first from a fresh tokensvc,
// configured as the real case is), under the same load as the real case.
// The gap between it and the real case is tokensvc's own work; the gap
// between it and the floor is what net/http and the kernel cost for
// tokensvc's bigger answer.
func (h *harness) replayCase(ctx context.Context, c caseDef) (*result, error) {
	file, req, err := h.capture(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("capturing the answer to replay: %w", err)
	}
	s, err := h.startFloor(ctx, c.tag(), nil, "-replay", file)
	if err != nil {
		return nil, err
	}
	defer h.stopServer(s)
	req.url = s.url + req.url
	ls := loadSpec{gen: c.gen, conns: c.conns, duration: h.o.duration, req: req}
	if err := h.warm(ctx, ls, c.tag()); err != nil {
		return nil, err
	}
	return h.measure(ctx, c, s, ls, c.tag())
}

// chiCase runs the floor server as a plain chi service granting Cloud CDN
// cookies with no store, access log or metrics (floor -chi): the issue's
// reference point ("a plain chi handler with no store reaches 0.61"),
// under the grants case's load and with tokensvc's server timeouts.
func (h *harness) chiCase(ctx context.Context, c caseDef) (*result, error) {
	key, ok := h.keys[c.format]
	if !ok || c.format != "cloudcdn" {
		return nil, fmt.Errorf("the plain chi handler signs Cloud CDN only, not %q", c.format)
	}
	return h.floorGrants(ctx, c, []string{"FLOOR_API_TOKEN=" + h.token}, "-chi", key, "-cdn-base", cdnBase)
}

// capture makes one real request of the kind c replays to a fresh tokensvc
// (cloudcdn, memory store) and records the answer in a file for the floor's
// -replay; it returns the file and the request the real case sends (its
// URL a path, to be put after the floor's address).
func (h *harness) capture(ctx context.Context, c caseDef) (string, request, error) {
	file := filepath.Join(h.work, "replay-"+c.replays+".json")
	s, err := h.startTokensvc(ctx, tokensvcConf{format: c.format, store: "memory"}, c.tag()+"-capture")
	if err != nil {
		return "", request{}, err
	}
	defer h.stopServer(s)
	var req request
	switch c.replays {
	case "grants":
		req = h.grantsRequest("")
	case "refresh":
		id, _, err := h.grant(ctx, s, `{"role":"LOGGED_IN","subject":"user_replay"}`)
		if err != nil {
			return "", request{}, err
		}
		req = refreshRequest("", id)
	default:
		return "", request{}, fmt.Errorf("nothing to replay for %q", c.replays)
	}
	hr, _ := http.NewRequestWithContext(ctx, req.method, s.url+req.url, strings.NewReader(req.body))
	for _, kv := range req.header {
		hr.Header.Set(kv[0], kv[1])
	}
	resp, err := h.client.Do(hr)
	if err != nil {
		return "", request{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", request{}, err
	}
	if resp.StatusCode >= 300 {
		return "", request{}, fmt.Errorf("%s %s: %s", req.method, req.url, resp.Status)
	}
	rec, err := json.Marshal(struct {
		Status int                 `json:"status"`
		Header map[string][]string `json:"header"`
		Body   string              `json:"body"`
	}{resp.StatusCode, resp.Header, string(body)})
	if err != nil {
		return "", request{}, err
	}
	return file, req, os.WriteFile(file, rec, 0o600)
}

// grantsRequest is a backend's POST /grants of grantBody, to base.
func (h *harness) grantsRequest(base string) request {
	return request{method: http.MethodPost, url: base + "/grants",
		header: [][2]string{{"Authorization", "Bearer " + h.token}, {"Content-Type", "application/json"}},
		body:   grantBody}
}

// grantBody is what the grants cases send: a guest who just uploaded.
const grantBody = `{"role":"GUEST_NEW","subject":"guest_bench"}`

func (h *harness) grantsCase(ctx context.Context, c caseDef) (*result, error) {
	s, err := h.startTokensvc(ctx, tokensvcConf{format: c.format, store: c.store, setting: c.setting}, c.tag())
	if err != nil {
		return nil, err
	}
	r, err := func() (*result, error) {
		ls := loadSpec{gen: c.gen, conns: c.conns, duration: h.o.duration, req: h.grantsRequest(s.url)}
		if err := h.warm(ctx, ls, c.tag()); err != nil {
			return nil, err
		}
		return h.measure(ctx, c, s, ls, c.tag())
	}()
	w := h.stopServer(s)
	if r != nil {
		r.warnings = w
	}
	return r, err
}

// refreshRequest is a browser's POST /refresh with its session cookie.
func refreshRequest(base, id string) request {
	return request{method: http.MethodPost, url: base + "/refresh",
		header: [][2]string{{"Cookie", "tokensvc_session=" + id}, {"Origin", origin}}}
}

// refreshCase: signed-in sessions (rolling, default 2 h lifetime) whose
// cookies are nowhere near half their life, so no request signs anything;
// each still loads its session, and slides it at most once a second.
func (h *harness) refreshCase(ctx context.Context, c caseDef) (*result, error) {
	s, err := h.startTokensvc(ctx, tokensvcConf{format: c.format, store: c.store}, c.tag())
	if err != nil {
		return nil, err
	}
	r, err := func() (*result, error) {
		ids, _, err := h.grantSessions(ctx, s, c.pool, "user_nd", time.Time{})
		if err != nil {
			return nil, err
		}
		ls := loadSpec{gen: c.gen, conns: c.conns, duration: h.o.duration, req: refreshRequest(s.url, ids[0])}
		if c.gen == vegeta && len(ids) > 1 {
			ls.targets = filepath.Join(h.work, c.tag()+".targets.json")
			if err := writeTargets(ls.targets, func(yield func(request) bool) {
				for _, id := range ids {
					if !yield(refreshRequest(s.url, id)) {
						return
					}
				}
			}); err != nil {
				return nil, err
			}
		}
		if err := h.warm(ctx, ls, c.tag()); err != nil {
			return nil, err
		}
		return h.measure(ctx, c, s, ls, c.tag())
	}()
	w := h.stopServer(s)
	if r != nil {
		r.warnings = w
	}
	return r, err
}

// resignCase makes every request of the measured run a due re-sign, and
// proves it with the signature counter.
//
// tokensvc re-signs a signed-in session's cookies once they pass half their
// lifetime T. The case configures a short T, grants a pool of sessions,
// waits until the youngest is past T/2, then hits each session exactly once
// (the pool holds more sessions than the run can send requests) before the
// oldest ends at T. Neither the order of the grants nor the rates matter:
// all sessions are granted within G seconds, the run starts G + T/2 + 1 s
// after the first grant and lasts D, so every session is hit at an age
// between T/2 + 1 s and G + T/2 + D + 1 s, which T is chosen to exceed (by a
// second more, as sessions start on a whole second). T follows from
// estimates of G and of the request rate, taken from cases measured earlier
// in the same run; the table's signatures-per-request column shows how
// right they were.
func (h *harness) resignCase(ctx context.Context, c caseDef, rep *report) (*result, error) {
	d := h.o.duration
	// The run must not outpace the pool. A due refresh is never cheaper
	// than the floor, so the floor's rate with the same generator bounds the
	// run's rate from above (a closed loop on a busier machine only slows).
	rate := 0.0
	for _, r := range rep.results {
		if (r.kind == kindFloor || (r.kind == kindRefresh && r.pool > 1 && r.store == c.store)) && r.gen == c.gen && r.conns == c.conns {
			rate = max(rate, r.rps)
		}
	}
	if rate == 0 {
		rate = 50000
	}
	pool := int(math.Ceil(1.1 * rate * d.Seconds()))
	// Granting goes through the harness's own client: use its rate seen
	// earlier in the run, else half bombardier's grant rate.
	grantRate := h.grantRates[c.store].rate
	if grantRate == 0 {
		grantRate = rep.rateOf(func(o caseDef) bool {
			return o.kind == kindGrants && o.format == c.format && o.store == c.store && o.setting == "" && o.gen == bombardier && o.conns == c.conns
		}) / 2
	}
	if grantRate == 0 {
		grantRate = 3000
	}
	gEst := time.Duration(float64(pool) / grantRate * float64(time.Second))
	ttl := (2*(gEst*3/2+d+3*time.Second) + time.Second - 1).Truncate(time.Second)
	// Bounded both ways: a grant rate measured while other work held the
	// core would otherwise make the case wait minutes; with the cap the
	// grant budget runs out first and the pool is hit twice, which the
	// signatures column and the note show.
	ttl = min(max(ttl, 4*time.Second), 90*time.Second)
	c.pool = pool

	s, err := h.startTokensvc(ctx, tokensvcConf{format: c.format, store: c.store, loggedInTTL: ttl}, c.tag())
	if err != nil {
		return nil, err
	}
	r, err := func() (*result, error) {
		// Granting stops at its budget even if the pool is not full: a
		// smaller pool is hit twice (not due the second time, which the
		// signatures column shows), a late one would see sessions end.
		first := time.Now()
		budget := ttl/2 - d - 3*time.Second
		ids, took, err := h.grantSessions(ctx, s, pool, "user_due", first.Add(budget))
		if err != nil {
			return nil, err
		}
		planned := pool
		if len(ids) < pool {
			c.pool, pool = len(ids), len(ids)
		}
		targets := filepath.Join(h.work, c.tag()+".targets.json")
		if err := writeTargets(targets, func(yield func(request) bool) {
			for _, id := range ids {
				if !yield(refreshRequest(s.url, id)) {
					return
				}
			}
		}); err != nil {
			return nil, err
		}
		start := first.Add(took + ttl/2 + time.Second)
		if err := sleepUntil(ctx, start); err != nil {
			return nil, err
		}
		ls := loadSpec{gen: c.gen, conns: c.conns, duration: d, targets: targets}
		r, err := h.measure(ctx, c, s, ls, c.tag())
		if err != nil {
			return nil, err
		}
		r.pool = pool
		r.note = fmt.Sprintf("pool of %d sessions, TOKENSVC_LOGGED_IN_TTL=%s, granted in %.1f s (%.0f/s); each hit at an age from %.1f s to %.1f s plus vegeta's start-up (due from %.1f s, ended from %.1f s)",
			pool, ttl, took.Seconds(), float64(pool)/took.Seconds(), (ttl/2 + time.Second).Seconds(), (took + ttl/2 + time.Second + d).Seconds(), ttl.Seconds()/2, ttl.Seconds()-1)
		if pool < planned {
			r.note += fmt.Sprintf("; granting stopped at its %.1f s budget with %d of %d sessions", budget.Seconds(), pool, planned)
		}
		if r.load.requests > int64(pool) {
			r.note += fmt.Sprintf("; the run sent %d requests to %d sessions, so some were hit twice", r.load.requests, pool)
		}
		return r, nil
	}()
	w := h.stopServer(s)
	if r != nil {
		r.warnings = w
	}
	return r, err
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// measure runs the measured load and reads the server's CPU and signature
// counter around it.
func (h *harness) measure(ctx context.Context, c caseDef, s *server, ls loadSpec, tag string) (*result, error) {
	r := &result{caseDef: c, redisUS: math.NaN(), sigs: math.NaN()}
	tokensvc := c.kind != kindFloor && c.kind != kindReplay && c.kind != kindChi
	var sig0, sig1 float64
	var err error
	if tokensvc {
		if sig0, err = h.signatures(ctx, s); err != nil {
			return nil, err
		}
	}
	b0, err := coreBusy(h.o.serverCore)
	if err != nil {
		return nil, err
	}
	c0, err := cpuTicks(s.p.pid())
	if err != nil {
		return nil, err
	}
	var rd0, rd1 int64
	if c.store == "redis" {
		if rd0, err = cpuTicks(h.redis.pid()); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	lr, err := h.runLoad(ctx, ls, tag)
	if err != nil {
		return nil, err
	}
	wall := time.Since(t0)
	c1, err := cpuTicks(s.p.pid())
	if err != nil {
		return nil, fmt.Errorf("server gone after the run: %w (%s)", err, readTail(s.log))
	}
	b1, err := coreBusy(h.o.serverCore)
	if err != nil {
		return nil, err
	}
	if c.store == "redis" {
		if rd1, err = cpuTicks(h.redis.pid()); err != nil {
			return nil, err
		}
	}
	if tokensvc {
		if sig1, err = h.signatures(ctx, s); err != nil {
			return nil, err
		}
	}
	r.load = lr
	r.rps = lr.rps()
	cpu := float64(c1-c0) / h.clkTck // seconds
	if lr.requests > 0 {
		r.cpuUS = cpu * 1e6 / float64(lr.requests)
		if c.store == "redis" {
			r.redisUS = float64(rd1-rd0) / h.clkTck * 1e6 / float64(lr.requests)
		}
		if tokensvc {
			r.sigs = (sig1 - sig0) / float64(lr.requests)
		}
	}
	if lr.elapsed > 0 {
		r.core = cpu / lr.elapsed.Seconds()
	}
	// Over the generator's whole life (start-up and report included), the
	// same window the core's busy time was read over.
	others := float64((b1-b0)-(c1-c0)-(rd1-rd0)) / h.clkTck
	r.others = max(0, others/wall.Seconds())
	return r, nil
}

// signatures reads tokensvc_signatures_total, summed over formats.
func (h *harness) signatures(ctx context.Context, s *server) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return sumMetric(resp.Body, "tokensvc_signatures_total")
}

// sumMetric adds up every series of one metric in Prometheus text format.
func sumMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var sum float64
	found := false
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		f := strings.Fields(line[strings.LastIndexByte(line, '}')+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("metric %s: %q", name, line)
		}
		sum += v
		found = true
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("metric %s not exposed", name)
	}
	return sum, nil
}

// grantSessions grants n signed-in sessions (subjects prefix0..prefixN-1)
// with 64 concurrent clients and returns their session cookie values in
// subject order, and how long it took. With a deadline it stops there and
// returns the sessions granted so far.
func (h *harness) grantSessions(ctx context.Context, s *server, n int, prefix string, deadline time.Time) ([]string, time.Duration, error) {
	ids := make([]string, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { firstErr = err }) }
	workers := min(64, n)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
					return
				}
				body := fmt.Sprintf(`{"role":"LOGGED_IN","subject":"%s%d"}`, prefix, i)
				id, _, err := h.grant(ctx, s, body)
				if err != nil {
					fail(err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	granted := ids[:0]
	for _, id := range ids {
		if id != "" {
			granted = append(granted, id)
		}
	}
	if n := len(granted); n >= 1000 && n >= h.grantRates[s.store].n {
		h.grantRates[s.store] = grantRate{n: n, rate: float64(n) / took.Seconds()}
	}
	return granted, took, nil
}

// grant makes one grant and returns the session cookie value and the CDN
// cookies (name=value pairs, sorted).
func (h *harness) grant(ctx context.Context, s *server, body string) (string, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/grants", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return "", "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("POST /grants: %s", resp.Status)
	}
	id, cdn := splitCookies(resp.Cookies())
	if id == "" {
		return "", "", errors.New("POST /grants set no tokensvc_session cookie")
	}
	return id, cdn, nil
}

// splitCookies returns the session cookie's value and the CDN cookies as
// one string of sorted name=value pairs (attributes such as Max-Age, which
// tick with the clock, left out).
func splitCookies(cs []*http.Cookie) (session, cdn string) {
	var pairs []string
	for _, c := range cs {
		if c.Name == "tokensvc_session" {
			session = c.Value
			continue
		}
		pairs = append(pairs, c.Name+"="+c.Value)
	}
	sort.Strings(pairs)
	return session, strings.Join(pairs, "; ")
}

// storm: a page of 200 photos whose cookies are due fires 200 POST /refresh
// at once with the same session. One signed-in session is granted with a 4 s
// lifetime, 200 connections are opened, and once the cookies are past half
// their life (and well before the session ends) 200 goroutines released
// together each send one refresh. The signature counter must move by
// exactly one, and every answer must carry the same new cookies.
func (h *harness) storm(ctx context.Context, format string) (stormResult, error) {
	const n = 200
	const ttl = 4 * time.Second
	res := stormResult{format: format, n: n, ttl: ttl}
	s, err := h.startTokensvc(ctx, tokensvcConf{format: format, store: "memory", loggedInTTL: ttl}, "storm-"+format)
	if err != nil {
		return res, err
	}
	defer h.stopServer(s)

	// One client (and so one connection) per goroutine, opened beforehand:
	// the storm then measures tokensvc, not 200 TCP handshakes.
	clients := make([]*http.Client, n)
	for i := range clients {
		clients[i] = newClient(1)
		defer clients[i].CloseIdleConnections()
	}
	id, granted, err := h.grant(ctx, s, `{"role":"LOGGED_IN","subject":"user_storm"}`)
	if err != nil {
		return res, err
	}
	grantedAt := time.Now()
	for _, c := range clients {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/healthz", nil)
		resp, err := c.Do(req)
		if err != nil {
			return res, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	sig0, err := h.signatures(ctx, s)
	if err != nil {
		return res, err
	}
	// Issued is the grant's whole second, so the cookies are due by
	// grantedAt + ttl/2; the session ends no sooner than grantedAt + ttl - 1s.
	if err := sleepUntil(ctx, grantedAt.Add(ttl/2+200*time.Millisecond)); err != nil {
		return res, err
	}
	c0, err := cpuTicks(s.p.pid())
	if err != nil {
		return res, err
	}
	type hit struct {
		lat    time.Duration
		status int
		cdn    string
		err    error
	}
	hits := make([]hit, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rq := refreshRequest(s.url, id)
			req, _ := http.NewRequestWithContext(ctx, rq.method, rq.url, nil)
			for _, kv := range rq.header {
				req.Header.Set(kv[0], kv[1])
			}
			<-release
			t := time.Now()
			resp, err := clients[i].Do(req)
			if err != nil {
				hits[i] = hit{err: err, lat: time.Since(t)}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			_, cdn := splitCookies(resp.Cookies())
			hits[i] = hit{lat: time.Since(t), status: resp.StatusCode, cdn: cdn}
		}()
	}
	res.age = time.Since(grantedAt)
	close(release)
	wg.Wait()
	c1, err := cpuTicks(s.p.pid())
	if err != nil {
		return res, err
	}
	sig1, err := h.signatures(ctx, s)
	if err != nil {
		return res, err
	}
	res.sigs = sig1 - sig0
	res.cpuMS = float64(c1-c0) / h.clkTck * 1e3
	lats := make([]time.Duration, 0, n)
	sets := map[string]bool{}
	for _, ht := range hits {
		lats = append(lats, ht.lat)
		switch {
		case ht.err != nil:
			if res.errorText == "" {
				res.errorText = ht.err.Error()
			}
		case ht.status == http.StatusOK:
			res.ok++
			sets[ht.cdn] = true
		default:
			if res.errorText == "" {
				res.errorText = "status " + strconv.Itoa(ht.status)
			}
		}
	}
	res.distinct = len(sets)
	res.resigned = len(sets) > 0 && !sets[granted]
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	res.p50 = percentile(lats, 0.50)
	res.p99 = percentile(lats, 0.99)
	res.max = lats[len(lats)-1]
	return res, nil
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
