package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The contract: every response any API test produces is validated against
// openapi.yaml with kin-openapi. A route, status, header or body the
// document does not describe fails the test that produced it.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadContract(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	contract.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile("../../openapi.yaml")
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			contract.err = err
			return
		}
		contract.doc = doc
		// The document's one server is "/" (any host); route on paths only.
		routed := *doc
		routed.Servers = nil
		contract.router, contract.err = legacy.NewRouter(&routed)
	})
	if contract.err != nil {
		t.Fatalf("openapi.yaml: %v", contract.err)
	}
	return contract.doc, contract.router
}

// checkContract validates resp (to req) against openapi.yaml. Requests to
// routes the document does not have (404) or methods it does not list (405)
// must still answer with a valid Problem.
func checkContract(t testing.TB, req *http.Request, resp *http.Response) {
	t.Helper()
	doc, router := loadContract(t)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ctx := context.Background()
	route, params, err := router.FindRoute(req)
	if err != nil {
		// The legacy router returns fresh RouteErrors, so compare reasons.
		var re *routers.RouteError
		if !errors.As(err, &re) || (re.Reason != routers.ErrPathNotFound.Error() && re.Reason != routers.ErrMethodNotAllowed.Error()) {
			t.Fatalf("contract: find route %s %s: %v", req.Method, req.URL.Path, err)
		}
		problem := doc.Components.Schemas["Problem"].Value
		var v any
		if err := jsonUnmarshal(body, &v); err != nil {
			t.Fatalf("contract: %s %s answered %d with a non-JSON body: %q", req.Method, req.URL.Path, resp.StatusCode, body)
		}
		if err := problem.VisitJSON(v); err != nil {
			t.Fatalf("contract: %s %s: body is not a Problem: %v", req.Method, req.URL.Path, err)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status: resp.StatusCode,
		Header: resp.Header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		t.Fatalf("contract: %s %s -> %d does not match openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

func TestContractDocumentsEveryRoute(t *testing.T) {
	doc, _ := loadContract(t)
	want := []string{"/grants", "/refresh", "/logout", "/sessions/touch", "/sessions/revoke", "/subjects/{subject}/revoke", "/verify", "/healthz", "/readyz", "/metrics"}
	for _, p := range want {
		if doc.Paths.Find(p) == nil {
			t.Errorf("openapi.yaml lacks %s", p)
		}
	}
	if n := doc.Paths.Len(); n != len(want) {
		t.Errorf("openapi.yaml has %d paths, the router %d: keep them in step", n, len(want))
	}
	codes := doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum
	for _, c := range []string{"invalid_json", "unknown_field", "unknown_role", "invalid_subject", "role_subject_mismatch",
		"unauthorized", "rate_limited", "forbidden_origin", "no_session", "otp_required", "login_required", "payload_too_large",
		"unsupported_media_type", "method_not_allowed", "not_found", "store_unavailable", "internal"} {
		found := false
		for _, e := range codes {
			found = found || e == c
		}
		if !found {
			t.Errorf("problem code %s is not in openapi.yaml", c)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
