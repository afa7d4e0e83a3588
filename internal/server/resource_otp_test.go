package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// otpAuthenticator plays the user's authenticator app: it holds the secret
// of the QR code URL and hands out codes of steps not used yet (the current
// and the next step, both accepted by the server), so that every call of a
// test gets a fresh code.
type otpAuthenticator struct {
	ts     *testServer
	userID int64
	secret string
	last   int64
}

var otpTestOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// code returns an unused code. When both usable steps are spent it stores
// the same secret again, which resets the used step, instead of waiting.
func (a *otpAuthenticator) code(t *testing.T) string {
	t.Helper()
	now := time.Now().Unix() / 30
	step := max(a.last+1, now)
	if step > now+1 {
		if err := a.ts.DB.SetTOTPSecret(context.Background(), a.userID, a.secret); err != nil {
			t.Fatal(err)
		}
		step = now
	}
	a.last = step
	return otpCodeAt(t, a.secret, step)
}

// wrong returns a six-digit code that is not valid now.
func (a *otpAuthenticator) wrong(t *testing.T) string {
	t.Helper()
	now := time.Now().Unix() / 30
	valid := map[string]bool{}
	for s := now - 2; s <= now+2; s++ {
		valid[otpCodeAt(t, a.secret, s)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

func otpCodeAt(t *testing.T, secret string, step int64) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), otpTestOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// otpQRCode asks for a new secret and returns the parsed otpauth URL.
func otpQRCode(t *testing.T, c *client, base string) *url.URL {
	t.Helper()
	r := c.do(t, "POST", base+"/otp/generate_qrcode", nil)
	expect(t, r, 200)
	data, _ := r.json(t)["data"].(map[string]any)
	raw, _ := data["url"].(string)
	u, err := url.Parse(raw)
	if err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("qrcode url %q: %v", raw, err)
	}
	return u
}

// otpEnable turns 2FA on for the user of c (e-mail email) and returns his
// authenticator.
func otpEnable(t *testing.T, ts *testServer, c *client, email string) *otpAuthenticator {
	t.Helper()
	u, err := ts.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	a := &otpAuthenticator{ts: ts, userID: u.ID, secret: otpQRCode(t, c, res).Query().Get("secret")}
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": a.code(t)}), 200)
	return a
}

// otpActivities lists a user's activities of topic otp, newest first.
func otpActivities(t *testing.T, ts *testServer, userID int64) []barong.Activity {
	t.Helper()
	acts, _, err := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{UserID: userID, Topic: "otp",
		Page: barong.Page{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

// otpExpectActivity asserts the newest otp activity of the user.
func otpExpectActivity(t *testing.T, ts *testServer, userID int64, action, result, data string) {
	t.Helper()
	acts := otpActivities(t, ts, userID)
	if len(acts) == 0 {
		t.Fatalf("no otp activity, want %s %s", action, result)
	}
	a := acts[0]
	if a.Action != action || a.Result != result || a.Data != data || a.Category != "user" || a.UserAgent == "" {
		t.Fatalf("activity %+v, want %s %s %s", a, action, result, data)
	}
}

func otpUser(t *testing.T, ts *testServer, email string) *barong.User {
	t.Helper()
	u, err := ts.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOTPGenerateQRCode(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_APP_NAME": "OpenDAX"})
	c, _ := ts.signUp(t, "alice+2fa@example.com")
	u := otpUser(t, ts, "alice+2fa@example.com")
	ts.events(t)
	for _, base := range []string{res, "/api/v2/resource"} {
		r := c.do(t, "POST", base+"/otp/generate_qrcode", nil)
		expect(t, r, 200)
		if got := strings.Join(jsonKeys(r.Body), ","); got != "auth,data,lease_duration,lease_id,metadata,renewable,warnings,wrap_info" {
			t.Fatalf("members %s", got)
		}
		m := r.json(t)
		if m["auth"] != nil || m["lease_duration"] != 0.0 || m["lease_id"] != "" || m["renewable"] != false ||
			m["metadata"] != nil || m["warnings"] != nil || m["wrap_info"] != nil {
			t.Fatalf("vault members %v", m)
		}
		data := m["data"].(map[string]any)
		raw := data["url"].(string)
		const prefix = "otpauth://totp/OpenDAX:alice+2fa@example.com?algorithm=SHA1&digits=6&issuer=OpenDAX&period=30&secret="
		secret := strings.TrimPrefix(raw, prefix)
		if secret == raw || len(secret) != 32 || strings.ToUpper(secret) != secret {
			t.Fatalf("url %s", raw)
		}
		png1, err := base64.StdEncoding.DecodeString(data["barcode"].(string))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(png1))
		if err != nil || cfg.Width != 300 || cfg.Height != 300 {
			t.Fatalf("barcode %dx%d %v", cfg.Width, cfg.Height, err)
		}
		// The latest secret is stored, encrypted.
		stored, err := ts.DB.TOTPSecret(context.Background(), u.ID)
		if err != nil || stored != secret {
			t.Fatalf("stored secret %q %v", stored, err)
		}
		if enc := otpRawSecret(t, ts, u.ID); enc == "" || strings.Contains(enc, secret) {
			t.Fatalf("secret stored in clear: %q", enc)
		}
		otpExpectActivity(t, ts, u.ID, "request QR code for 2FA", "succeed", "")
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("qrcode emitted %v", names(evs))
	}

	// A secret replaced by a new QR code no longer works.
	old := otpQRCode(t, c, res).Query().Get("secret")
	otpQRCode(t, c, res)
	code := otpCodeAt(t, old, time.Now().Unix()/30)
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": code}), 422, "resource.otp.invalid")

	// With 2FA on: 400 and a failed activity.
	otpEnable(t, ts, c, "alice+2fa@example.com")
	expect(t, c.do(t, "POST", res+"/otp/generate_qrcode", nil), 400, "resource.otp.already_enabled")
	otpExpectActivity(t, ts, u.ID, "request QR code for 2FA", "failed", `{"reason":"2FA has been already enabled for this account"}`)
}

// otpRawSecret reads the stored column of the user's TOTP secret.
func otpRawSecret(t *testing.T, ts *testServer, userID int64) string {
	t.Helper()
	db, ok := rawSQLite(t, ts)
	if !ok {
		return "not sqlite"
	}
	var s string
	if err := db.QueryRow("SELECT secret_encrypted FROM otp_keys WHERE user_id = ?", userID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOTPEnable(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	u := otpUser(t, ts, "first@example.com")

	// Bad input and codes before any secret exists.
	expect(t, c.do(t, "POST", res+"/otp/enable", nil), 400, "resource.otp.missing_code", "resource.otp.empty_code")
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": "  "}), 400, "resource.otp.empty_code")
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]any{"code": []int{1}}), 422, "resource.otp.non_string_code")
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": "123456"}), 422, "resource.otp.invalid")
	otpExpectActivity(t, ts, u.ID, "enable 2FA", "failed", `{"reason":"OTP code is invalid"}`)

	a := &otpAuthenticator{ts: ts, userID: u.ID, secret: otpQRCode(t, c, res).Query().Get("secret")}
	expect(t, c.do(t, "POST", res+"/otp/enable", url.Values{"code": {a.wrong(t)}}), 422, "resource.otp.invalid")
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": strings.Repeat("9", 5000)}), 422, "resource.otp.invalid")
	if otpUser(t, ts, "first@example.com").OTP {
		t.Fatal("2FA on after invalid codes")
	}

	// A second session of the same user, opened by logging in elsewhere.
	other := ts.client()
	expect(t, other.do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword}), 201)
	expect(t, other.do(t, "GET", res+"/users/me", nil), 200)
	ts.events(t)

	code := a.code(t)
	r := c.do(t, "POST", "/api/v2/resource/otp/enable", url.Values{"code": {code}})
	expect(t, r, 200)
	if string(r.Body) != "200" {
		t.Fatalf("body %s", r.Body)
	}
	// The current session survives, the other one is revoked.
	me := c.do(t, "GET", res+"/users/me", nil)
	expect(t, me, 200)
	if me.json(t)["otp"] != true {
		t.Fatalf("me %s", me.Body)
	}
	expect(t, other.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")

	got := otpUser(t, ts, "first@example.com")
	if !got.OTP {
		t.Fatal("otp not stored")
	}
	l, err := ts.DB.LabelByKey(context.Background(), u.ID, "otp", "private")
	if err != nil || l.Value != "enabled" {
		t.Fatalf("otp label %+v %v", l, err)
	}
	evs := ts.events(t)
	upd := find(t, evs, "model.user.updated").Body
	if ch := upd["changes"].(map[string]any); ch["otp"] != false || upd["record"].(map[string]any)["otp"] != true {
		t.Fatalf("user event %v", upd)
	}
	if lab := find(t, evs, "model.label.created").Body["record"].(map[string]any); lab["key"] != "otp" || lab["value"] != "enabled" {
		t.Fatalf("label event %v", lab)
	}
	otpExpectActivity(t, ts, u.ID, "enable 2FA", "succeed", "")

	// The code is used up; enabling again is refused.
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": code}), 422, "resource.otp.invalid")
	expect(t, c.do(t, "POST", res+"/otp/enable", map[string]string{"code": a.code(t)}), 400, "resource.otp.already_enabled")
	otpExpectActivity(t, ts, u.ID, "enable 2FA", "failed", `{"reason":"2FA has been already enabled for this account"}`)

	// Logging in now takes a code.
	expect(t, ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword}), 401, "identity.session.missing_otp")
	expect(t, ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": "first@example.com", "password": strongPassword, "otp_code": a.code(t)}), 201)
}

func TestOTPVerify(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	u := otpUser(t, ts, "first@example.com")

	// Barong answers resource.otp.already_enabled here; barong-go the right key.
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": "123456"}), 400, "resource.otp.not_enabled")
	otpExpectActivity(t, ts, u.ID, "verify 2FA code", "failed", `{"reason":"2FA has not been enabled for this account"}`)
	expect(t, c.do(t, "POST", res+"/otp/verify", nil), 400, "resource.otp.missing_code", "resource.otp.empty_code")

	a := otpEnable(t, ts, c, "first@example.com")
	before := len(otpActivities(t, ts, u.ID))
	code := a.code(t)
	r := c.do(t, "POST", "/api/v2/resource/otp/verify", map[string]string{"code": code})
	expect(t, r, 200)
	if n := len(otpActivities(t, ts, u.ID)); n != before {
		t.Fatalf("verify success wrote an activity (%d → %d)", before, n)
	}
	// Each code is accepted once.
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": code}), 422, "resource.otp.invalid")
	otpExpectActivity(t, ts, u.ID, "verify 2FA code", "failed", `{"reason":"OTP code is invalid"}`)
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": a.wrong(t)}), 422, "resource.otp.invalid")
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": ""}), 400, "resource.otp.empty_code")
}

func TestOTPDisable(t *testing.T) {
	ts := newServer(t, nil)
	c, _ := ts.signUp(t, "first@example.com")
	u := otpUser(t, ts, "first@example.com")
	ctx := context.Background()

	expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": "123456"}), 400, "resource.otp.not_enabled")
	otpExpectActivity(t, ts, u.ID, "disable 2FA", "failed", `{"reason":"2FA has not been enabled for this account"}`)
	expect(t, c.do(t, "POST", res+"/otp/disable", nil), 400, "resource.otp.missing_code", "resource.otp.empty_code")

	// Levels include otp:enabled, so that the label drives the level:
	// Barong deletes the label raw; barong-go recomputes.
	for _, l := range []barong.Label{{Key: "phone", Value: "verified"}, {Key: "document", Value: "verified"}} {
		l.UserID, l.Scope = u.ID, "private"
		if err := ts.DB.CreateLabel(ctx, &l); err != nil {
			t.Fatal(err)
		}
	}
	u.Level = 3
	if err := ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := ts.DB.CreateLevel(ctx, &barong.Level{Key: "otp", Value: "enabled", Description: "2FA"}); err != nil {
		t.Fatal(err)
	}
	a := otpEnable(t, ts, c, "first@example.com")
	if lv := otpUser(t, ts, "first@example.com").Level; lv != 4 {
		t.Fatalf("level after enable %d, want 4", lv)
	}

	// Keys of the user and of his service account.
	userKey := apiKeysCreate(t, c, a, nil)
	sa := saCreate(t, ts, u.ID, "active", "sa_maker")
	saKey := saKeyCreate(t, c, a, sa.UID)
	ts.events(t)

	expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": a.wrong(t)}), 422, "resource.otp.invalid")
	otpExpectActivity(t, ts, u.ID, "disable 2FA", "failed", `{"reason":"OTP code is invalid"}`)
	if !otpUser(t, ts, "first@example.com").OTP || apiKeysState(t, ts, userKey.kid) != "active" {
		t.Fatal("invalid code changed something")
	}

	r := c.do(t, "POST", "/api/v2/resource/otp/disable", map[string]string{"code": a.code(t)})
	expect(t, r, 200)
	if string(r.Body) != "200" {
		t.Fatalf("body %s", r.Body)
	}
	got := otpUser(t, ts, "first@example.com")
	if got.OTP || got.Level != 3 {
		t.Fatalf("user after disable: otp %v level %d", got.OTP, got.Level)
	}
	if _, err := ts.DB.LabelByKey(ctx, u.ID, "otp", "private"); err == nil {
		t.Fatal("otp label kept")
	}
	for _, kid := range []string{userKey.kid, saKey.kid} {
		if st := apiKeysState(t, ts, kid); st != "inactive" {
			t.Fatalf("key %s is %s after disable", kid, st)
		}
	}
	evs := ts.events(t)
	var otpChange, levelChange bool
	for _, e := range evs {
		if e.Name != "model.user.updated" {
			continue
		}
		ch := e.Body["changes"].(map[string]any)
		otpChange = otpChange || ch["otp"] == true
		levelChange = levelChange || ch["level"] == 4.0
	}
	if !otpChange || !levelChange {
		t.Fatalf("events %v", names(evs))
	}
	otpExpectActivity(t, ts, u.ID, "disable 2FA", "succeed", "")
	// Off again: a second disable is refused; the session still works.
	expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": a.code(t)}), 400, "resource.otp.not_enabled")
	expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
}
