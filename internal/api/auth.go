package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// APIKey is one backend's credential. Only the SHA-256 of its token is
// kept, so a production key file (name:sha256:HEX) never holds the token.
type APIKey struct {
	Name string
	Hash [sha256.Size]byte
}

// MinTokenLen is the shortest bearer token accepted in configuration.
const MinTokenLen = 16

// ParseAPIKey reads "name:token" or "name:sha256:HEX". Errors never quote
// the token.
func ParseAPIKey(s string) (APIKey, error) {
	name, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !validKeyName(name) {
		return APIKey{}, errors.New(`api key: want "name:token" or "name:sha256:HEX", with a name of 1-64 of [A-Za-z0-9_.-]`)
	}
	if h, ok := strings.CutPrefix(rest, "sha256:"); ok {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return APIKey{}, fmt.Errorf("api key %s: sha256 must be 64 hex digits", name)
		}
		k := APIKey{Name: name}
		copy(k.Hash[:], b)
		return k, nil
	}
	if len(rest) < MinTokenLen {
		return APIKey{}, fmt.Errorf("api key %s: token shorter than %d characters", name, MinTokenLen)
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c > '~' {
			return APIKey{}, fmt.Errorf("api key %s: token must be printable ASCII without spaces", name)
		}
	}
	return APIKey{Name: name, Hash: sha256.Sum256([]byte(rest))}, nil
}

func validKeyName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// keyring holds the backends' keys and, when a rate is set, a token
// bucket per key (golang.org/x/time/rate). The buckets are per process: N
// replicas admit up to N times the rate.
type keyring struct {
	keys   []APIKey
	limits []*rate.Limiter // nil: no limit
}

func newKeyring(keys []APIKey, perSecond float64, burst int) (*keyring, error) {
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.Name] {
			return nil, fmt.Errorf("api: API key name %q appears twice", k.Name)
		}
		seen[k.Name] = true
	}
	if perSecond < 0 || burst < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return nil, fmt.Errorf("api: API key rate %v and burst %d must be finite and not negative", perSecond, burst)
	}
	kr := &keyring{keys: keys}
	if perSecond > 0 {
		if burst == 0 {
			burst = max(1, int(math.Ceil(perSecond))) // one second's worth
		}
		for range keys {
			kr.limits = append(kr.limits, rate.NewLimiter(rate.Limit(perSecond), burst))
		}
	}
	return kr, nil
}

// maxRetryAfter caps Retry-After (seconds): a day.
const maxRetryAfter = 24 * 60 * 60

// admit takes one request from key i's bucket at now. When the bucket is
// empty it returns false and the whole seconds until a token is back.
func (k *keyring) admit(i int, now time.Time) (ok bool, retryAfter int) {
	if k.limits == nil {
		return true, 0
	}
	l := k.limits[i]
	if l.AllowN(now, 1) {
		return true, 0
	}
	// In float until clamped: a tiny rate would overflow the conversion.
	wait := min((1-l.TokensAt(now))/float64(l.Limit()), maxRetryAfter)
	return false, max(1, int(math.Ceil(wait)))
}

// match returns the index of the key whose token is token. It hashes the
// token and compares against every key in constant time, without stopping
// at the first match, so neither the token nor which key matched leaks
// through timing.
func (k *keyring) match(token string) (int, bool) {
	var h [sha256.Size]byte
	var buf [128]byte // a stack copy: converting would allocate per request
	if len(token) <= len(buf) {
		h = sha256.Sum256(buf[:copy(buf[:], token)])
	} else {
		h = sha256.Sum256([]byte(token))
	}
	idx, found := 0, 0
	for i := range k.keys {
		eq := subtle.ConstantTimeCompare(h[:], k.keys[i].Hash[:])
		idx = subtle.ConstantTimeSelect(eq, i, idx)
		found |= eq
	}
	return idx, found == 1
}

// authenticate admits backends with a valid bearer token.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := header(r.Header, "Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if h == "" {
			a.render(w, r, errUnauthorized("send Authorization: Bearer <token>"))
			return
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
			a.render(w, r, errUnauthorized("the Authorization header must be Bearer <token>"))
			return
		}
		i, ok := a.keys.match(token)
		if !ok {
			a.render(w, r, errUnauthorized("unknown API key"))
			return
		}
		name := a.keys.keys[i].Name
		if ri := infoOf(w); ri != nil {
			ri.apiKey = name
		}
		if ok, retry := a.keys.admit(i, a.now()); !ok {
			a.metrics.inc1(a.metrics.rateLimited, name)
			a.render(w, r, errRateLimited(retry))
			return
		}
		next.ServeHTTP(w, r)
	})
}
