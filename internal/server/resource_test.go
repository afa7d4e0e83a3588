package server_test

import (
	"net/http"
	"testing"
	"time"
)

func TestResourceAuthentication(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	ts.signUp(t, "second@example.com")
	for _, mount := range []string{"/api/v2/auth/resource", "/api/v2/resource"} {
		r := c.do(t, "GET", mount+"/users/me", nil)
		expect(t, r, 200)
		if m := r.json(t); m["email"] != "first@example.com" || m["csrf_token"] != nil {
			t.Fatalf("me %v", m)
		}
	}
	anon := ts.client()
	expect(t, anon.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	expect(t, anon.do(t, "PUT", "/api/v2/auth/api/v2/barong/resource/users/me", map[string]string{"data": "{}"}), 401, "authz.missing_csrf_token")

	// Bearer JWT from the gateway check.
	r := c.do(t, "GET", "/api/v2/auth/api/v2/barong/resource/users/me", nil)
	expect(t, r, 200)
	bearer := r.Header.Get("Authorization")
	if len(bearer) < 20 {
		t.Fatalf("authz gave no token: %v", r.Header)
	}
	req, _ := http.NewRequest("GET", ts.URL+res+"/users/me", nil)
	req.Header.Set("Authorization", bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("bearer call: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	req.Header.Set("Authorization", "Bearer nope")
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != 401 {
		t.Fatalf("bad bearer: %d", resp.StatusCode)
	}
	resp.Body.Close()

	// Another user agent on the same session: mismatch, and the session is destroyed.
	c.ua = "curl/8"
	expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.client_session_mismatch")
	c.ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
	expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	_ = time.Second
}
