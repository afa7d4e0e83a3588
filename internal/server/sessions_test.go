package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

func TestLoginLogout(t *testing.T) {
	ts := newServer(t, nil)
	signup, _ := ts.signUp(t, "first@example.com")
	ts.events(t)
	c := ts.client()
	r := c.do(t, "POST", id+"/sessions", map[string]string{"email": "First@Example.com", "password": strongPassword})
	expect(t, r, 201)
	u := r.json(t)
	if u["email"] != "first@example.com" || len(u["csrf_token"].(string)) != 20 {
		t.Fatalf("login %v", u)
	}
	sid := cookieValue(r, "_barong_session")
	if len(sid) != 32 || sid == cookieValue(signupResp(t, signup), "_barong_session") {
		t.Fatalf("session id %q not fresh", sid)
	}
	evs := ts.events(t)
	ev := find(t, evs, "system.session.create").record()
	if ev["user_ip"] != "127.0.0.1" || ev["user_agent"] != c.ua {
		t.Fatalf("session event %v", ev)
	}
	sess, err := ts.DB.Session(context.Background(), sid)
	if err != nil || sess.UID != u["uid"] || sess.UserAgent != c.ua {
		t.Fatalf("stored session %+v %v", sess, err)
	}
	// Logout: 204 and the session is gone.
	expect(t, c.do(t, "DELETE", id+"/sessions", nil), 204)
	if _, err := ts.DB.Session(context.Background(), sid); err == nil {
		t.Fatal("session survived logout")
	}
	expect(t, c.do(t, "DELETE", id+"/sessions", nil), 404, "identity.session.not_found")
	acts, _, _ := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{Topic: "session", Page: barong.Page{Page: 1, Limit: 10}})
	if len(acts) != 2 || acts[0].Action != "logout" || acts[1].Action != "login" || acts[1].Result != "succeed" {
		t.Fatalf("activities %+v", acts)
	}
}

func signupResp(t *testing.T, c *client) *response {
	t.Helper()
	u, _ := url.Parse(c.ts.URL)
	r := &response{Header: map[string][]string{}}
	for _, ck := range c.Jar.Cookies(u) {
		r.Header.Add("Set-Cookie", ck.Name+"="+ck.Value)
	}
	return r
}

func cookieValue(r *response, name string) string {
	for _, h := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, name+"=") {
			v := strings.TrimPrefix(h, name+"=")
			if i := strings.IndexByte(v, ';'); i >= 0 {
				v = v[:i]
			}
			return v
		}
	}
	return ""
}

func TestLoginErrors(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "3", "BARONG_LOGIN_THROTTLE_DELAY": "60"})
	ts.signUp(t, "first@example.com")
	ts.signUp(t, "banned@example.com")
	ctx := context.Background()
	u, _ := ts.DB.UserByEmail(ctx, "banned@example.com")
	u.State = "banned"
	if err := ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := ts.client()
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{}), 400, "identity.session.missing_email", "identity.session.missing_password")
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "", "password": ""}), 401, "identity.session.invalid_params")
	expect(t, c.do(t, "POST", id+"/sessions", map[string]any{"email": "x@example.com", "password": "x", "captcha_response": 5}), 422, "identity.session.invalid_captcha_format")
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "nobody@example.com", "password": strongPassword}), 401, "identity.session.invalid_params")
	// A banned account with a wrong password looks like any wrong password.
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "banned@example.com", "password": "wrong"}), 401, "identity.session.invalid_params")
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "banned@example.com", "password": strongPassword}), 401, "identity.session.banned")
	u.State = "deleted"
	_ = ts.DB.UpdateUser(ctx, u)
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "banned@example.com", "password": strongPassword}), 401, "identity.session.deleted")
	u.State = "locked"
	_ = ts.DB.UpdateUser(ctx, u)
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "banned@example.com", "password": strongPassword}), 401, "identity.session.not_active")

	// Throttle: 3 attempts at the account from this client, then it waits
	// (even with the right password), told for how long.
	for i := 0; i < 3; i++ {
		expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": "wrong"}), 401, "identity.session.invalid_params")
	}
	r := c.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword})
	if expect(t, r, 429, "identity.session.too_many_attempts"); r.Header.Get("Retry-After") != "60" && r.Header.Get("Retry-After") != "59" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	first, _ := ts.DB.UserByEmail(ctx, "first@example.com")
	acts, _, _ := ts.DB.ListActivities(ctx, barong.ActivityFilter{UserID: first.ID, Topic: "session", Page: barong.Page{Page: 1, Limit: 10}})
	if len(acts) != 5 || !strings.Contains(acts[0].Data, "Too many login attempts (account_ip): refused, retry in") ||
		!strings.Contains(acts[1].Data, "Invalid Email or Password") || !strings.Contains(acts[2].Data, "(account_ip): next attempt in 60 s") {
		t.Fatalf("activities %+v", acts)
	}
	// Another account from the same IP still works (per-IP limit is 20).
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "banned@example.com", "password": strongPassword}), 401, "identity.session.not_active")
}

func TestLoginThrottlePerIP(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_IP_MAX_ATTEMPTS": "2", "BARONG_LOGIN_THROTTLE_DELAY": "60"})
	ts.signUp(t, "first@example.com")
	c := ts.client()
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "a@example.com", "password": "x"}), 401)
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "b@example.com", "password": "x"}), 401)
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword}), 429, "identity.session.too_many_attempts")
}

func TestLoginThrottleOff(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_ENABLED": "false", "BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "1"})
	ts.signUp(t, "first@example.com")
	c := ts.client()
	for i := 0; i < 3; i++ {
		expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": "x"}), 401)
	}
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword}), 201)
}
