package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// badRequest is one request that must be refused with a given problem.
type badRequest struct {
	name   string // "<status>/<what>"
	method string
	path   string
	body   string
	header map[string]string
	// auth: "" uses the harness's valid token; "-" sends none.
	auth   string
	status int
	code   string
}

func badRequests() []badRequest {
	jsonCT := map[string]string{"Content-Type": "application/json"}
	long := strings.Repeat("a", 65)
	return []badRequest{
		// Bodies.
		{name: "400/empty body", method: "POST", path: "/grants", body: "", header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/not json", method: "POST", path: "/grants", body: "role=GUEST_NEW", header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/truncated", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW"`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/array", method: "POST", path: "/grants", body: `[]`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/string", method: "POST", path: "/grants", body: `"GUEST_NEW"`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/number role", method: "POST", path: "/grants", body: `{"role":1,"subject":"guest_a"}`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/object subject", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":{}}`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/two values", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a"}{}`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/trailing garbage", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a"} x`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/invalid utf8 bytes", method: "POST", path: "/grants", body: "{\"role\":\"GUEST_NEW\",\"subject\":\"guest_\xff\"}", header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/duplicate names", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a","subject":"guest_b"}`, header: jsonCT, status: 400, code: "invalid_json"},
		{name: "400/unknown field", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a","ttl":99999}`, header: jsonCT, status: 400, code: "unknown_field"},
		{name: "400/prefix field smuggled", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a","prefix":"/"}`, header: jsonCT, status: 400, code: "unknown_field"},
		{name: "400/null", method: "POST", path: "/grants", body: `null`, header: jsonCT, status: 400, code: "unknown_role"},
		{name: "400/empty object", method: "POST", path: "/grants", body: `{}`, header: jsonCT, status: 400, code: "unknown_role"},
		{name: "400/unknown role", method: "POST", path: "/grants", body: `{"role":"ADMIN","subject":"user_1"}`, header: jsonCT, status: 400, code: "unknown_role"},
		{name: "400/lower-case role", method: "POST", path: "/grants", body: `{"role":"logged_in","subject":"user_1"}`, header: jsonCT, status: 400, code: "unknown_role"},
		{name: "400/missing subject", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/traversal subject", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_../../registered/user_1"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/slash subject", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"user_1/"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/percent subject", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"user_%2e%2e"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/wildcard subject", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"user_*"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/escaped nul subject", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"user_a\u0000"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/long subject", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"user_` + long + `"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/no tier prefix", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"42"}`, header: jsonCT, status: 400, code: "invalid_subject"},
		{name: "400/guest subject for logged in", method: "POST", path: "/grants", body: `{"role":"LOGGED_IN","subject":"guest_a"}`, header: jsonCT, status: 400, code: "role_subject_mismatch"},
		{name: "400/user subject for guest", method: "POST", path: "/grants", body: `{"role":"GUEST_OTP","subject":"user_1"}`, header: jsonCT, status: 400, code: "role_subject_mismatch"},
		{name: "400/bad subject in revoke path", method: "POST", path: "/subjects/admin/revoke", status: 400, code: "invalid_subject"},
		// Oversize.
		{name: "413/oversize body", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a","x":"` + strings.Repeat("x", 9000) + `"}`, header: jsonCT, status: 413, code: "payload_too_large"},
		// Headers.
		{name: "415/no content type", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a"}`, status: 415, code: "unsupported_media_type"},
		{name: "415/text plain", method: "POST", path: "/grants", body: `{"role":"GUEST_NEW","subject":"guest_a"}`, header: map[string]string{"Content-Type": "text/plain"}, status: 415, code: "unsupported_media_type"},
		{name: "415/form", method: "POST", path: "/grants", body: `role=GUEST_NEW`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 415, code: "unsupported_media_type"},
		{name: "415/latin1 charset", method: "POST", path: "/grants", body: `{}`, header: map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, status: 415, code: "unsupported_media_type"},
		{name: "415/malformed content type", method: "POST", path: "/grants", body: `{}`, header: map[string]string{"Content-Type": "application/json; ;"}, status: 415, code: "unsupported_media_type"},
		// Auth.
		{name: "401/no authorization", method: "POST", path: "/grants", body: `{}`, header: jsonCT, auth: "-", status: 401, code: "unauthorized"},
		{name: "401/wrong token", method: "POST", path: "/grants", body: `{}`, header: jsonCT, auth: "Bearer tok_wrong_wrong_wrong_wrong", status: 401, code: "unauthorized"},
		{name: "401/basic scheme", method: "POST", path: "/grants", body: `{}`, header: jsonCT, auth: "Basic YmFja2VuZDpzZWNyZXQ=", status: 401, code: "unauthorized"},
		{name: "401/bearer without token", method: "POST", path: "/grants", body: `{}`, header: jsonCT, auth: "Bearer ", status: 401, code: "unauthorized"},
		{name: "401/token with a space", method: "POST", path: "/grants", body: `{}`, header: jsonCT, auth: "Bearer a b", status: 401, code: "unauthorized"},
		{name: "401/touch without auth", method: "POST", path: "/sessions/touch", auth: "-", status: 401, code: "unauthorized"},
		{name: "401/revoke without auth", method: "POST", path: "/sessions/revoke", auth: "-", status: 401, code: "unauthorized"},
		{name: "401/subject revoke without auth", method: "POST", path: "/subjects/user_1/revoke", auth: "-", status: 401, code: "unauthorized"},
		// Sessions.
		{name: "401/touch without session", method: "POST", path: "/sessions/touch", status: 401, code: "no_session"},
		{name: "401/refresh without session", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": origin}, status: 401, code: "no_session"},
		{name: "401/refresh with a malformed session", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": origin, "Cookie": "tokensvc_session=../../etc"}, status: 401, code: "no_session"},
		{name: "401/refresh with an unknown guest session", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": origin, "Cookie": "tokensvc_session=g.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, status: 401, code: "otp_required"},
		{name: "401/refresh with an unknown user session", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": origin, "Cookie": "tokensvc_session=u.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, status: 401, code: "login_required"},
		// Origins.
		{name: "403/refresh without origin", method: "POST", path: "/refresh", auth: "-", status: 403, code: "forbidden_origin"},
		{name: "403/refresh from another origin", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": "https://evil.example"}, status: 403, code: "forbidden_origin"},
		{name: "403/refresh from a look-alike origin", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": origin + ".evil.example"}, status: 403, code: "forbidden_origin"},
		{name: "403/refresh from null origin", method: "POST", path: "/refresh", auth: "-", header: map[string]string{"Origin": "null"}, status: 403, code: "forbidden_origin"},
		{name: "403/logout from another origin", method: "POST", path: "/logout", auth: "-", header: map[string]string{"Origin": "http://app.site.com"}, status: 403, code: "forbidden_origin"},
		{name: "403/preflight from another origin", method: "OPTIONS", path: "/refresh", auth: "-", header: map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, status: 403, code: "forbidden_origin"},
		// Methods and routes.
		{name: "405/get grants", method: "GET", path: "/grants", status: 405, code: "method_not_allowed"},
		{name: "405/put grants", method: "PUT", path: "/grants", body: `{}`, header: jsonCT, status: 405, code: "method_not_allowed"},
		{name: "405/delete grants", method: "DELETE", path: "/grants", status: 405, code: "method_not_allowed"},
		{name: "405/get refresh", method: "GET", path: "/refresh", auth: "-", status: 405, code: "method_not_allowed"},
		{name: "405/post healthz", method: "POST", path: "/healthz", status: 405, code: "method_not_allowed"},
		{name: "404/unknown route", method: "GET", path: "/admin", status: 404, code: "not_found"},
		{name: "404/grants subpath", method: "POST", path: "/grants/x", status: 404, code: "not_found"},
		{name: "404/dot segments", method: "GET", path: "/temp/../metrics/x", status: 404, code: "not_found"},
	}
}

// TestBadRequests: every bad request gets its status and stable code, as
// problem+json, never a 5xx, and loses nothing: no session is created.
func TestBadRequests(t *testing.T) {
	tests := badRequests()
	if len(tests) < 40 {
		t.Fatalf("only %d bad requests; the table must hold at least 40", len(tests))
	}
	for _, sk := range stores(t) {
		h := newHarness(t, sk, []string{"cloudcdn", "akamai"})
		for _, tt := range tests {
			t.Run(sk.name+"/"+tt.name, func(t *testing.T) {
				req := httptest.NewRequest(tt.method, "http://tokensvc.internal"+tt.path, strings.NewReader(tt.body))
				switch tt.auth {
				case "":
					req.Header.Set("Authorization", "Bearer "+h.token)
				case "-":
				default:
					req.Header.Set("Authorization", tt.auth)
				}
				for k, v := range tt.header {
					req.Header.Set(k, v)
				}
				resp := h.do(req)
				if resp.StatusCode >= 500 {
					t.Fatalf("5xx: %d %s", resp.StatusCode, readBody(resp))
				}
				wantProblem(t, resp, tt.status, tt.code)
				if len(resp.Cookies()) != 0 {
					t.Errorf("a refused request set cookies: %v", resp.Header["Set-Cookie"])
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
				if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 %s without WWW-Authenticate (RFC 9110 15.5.2)", tt.code)
				}
				if tt.status == 405 && resp.Header.Get("Allow") == "" {
					t.Errorf("405 without Allow")
				}
			})
		}
		if n := h.counterSum("tokensvc_grants_total", map[string]string{"outcome": "issued"}); n != 0 {
			t.Errorf("%s: %v grants issued by bad requests", sk.name, n)
		}
		if n := h.signatures(); n != 0 {
			t.Errorf("%s: bad requests caused %v signatures", sk.name, n)
		}
	}
}
