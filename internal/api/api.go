package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// Deps is everything the API needs, built by main and handed down. Nothing
// here is global: two APIs can live in one process (tests do that).
type Deps struct {
	Log      *zap.Logger
	Registry *prometheus.Registry // metrics are registered here, never in the default registry
	Policy   *policy.Policy
	// Signers sign the CDN cookies, one per configured format, in the order
	// of TOKENSVC_CDN; every grant sets the cookies of each.
	Signers []signing.Signer
	Store   session.Store
	// StoreBackend names the store in metrics ("memory" or "redis").
	StoreBackend string
	Now          func() time.Time
	Options      Options
}

// Options are the deployment's choices.
type Options struct {
	// CDNBaseURL is the scheme and host media is served from,
	// "https://cdn.site.com": a grant's prefix is appended to it.
	CDNBaseURL string
	Cookie     CookieOptions
	// APIKeys authenticate backends (Authorization: Bearer).
	APIKeys []APIKey
	// APIKeyRate, when above 0, is how many requests a second each API key
	// may make (a token bucket per key and process, holding APIKeyBurst;
	// 0: one second's worth); past it the answer is 429 rate_limited with
	// Retry-After. It bounds what a leaked or runaway backend costs, RSA
	// signatures above all.
	APIKeyRate  float64
	APIKeyBurst int
	// AllowedOrigins may call the browser routes (/refresh, /logout) with
	// credentials; every other Origin is refused (CSRF defence).
	AllowedOrigins []string
	// MaxBodyBytes caps a request body (default 8 KiB).
	MaxBodyBytes int64
	// TrustedProxies may call GET /verify and speak for the client
	// (X-Original-URL, X-Forwarded-*, X-Real-IP). Default: loopback only.
	TrustedProxies []netip.Prefix
	// MetricsElsewhere leaves GET /metrics off the API's router, for a
	// deployment that serves it on a private listener (TOKENSVC_METRICS_ADDR).
	MetricsElsewhere bool
	// IssuedCacheSize bounds the in-process cache of issued cookies that lets
	// a refresh storm share one signature (default 100 000 sessions).
	IssuedCacheSize int
}

// CookieOptions are the attributes every cookie tokensvc sets carries.
type CookieOptions struct {
	Domain   string // empty: a host-only cookie
	Path     string // default "/"
	Secure   bool
	HTTPOnly bool
	SameSite http.SameSite
	// SessionName is tokensvc's own session cookie (default
	// "tokensvc_session"); SessionMaxAge how long the browser keeps it
	// (default 30 days), longer than any session so that /refresh can still
	// say otp_required or login_required days after a session ended.
	SessionName   string
	SessionMaxAge time.Duration
	// SessionPath and SessionHostOnly scope the session cookie apart from
	// the CDN cookies. The CDN cookies must reach every image; the session
	// cookie, tokensvc's long-lived credential, is needed only where the
	// browser calls /refresh and /logout. Empty SessionPath: Path.
	// SessionHostOnly leaves Domain off the session cookie, so only the
	// host that set it (the app's, relaying the grant) ever gets it back.
	SessionPath     string
	SessionHostOnly bool
}

// DefaultCookieOptions are the safe defaults: Secure, HttpOnly, SameSite=Lax.
var DefaultCookieOptions = CookieOptions{
	Path: "/", Secure: true, HTTPOnly: true, SameSite: http.SameSiteLaxMode,
	SessionName: "tokensvc_session", SessionMaxAge: 30 * 24 * time.Hour,
}

// API is tokensvc's HTTP handler.
type API struct {
	log *zap.Logger
	// accessLog writes the one line per request; without the caller, which
	// zap finds with runtime.Callers on every line (a twentieth of a grant).
	accessLog    *zap.Logger
	metrics      *metrics
	policy       *policy.Policy
	signers      []signing.Signer
	store        session.Store
	storeBackend string
	now          func() time.Time
	opt          Options
	base         string // CDNBaseURL without a trailing slash
	keys         *keyring
	issuer       *issuer
	cookieNames  []string // every CDN cookie name any signer may set, for logout
	formatNames  []string // the configured formats, in order
	router       chi.Router
	fast         fastRoutes
	ids          *reqIDs
}

// fastRoutes are the routes that carry the load. ServeHTTP sends them past
// chi, whose routing context costs a copy of the request and a context per
// request; each is the very handler chain chi serves for the route, wrapped
// in the same outer middleware (routes builds both).
type fastRoutes struct {
	grants, refresh, verify http.Handler
}

// New checks deps and builds the API.
func New(d Deps) (*API, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Options.MaxBodyBytes <= 0 {
		d.Options.MaxBodyBytes = 8 << 10
	}
	if d.Options.TrustedProxies == nil {
		d.Options.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	}
	if d.Options.IssuedCacheSize <= 0 {
		d.Options.IssuedCacheSize = 100_000
	}
	co := &d.Options.Cookie
	if co.Path == "" {
		co.Path = "/"
	}
	if co.SessionPath == "" {
		co.SessionPath = co.Path
	}
	if co.SessionName == "" {
		co.SessionName = DefaultCookieOptions.SessionName
	}
	if co.SessionMaxAge <= 0 {
		co.SessionMaxAge = DefaultCookieOptions.SessionMaxAge
	}
	if co.SameSite == 0 {
		co.SameSite = http.SameSiteLaxMode
	}
	keys, err := newKeyring(d.Options.APIKeys, d.Options.APIKeyRate, d.Options.APIKeyBurst)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(d.Registry, d.Signers)
	if err != nil {
		return nil, err
	}
	a := &API{
		log: d.Log, accessLog: d.Log.WithOptions(zap.WithCaller(false)),
		metrics: m, policy: d.Policy, signers: d.Signers,
		store: instrument(d.Store, d.StoreBackend, m), storeBackend: d.StoreBackend,
		now: d.Now, opt: d.Options, base: strings.TrimSuffix(d.Options.CDNBaseURL, "/"),
		keys: keys,
	}
	a.issuer = newIssuer(a, d.Options.IssuedCacheSize)
	for _, s := range d.Signers {
		a.formatNames = append(a.formatNames, s.Format())
	}
	seen := map[string]bool{}
	for _, s := range d.Signers {
		for _, n := range s.CookieNames() {
			if !seen[n] {
				seen[n] = true
				a.cookieNames = append(a.cookieNames, n)
			}
		}
	}
	a.ids = newReqIDs()
	a.router = a.routes(d.Registry)
	return a, nil
}

