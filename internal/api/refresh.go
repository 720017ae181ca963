package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
	"go.uber.org/zap"
)

// rolled is what the rolling middleware found and did for a live session.
type rolled struct {
	s    session.Session // after any slide
	rule policy.Rule
	// iss is set when the middleware re-issued the CDN cookies (and already
	// wrote their Set-Cookie headers); reused says another caller's
	// signature was shared.
	iss    *issued
	reused bool
}

// rolledFrom returns what the rolling middleware left for the handler (in
// the request's reqInfo: no allocation of its own).
func rolledFrom(w http.ResponseWriter) *rolled {
	if ri := infoOf(w); ri != nil && ri.hasRolled {
		return &ri.rolled
	}
	return nil
}

// ended is the answer for a session that is over: a guest is asked for an
// OTP, a signed-in user to log in again. The tier comes from the session
// cookie, so the answer stays right days after the store forgot the session.
func ended(tier byte) *Problem {
	if tier == 'u' {
		return errLoginRequired()
	}
	return errOTPRequired()
}

// rolling runs on every session-bearing route. It loads the browser's
// session, slides a rolling one, and re-issues the CDN cookies only once
// they have passed half their lifetime: most requests sign nothing.
//
// A browser may hold more than one session cookie: one from before a
// change of the cookies' Domain or Path, which it keeps (and may send
// first) for up to the session cookie's Max-Age. The first value whose
// session lives is taken, so an ended leftover never shadows the live
// one; when none lives the answer speaks for the first.
func (a *API) rolling(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [maxSessionCookies]string
		ids, more := a.sessionCookieValues(buf[:0], r)
		if more {
			a.log.Warn("more session cookies than are tried at once", zap.String("request_id", requestID(w)),
				zap.Int("tried", len(ids)))
		}
		if len(ids) == 0 {
			a.refreshed("none", "no_session")
			a.render(w, r, errNoSession())
			return
		}
		now := a.now()
		// A well-formed value's first byte is its tier (parseSessionValue).
		res, err := a.roll(r.Context(), ids[0], ids[0][0], now)
		for _, id := range ids[1:] {
			if !isEnded(err) {
				break
			}
			if res2, err2 := a.roll(r.Context(), id, id[0], now); !isEnded(err2) {
				res, err = res2, err2
			}
		}
		if err != nil {
			var p *Problem
			switch {
			case errors.As(err, &p) && p.Code == "otp_required":
				a.refreshed("guest", "otp_required")
			case errors.As(err, &p) && p.Code == "login_required":
				a.refreshed(string(policy.LoggedIn), "login_required")
			default:
				a.refreshed("none", "error")
			}
			a.render(w, r, err)
			return
		}
		if res.iss != nil {
			a.writeIssued(w.Header(), res.iss, now)
		}
		// observe, outermost on every route, always attached a reqInfo to w.
		ri := infoOf(w)
		ri.rolled, ri.hasRolled = res, true
		next.ServeHTTP(w, r)
	})
}

// isEnded reports whether err is the answer for a session that is over.
func isEnded(err error) bool {
	var p *Problem
	return errors.As(err, &p) && (p.Code == "otp_required" || p.Code == "login_required")
}

func (a *API) roll(ctx context.Context, id string, tier byte, now time.Time) (rolled, error) {
	s, err := a.store.Get(ctx, id)
	if errors.Is(err, session.ErrNotFound) {
		return rolled{}, ended(tier)
	}
	if err != nil {
		return rolled{}, err
	}
	rule, err := a.policy.Rule(policy.Role(s.Role))
	if err != nil || policy.CheckSubject(s.Subject) != nil {
		// Fail closed on a record we did not write.
		return rolled{}, fmt.Errorf("api: corrupt session record (role %q)", roleLabel(s.Role))
	}
	ends, ok := rule.Slide(s.Expires, s.Cap, now)
	if !ok {
		return rolled{}, ended(tierOf(rule.Role))
	}
	res := rolled{rule: rule}
	switch {
	case rule.Rolling && !now.Before(reuseUntil(rule, s.Issued, s.CookiesExpire)):
		iss, reused, err := a.issuer.reissue(ctx, s, rule, now, ends)
		if errors.Is(err, session.ErrNotFound) {
			return rolled{}, ended(tierOf(rule.Role))
		}
		if err != nil {
			return rolled{}, err
		}
		s.Issued, s.CookiesExpire = iss.at, iss.expires
		if iss.expires.After(s.Expires) {
			s.Expires = iss.expires
		}
		res.iss, res.reused = iss, reused
	case ends.After(s.Expires):
		// Slide the session; its cookies are not due yet. Ends move in whole
		// seconds, so this writes at most once a second a session. No
		// cookie times: a re-sign may have landed since the read, and the
		// store keeps its (later) ones.
		err := a.store.Extend(ctx, id, session.Update{Expires: ends})
		if errors.Is(err, session.ErrNotFound) {
			return rolled{}, ended(tierOf(rule.Role))
		}
		if err != nil {
			return rolled{}, err
		}
		s.Expires = ends
	}
	res.s = s
	return res, nil
}

