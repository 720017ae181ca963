package api

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// metrics follow the Prometheus naming guide: the tokensvc_ prefix, base
// units, _total on counters. No label ever carries a subject, a session id
// or a raw path: routes are chi patterns, roles and formats are closed sets.
type metrics struct {
	// The hot series, resolved once: WithLabelValues hashes and allocates
	// on every call, and the grant path may allocate 25 times in all.
	httpObs  labelCache[httpKey, prometheus.Observer]
	counters labelCache[counterKey, prometheus.Counter]
	signObs  labelCache[string, prometheus.Observer]

	grants        *prometheus.CounterVec   // role, cdn, outcome
	refreshes     *prometheus.CounterVec   // role, cdn, outcome
	signatures    *prometheus.CounterVec   // cdn
	signDuration  *prometheus.HistogramVec // cdn
	signErrors    *prometheus.CounterVec   // cdn
	httpDuration  *prometheus.HistogramVec // route, method, code
	storeErrors   *prometheus.CounterVec   // backend, op
	revocations   *prometheus.CounterVec   // reason
	verifications *prometheus.CounterVec   // cdn, outcome
	rateLimited   *prometheus.CounterVec   // api_key
}

func newMetrics(reg prometheus.Registerer, signers []signing.Signer) (*metrics, error) {
	m := &metrics{
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_grants_total",
			Help: "Grant requests by role, CDN format and outcome (issued, rejected, error).",
		}, []string{"role", "cdn", "outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_refreshes_total",
			Help: "Session refreshes (/refresh and /sessions/touch) by role, CDN format and outcome (resigned, reused, unchanged, otp_required, login_required, no_session, error).",
		}, []string{"role", "cdn", "outcome"}),
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_signatures_total",
			Help: "Signing operations by CDN format (one per cookie set signed).",
		}, []string{"cdn"}),
		signDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tokensvc_sign_duration_seconds",
			Help:    "Time to sign one cookie set, by CDN format.",
			Buckets: []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2},
		}, []string{"cdn"}),
		signErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_sign_errors_total",
			Help: "Failed signing operations by CDN format.",
		}, []string{"cdn"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tokensvc_http_request_duration_seconds",
			Help:    "HTTP request duration by chi route pattern, method and status code.",
			Buckets: []float64{5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, .1, .25, .5, 1},
		}, []string{"route", "method", "code"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_session_store_errors_total",
			Help: "Session store failures (unreachable, timed out) by backend and operation.",
		}, []string{"backend", "op"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_session_revocations_total",
			Help: "Session revocations by reason: logout, revoke and role_change count one a request that carried a session cookie (however many values it held), subject counts the sessions it ended.",
		}, []string{"reason"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_verifications_total",
			Help: "Origin verifications (GET /verify) by the CDN format that decided (none: no credential) and outcome (valid or the rejection reason).",
		}, []string{"cdn", "outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_rate_limited_total",
			Help: "Backend requests refused with 429 rate_limited, by API key name (the configured names only).",
		}, []string{"api_key"}),
	}
	for _, c := range []prometheus.Collector{m.grants, m.refreshes, m.signatures, m.signDuration, m.signErrors, m.httpDuration, m.storeErrors, m.revocations, m.verifications, m.rateLimited} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Pre-create the series a dashboard expects, so rates start at zero
	// instead of appearing with the first event.
	for _, s := range signers {
		m.signatures.WithLabelValues(s.Format())
		m.signErrors.WithLabelValues(s.Format())
		for _, r := range policy.Roles {
			m.grants.WithLabelValues(string(r), s.Format(), "issued")
		}
	}
	return m, nil
}

type httpKey struct {
	route, method string
	code          int
}

// counterKey names one series of one counter vector.
type counterKey struct {
	vec     *prometheus.CounterVec
	a, b, c string
}

// labelCache maps label values to their series. A hit takes a read lock
// and allocates nothing; a new series is made once.
type labelCache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

func (c *labelCache[K, V]) load(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *labelCache[K, V]) store(k K, v V) {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// counter returns the series of vec for the first n of the label values
// a, b, c. (Fixed arity: a variadic slice would escape and allocate on every
// call.)
func (m *metrics) counter(vec *prometheus.CounterVec, n int, a, b, c string) prometheus.Counter {
	k := counterKey{vec: vec, a: a, b: b, c: c}
	if v, ok := m.counters.load(k); ok {
		return v
	}
	v := vec.WithLabelValues([]string{a, b, c}[:n]...)
	m.counters.store(k, v)
	return v
}

func (m *metrics) inc1(vec *prometheus.CounterVec, a string) { m.counter(vec, 1, a, "", "").Inc() }
func (m *metrics) inc2(vec *prometheus.CounterVec, a, b string) {
	m.counter(vec, 2, a, b, "").Inc()
}
func (m *metrics) inc3(vec *prometheus.CounterVec, a, b, c string) {
	m.counter(vec, 3, a, b, c).Inc()
}

func (m *metrics) observeSign(format string, d time.Duration, err error) {
	if err != nil {
		m.inc1(m.signErrors, format)
		return
	}
	m.inc1(m.signatures, format)
	o, ok := m.signObs.load(format)
	if !ok {
		o = m.signDuration.WithLabelValues(format)
		m.signObs.store(format, o)
	}
	o.Observe(d.Seconds())
}

func (m *metrics) observeHTTP(route, method string, code int, d time.Duration) {
	k := httpKey{route, method, code}
	o, ok := m.httpObs.load(k)
	if !ok {
		o = m.httpDuration.WithLabelValues(route, method, strconv.Itoa(code))
		m.httpObs.store(k, o)
	}
	o.Observe(d.Seconds())
}

// roleLabel keeps the role label a closed set.
func roleLabel(role string) string {
	switch policy.Role(role) {
	case policy.GuestNew, policy.GuestOTP, policy.LoggedIn:
		return role
	}
	return "invalid"
}

// instrumented counts a store's failures by operation. Not-found is an
// answer, not a failure, and neither is a caller giving up.
type instrumented struct {
	session.Store
	backend string
	m       *metrics
}

func instrument(s session.Store, backend string, m *metrics) session.Store {
	if backend == "" {
		backend = "unknown"
	}
	return &instrumented{Store: s, backend: backend, m: m}
}

func (s *instrumented) count(op string, err error) error {
	if err != nil && !errors.Is(err, session.ErrNotFound) && !errors.Is(err, context.Canceled) {
		s.m.inc2(s.m.storeErrors, s.backend, op)
	}
	return err
}

func (s *instrumented) Put(ctx context.Context, v session.Session) error {
	return s.count("put", s.Store.Put(ctx, v))
}

func (s *instrumented) Get(ctx context.Context, id string) (session.Session, error) {
	v, err := s.Store.Get(ctx, id)
	return v, s.count("get", err)
}

func (s *instrumented) Extend(ctx context.Context, id string, u session.Update) error {
	return s.count("extend", s.Store.Extend(ctx, id, u))
}

func (s *instrumented) Delete(ctx context.Context, id string) error {
	return s.count("delete", s.Store.Delete(ctx, id))
}

func (s *instrumented) DeleteSubject(ctx context.Context, subject string) (int, error) {
	n, err := s.Store.DeleteSubject(ctx, subject)
	return n, s.count("delete_subject", err)
}

func (s *instrumented) Ping(ctx context.Context) error {
	return s.count("ping", s.Store.Ping(ctx))
}
