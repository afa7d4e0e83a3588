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

// openAPIValidator is the document's response validator.
func openAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return v
}

// validate checks r, the answer to method path, against the document.
func validate(t *testing.T, v validator.Validator, method, path string, r *response) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://localhost"+path, nil)
	resp := &http.Response{StatusCode: r.Status, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)), Request: req}
	if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range verrs {
			t.Errorf("%s %s (%d %s): %s: %s", method, path, r.Status, r.Body, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.FieldPath)
			}
		}
	}
}

// TestOpenAPIResponses checks real answers against the document with
// libopenapi-validator: entities, lists, errors and health.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	v := openAPIValidator(t)
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "openapi@example.com")
	check := func(method, path string, body string) {
		t.Helper()
		ct := ""
		if body != "" {
			ct = "application/json"
		}
		validate(t, v, method, path, c.send(t, method, path, ct, body))
	}
	for _, p := range []string{"/api/v2/auth/identity/ping", "/api/v2/auth/identity/time", "/api/v2/auth/public/configs",
		"/api/v2/auth/identity/version", "/api/v2/auth/resource/users/me", "/api/v2/auth/resource/api_keys",
		"/api/v2/auth/resource/labels", "/api/v2/auth/resource/users/activity/all", "/api/v2/auth/resource/phones",
		"/api/v2/auth/resource/documents", "/api/v2/auth/resource/profiles/me", "/api/v2/auth/resource/service_accounts",
		"/api/v2/auth/admin/users", "/api/v2/auth/admin/permissions", "/api/v2/auth/admin/levels",
		"/api/v2/auth/admin/abilities", "/api/v2/auth/admin/restrictions", "/api/v2/auth/admin/activities",
		"/healthz", "/readyz", "/.well-known/jwks.json"} {
		check("GET", p, "")
	}
	check("POST", "/api/v2/auth/resource/labels", `{"key":"color","value":"green"}`)
	check("POST", "/api/v2/auth/identity/sessions", `{"email":"openapi@example.com"}`)
	check("POST", "/api/v2/auth/identity/sessions", `{"email":{"a":1},"password":"x"}`)
	// The gateway check's refusal of an unclean path.
	r := c.send(t, "GET", "/api/v2/auth/markets;x", "", "")
	expect(t, r, 400, "authz.invalid_path")
	validate(t, v, "GET", "/api/v2/auth/markets;x", r)
}

// TestOpenAPISessionsAndPasskeys: issue 15's endpoints answer as
// documented (sessions, passkeys and their ceremonies' options), and so do
// the sign-in throttle's 429 with Retry-After and the setup token's
// refusal.
func TestOpenAPISessionsAndPasskeys(t *testing.T) {
	t.Parallel()
	v := openAPIValidator(t)
	ts := newServer(t, passkeyEnv(map[string]string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "1", "BARONG_LOGIN_THROTTLE_DELAY": "60"}))
	c, _ := ts.signUp(t, "openapi-15@example.com")
	uid := c.do(t, "GET", res+"/users/me", nil).json(t)["uid"].(string)
	check := func(method, path, body string, status int) {
		t.Helper()
		ct := ""
		if body != "" {
			ct = "application/json"
		}
		r := c.send(t, method, path, ct, body)
		if r.Status != status {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, status)
		}
		validate(t, v, method, path, r)
	}
	check("GET", res+"/sessions", "", 200)
	check("GET", "/api/v2/auth/admin/users/sessions?uid="+uid, "", 200)
	check("DELETE", res+"/sessions/nope", "", 404)
	check("POST", res+"/webauthn/credentials/options", `{"password":"`+strongPassword+`"}`, 200)
	check("POST", res+"/webauthn/credentials", `{"credential":{"id":"x"}}`, 422)
	check("GET", res+"/webauthn/credentials", "", 200)
	check("PATCH", res+"/webauthn/credentials/7", `{"name":"Key"}`, 404)
	check("POST", id+"/sessions/webauthn/options", "", 200)
	check("POST", id+"/sessions/webauthn", `{"credential":{"id":"x"}}`, 422)
	check("POST", id+"/users", `{"email":"second@example.com","password":"`+strongPassword+`","setup_token":"nope"}`, 422)
	// The first failure reaches the limit of one; the next attempt waits.
	check("POST", id+"/sessions", `{"email":"openapi-15@example.com","password":"Wrong-Passw0rd-Value"}`, 401)
	check("POST", id+"/sessions", `{"email":"openapi-15@example.com","password":"`+strongPassword+`"}`, 429)
}

