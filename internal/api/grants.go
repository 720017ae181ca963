package api

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
)

// grantRequest is the body of POST /grants.
type grantRequest struct {
	Role    string `json:"role"`
	Subject string `json:"subject"`
}

// Validate checks presence; policy.Decide checks the values.
func (g *grantRequest) Validate() error {
	if g.Role == "" {
		return problem(http.StatusBadRequest, "unknown_role", "Unknown role", "role is required")
	}
	if g.Subject == "" {
		return problem(http.StatusBadRequest, "invalid_subject", "Invalid subject", "subject is required")
	}
	return nil
}

// cookieJSON describes one cookie for backends that build cookies
// themselves: everything a Set-Cookie header would say.
type cookieJSON struct {
	CDN      string    `json:"cdn"` // the format, or "tokensvc" for the session cookie
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Domain   string    `json:"domain,omitempty"`
	Path     string    `json:"path"`
	Expires  time.Time `json:"expires"`
	MaxAge   int64     `json:"max_age"`
	Secure   bool      `json:"secure"`
	HTTPOnly bool      `json:"http_only"`
	SameSite string    `json:"same_site"`
}

// grantResponse is the 201 body of POST /grants (and the 200 body of a
// touch that re-issued cookies).
type grantResponse struct {
	Role             string       `json:"role"`
	Subject          string       `json:"subject"`
	Rolling          bool         `json:"rolling"`
	SessionExpiresAt time.Time    `json:"session_expires_at"`
	SessionCapAt     time.Time    `json:"session_cap_at"`
	CookiesExpireAt  time.Time    `json:"cookies_expire_at"`
	Cookies          []cookieJSON `json:"cookies"`
}

func (a *API) cookieJSON(sc cookieScope, format, name, value string, now, expires time.Time) cookieJSON {
	co := &a.opt.Cookie
	ss := "Lax"
	switch co.SameSite {
	case http.SameSiteStrictMode:
		ss = "Strict"
	case http.SameSiteNoneMode:
		ss = "None"
	}
	return cookieJSON{
		CDN: format, Name: name, Value: value, Domain: sc.domain, Path: sc.path,
		Expires: expires.UTC(), MaxAge: maxAge(now, expires),
		Secure: co.Secure, HTTPOnly: co.HTTPOnly, SameSite: ss,
	}
}

// postGrants: decode, validate, decide, sign, store, render.
func (a *API) postGrants(w http.ResponseWriter, r *http.Request) {
	var req grantRequest
	if err := a.decodeJSON(r, &req); err != nil {
		a.grantFailed(req.Role, "rejected")
		a.render(w, r, err)
		return
	}
	if err := req.Validate(); err != nil {
		a.grantFailed(req.Role, "rejected")
		a.render(w, r, err)
		return
	}
	now := a.now()
	d, err := a.policy.Decide(policy.Role(req.Role), req.Subject, now)
	if err != nil {
		a.grantFailed(req.Role, "rejected")
		a.render(w, r, err)
		return
	}
	id, err := newSessionValue(d.Rule.Role)
	if err != nil {
		a.grantFailed(req.Role, "error")
		a.render(w, r, err)
		return
	}
	// A grant's cookies are not cached: a refresh comes when they are lost
	// or expired (a 403), and then they are due or gone anyway; caching
	// every grant only churned the cache.
	var signed [5]cdnCookie // no format sets more
	cookies, err := a.sign(signed[:0], d.Rule.URLPrefix(a.base, d.Subject), d.Ends)
	if err != nil {
		a.grantFailed(req.Role, "error")
		a.render(w, r, err)
		return
	}
	s := session.Session{
		ID: id, Subject: d.Subject, Role: string(d.Rule.Role),
		Created: d.Start, Expires: d.Ends, Cap: d.Cap,
		Issued: d.Start, CookiesExpire: d.Ends,
	}
	if err := a.store.Put(r.Context(), s); err != nil {
		a.grantFailed(req.Role, "error")
		a.render(w, r, err)
		return
	}
	// A grant replaces the browser's current session when the backend
	// forwards it: a new id on every privilege change, the old one revoked
	// (reference/000 "cookie stomp": the same cookie names are overwritten).
	// Every value the browser sent is ended (see sessionCookieValues).
	// A failure is logged, not returned: the grant's own answer does not
	// depend on it, and the old session still ends on its own.
	if _, err := a.revokeAll(w, r, "role_change"); err != nil {
		a.log.Warn("revoke failed", zap.String("request_id", requestID(w)), zap.String("reason", "role_change"), zap.Error(err))
	}

	h := w.Header()
	a.writeCookies(h, now, cookies, d.Ends, id)
	resp := grantResponse{
		Role: string(d.Rule.Role), Subject: d.Subject, Rolling: d.Rule.Rolling,
		SessionExpiresAt: d.Ends, SessionCapAt: d.Cap, CookiesExpireAt: d.Ends,
	}
	var out [6]cookieJSON // no format sets more than five, and the session cookie
	resp.Cookies = out[:0]
	for _, c := range cookies {
		resp.Cookies = append(resp.Cookies, a.cookieJSON(a.cdnScope(), c.format, c.name, c.value, now, d.Ends))
	}
	for _, s := range a.signers {
		a.metrics.inc3(a.metrics.grants, string(d.Rule.Role), s.Format(), "issued")
	}
	resp.Cookies = append(resp.Cookies, a.cookieJSON(a.sessionScope(), "tokensvc", a.opt.Cookie.SessionName, id, now, now.Add(a.opt.Cookie.SessionMaxAge).Truncate(time.Second)))
	writeAnswer(w, http.StatusCreated, resp.appendJSON)
}

func (a *API) grantFailed(role, outcome string) {
	for _, s := range a.signers {
		a.metrics.inc3(a.metrics.grants, roleLabel(role), s.Format(), outcome)
	}
}

// revoke deletes the session id and forgets its cookies.
func (a *API) revoke(ctx context.Context, id string) error {
	a.issuer.forget(id)
	return a.store.Delete(ctx, id)
}
