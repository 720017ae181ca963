// Package config reads tokensvc's environment (TOKENSVC_*), checks all of
// it at once, and builds what main wires together: the signers, the API
// options, the session store settings. Nothing else reads Config: packages
// get only the pieces they need.
package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/tokensvc/tokensvc/internal/api"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// Secret is a configuration value that must never be printed.
type Secret string

func (Secret) String() string { return "[redacted]" }

// GoString keeps %#v from printing it either.
func (Secret) GoString() string { return "[redacted]" }

// Config is every TOKENSVC_* variable. The README's table lists each one; a
// test keeps the two in step.
type Config struct {
	Dev       bool   `envconfig:"TOKENSVC_DEV" desc:"force dev mode (generated keys, in-memory sessions); on by default when no TOKENSVC_* setting is set"`
	DevPublic bool   `envconfig:"TOKENSVC_DEV_PUBLIC" desc:"dev mode only: allow a TOKENSVC_ADDR that is not loopback (e.g. in a container). The demo app hands a signed-in session to anyone who asks, so never on a network others reach"`
	DevDir    string `envconfig:"TOKENSVC_DEV_DIR" default:".tokensvc-dev" desc:"where dev mode writes its generated keys (0700 folder, 0600 files)"`
	DevEdge   string `envconfig:"TOKENSVC_DEV_EDGE_ADDR" default:"127.0.0.1:8081" desc:"dev mode only: where the local CDN edge serves the demo photos (and the default CDN base URL)"`
	Addr      string `envconfig:"TOKENSVC_ADDR" default:"127.0.0.1:8080" desc:"listen address of the API"`
	LogJSON   bool   `envconfig:"TOKENSVC_LOG_JSON" default:"true" desc:"JSON logs (false: console format for development)"`
	Level     string `envconfig:"TOKENSVC_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	LogBuffer int    `envconfig:"TOKENSVC_LOG_BUFFER" default:"262144" desc:"bytes of log output buffered before a write, flushed at least every second and at shutdown; 0 writes each line at once"`

	CDN        []string `envconfig:"TOKENSVC_CDN" default:"cloudcdn" desc:"CDN formats, comma-separated: cloudcdn, akamai, cloudfront, gotipath; every grant sets the cookies of each"`
	CDNBaseURL string   `envconfig:"TOKENSVC_CDN_BASE_URL" desc:"scheme and host the media is served from, e.g. https://cdn.site.com"`

	CloudCDNKeys          []string      `envconfig:"TOKENSVC_CLOUDCDN_KEYS" desc:"up to 3 NAME=FILE gcloud key files; the first signs, all verify"`
	AkamaiKeyFiles        []string      `envconfig:"TOKENSVC_AKAMAI_KEY_FILES" desc:"up to 3 hex key files; the first signs, all verify"`
	AkamaiAlgorithm       string        `envconfig:"TOKENSVC_AKAMAI_ALGORITHM" default:"sha256" desc:"sha256, sha1 or md5"`
	AkamaiTokenName       string        `envconfig:"TOKENSVC_AKAMAI_TOKEN_NAME" default:"__token__" desc:"cookie (and query) name of the token"`
	AkamaiSaltFile        string        `envconfig:"TOKENSVC_AKAMAI_SALT_FILE" desc:"optional file holding the EdgeAuth salt"`
	AkamaiEscape          bool          `envconfig:"TOKENSVC_AKAMAI_ESCAPE_EARLY" desc:"escape token fields before hashing, as the property expects"`
	CloudFrontKeys        []string      `envconfig:"TOKENSVC_CLOUDFRONT_KEYS" desc:"up to 3 KEY_ID=FILE private key PEMs (ECDSA P-256 recommended); the first signs, all verify"`
	CloudFrontHash        string        `envconfig:"TOKENSVC_CLOUDFRONT_HASH_ALGORITHM" desc:"SHA1 or SHA256 (default: SHA256 for ECDSA keys, SHA1 for RSA)"`
	GotipathSecrets       []string      `envconfig:"TOKENSVC_GOTIPATH_SECRET_FILES" desc:"up to 3 secret files; the first signs, all verify"`
	CookieDomain          string        `envconfig:"TOKENSVC_COOKIE_DOMAIN" desc:"Domain attribute of the cookies, e.g. .site.com (must span the app and CDN hosts; every host under it receives them); empty: host-only"`
	CookiePath            string        `envconfig:"TOKENSVC_COOKIE_PATH" default:"/" desc:"Path attribute of the cookies"`
	CookieSecure          bool          `envconfig:"TOKENSVC_COOKIE_SECURE" default:"true" desc:"Secure attribute (dev mode: false unless set)"`
	CookieHTTPOnly        bool          `envconfig:"TOKENSVC_COOKIE_HTTP_ONLY" default:"true" desc:"HttpOnly attribute"`
	CookieSameSite        string        `envconfig:"TOKENSVC_COOKIE_SAME_SITE" default:"Lax" desc:"Lax, Strict or None (None needs Secure)"`
	SessionCookie         string        `envconfig:"TOKENSVC_SESSION_COOKIE_NAME" default:"tokensvc_session" desc:"name of tokensvc's own session cookie"`
	SessionCookieAge      time.Duration `envconfig:"TOKENSVC_SESSION_COOKIE_MAX_AGE" default:"720h" desc:"how long the browser keeps the session cookie, so /refresh can still say otp_required or login_required after a session ended"`
	SessionCookiePath     string        `envconfig:"TOKENSVC_SESSION_COOKIE_PATH" desc:"Path attribute of the session cookie alone, so that image requests do not carry it: a path covering where the browser calls /refresh and /logout and the app routes that forward its Cookie header (e.g. /api); empty: TOKENSVC_COOKIE_PATH"`
	SessionCookieHostOnly bool          `envconfig:"TOKENSVC_SESSION_COOKIE_HOST_ONLY" desc:"no Domain attribute on the session cookie even with TOKENSVC_COOKIE_DOMAIN set: only the host that set it (the app's, relaying the grant) gets it back, so the browser must reach /refresh and /logout through that host"`

	APIKeys        []string `envconfig:"TOKENSVC_API_KEYS" desc:"comma-separated name:token backend credentials (development and tests)"`
	APIKeysFile    string   `envconfig:"TOKENSVC_API_KEYS_FILE" desc:"file of backend credentials, one name:token or name:sha256:HEX a line (production)"`
	APIKeyRate     float64  `envconfig:"TOKENSVC_API_KEY_RATE" default:"0" desc:"requests a second each API key may make, per replica (a token bucket; 0: no limit); past it 429 rate_limited with Retry-After"`
	APIKeyBurst    int      `envconfig:"TOKENSVC_API_KEY_BURST" default:"0" desc:"size of each API key's token bucket: how many requests it may make at once (0: one second's worth of TOKENSVC_API_KEY_RATE)"`
	AllowedOrigins []string `envconfig:"TOKENSVC_ALLOWED_ORIGINS" desc:"origins allowed to call /refresh and /logout with credentials (CORS and CSRF check)"`
	TrustedProxies []string `envconfig:"TOKENSVC_TRUSTED_PROXIES" default:"127.0.0.1/32,::1/128" desc:"CIDRs of the proxies allowed to call GET /verify and speak for the client (X-Original-URL, X-Forwarded-*, X-Real-IP)"`

	SessionStore      string        `envconfig:"TOKENSVC_SESSION_STORE" default:"memory" desc:"memory or redis"`
	RedisURL          Secret        `envconfig:"TOKENSVC_REDIS_URL" desc:"redis://, rediss://; ?master_name= for Sentinel, ?addr= for Cluster"`
	RedisCluster      bool          `envconfig:"TOKENSVC_REDIS_CLUSTER" desc:"force cluster mode for a single configuration endpoint"`
	RedisAutoPipeline bool          `envconfig:"TOKENSVC_REDIS_AUTOPIPELINE" default:"true" desc:"batch concurrent requests' Redis commands into shared pipelines (go-redis AutoPipeliner, experimental; false: one pipeline a request)"`
	RedisTimeout      time.Duration `envconfig:"TOKENSVC_REDIS_TIMEOUT" default:"2s" desc:"longest one Redis call waits before the request answers 503 store_unavailable (at most 10s; a refresh makes up to two calls)"`
	RedisFlushDelay   time.Duration `envconfig:"TOKENSVC_REDIS_FLUSH_DELAY" default:"100us" desc:"autopipeliner: wait this long for more commands before each flush (go-redis MaxFlushDelay; 100µs is the balance its authors recommend). 0 leaves go-redis's own coalescing: about 1 ms faster a call on an idle service, but at 64 concurrent grants 12-38 % less throughput and about twice the p99 on our 2-core test machine"`

	GuestNewTTL time.Duration `envconfig:"TOKENSVC_GUEST_NEW_TTL" default:"20m" desc:"GUEST_NEW lifetime, hard"`
	GuestOTPTTL time.Duration `envconfig:"TOKENSVC_GUEST_OTP_TTL" default:"1h" desc:"GUEST_OTP lifetime, hard"`
	LoggedInTTL time.Duration `envconfig:"TOKENSVC_LOGGED_IN_TTL" default:"2h" desc:"LOGGED_IN lifetime from the last activity"`
	LoggedInMax time.Duration `envconfig:"TOKENSVC_LOGGED_IN_MAX" default:"12h" desc:"absolute cap of a LOGGED_IN session"`

	MetricsAddr   string        `envconfig:"TOKENSVC_METRICS_ADDR" desc:"if set, GET /metrics is served only on this address (e.g. 127.0.0.1:9090), not on the API listener"`
	MaxBodyBytes  int64         `envconfig:"TOKENSVC_MAX_BODY_BYTES" default:"8192" desc:"largest accepted request body"`
	ShutdownGrace time.Duration `envconfig:"TOKENSVC_SHUTDOWN_GRACE" default:"15s" desc:"how long in-flight requests get on SIGTERM"`
}

// Formats is the closed set of CDN format names.
var Formats = []string{"cloudcdn", "akamai", "cloudfront", "gotipath"}

// Load reads the environment. dev reports whether dev mode is on: asked for
// with TOKENSVC_DEV, or implied because no TOKENSVC_* variable is set.
func Load() (*Config, error) {
	var c Config
	// The tags hold the full names and the prefix is empty on purpose:
	// with a prefix, envconfig falls back to the bare tag name when the
	// prefixed variable is unset, so REDIS_URL, DEV or ADDR set for some
	// other program would configure tokensvc behind the operator's back.
	// Both problems are reported together: an operator who misspelt one
	// name and mistyped another value fixes both in one go.
	var errs []error
	if err := envconfig.Process("", &c); err != nil {
		errs = append(errs, redactParse(err))
	}
	if unknown := unknownVariables(); len(unknown) > 0 {
		// A misspelt setting would otherwise be ignored in silence: a
		// TOKENSVC_COOKIE_DOMIAN leaves every cookie host-only, and the
		// CDN never sees one. The value is not quoted (it may be a secret).
		errs = append(errs, fmt.Errorf("%s %s not a tokensvc setting (the README's configuration table lists them all)",
			strings.Join(unknown, ", "), plural(len(unknown), "is", "are")))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	if !c.Dev && !anyTokensvcVar() {
		c.Dev = true
	}
	return &c, nil
}

// redactParse keeps the variable's name but not its value: envconfig's own
// message quotes the value, which may be a secret.
func redactParse(err error) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: cannot parse its value as %s", pe.KeyName, pe.TypeName)
	}
	return err
}

// settings is the name of every variable Config reads.
var settings = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[Config]()
	for i := 0; i < t.NumField(); i++ {
		m[t.Field(i).Tag.Get("envconfig")] = true
	}
	return m
}()

// suiteVariables are the test suite's own TOKENSVC_* variables
// (TOKENSVC_SKIP_EXTERNAL: DEVELOPERS.md; TOKENSVC_SHARED_TESTDATA:
// internal/signing/testdata/vectors/ORIGIN.md; TOKENSVC_ARTIFACTS: the e2e
// screenshots); tokensvc reads none of them, and a developer may have them
// set in the shell that starts it.
var suiteVariables = map[string]bool{
	"TOKENSVC_SKIP_EXTERNAL": true, "TOKENSVC_SHARED_TESTDATA": true, "TOKENSVC_ARTIFACTS": true,
}

// unknownVariables lists, sorted, the TOKENSVC_* variables set that are
// neither a setting nor the test suite's.
func unknownVariables() []string {
	var unknown []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TOKENSVC_") && !settings[k] && !suiteVariables[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	return slices.Compact(unknown)
}

// anyTokensvcVar reports whether any setting is set: dev mode is implied
// only when none is (the test suite's variables do not count).
func anyTokensvcVar() bool {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); settings[k] {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Validate reports every problem at once, so an operator fixes them in one
// go. Dev mode must have been applied first (ApplyDev fills the gaps).
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if host, _, err := net.SplitHostPort(c.Addr); err != nil {
		add("TOKENSVC_ADDR %q is not host:port", c.Addr)
	} else if c.Dev && !c.DevPublic && !loopback(host) {
		add("dev mode listens on loopback only (TOKENSVC_ADDR %q): its demo app hands a signed-in session to anyone who asks. Use 127.0.0.1, turn dev mode off, or set TOKENSVC_DEV_PUBLIC=true on a network only you reach", c.Addr)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		add("TOKENSVC_METRICS_ADDR %q is not host:port", c.MetricsAddr)
	}
	if len(c.CDN) == 0 {
		add("TOKENSVC_CDN is empty: name at least one of %s", strings.Join(Formats, ", "))
	}
	seen := map[string]bool{}
	for _, f := range c.CDN {
		if !slices.Contains(Formats, f) {
			add("TOKENSVC_CDN: unknown format %q (want %s)", f, strings.Join(Formats, ", "))
		}
		if seen[f] {
			add("TOKENSVC_CDN lists %q twice", f)
		}
		seen[f] = true
	}
	// Every signed prefix is this followed by the path: it must be the URL
	// as a browser requests it (lower-case host, no default port), or the
	// CDN's comparison fails; and nothing may follow the host (a "?" or
	// "#" would end the signed URL's path early).
	if err := api.CheckBaseURL("TOKENSVC_CDN_BASE_URL", c.CDNBaseURL); err != nil {
		errs = append(errs, err)
	}
	keyCount := func(name string, n int, needed bool) {
		if needed && n == 0 {
			add("%s is empty but TOKENSVC_CDN includes its format", name)
		}
		if n > 3 {
			add("%s lists %d keys; at most 3 (the first signs, all verify)", name, n)
		}
	}
	keyCount("TOKENSVC_CLOUDCDN_KEYS", len(c.CloudCDNKeys), seen["cloudcdn"])
	keyCount("TOKENSVC_AKAMAI_KEY_FILES", len(c.AkamaiKeyFiles), seen["akamai"])
	keyCount("TOKENSVC_CLOUDFRONT_KEYS", len(c.CloudFrontKeys), seen["cloudfront"])
	keyCount("TOKENSVC_GOTIPATH_SECRET_FILES", len(c.GotipathSecrets), seen["gotipath"])
	for _, kv := range c.CloudCDNKeys {
		if n, f, ok := strings.Cut(kv, "="); !ok || n == "" || f == "" {
			add("TOKENSVC_CLOUDCDN_KEYS entry must be NAME=FILE")
		}
	}
	for _, kv := range c.CloudFrontKeys {
		if n, f, ok := strings.Cut(kv, "="); !ok || n == "" || f == "" {
			add("TOKENSVC_CLOUDFRONT_KEYS entry must be KEY_ID=FILE")
		}
	}
	switch c.CloudFrontHash {
	case "", "SHA1", "SHA256":
	default:
		add("TOKENSVC_CLOUDFRONT_HASH_ALGORITHM %q: want SHA1 or SHA256", c.CloudFrontHash)
	}
	switch c.AkamaiAlgorithm {
	case "sha256", "sha1", "md5":
	default:
		add("TOKENSVC_AKAMAI_ALGORITHM %q: want sha256, sha1 or md5", c.AkamaiAlgorithm)
	}

	if len(c.APIKeys) == 0 && c.APIKeysFile == "" {
		add("no backend credentials: set TOKENSVC_API_KEYS_FILE (or TOKENSVC_API_KEYS)")
	}
	for _, o := range c.AllowedOrigins {
		if !api.ValidOrigin(o) {
			add("TOKENSVC_ALLOWED_ORIGINS: %q is not an origin as a browser sends it (scheme://host[:port]: lower case, no path, no default port)", o)
		}
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		add("TOKENSVC_TRUSTED_PROXIES: %v", err)
	}
	if c.CookieDomain != "" && !validCookieDomain(c.CookieDomain) {
		add("TOKENSVC_COOKIE_DOMAIN %q is not a domain name", c.CookieDomain)
	} else if u, err := url.Parse(c.CDNBaseURL); c.CookieDomain != "" && err == nil && u.Hostname() != "" {
		// The browser sends the cookies only to hosts inside their Domain
		// (RFC 6265 5.1.3): the CDN must be one of them.
		d := strings.ToLower(strings.TrimPrefix(c.CookieDomain, "."))
		if h := strings.ToLower(u.Hostname()); h != d && !strings.HasSuffix(h, "."+d) {
			add("TOKENSVC_COOKIE_DOMAIN %q does not cover the CDN host %q of TOKENSVC_CDN_BASE_URL: browsers would never send it the cookies", c.CookieDomain, u.Hostname())
		}
	}
	if !validCookiePath(c.CookiePath) {
		add("TOKENSVC_COOKIE_PATH %q must start with / and hold only visible ASCII, no ;", c.CookiePath)
	}
	if c.SessionCookiePath != "" && !validCookiePath(c.SessionCookiePath) {
		add("TOKENSVC_SESSION_COOKIE_PATH %q must start with / and hold only visible ASCII, no ;", c.SessionCookiePath)
	}
	if _, err := ParseSameSite(c.CookieSameSite); err != nil {
		add("TOKENSVC_COOKIE_SAME_SITE: %v", err)
	} else if strings.EqualFold(c.CookieSameSite, "none") && !c.CookieSecure {
		add("TOKENSVC_COOKIE_SAME_SITE=None needs TOKENSVC_COOKIE_SECURE=true (browsers drop it otherwise)")
	}
	if c.APIKeyRate < 0 || math.IsNaN(c.APIKeyRate) || math.IsInf(c.APIKeyRate, 0) {
		add("TOKENSVC_API_KEY_RATE %v: want 0 (no limit) or a positive number of requests a second", c.APIKeyRate)
	}
	if c.APIKeyBurst < 0 {
		add("TOKENSVC_API_KEY_BURST %d: want 0 or more", c.APIKeyBurst)
	} else if c.APIKeyBurst > 0 && c.APIKeyRate == 0 {
		add("TOKENSVC_API_KEY_BURST needs TOKENSVC_API_KEY_RATE: without a rate there is no limit")
	}
	if !signing.ValidCookieName(c.SessionCookie) {
		add("TOKENSVC_SESSION_COOKIE_NAME %q is not a cookie name", c.SessionCookie)
	} else if p := c.cookiePrefixProblem(c.SessionCookie, true); p != "" {
		add("TOKENSVC_SESSION_COOKIE_NAME %q: %s", c.SessionCookie, p)
	}
	if p := c.cookiePrefixProblem(c.AkamaiTokenName, false); p != "" && slices.Contains(c.CDN, "akamai") {
		add("TOKENSVC_AKAMAI_TOKEN_NAME %q: %s", c.AkamaiTokenName, p)
	}
	if longest := max(c.GuestNewTTL, c.GuestOTPTTL, c.LoggedInTTL, c.LoggedInMax); c.SessionCookieAge < longest {
		// The browser would drop the session cookie while its session
		// lives: /refresh would then say no_session to a live session.
		add("TOKENSVC_SESSION_COOKIE_MAX_AGE %v is shorter than the longest session (%v): the browser would lose live sessions", c.SessionCookieAge, longest)
	}

	switch c.SessionStore {
	case "memory":
	case "redis":
		if c.RedisURL == "" {
			add("TOKENSVC_SESSION_STORE=redis needs TOKENSVC_REDIS_URL")
		}
		if c.RedisFlushDelay < 0 || c.RedisFlushDelay > 10*time.Millisecond {
			add("TOKENSVC_REDIS_FLUSH_DELAY %s: want 0 to 10ms", c.RedisFlushDelay)
		}
		if c.RedisTimeout < 10*time.Millisecond || c.RedisTimeout > 10*time.Second {
			add("TOKENSVC_REDIS_TIMEOUT %s: want 10ms to 10s (requests must get their 503 well inside the server's timeouts)", c.RedisTimeout)
		}
	default:
		add("TOKENSVC_SESSION_STORE %q: want memory or redis", c.SessionStore)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"TOKENSVC_GUEST_NEW_TTL", c.GuestNewTTL}, {"TOKENSVC_GUEST_OTP_TTL", c.GuestOTPTTL}, {"TOKENSVC_LOGGED_IN_TTL", c.LoggedInTTL}, {"TOKENSVC_LOGGED_IN_MAX", c.LoggedInMax}} {
		if d.v < time.Second {
			add("%s %v is under one second", d.name, d.v)
		}
	}
	if c.LoggedInMax < c.LoggedInTTL {
		add("TOKENSVC_LOGGED_IN_MAX %v is shorter than TOKENSVC_LOGGED_IN_TTL %v", c.LoggedInMax, c.LoggedInTTL)
	}
	if c.MaxBodyBytes < 256 || c.MaxBodyBytes > 1<<20 {
		add("TOKENSVC_MAX_BODY_BYTES %d: want 256 to 1048576", c.MaxBodyBytes)
	}
	if c.LogBuffer < 0 || c.LogBuffer > 64<<20 {
		add("TOKENSVC_LOG_BUFFER %d: want 0 to 67108864", c.LogBuffer)
	}
	switch c.Level {
	case "debug", "info", "warn", "error":
	default:
		add("TOKENSVC_LOG_LEVEL %q: want debug, info, warn or error", c.Level)
	}
	if c.ShutdownGrace < 0 {
		add("TOKENSVC_SHUTDOWN_GRACE is negative")
	}
	return errors.Join(errs...)
}

// TrustedProxyPrefixes parses TOKENSVC_TRUSTED_PROXIES (a bare address is
// a /32 or /128).
func (c *Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseSameSite reads Lax, Strict or None.
func ParseSameSite(s string) (http.SameSite, error) {
	switch strings.ToLower(s) {
	case "lax":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("%q: want Lax, Strict or None", s)
}

// cookiePrefixProblem says why browsers would refuse a cookie named name
// with the configured attributes, or "" when they take it. The name
// prefixes __Secure- and __Host- (RFC 6265bis 4.1.3, matched without regard
// to case) bind a cookie to Secure, and __Host- also to Path=/ and no
// Domain: a session cookie named __Host-… cannot be planted by another host
// under a shared domain. The later drafts' __Http- and __Host-Http- also
// bind it to HttpOnly.
func (c *Config) cookiePrefixProblem(name string, session bool) string {
	lower := strings.ToLower(name)
	if (strings.HasPrefix(lower, "__http-") || strings.HasPrefix(lower, "__host-http-")) && !c.CookieHTTPOnly {
		return "browsers take a __Http- or __Host-Http- cookie only with HttpOnly (TOKENSVC_COOKIE_HTTP_ONLY=true)"
	}
	switch {
	case strings.HasPrefix(lower, "__host-"):
		path, domain := c.CookiePath, c.CookieDomain
		if session {
			if c.SessionCookiePath != "" {
				path = c.SessionCookiePath
			}
			if c.SessionCookieHostOnly {
				domain = ""
			}
		}
		if !c.CookieSecure || path != "/" || domain != "" {
			return "browsers take a __Host- cookie only with Secure, Path=/ and no Domain (TOKENSVC_COOKIE_SECURE=true, its Path /, and no TOKENSVC_COOKIE_DOMAIN or TOKENSVC_SESSION_COOKIE_HOST_ONLY=true)"
		}
	case strings.HasPrefix(lower, "__secure-"):
		if !c.CookieSecure {
			return "browsers take a __Secure- cookie only with Secure (TOKENSVC_COOKIE_SECURE=true)"
		}
	}
	return ""
}

// validCookiePath reports whether p is a cookie Path net/http writes as
// given: it drops the bytes it finds invalid (controls, DEL, non-ASCII,
// ";"), which would scope the cookies elsewhere than configured. Spaces
// are refused too: no URL path holds one unescaped.
func validCookiePath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == ';' {
			return false
		}
	}
	return true
}

func validCookieDomain(d string) bool {
	d, dotted := strings.CutPrefix(d, ".")
	if d == "" || len(d) > 253 {
		return false
	}
	if a, err := netip.ParseAddr(d); err == nil {
		// An IPv4 address as it is, not an IPv6 one nor ".1.2.3.4":
		// net/http and browsers drop those.
		return a.Is4() && !dotted
	}
	// A name that is not an address has a letter somewhere: net/http drops
	// a Domain without one ("0000-000"), and the cookies would silently go
	// to tokensvc's own host only (found by FuzzCookieDomain).
	if !strings.ContainsFunc(d, func(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }) {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// loopback reports whether host (from host:port) names only this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
