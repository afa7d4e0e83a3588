package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestIdentityBadInput sends malformed, oversized, wrongly typed and empty
// bodies to every identity and public endpoint: each answers a 4xx with a
// key, never a 500, and writes nothing.
func TestIdentityBadInput(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "first@example.com")
	ts.events(t)
	c := ts.client()
	posts := []string{
		"/sessions", "/sessions/auth0", "/users", "/users/access", "/users/email/generate_code",
		"/users/email/confirm_code", "/users/password/generate_code", "/users/password/confirm_code", "/password/validate",
	}
	bodies := map[string]any{
		"malformed json": `{"email": "a@b.c",`,
		"json array":     `["email"]`,
		"json string":    `"email"`,
		"oversized":      `{"x":"` + strings.Repeat("y", 3<<20) + `"}`,
		"wrong types":    map[string]any{"email": []int{1}, "password": map[string]int{"a": 1}, "token": 5.5, "id_token": true, "whitelink_token": []string{}, "reset_password_token": nil, "confirm_password": 1},
		"empty form":     url.Values{},
		"huge strings":   map[string]any{"email": strings.Repeat("a", 100000) + "@example.com", "password": strings.Repeat("P4ss!", 20000), "token": strings.Repeat("x", 100000), "id_token": strings.Repeat("x", 100000), "whitelink_token": strings.Repeat("x", 100000)},
	}
	for _, mount := range []string{"/api/v2/auth/identity", "/api/v2/identity"} {
		for _, p := range posts {
			for name, body := range bodies {
				if name == "huge strings" && (strings.HasSuffix(p, "generate_code") || p == "/password/validate") {
					continue // answered like any unknown e-mail / any password: 201
				}
				r := c.do(t, "POST", mount+p, body)
				if r.Status < 400 || r.Status >= 500 {
					t.Errorf("POST %s%s with %s: status %d body %.200s", mount, p, name, r.Status, r.Body)
					continue
				}
				if len(r.errors()) == 0 {
					t.Errorf("POST %s%s with %s: no error keys: %.200s", mount, p, name, r.Body)
				}
			}
		}
	}
	n, _ := ts.DB.CountUsers(t.Context())
	if n != 1 {
		t.Fatalf("bad input created users: %d", n)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("bad input emitted events: %v", names(evs))
	}
}
