package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

type keyring struct{ keys []APIKey }

func newKeyring(keys []APIKey) (*keyring, error) {
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.Name] {
			return nil, fmt.Errorf("api: API key name %q appears twice", k.Name)
		}
		seen[k.Name] = true
	}
	return &keyring{keys: keys}, nil
}

// match returns the name of the key whose token is token. It hashes the
// token and compares against every key in constant time, without stopping
// at the first match, so neither the token nor which key matched leaks
// through timing.
func (k *keyring) match(token string) (string, bool) {
	var h [sha256.Size]byte
	var buf [128]byte // a stack copy: converting would allocate per request
	if len(token) <= len(buf) {
		h = sha256.Sum256(buf[:copy(buf[:], token)])
	} else {
		h = sha256.Sum256([]byte(token))
	}
	name, found := "", 0
	for i := range k.keys {
		eq := subtle.ConstantTimeCompare(h[:], k.keys[i].Hash[:])
		if eq == 1 {
			name = k.keys[i].Name
		}
		found |= eq
	}
	return name, found == 1
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
		name, ok := a.keys.match(token)
		if !ok {
			a.render(w, r, errUnauthorized("unknown API key"))
			return
		}
		if ri := infoOf(w); ri != nil {
			ri.apiKey = name
		}
		next.ServeHTTP(w, r)
	})
}
