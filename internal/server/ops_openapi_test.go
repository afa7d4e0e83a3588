package server_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/barong-go/barong/api"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestOpenAPIPathsServed sends a request to every documented operation of
// the full server: none may answer Barong's "Route is not found" 404 or a
// 405.
func TestOpenAPIPathsServed(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().FromOldest() {
			target := pathParam.ReplaceAllStringFunc(p, func(w string) string {
				if w == "{path}" {
					return "api/v2/peatio/account/balances"
				}
				return "x"
			})
			req, _ := http.NewRequest(strings.ToUpper(m), ts.URL+target, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 405 || resp.StatusCode == 404 && bytes.Contains(body, []byte("Route is not found")) {
				t.Errorf("%s %s: %d %s", m, target, resp.StatusCode, body)
			}
			n++
		}
	}
	if n < 120 {
		t.Fatalf("only %d operations", n)
	}
}

// TestOpenAPIResponses checks real answers against the document with
// libopenapi-validator: entities, lists, errors and health.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "openapi@example.com")
	check := func(method, path string, body any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			rd = strings.NewReader(body.(string))
		}
		req, _ := http.NewRequest(method, ts.URL+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("User-Agent", c.ua)
		req.Header.Set("X-CSRF-Token", c.csrf)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		vreq, _ := http.NewRequest(method, "http://localhost"+path, nil)
		if ok, verrs := v.ValidateHttpResponse(vreq, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s (%d %s): %s: %s", method, path, resp.StatusCode, b, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("  %s at %s", se.Reason, se.FieldPath)
				}
			}
		}
	}
	check("GET", "/api/v2/auth/identity/ping", nil)
	check("GET", "/api/v2/auth/identity/time", nil)
	check("GET", "/api/v2/auth/public/configs", nil)
	check("GET", "/api/v2/auth/resource/users/me", nil)
	check("GET", "/api/v2/auth/resource/api_keys", nil)
	check("GET", "/api/v2/auth/resource/labels", nil)
	check("POST", "/api/v2/auth/resource/labels", `{"key":"color","value":"green"}`)
	check("GET", "/api/v2/auth/resource/users/activity/all", nil)
	check("POST", "/api/v2/auth/identity/sessions", `{"email":"openapi@example.com"}`)
	check("POST", "/api/v2/auth/identity/sessions", `{"email":{"a":1},"password":"x"}`)
	check("GET", "/api/v2/auth/resource/phones", nil)
	check("GET", "/api/v2/auth/resource/documents", nil)
	check("GET", "/api/v2/auth/resource/profiles/me", nil)
	check("GET", "/api/v2/auth/resource/service_accounts", nil)
	check("GET", "/api/v2/auth/admin/users", nil)
	check("GET", "/api/v2/auth/admin/permissions", nil)
	check("GET", "/api/v2/auth/admin/levels", nil)
	check("GET", "/api/v2/auth/admin/abilities", nil)
	check("GET", "/api/v2/auth/admin/restrictions", nil)
	check("GET", "/api/v2/auth/admin/activities", nil)
	check("GET", "/api/v2/auth/identity/version", nil)
	check("GET", "/healthz", nil)
	check("GET", "/readyz", nil)
	check("GET", "/.well-known/jwks.json", nil)
}