// TestOpenAPIManagementResponses: signed management calls and a refusal
// against the document.
func TestOpenAPIManagementResponses(t *testing.T) {
	t.Parallel()
	v := openAPIValidator(t)
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	u := mgmtUser(t, m.testServer, "mgmt-openapi@example.com")
	validate(t, v, "POST", "/api/v2/auth/management/timestamp", m.call(t, "/timestamp", nil))
	validate(t, v, "POST", "/api/v2/auth/management/users/get", m.call(t, "/users/get", map[string]string{"uid": u.UID}))
	validate(t, v, "POST", "/api/v2/auth/management/labels/list", m.call(t, "/labels/list", map[string]string{"user_uid": u.UID}))
	validate(t, v, "POST", "/api/v2/auth/management/users/get", m.call(t, "/users/get", map[string]string{"uid": "IDNOPE000000"}))
	validate(t, v, "POST", "/api/v2/auth/management/users/list", m.call(t, "/users/list", nil))
	validate(t, v, "POST", "/api/v2/auth/management/phones/get", m.call(t, "/phones/get", map[string]string{"uid": u.UID}))
	validate(t, v, "POST", "/api/v2/auth/management/service_accounts/list", m.call(t, "/service_accounts/list", nil))
	validate(t, v, "POST", "/api/v2/auth/management/labels/filter/users", m.call(t, "/labels/filter/users", map[string]string{"key": "email", "value": "verified"}))
	validate(t, v, "POST", "/api/v2/auth/management/sessions/list", m.call(t, "/sessions/list", map[string]string{"uid": u.UID}))
	validate(t, v, "POST", "/api/v2/auth/management/sessions/delete", m.call(t, "/sessions/delete", map[string]string{"uid": u.UID}))
	validate(t, v, "POST", "/api/v2/auth/management/timestamp", m.send(t, "POST", "/timestamp", "application/json", []byte(`{}`)))
}

// TestOpenAPIEveryGET asks every documented GET of the user and admin
// families as a signed-in superadmin (path parameters "x") and validates
// each answer, success or error, against the document.
func TestOpenAPIEveryGET(t *testing.T) {
	t.Parallel()
	v := openAPIValidator(t)
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "every-get@example.com")
	doc, _ := libopenapi.NewDocument(api.OpenAPI())
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		if item.Get == nil || !strings.HasPrefix(p, "/api/v2/auth/") || p == "/api/v2/auth/{path}" || strings.HasSuffix(p, "/swagger") {
			continue
		}
		target := pathParam.ReplaceAllString(p, "x")
		validate(t, v, "GET", target, c.send(t, "GET", target, "", ""))
		n++
	}
	if n < 30 {
		t.Fatalf("only %d GET operations", n)
	}
}

// TestOpenAPIEveryChange sends every documented POST, PUT, PATCH and
// DELETE of the user and admin families an empty JSON object as a
// signed-in superadmin and validates each answer (mostly the 400s of
// missing parameters) against the document. Signing out comes last.
func TestOpenAPIEveryChange(t *testing.T) {
	t.Parallel()
	v := openAPIValidator(t)
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_ENABLED": "false"})
	c, _ := ts.signUp(t, "every-change@example.com")
	doc, _ := libopenapi.NewDocument(api.OpenAPI())
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	var last [2]string
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		if !strings.HasPrefix(p, "/api/v2/auth/") || p == "/api/v2/auth/{path}" || strings.HasPrefix(p, "/api/v2/auth/management/") {
			continue
		}
		for m := range item.GetOperations().FromOldest() {
			method := strings.ToUpper(m)
			if method == "GET" {
				continue
			}
			target := pathParam.ReplaceAllString(p, "x")
			if method == "DELETE" && target == "/api/v2/auth/identity/sessions" {
				last = [2]string{method, target}
				continue
			}
			validate(t, v, method, target, c.send(t, method, target, "application/json", "{}"))
		}
	}
	validate(t, v, last[0], last[1], c.send(t, last[0], last[1], "", ""))
}