func (d *Deps) validate() error {
	var errs []error
	if d.Log == nil {
		errs = append(errs, errors.New("api: Deps.Log is nil"))
	}
	if d.Registry == nil {
		errs = append(errs, errors.New("api: Deps.Registry is nil"))
	}
	if d.Policy == nil {
		errs = append(errs, errors.New("api: Deps.Policy is nil"))
	}
	if d.Store == nil {
		errs = append(errs, errors.New("api: Deps.Store is nil"))
	}
	if len(d.Signers) == 0 {
		errs = append(errs, errors.New("api: no signers: configure at least one CDN format"))
	}
	if err := CheckBaseURL("api: CDN base URL", d.Options.CDNBaseURL); err != nil {
		errs = append(errs, err)
	}
	for _, o := range d.Options.AllowedOrigins {
		if !ValidOrigin(o) {
			errs = append(errs, fmt.Errorf("api: allowed origin %q is not an origin as a browser sends it", o))
		}
	}
	return errors.Join(errs...)
}

// ServeHTTP makes API an http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// chi routes on RawPath when there is one; so a path with escapes
	// never takes the fast way, and both ways route alike.
	if r.URL.RawPath == "" {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/grants":
			a.fast.grants.ServeHTTP(w, r)
			return
		case r.Method == http.MethodPost && r.URL.Path == "/refresh":
			a.fast.refresh.ServeHTTP(w, r)
			return
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/verify":
			a.fast.verify.ServeHTTP(w, r)
			return
		}
	}
	a.router.ServeHTTP(w, r)
}

// routes lists every route in one place.
func (a *API) routes(reg *prometheus.Registry) chi.Router {
	// Outer middleware, on every request: an id, the access log and metrics,
	// then a panic never reaches the client.
	outer := func(route string, h http.Handler) http.Handler { return a.observe(route, a.recoverer(h)) }
	backend := a.authenticate
	withCORS := cors.New(cors.Options{
		AllowedOrigins:       a.opt.AllowedOrigins,
		AllowedMethods:       []string{http.MethodPost},
		AllowedHeaders:       []string{"Content-Type"},
		AllowCredentials:     true,
		MaxAge:               600,
		OptionsSuccessStatus: http.StatusOK,
	}).Handler
	browser := func(h http.Handler) http.Handler {
		// Credentialed CORS for the allowed origins only, and the Origin
		// header checked before anything else.
		return a.checkOrigin(withCORS(h))
	}
	grants := backend(http.HandlerFunc(a.postGrants))
	refresh := browser(a.rolling(http.HandlerFunc(a.postRefresh)))
	verify := http.HandlerFunc(a.getVerify)
	a.fast = fastRoutes{
		grants:  outer("/grants", grants),
		refresh: outer("/refresh", refresh),
		verify:  outer("/verify", verify),
	}

	r := chi.NewRouter()
	r.Use(func(h http.Handler) http.Handler { return outer("", h) })
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { a.render(w, r, errNotFound()) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		a.render(w, r, errMethodNotAllowed(a.allowedMethods(r)))
	})

	// HEAD wherever GET is (RFC 9110 9.3.2): net/http drops the body.
	get := func(path string, h http.Handler) {
		r.Method(http.MethodGet, path, h)
		r.Method(http.MethodHead, path, h)
	}
	get("/healthz", http.HandlerFunc(a.healthz))
	get("/readyz", http.HandlerFunc(a.readyz))
	if !a.opt.MetricsElsewhere {
		get("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}

	// Origin verification, for a proxy's forward-auth hook (nginx
	// auth_request sends the original method, so HEAD is answered too).
	get("/verify", verify)

	// Backend routes: an app backend, authenticated with an API key.
	r.Method(http.MethodPost, "/grants", grants)
	r.Group(func(r chi.Router) {
		r.Use(backend)
		r.With(a.rolling).Post("/sessions/touch", a.postTouch)
		r.Post("/sessions/revoke", a.postRevoke)
		r.Post("/subjects/{subject}/revoke", a.postRevokeSubject)
	})

	// Browser routes.
	r.Method(http.MethodPost, "/refresh", refresh)
	r.Group(func(r chi.Router) {
		r.Use(browser)
		r.Post("/logout", a.postLogout)
		// chi answers OPTIONS only where a route exists; the CORS handler
		// turns these into preflight answers.
		r.Options("/refresh", func(http.ResponseWriter, *http.Request) {})
		r.Options("/logout", func(http.ResponseWriter, *http.Request) {})
	})
	return r
}

// allowedMethods lists what the path accepts, for the Allow header. chi
// knows, but does not hand the list to a custom 405 handler, so ask the
// router.
func (a *API) allowedMethods(r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions} {
		if a.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}
