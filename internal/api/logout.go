package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/policy"
)

// revokeResponse is the body of the backend revoke routes.
type revokeResponse struct {
	Revoked int `json:"revoked"`
}

// postLogout is the browser's logout: the session is revoked at once and
// every cookie the grant set is cleared. Logging out without a session is
// not an error (the cookies are cleared all the same). When the store cannot
// revoke the session, the answer is a 503 that still clears the CDN cookies
// (this browser stops seeing the media now) but keeps the session cookie, so
// that a retry can still end the session everywhere: a 204 then would have
// said "logged out" while the session lived on in the store.
func (a *API) postLogout(w http.ResponseWriter, r *http.Request) {
	if _, err := a.revokeAll(w, r, "logout"); err != nil {
		a.clearCDNCookies(w.Header())
		a.render(w, r, err)
		return
	}
	a.clearCookies(w.Header())
	w.WriteHeader(http.StatusNoContent)
}

// revokeAll revokes every session cookie value r carries (see
// sessionCookieValues) and returns how many; it stops at the first store
// failure. The revocation counts once under reason, however many values
// the request held: the store cannot tell a live id from a planted or
// forgotten one.
func (a *API) revokeAll(w http.ResponseWriter, r *http.Request, reason string) (int, error) {
	var buf [maxSessionCookies]string
	ids, more := a.sessionCookieValues(buf[:0], r)
	if more {
		a.log.Warn("more session cookies than are revoked at once", zap.String("request_id", requestID(w)),
			zap.String("reason", reason), zap.Int("revoked", len(ids)))
	}
	n, err := 0, error(nil)
	for _, id := range ids {
		if err = a.revoke(r.Context(), id); err != nil {
			break
		}
		n++
	}
	if n > 0 {
		a.metrics.inc1(a.metrics.revocations, reason)
	}
	return n, err
}

// postRevoke revokes the session of the browser whose Cookie header the
// backend forwards, and answers with the Set-Cookie headers that clear it,
// for the backend to relay.
func (a *API) postRevoke(w http.ResponseWriter, r *http.Request) {
	n, err := a.revokeAll(w, r, "revoke")
	if err != nil {
		a.render(w, r, err)
		return
	}
	a.clearCookies(w.Header())
	writeJSON(w, http.StatusOK, revokeResponse{Revoked: n})
}

// postRevokeSubject logs a subject out everywhere: every session of it, on
// every replica, ends now.
func (a *API) postRevokeSubject(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	if err := policy.CheckSubject(subject); err != nil {
		a.render(w, r, err)
		return
	}
	n, err := a.store.DeleteSubject(r.Context(), subject)
	if err != nil {
		a.render(w, r, err)
		return
	}
	a.metrics.counter(a.metrics.revocations, 1, "subject", "", "").Add(float64(n))
	a.clearCookies(w.Header())
	writeJSON(w, http.StatusOK, revokeResponse{Revoked: n})
}
