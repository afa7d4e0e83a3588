package server_test

import (
	"testing"
)

// TestIdentityOnEachDatabase runs the main identity flows on PostgreSQL and
// MariaDB (the other tests use SQLite).
func TestIdentityOnEachDatabase(t *testing.T) {
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			ts := newServer(t, map[string]string{"BARONG_DATABASE_URL": testenvDatabase(t, dialect)})
			_, first := ts.signUp(t, "first@example.com")
			if first["role"] != "superadmin" {
				t.Fatalf("first user %v", first)
			}
			c, _ := ts.signUp(t, "second@example.com")
			expect(t, ts.client().do(t, "POST", id+"/users", map[string]string{"email": "SECOND@example.com", "password": strongPassword}), 422, "email.taken")
			tok := find(t, ts.events(t), "system.user.email.confirmation.token").record()["token"].(string)
			r := ts.client().do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": tok})
			expect(t, r, 201)
			if r.json(t)["state"] != "active" {
				t.Fatalf("confirm %s", r.Body)
			}
			expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
			l := ts.client()
			expect(t, l.do(t, "POST", id+"/sessions", map[string]string{"email": "second@example.com", "password": "wrong"}), 401, "identity.session.invalid_params")
			expect(t, l.do(t, "POST", id+"/sessions", map[string]string{"email": "second@example.com", "password": strongPassword}), 201)
			expect(t, l.do(t, "DELETE", id+"/sessions", nil), 204)
			expect(t, l.do(t, "POST", id+"/users/password/generate_code", map[string]string{"email": "second@example.com"}), 201)
			reset := find(t, ts.events(t), "system.user.password.reset.token").record()["token"].(string)
			pw := "N3w-Secret-Phrase!"
			expect(t, l.do(t, "POST", id+"/users/password/confirm_code", map[string]string{"reset_password_token": reset, "password": pw, "confirm_password": pw}), 201)
			expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
		})
	}
}
