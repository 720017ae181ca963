package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

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
	if id, _, ok := a.sessionCookie(r); ok {
		if err := a.revoke(r.Context(), id, "logout"); err != nil {
			a.clearCDNCookies(w.Header())
			a.render(w, r, err)
			return
		}
	}
	a.clearCookies(w.Header())
	w.WriteHeader(http.StatusNoContent)
}

// postRevoke revokes the session of the browser whose Cookie header the
// backend forwards, and answers with the Set-Cookie headers that clear it,
// for the backend to relay.
func (a *API) postRevoke(w http.ResponseWriter, r *http.Request) {
	n := 0
	if id, _, ok := a.sessionCookie(r); ok {
		if err := a.revoke(r.Context(), id, "revoke"); err != nil {
			a.render(w, r, err)
			return
		}
		n = 1
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
