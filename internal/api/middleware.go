package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"
)

// reqInfo is filled in as the request passes through middleware. It
// travels with the request's ResponseWriter (observe's statusWriter), not in
// a context value: r.WithContext copies the whole Request, two allocations
// and some 300 bytes on every request.
type reqInfo struct {
	id     string
	apiKey string // the authenticated backend's key name, never its token
	// rolled is what the rolling middleware found, for the handler (when
	// hasRolled).
	rolled    rolled
	hasRolled bool
}

// infoOf returns the reqInfo observe attached to w, looking through any
// wrapper that has an Unwrap method (http.ResponseController's convention);
// nil outside observe.
func infoOf(w http.ResponseWriter) *reqInfo {
	for range 16 { // a bound, against a wrapper that unwraps to itself
		switch x := w.(type) {
		case *statusWriter:
			return x.info
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// requestID returns the request's id ("" outside observe).
func requestID(w http.ResponseWriter) string {
	if ri := infoOf(w); ri != nil {
		return ri.id
	}
	return ""
}

// reqIDs makes request ids: a random per-process prefix and a counter, so
// ids are unique across replicas without a syscall per request.
type reqIDs struct {
	prefix string
	n      atomic.Uint64
}

func newReqIDs() *reqIDs {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &reqIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (g *reqIDs) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.n.Add(1), 10)
	return string(b)
}

// validRequestID accepts a caller's X-Request-Id only when it is short and
// plain, so it can go into logs and headers as is.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter records the status code and size of a response, and carries
// the request's reqInfo.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	info   *reqInfo
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// reqState is everything observe needs for one request: the status
// recorder, the facts later middleware fills in and the log fields. It is
// some 900 bytes, so observe takes it from a pool and returns it, zeroed,
// once the request is logged. Nothing may keep a pointer into it past the
// handler's return: not the ResponseWriter (net/http's rule for every
// handler), not its reqInfo, and not a header value (the response headers
// are written after observe returns when a handler wrote none, which is why
// the X-Request-Id value is a slice of its own). The log fields are encoded
// as the line is written (zap's JSON core); a core that kept Field values
// past Write would see them zeroed.
type reqState struct {
	statusWriter
	info   reqInfo
	fields [7]zap.Field
}

// observe gives each request an id, then logs it and records its duration
// by route pattern (never the raw path: it holds subjects): route, or when
// it is "", the pattern chi matched.
func (a *API) observe(route string, next http.Handler) http.Handler {
	ids := a.ids
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rs := reqStates.Get().(*reqState)
		rs.statusWriter = statusWriter{ResponseWriter: w, info: &rs.info}
		if id := header(r.Header, "X-Request-Id"); validRequestID(id) {
			rs.info.id = id
		} else {
			rs.info.id = ids.next()
		}
		w.Header()["X-Request-Id"] = []string{rs.info.id}
		next.ServeHTTP(&rs.statusWriter, r)
		if rs.status == 0 {
			rs.status = http.StatusOK
		}
		route := route
		if route == "" {
			route = "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
		}
		d := time.Since(start)
		method := methodLabel(r.Method)
		a.metrics.observeHTTP(route, method, rs.status, d)
		if ce := a.accessLog.Check(zap.InfoLevel, "request"); ce != nil {
			f := append(rs.fields[:0],
				zap.String("request_id", rs.info.id), zap.String("method", method),
				zap.String("route", route), zap.Int("status", rs.status),
				zap.Int("bytes", rs.bytes), zap.Duration("duration", d))
			if rs.info.apiKey != "" {
				f = append(f, zap.String("api_key", rs.info.apiKey))
			}
			ce.Write(f...)
		}
		*rs = reqState{}
		reqStates.Put(rs)
	})
}

// reqStates holds the zeroed reqStates of finished requests. A request that
// panics past the recoverer (http.ErrAbortHandler) leaves its state to the
// garbage collector.
var reqStates = sync.Pool{New: func() any { return new(reqState) }}

// methodLabel keeps the method label (and log field) a closed set: any
// client may send any method token, and each new one would be a new metric
// series held forever (security review).
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// recoverer turns a panic into a 500 problem and a log line with the stack,
// so no stack trace ever reaches a client.
func (a *API) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic", zap.String("request_id", requestID(w)),
					zap.String("panic", fmt.Sprint(v)), zap.StackSkip("stack", 2))
				a.render(w, r, errInternal())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// checkOrigin is the CSRF defence of the browser routes: a browser always
// sends Origin on a cross-site POST (and on preflights), so a request whose
// Origin is missing or not listed is refused before it touches a session.
// So is one with more than one Origin header: a browser sends one, and the
// CORS layer would echo every value into Access-Control-Allow-Origin, the
// unchecked ones too.
func (a *API) checkOrigin(next http.Handler) http.Handler {
	allowed := slices.Clone(a.opt.AllowedOrigins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := header(r.Header, "Origin")
		if origin == "" || len(r.Header["Origin"]) != 1 || !slices.Contains(allowed, origin) {
			a.render(w, r, errForbiddenOrigin())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CheckBaseURL is the one check of a CDN base URL (TOKENSVC_CDN_BASE_URL,
// Options.CDNBaseURL, tokensvc edge --public-url): ValidOrigin after one
// trailing "/". The error names the setting as name.
func CheckBaseURL(name, v string) error {
	if ValidOrigin(strings.TrimSuffix(v, "/")) {
		return nil
	}
	return fmt.Errorf("%s %q must be scheme://host[:port] as a browser writes it (lower case, no default port, no path), e.g. https://cdn.site.com", name, v)
}

// ValidOrigin reports whether o is an origin as a browser sends it in an
// Origin header (RFC 6454 serialization): http or https, a lower-case host,
// a port only when it is not the scheme's default, and nothing else (no
// user, path, "?" or "#"). The header is compared byte for byte, so any
// other spelling of the same origin would never match. The CDN base URL
// (Options.CDNBaseURL, without one trailing "/") must pass it too: it
// starts every signed prefix, and the browser requests the media under
// exactly this spelling.
func ValidOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || o != u.Scheme+"://"+u.Host {
		return false
	}
	port := u.Port()
	switch {
	case u.Host != strings.ToLower(u.Host):
		return false
	case port == "" && strings.HasSuffix(u.Host, ":"):
		return false
	case u.Scheme == "https" && port == "443", u.Scheme == "http" && port == "80":
		return false
	}
	return true
}
