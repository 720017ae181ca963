package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/session"
)

// Problem is an RFC 9457 problem with tokensvc's stable code. Handlers return
// one (or any error; mapError finds the problem behind it) and render writes
// it. Detail is shown to the caller, so it never holds a key, a token, a
// cookie value or an upstream error's text.
type Problem struct {
	Status int
	Code   string
	Title  string
	Detail string
	// headers are set on the response (WWW-Authenticate, Allow).
	headers [][2]string
}

func (p *Problem) Error() string { return "api: " + p.Code + ": " + p.Detail }

func problem(status int, code, title, detail string) *Problem {
	return &Problem{Status: status, Code: code, Title: title, Detail: detail}
}

// The problems handlers raise directly. Titles are fixed per code (RFC 9457
// section 3.1.3: the title does not change from occurrence to occurrence).
func errInvalidJSON(detail string) *Problem {
	return problem(http.StatusBadRequest, "invalid_json", "Request body is not valid JSON", detail)
}

func errUnknownField(detail string) *Problem {
	return problem(http.StatusBadRequest, "unknown_field", "Request body has an unknown field", detail)
}

func errUnsupportedMediaType() *Problem {
	return problem(http.StatusUnsupportedMediaType, "unsupported_media_type", "Unsupported media type",
		"send the body as application/json")
}

func errPayloadTooLarge(limit int64) *Problem {
	return problem(http.StatusRequestEntityTooLarge, "payload_too_large", "Payload too large",
		"the body is over "+strconv.FormatInt(limit, 10)+" bytes")
}

func errUnauthorized(detail string) *Problem {
	p := problem(http.StatusUnauthorized, "unauthorized", "Unauthorized", detail)
	p.headers = [][2]string{{"WWW-Authenticate", `Bearer realm="tokensvc"`}}
	return p
}

// errRateLimited is the answer for a backend over its API key's rate; the
// caller may retry after retryAfter seconds (RFC 9110 10.2.3).
func errRateLimited(retryAfter int) *Problem {
	p := problem(http.StatusTooManyRequests, "rate_limited", "Too many requests",
		"this API key is over its request rate; retry after Retry-After seconds")
	p.headers = [][2]string{{"Retry-After", strconv.Itoa(retryAfter)}}
	return p
}

func errForbiddenOrigin() *Problem {
	return problem(http.StatusForbidden, "forbidden_origin", "Origin not allowed",
		"this route answers browsers only from the configured allowed origins")
}

// sessionChallenge is the WWW-Authenticate of the session 401s: RFC 9110
// (15.5.2) has every 401 carry a challenge, and the credential here is the
// session cookie, which a new grant (an OTP, a login) sets.
var sessionChallenge = [][2]string{{"WWW-Authenticate", `Cookie realm="tokensvc"`}}

// sessionOver is a session 401 (no session, or one that ended), with its
// challenge.
func sessionOver(code, title, detail string) *Problem {
	p := problem(http.StatusUnauthorized, code, title, detail)
	p.headers = sessionChallenge
	return p
}

func errNoSession() *Problem {
	return sessionOver("no_session", "No session", "the request carries no tokensvc session cookie")
}

func errOTPRequired() *Problem {
	return sessionOver("otp_required", "Guest session is over", "ask the guest for a one-time password, then grant GUEST_OTP")
}

func errLoginRequired() *Problem {
	return sessionOver("login_required", "Session is over", "the signed-in session ended, reached its cap or was revoked: log in again")
}

func errNotFound() *Problem {
	return problem(http.StatusNotFound, "not_found", "Not found", "no such route")
}

func errMethodNotAllowed(allow string) *Problem {
	p := problem(http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed", "this route allows "+allow)
	p.headers = [][2]string{{"Allow", allow}}
	return p
}

func errStoreUnavailable() *Problem {
	return problem(http.StatusServiceUnavailable, "store_unavailable", "Session store unavailable",
		"the session store cannot be reached; try again")
}

func errInternal() *Problem {
	return problem(http.StatusInternalServerError, "internal", "Internal error",
		"something went wrong on our side; the request id identifies it in the logs")
}

// mapError is the one mapping from domain errors to problems.
func mapError(err error) *Problem {
	var p *Problem
	var se *policy.SubjectError
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, policy.ErrUnknownRole):
		return problem(http.StatusBadRequest, "unknown_role", "Unknown role",
			"role must be one of GUEST_NEW, GUEST_OTP, LOGGED_IN")
	case errors.As(err, &se):
		return problem(http.StatusBadRequest, "invalid_subject", "Invalid subject", se.Reason)
	case errors.Is(err, policy.ErrRoleSubjectMismatch):
		return problem(http.StatusBadRequest, "role_subject_mismatch", "Subject does not fit the role",
			`GUEST_NEW and GUEST_OTP take "guest_…" subjects, LOGGED_IN takes "user_…"`)
	case errors.Is(err, session.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return errStoreUnavailable()
	}
	return errInternal()
}

// render writes err as application/problem+json. A problem that maps to a
// 5xx is logged with the real error and the request id: at Error, unless
// the client went away first (its request context canceled), which is no
// failure of tokensvc's and nobody reads the answer.
func (a *API) render(w http.ResponseWriter, r *http.Request, err error) {
	p := mapError(err)
	switch {
	case p.Status >= 500 && errors.Is(err, context.Canceled):
		a.log.Info("request canceled", zap.String("request_id", requestID(w)), zap.String("code", p.Code))
	case p.Status >= 500:
		a.log.Error("request failed", zap.String("request_id", requestID(w)),
			zap.String("code", p.Code), zap.Error(err))
	}
	h := w.Header()
	for _, kv := range p.headers {
		h.Set(kv[0], kv[1])
	}
	h["Content-Type"] = hdrProblemJSON
	if _, ok := h["Set-Cookie"]; ok {
		setCookieNoStore(h) // a problem that clears cookies (a logout the store failed)
	} else {
		h["Cache-Control"] = hdrNoStore
	}
	h["X-Content-Type-Options"] = hdrNoSniff
	b := make([]byte, 0, 256)
	b = append(b, `{"type":"urn:tokensvc:problem:`...)
	b = append(b, p.Code...)
	b = append(b, `","title":`...)
	b = appendJSONString(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, p.Detail)
	b = append(b, `,"instance":`...)
	b = appendJSONString(b, r.URL.Path)
	b = append(b, `,"code":"`...)
	b = append(b, p.Code...)
	b = append(b, `","request_id":`...)
	b = appendJSONString(b, requestID(w))
	b = append(b, "}\n"...)
	h["Content-Length"] = contentLength(len(b))
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}
