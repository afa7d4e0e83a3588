package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// send sends method path with body and Content-Type ct ("" for none).
func (c *client) send(t *testing.T, method, path, ct, body string) *response {
	t.Helper()
	req, err := http.NewRequest(method, c.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return c.roundTrip(t, req)
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "methods@example.com")
	for _, tc := range []struct{ method, path, allow string }{
		{"POST", "/api/v2/auth/identity/ping", "GET, HEAD, OPTIONS"},
		{"DELETE", "/api/v2/identity/ping", "GET, HEAD, OPTIONS"},
		{"GET", "/api/v2/auth/identity/sessions", "POST, DELETE, OPTIONS"},
		{"PATCH", res + "/users/me", "GET, HEAD, PUT, DELETE, OPTIONS"},
		{"PUT", "/api/v2/resource/labels/x", "GET, HEAD, PATCH, DELETE, OPTIONS"},
		{"POST", "/healthz", "GET, HEAD, OPTIONS"},
		// Issue 15's routes.
		{"PUT", res + "/sessions", "GET, HEAD, DELETE, OPTIONS"},
		{"GET", res + "/sessions/abc", "DELETE, OPTIONS"},
		{"PUT", res + "/webauthn/credentials/1", "PATCH, DELETE, OPTIONS"},
		{"GET", "/api/v2/identity/sessions/webauthn", "POST, OPTIONS"},
		{"POST", "/api/v2/auth/admin/users/sessions", "GET, HEAD, DELETE, OPTIONS"},
	} {
		r := c.send(t, tc.method, tc.path, "", "")
		expect(t, r, 405, "request.method_not_allowed")
		if got := r.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if r := c.send(t, "OPTIONS", tc.path, "", ""); r.Status != 204 || r.Header.Get("Allow") != tc.allow {
			t.Errorf("OPTIONS %s: %d %q", tc.path, r.Status, r.Header.Get("Allow"))
		}
	}
	// Unknown paths stay Barong's 404.
	for _, p := range []string{"/api/v2/auth/identity/nope", "/api/v2/resource/nope", "/nope"} {
		r := c.send(t, "POST", p, "", "")
		if r.Status != 404 || string(r.Body) != `{"error":"Route is not found"}` || r.Header.Get("Allow") != "" {
			t.Errorf("%s: %d %s", p, r.Status, r.Body)
		}
	}
	// The management family keeps Barong's messages and adds Allow.
	r := c.send(t, "GET", "/api/v2/management/timestamp", "", "")
	if r.Status != 405 || string(r.Body) != `{"error":"Only POST and PUT verbs are allowed."}` || r.Header.Get("Allow") != "POST" {
		t.Fatalf("management: %d %s %q", r.Status, r.Body, r.Header.Get("Allow"))
	}
	r = c.send(t, "PUT", "/api/v2/management/timestamp", "application/json", "{}")
	if r.Status != 405 || string(r.Body) != `{"error":"405 Not Allowed"}` || r.Header.Get("Allow") != "POST" {
		t.Fatalf("management PUT: %d %s %q", r.Status, r.Body, r.Header.Get("Allow"))
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_ENABLED": "false"})
	c := ts.client()
	const login = "/api/v2/auth/identity/sessions"
	body := `{"email":"nobody@example.com","password":"x"}`
	for _, ct := range []string{"text/plain", "text/plain; charset=utf-8", "application/xml", "application/octet-stream", "garbage;;;"} {
		expect(t, c.send(t, "POST", login, ct, body), 415, "request.unsupported_content_type")
	}
	// JSON (also +json and without Content-Type, Grape's default), form
	// and multipart are read: an unknown account answers 401.
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/vnd.api+json", ""} {
		expect(t, c.send(t, "POST", login, ct, body), 401, "identity.session.invalid_params")
	}
	expect(t, c.send(t, "POST", login, "application/x-www-form-urlencoded", "email=nobody%40example.com&password=x"), 401,
		"identity.session.invalid_params")
	mp := "--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nnobody@example.com\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nx\r\n--b--\r\n"
	expect(t, c.send(t, "POST", login, "multipart/form-data; boundary=b", mp), 401, "identity.session.invalid_params")
	// Issue 15's routes read bodies the same way.
	expect(t, c.send(t, "POST", "/api/v2/auth/identity/sessions/webauthn", "text/plain", `{"credential":{}}`), 415,
		"request.unsupported_content_type")
	member, _ := ts.signUp(t, "ct@example.com")
	expect(t, member.send(t, "POST", res+"/webauthn/credentials", "application/xml", "<credential/>"), 415,
		"request.unsupported_content_type")
	// An empty body of another type is no body at all.
	expect(t, c.send(t, "POST", login, "text/plain", ""), 400,
		"identity.session.missing_email", "identity.session.missing_password")
}

// TestTypedFields: a value of the wrong type names its field.
func TestTypedFields(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	c := ts.client()
	expect(t, c.send(t, "POST", "/api/v2/auth/identity/sessions", "application/json", `{"email":{"a":1},"password":["x"]}`), 422,
		"identity.session.non_string_email", "identity.session.non_string_password")
	expect(t, c.send(t, "POST", "/api/v2/auth/identity/users", "application/json",
		`{"email":"typed@example.com","password":"`+strongPassword+`","captcha_response":[1]}`), 422,
		"identity.user.invalid_captcha_response")
	// Issue 15's routes name their fields too.
	member, _ := ts.signUp(t, "typed-15@example.com")
	expect(t, member.send(t, "POST", res+"/webauthn/credentials/options", "application/json", `{"otp_code":[1]}`), 422,
		"resource.webauthn.non_string_otp_code")
	expect(t, member.send(t, "PATCH", res+"/webauthn/credentials/1", "application/json", `{"name":{"a":1}}`), 422,
		"resource.webauthn.non_string_name")
	expect(t, member.send(t, "GET", res+"/sessions?page=x", "", ""), 422, "non_integer_page") // Barong's pagination key
	expect(t, member.send(t, "DELETE", "/api/v2/auth/admin/users/sessions", "application/json", `{"uid":["x"]}`), 422,
		"admin.user.non_string_uid")
}
