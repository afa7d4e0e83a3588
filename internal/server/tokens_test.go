package server_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestEmailConfirmation(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "first@example.com")
	ts.signUp(t, "second@example.com")
	evs := ts.events(t)
	tok := find(t, evs, "system.user.email.confirmation.token").record()["token"].(string)
	c := ts.client()

	// Resend: known pending user gets a new token; unknown and active users get 201 and nothing.
	expect(t, c.do(t, "POST", id+"/users/email/generate_code", map[string]string{"email": "nobody@example.com"}), 201)
	expect(t, c.do(t, "POST", id+"/users/email/generate_code", map[string]string{"email": "first@example.com"}), 201)
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("events for unknown/active: %v", names(evs))
	}
	expect(t, c.do(t, "POST", id+"/users/email/generate_code", map[string]string{"email": "second@example.com"}), 201)
	tok2 := find(t, ts.events(t), "system.user.email.confirmation.token").record()["token"].(string)
	expect(t, c.do(t, "POST", id+"/users/email/generate_code", nil), 400, "identity.user.missing_email", "identity.user.empty_email")

	// Bad tokens.
	expect(t, c.do(t, "POST", id+"/users/email/confirm_code", map[string]string{}), 400, "identity.user.missing_token", "identity.user.empty_token")
	expect(t, c.do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": "abc"}), 422, "jwt.decode_and_verify.segments")
	parts := strings.Split(tok, ".")
	expect(t, c.do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": parts[0] + "." + parts[1] + ".AAAA"}), 422, "jwt.decode_and_verify.raised")

	// Confirm: 201, session opened, label, state active, level 1, events in Barong's order.
	r := c.do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": tok})
	expect(t, r, 201)
	u := r.json(t)
	if u["state"] != "active" || u["level"].(float64) != 1 || u["csrf_token"] == nil {
		t.Fatalf("confirmed user %v", u)
	}
	got := strings.Join(names(ts.events(t)), " ")
	if got != "model.label.created model.user.updated model.user.updated system.user.email.confirmed" {
		t.Fatalf("events %s", got)
	}
	// Used token, and a second valid token for an now-active user.
	expect(t, c.do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": tok}), 422, "identity.user.active_or_doesnt_exist")
	expect(t, c.do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": tok2}), 422, "identity.user.active_or_doesnt_exist")
}

func TestConfirmTokenSingleUse(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "first@example.com")
	ts.signUp(t, "second@example.com")
	tok := find(t, ts.events(t), "system.user.email.confirmation.token").record()["token"].(string)
	ctx := context.Background()
	// Mark the token used, then try it while the user is still pending.
	claims, err := ts.Keys.VerifyOneTime(tok, "confirmation", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.SetNX(ctx, "jti:"+claims.JTI, "utilized", time.Hour); err != nil {
		t.Fatal(err)
	}
	expect(t, ts.client().do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": tok}), 422, "identity.user.utilized_token")
	// An expired token.
	old, _ := ts.Keys.IssueConfirmation("second@example.com", claims.UID, time.Now().Add(-2*time.Hour), time.Hour)
	expect(t, ts.client().do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": old}), 422, "jwt.decode_and_verify.expired")
	// A reset token is not a confirmation token.
	reset, _ := ts.Keys.IssueReset("second@example.com", claims.UID, "abc", time.Now(), time.Hour)
	expect(t, ts.client().do(t, "POST", id+"/users/email/confirm_code", map[string]string{"token": reset}), 422, "jwt.decode_and_verify.reset")
}

func TestPasswordReset(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "first@example.com")
	other, _ := ts.signUp(t, "second@example.com")
	ts.events(t)
	c := ts.client()
	expect(t, c.do(t, "POST", id+"/users/password/generate_code", map[string]string{"email": "nobody@example.com"}), 201)
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("events for unknown e-mail: %v", names(evs))
	}
	expect(t, c.do(t, "POST", id+"/users/password/generate_code", map[string]string{}), 400, "identity.user.missing_email", "identity.user.empty_email")
	expect(t, c.do(t, "POST", id+"/users/password/generate_code", map[string]string{"email": "second@example.com"}), 201)
	tok1 := find(t, ts.events(t), "system.user.password.reset.token").record()["token"].(string)
	expect(t, c.do(t, "POST", id+"/users/password/generate_code", map[string]string{"email": "second@example.com"}), 201)
	ev := find(t, ts.events(t), "system.user.password.reset.token").record()
	tok2 := ev["token"].(string)
	if ev["domain"] != "openware.com" || ev["user"].(map[string]any)["email"] != "second@example.com" {
		t.Fatalf("reset event %v", ev)
	}
	newPw := "N3w-Secret-Phrase!"
	confirm := func(tok, pw, conf string) *response {
		return c.do(t, "POST", id+"/users/password/confirm_code", map[string]string{"reset_password_token": tok, "password": pw, "confirm_password": conf})
	}
	expect(t, c.do(t, "POST", id+"/users/password/confirm_code", map[string]string{}), 400,
		"identity.user.missing_pass_token", "identity.user.empty_reset_password_token", "identity.user.missing_password",
		"identity.user.empty_password", "identity.user.missing_confirm_password", "identity.user.empty_confirm_password")
	expect(t, confirm(tok2, newPw, newPw+"x"), 422, "identity.user.passwords_doesnt_match")
	expect(t, confirm("a.b", newPw, newPw), 422, "jwt.decode_and_verify.segments")
	expect(t, confirm(tok1, newPw, newPw), 422, "identity.user.utilized_token")
	expect(t, confirm(tok2, "weak", "weak"), 422, "password.requirements")
	expect(t, confirm(tok2, newPw, newPw), 201)
	expect(t, confirm(tok2, newPw, newPw), 422, "identity.user.utilized_token")
	got := strings.Join(names(ts.events(t)), " ")
	if got != "model.user.updated system.user.password.reset" {
		t.Fatalf("events %s", got)
	}
	// Every session of the user was revoked; the new password works, the old one not.
	u, _ := ts.DB.UserByEmail(context.Background(), "second@example.com")
	if sid := cookieValue(signupResp(t, other), "_barong_session"); sid != "" {
		if _, err := ts.DB.Session(context.Background(), sid); err == nil {
			t.Fatal("session survived password reset")
		}
	}
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": u.Email, "password": strongPassword}), 401)
	expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": u.Email, "password": newPw}), 201)
}

func TestWhitelistAccess(t *testing.T) {
	ts := newServer(t, nil)
	c := ts.client()
	ctx := context.Background()
	expect(t, c.do(t, "POST", id+"/users/access", map[string]string{}), 400, "identity.user.missing_whitelink_token", "identity.user.empty_whitelink_token")
	expect(t, c.do(t, "POST", id+"/users/access", map[string]string{"whitelink_token": "nope"}), 422, "identity.user.access.invalid_token")
	if err := ts.DB.Set(ctx, "whitelink:tok123", "active", time.Hour); err != nil {
		t.Fatal(err)
	}
	expect(t, c.do(t, "POST", id+"/users/access", map[string]string{"whitelink_token": "tok123"}), 200)
	rs, _ := ts.DB.Restrictions(ctx)
	found := false
	for _, r := range rs {
		if r.Category == "whitelist" && r.Scope == "ip" && r.Value == "127.0.0.1" && r.Code == 401 && r.State == "enabled" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no whitelist restriction in %+v", rs)
	}
	// Consumed on first use.
	expect(t, c.do(t, "POST", id+"/users/access", map[string]string{"whitelink_token": "tok123"}), 422, "identity.user.access.invalid_token")
}
