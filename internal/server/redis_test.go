package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/barong-go/barong/internal/testenv"
)

// redisEnv points a server at the real Redis under a fresh key prefix.
func redisEnv(t *testing.T) map[string]string {
	return map[string]string{"BARONG_REDIS_URL": testenv.Redis(t), "BARONG_REDIS_PREFIX": fmt.Sprintf("barongtest%d:", rand.Int64())}
}

func TestSessionsInRedis(t *testing.T) {
	env := redisEnv(t)
	ts := newServer(t, env)
	c, _ := ts.signUp(t, "first@example.com")
	expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
	login := ts.client()
	r := login.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword})
	expect(t, r, 201)
	sid := cookieValue(r, "_barong_session")
	// The session lives in Redis, not in the database.
	if _, err := ts.DB.Session(context.Background(), sid); err == nil {
		t.Fatal("session written to the database although Redis is configured")
	}
	// A second process sharing Redis and the database sees the session.
	other := newServerSharing(t, ts, env)
	oc := other.client()
	oc.Jar = login.Jar
	u := *mustURL(t, ts.URL)
	ou := *mustURL(t, other.URL)
	for _, ck := range login.Jar.Cookies(&u) {
		ck.Domain = ""
		oc.Jar.SetCookies(&ou, append(oc.Jar.Cookies(&ou), ck))
	}
	expect(t, oc.do(t, "GET", res+"/users/me", nil), 200)
	// Logout on one process revokes it everywhere.
	expect(t, login.do(t, "DELETE", id+"/sessions", nil), 204)
	expect(t, oc.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")

	// Password reset revokes every session of the user (Redis per-user index).
	expect(t, c.do(t, "POST", id+"/users/password/generate_code", map[string]string{"email": "first@example.com"}), 201)
	tok := find(t, ts.events(t), "system.user.password.reset.token").record()["token"].(string)
	newPw := "N3w-Secret-Phrase!"
	expect(t, ts.client().do(t, "POST", id+"/users/password/confirm_code", map[string]string{"reset_password_token": tok, "password": newPw, "confirm_password": newPw}), 201)
	expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
}
