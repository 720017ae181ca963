package api

import (
	"context"
	"errors"
	"strconv"
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
	grants        *prometheus.CounterVec   // role, cdn, outcome
	refreshes     *prometheus.CounterVec   // role, cdn, outcome
	signatures    *prometheus.CounterVec   // cdn
	signDuration  *prometheus.HistogramVec // cdn
	signErrors    *prometheus.CounterVec   // cdn
	httpDuration  *prometheus.HistogramVec // route, method, code
	storeErrors   *prometheus.CounterVec   // backend, op
	revocations   *prometheus.CounterVec   // reason
	verifications *prometheus.CounterVec   // cdn, outcome
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
			Help: "Sessions revoked, by reason (logout, revoke, subject, role_change).",
		}, []string{"reason"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokensvc_verifications_total",
			Help: "Origin verifications (GET /verify) by the CDN format that decided (none: no credential) and outcome (valid or the rejection reason).",
		}, []string{"cdn", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.grants, m.refreshes, m.signatures, m.signDuration, m.signErrors, m.httpDuration, m.storeErrors, m.revocations, m.verifications} {
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

func (m *metrics) observeSign(format string, d time.Duration, err error) {
	if err != nil {
		m.signErrors.WithLabelValues(format).Inc()
		return
	}
	m.signatures.WithLabelValues(format).Inc()
	m.signDuration.WithLabelValues(format).Observe(d.Seconds())
}

func (m *metrics) observeHTTP(route, method string, code int, d time.Duration) {
	m.httpDuration.WithLabelValues(route, method, strconv.Itoa(code)).Observe(d.Seconds())
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
		s.m.storeErrors.WithLabelValues(s.backend, op).Inc()
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