func (a *API) refreshed(role, outcome string) {
	for _, s := range a.signers {
		a.metrics.inc3(a.metrics.refreshes, role, s.Format(), outcome)
	}
}

// refreshResponse is the 200 body of POST /refresh. It carries no cookie
// value: the browser gets those only as HttpOnly cookies.
type refreshResponse struct {
	Role             string    `json:"role"`
	Rolling          bool      `json:"rolling"`
	SessionExpiresAt time.Time `json:"session_expires_at"`
	SessionCapAt     time.Time `json:"session_cap_at"`
	CookiesExpireAt  time.Time `json:"cookies_expire_at"`
	CDN              []string  `json:"cdn"`
}

// postRefresh answers a browser whose image just got a 403: fresh CDN
// cookies while the session lives. The cookies are the ones the middleware
// re-issued, or the current ones (shared, not re-signed, while fresh).
func (a *API) postRefresh(w http.ResponseWriter, r *http.Request) {
	res := rolledFrom(w)
	now := a.now()
	iss, outcome := res.iss, "resigned"
	if iss == nil {
		var reused bool
		var err error
		iss, reused, err = a.issuer.current(res.s, res.rule, now)
		if err != nil {
			a.refreshed(string(res.rule.Role), "error")
			a.render(w, r, err)
			return
		}
		if reused {
			outcome = "reused"
		}
		a.writeIssued(w.Header(), iss, now)
	} else if res.reused {
		outcome = "reused"
	}
	a.refreshed(string(res.rule.Role), outcome)
	resp := refreshResponse{
		Role: string(res.rule.Role), Rolling: res.rule.Rolling,
		SessionExpiresAt: res.s.Expires, SessionCapAt: res.s.Cap, CookiesExpireAt: iss.expires,
		CDN: a.formats(),
	}
	writeAnswer(w, http.StatusOK, resp.appendJSON)
}

// postTouch is the rolling refresh for backends that proxy user API calls:
// they forward the browser's Cookie header and relay any Set-Cookie back.
// 204 with no Set-Cookie when nothing is due; 200 with the new cookies
// (headers and body) when they were re-issued.
func (a *API) postTouch(w http.ResponseWriter, r *http.Request) {
	res := rolledFrom(w)
	if res.iss == nil {
		a.refreshed(string(res.rule.Role), "unchanged")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	outcome := "resigned"
	if res.reused {
		outcome = "reused"
	}
	a.refreshed(string(res.rule.Role), outcome)
	now := a.now()
	resp := grantResponse{
		Role: string(res.rule.Role), Subject: res.s.Subject, Rolling: res.rule.Rolling,
		SessionExpiresAt: res.s.Expires, SessionCapAt: res.s.Cap, CookiesExpireAt: res.iss.expires,
		Cookies: make([]cookieJSON, 0, len(res.iss.cookies)),
	}
	for _, c := range res.iss.cookies {
		resp.Cookies = append(resp.Cookies, a.cookieJSON(a.cdnScope(), c.format, c.name, c.value, now, res.iss.expires))
	}
	writeAnswer(w, http.StatusOK, resp.appendJSON)
}

// formats lists the configured formats (computed once in New; callers must
// not modify it).
func (a *API) formats() []string { return a.formatNames }
