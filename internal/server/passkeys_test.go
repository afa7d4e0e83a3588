package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/api"
)

// Passkey tests: registration and sign-in driven over HTTP with the
// software authenticator of softauthn_test.go.

const (
	rpDomain = "barong.example"
	rpOrigin = "https://barong.example"
	wa       = res + "/webauthn/credentials"
)

// passkeyEnv is the environment of passkey servers: the relying party
// barong.example and a development origin.
func passkeyEnv(extra map[string]string) map[string]string {
	env := map[string]string{"BARONG_DOMAIN": rpDomain, "BARONG_WEBAUTHN_ORIGINS": "http://localhost:3000"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// passkeyUser signs up and activates email; the first account (root) must
// exist already.
func (ts *testServer) passkeyUser(t *testing.T, email string) (*client, *barong.User) {
	t.Helper()
	c, _ := ts.signUp(t, email)
	return c, ts.activate(t, email)
}

// registerPasskey runs a registration for c's user with c's otp code body
// and returns the new key and the created entity.
func registerPasskey(t *testing.T, c *client, body map[string]any, cer ceremony, name string) (*softKey, map[string]any) {
	t.Helper()
	k, cred := passkeyCredential(t, c, body, cer)
	r := c.do(t, "POST", wa, map[string]any{"credential": cred, "name": name})
	expect(t, r, 201)
	return k, r.json(t)
}

// withPassword is body (registration options) with the harness's
// password, unless it carries an otp_code or a password: with 2FA off,
// registration asks for the password.
func withPassword(body map[string]any) map[string]any {
	out := map[string]any{"password": strongPassword}
	if _, ok := body["otp_code"]; ok {
		out = map[string]any{}
	}
	maps.Copy(out, body)
	return out
}

// passkeyCredential starts a registration for c's user (with body, c's otp
// code) and returns a new key and its answer to the challenge, not sent.
func passkeyCredential(t *testing.T, c *client, body map[string]any, cer ceremony) (*softKey, any) {
	t.Helper()
	r := c.do(t, "POST", wa+"/options", withPassword(body))
	expect(t, r, 200)
	var o struct {
		PublicKey struct {
			RP   struct{ ID string }
			User struct{ ID string }
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(r.Body, &o); err != nil {
		t.Fatal(err)
	}
	k := newSoftKey(t, o.PublicKey.RP.ID, o.PublicKey.User.ID, true)
	if cer.origin == "" {
		cer.origin = rpOrigin
	}
	return k, k.create(t, r.Body, cer)
}

// loginOptions asks for sign-in options from a fresh client.
func loginOptions(t *testing.T, c *client) []byte {
	t.Helper()
	r := c.do(t, "POST", id+"/sessions/webauthn/options", nil)
	expect(t, r, 200)
	return r.Body
}

// passkeySignIn signs in with k in a new client and returns it.
func passkeySignIn(t *testing.T, ts *testServer, k *softKey, cer ceremony) (*client, *response) {
	t.Helper()
	c := ts.client()
	if cer.origin == "" {
		cer.origin = rpOrigin
	}
	r := c.do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": k.get(t, loginOptions(t, c), cer)})
	if r.Status == 201 {
		c.csrf, _ = r.json(t)["csrf_token"].(string)
	}
	return c, r
}

// activityActions are u's activities of topic, newest first, as
// "action/result".
func activityActions(t *testing.T, ts *testServer, u *barong.User, topic string) []string {
	t.Helper()
	as, _, err := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{UserID: u.ID, Topic: topic,
		Page: barong.Page{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.Action+"/"+a.Result)
	}
	return out
}

func TestPasskeys(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sql", "redis"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			// Refusals below are many: the throttle is tested on its own.
			env := passkeyEnv(map[string]string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "100", "BARONG_LOGIN_THROTTLE_IP_MAX_ATTEMPTS": "100",
				"BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS": "100"})
			if store == "redis" {
				for k, v := range redisEnv(t) {
					env[k] = v
				}
			}
			testPasskeys(t, newServer(t, env))
		})
	}
}

func testPasskeys(t *testing.T, ts *testServer) {
	ts.signUp(t, "root@example.com")
	c, u := ts.passkeyUser(t, "pk@example.com")
	ts.events(t)

	// Creation options: the relying party, a discoverable credential, no
	// attestation wanted.
	r := c.do(t, "POST", wa+"/options", withPassword(nil))
	expect(t, r, 200)
	var o map[string]map[string]any
	_ = json.Unmarshal(r.Body, &o)
	pk := o["publicKey"]
	if rp := pk["rp"].(map[string]any); rp["id"] != rpDomain || rp["name"] != "Barong" ||
		pk["authenticatorSelection"].(map[string]any)["residentKey"] != "required" || pk["attestation"] != "none" ||
		pk["user"].(map[string]any)["name"] != "pk@example.com" {
		t.Fatalf("creation options %s", r.Body)
	}

	// Register a packed (self attestation) passkey and a "none" one.
	laptop, ent := registerPasskey(t, c, nil, ceremony{format: "packed"}, " Laptop ")
	if ent["name"] != "Laptop" || ent["credential_id"] != b64u.EncodeToString(laptop.id) || ent["last_used_at"] != nil ||
		fmt.Sprint(ent["transports"]) != "[internal hybrid]" || ent["backup_eligible"] != false || ent["aaguid"] != "00000000-0000-0000-0000-000000000000" {
		t.Fatalf("passkey %v", ent)
	}
	phone, ent2 := registerPasskey(t, c, nil, ceremony{origin: "http://localhost:3000"}, "")
	if ent2["name"] != "Passkey" {
		t.Fatalf("default name %v", ent2)
	}
	if !strings.Contains(string(c.do(t, "POST", wa+"/options", withPassword(nil)).Body), b64u.EncodeToString(laptop.id)) {
		t.Fatal("registered passkeys are not excluded from a new registration")
	}
	list := jsonList(t, c.do(t, "GET", wa, nil))
	if len(list) != 2 || list[0]["name"] != "Laptop" {
		t.Fatalf("passkeys %v", list)
	}
	// Both passkeys of the user share one user handle.
	if string(laptop.handle) != string(phone.handle) {
		t.Fatal("a second passkey got another user handle")
	}

	// Sign in with a passkey alone.
	pc, r := passkeySignIn(t, ts, laptop, ceremony{})
	expect(t, r, 201)
	info := r.json(t)
	if info["uid"] != u.UID || info["csrf_token"] == nil || cookieValue(r, "_barong_session") == "" {
		t.Fatalf("sign-in answer %s", r.Body)
	}
	expect(t, pc.do(t, "GET", res+"/users/me", nil), 200)
	if got := activityActions(t, ts, u, "session"); got[0] != "login::webauthn/succeed" {
		t.Fatalf("session activities %v", got)
	}
	ev := find(t, ts.events(t), "system.session.create")
	if ev.record()["user"].(map[string]any)["uid"] != u.UID {
		t.Fatalf("session event %s", ev.Raw)
	}
	if used := jsonList(t, c.do(t, "GET", wa, nil))[0]["last_used_at"]; used == nil {
		t.Fatal("last_used_at not set")
	}
	// The development origin signs in too.
	_, r = passkeySignIn(t, ts, phone, ceremony{origin: "http://localhost:3000"})
	expect(t, r, 201)

	// A replayed assertion: its challenge is used up.
	opts := loginOptions(t, ts.client())
	assertion := laptop.get(t, opts, ceremony{origin: rpOrigin})
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": assertion}), 201)
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": assertion}), 401, "identity.session.passkey_challenge_expired")

	// Wrong origin, wrong RP id, no user verification, a forged
	// signature, an unknown credential: refused.
	for name, cer := range map[string]ceremony{
		"origin":    {origin: "https://evil.example"},
		"rp id":     {origin: rpOrigin, rpID: "evil.example"},
		"no UV":     {origin: rpOrigin, flags: flagUP},
		"no UP":     {origin: rpOrigin, flags: flagUV},
		"subdomain": {origin: "https://login.barong.example"},
	} {
		_, r := passkeySignIn(t, ts, laptop, cer)
		if r.Status != 401 || strings.Join(r.errors(), ",") != "identity.session.invalid_passkey" {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	forged := laptop.get(t, loginOptions(t, ts.client()), ceremony{origin: rpOrigin})
	forged["response"].(map[string]any)["signature"] = b64u.EncodeToString(phone.sign([]byte("x"), []byte("y")))
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": forged}), 401, "identity.session.invalid_passkey")
	stranger := newSoftKey(t, rpDomain, b64u.EncodeToString(laptop.handle), false)
	_, r = passkeySignIn(t, ts, stranger, ceremony{})
	expect(t, r, 401, "identity.session.invalid_passkey")

	// A cloned authenticator: a copy whose counter fell behind.
	clone := *laptop
	laptopAgain, r := passkeySignIn(t, ts, laptop, ceremony{})
	expect(t, r, 201)
	_ = laptopAgain
	_, r = passkeySignIn(t, ts, &clone, ceremony{})
	expect(t, r, 401, "identity.session.passkey_cloned")
	if got := activityActions(t, ts, u, "session"); got[0] != "login::webauthn/failed" {
		t.Fatalf("session activities %v", got)
	}
	as, _, _ := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{UserID: u.ID, Topic: "session", Page: barong.Page{Page: 1, Limit: 1}})
	if !strings.Contains(as[0].Data, "counter") {
		t.Fatalf("clone activity %+v", as[0])
	}

	// Rename and delete, with ownership and bad input.
	pid := fmt.Sprint(ent["id"])
	r = c.do(t, "PATCH", wa+"/"+pid, map[string]string{"name": "Work laptop"})
	expect(t, r, 200)
	if r.json(t)["name"] != "Work laptop" {
		t.Fatalf("renamed %s", r.Body)
	}
	oc, _ := ts.passkeyUser(t, "other@example.com")
	expect(t, oc.do(t, "PATCH", wa+"/"+pid, map[string]string{"name": "Mine"}), 404, "resource.webauthn.not_found")
	expect(t, oc.do(t, "DELETE", wa+"/"+pid, nil), 404, "resource.webauthn.not_found")
	expect(t, c.do(t, "PATCH", wa+"/"+pid, map[string]string{"name": strings.Repeat("é", 65)}), 422, "resource.webauthn.name_too_long")
	expect(t, c.do(t, "PATCH", wa+"/"+pid, map[string]any{}), 400, "resource.webauthn.missing_name", "resource.webauthn.empty_name")
	expect(t, c.do(t, "PATCH", wa+"/"+pid, map[string]any{"name": " "}), 400, "resource.webauthn.empty_name")
	for _, bad := range []string{"0", "-1", "x", "99999", "1e3", strings.Repeat("9", 30)} {
		expect(t, c.do(t, "DELETE", wa+"/"+bad, nil), 404, "resource.webauthn.not_found")
		expect(t, c.do(t, "PATCH", wa+"/"+bad, map[string]string{"name": "x"}), 404, "resource.webauthn.not_found")
	}
	expect(t, c.do(t, "DELETE", wa+"/"+pid, nil), 204)
	_, r = passkeySignIn(t, ts, laptop, ceremony{})
	expect(t, r, 401, "identity.session.invalid_passkey")
	if got := activityActions(t, ts, u, "webauthn"); strings.Join(got, ",") != "delete passkey/succeed,rename passkey/succeed,register passkey/succeed,register passkey/succeed" {
		t.Fatalf("webauthn activities %v", got)
	}
	expect(t, c.do(t, "GET", res+"/users/activity/webauthn", nil), 200)

	// The account's state is checked as at a password sign-in.
	u.State = barong.StateBanned
	if err := ts.Store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	_, r = passkeySignIn(t, ts, phone, ceremony{origin: "http://localhost:3000"})
	expect(t, r, 401, "identity.session.banned")
}

// TestPasskeyRegistrationRefusals: attestations that do not verify, replays
// and another user's challenge.
func TestPasskeyRegistrationRefusals(t *testing.T) {
	t.Parallel()
	ts := newServer(t, passkeyEnv(nil))
	ts.signUp(t, "root@example.com")
	c, u := ts.passkeyUser(t, "reg@example.com")
	other, _ := ts.passkeyUser(t, "reg2@example.com")
	try := func(cer ceremony, mutate func(cred map[string]any)) *response {
		r := c.do(t, "POST", wa+"/options", withPassword(nil))
		expect(t, r, 200)
		var o struct {
			PublicKey struct{ User struct{ ID string } } `json:"publicKey"`
		}
		_ = json.Unmarshal(r.Body, &o)
		k := newSoftKey(t, rpDomain, o.PublicKey.User.ID, false)
		if cer.origin == "" {
			cer.origin = rpOrigin
		}
		cred := k.create(t, r.Body, cer)
		if mutate != nil {
			mutate(cred)
		}
		return c.do(t, "POST", wa, map[string]any{"credential": cred})
	}
	for name, cer := range map[string]ceremony{
		"origin": {origin: "https://evil.example"},
		"rp id":  {rpID: "evil.example"},
		"no UP":  {flags: flagUV},
	} {
		if r := try(cer, nil); r.Status != 422 || strings.Join(r.errors(), ",") != "resource.webauthn.invalid_credential" {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// A packed attestation whose signature does not match.
	r := try(ceremony{format: "packed"}, func(cred map[string]any) {
		resp := cred["response"].(map[string]any)
		att, _ := b64u.DecodeString(resp["attestationObject"].(string))
		att[len(att)-1] ^= 1 // the last byte of the COSE key's y: the key no longer matches the signature
		resp["attestationObject"] = b64u.EncodeToString(att)
	})
	expect(t, r, 422, "resource.webauthn.invalid_credential")
	// A challenge answered twice, or by another user.
	r = c.do(t, "POST", wa+"/options", withPassword(nil))
	var o struct {
		PublicKey struct{ User struct{ ID string } } `json:"publicKey"`
	}
	_ = json.Unmarshal(r.Body, &o)
	k := newSoftKey(t, rpDomain, o.PublicKey.User.ID, false)
	cred := k.create(t, r.Body, ceremony{origin: rpOrigin})
	expect(t, other.do(t, "POST", wa, map[string]any{"credential": cred}), 422, "resource.webauthn.challenge_expired")
	expect(t, c.do(t, "POST", wa, map[string]any{"credential": cred}), 422, "resource.webauthn.challenge_expired")
	if n := len(jsonList(t, c.do(t, "GET", wa, nil))); n != 0 {
		t.Fatalf("%d passkeys stored from refused registrations", n)
	}
	if got := activityActions(t, ts, u, "webauthn"); len(got) < 4 || got[0] != "register passkey/failed" {
		t.Fatalf("activities %v", got)
	}
	// The same authenticator credential twice.
	k2, _ := registerPasskey(t, c, nil, ceremony{}, "one")
	r = c.do(t, "POST", wa+"/options", withPassword(nil))
	r = c.do(t, "POST", wa, map[string]any{"credential": k2.create(t, r.Body, ceremony{origin: rpOrigin})})
	expect(t, r, 422, "resource.webauthn.already_registered")
	// At most ten passkeys.
	for i := 1; i < 10; i++ {
		registerPasskey(t, c, nil, ceremony{}, fmt.Sprint("key ", i))
	}
	expect(t, c.do(t, "POST", wa+"/options", withPassword(nil)), 422, "resource.webauthn.limit_reached")
}

// TestPasskeyNeedsPassword: with 2FA off, registering needs the password
// (a passkey signs in alone and outlives a password reset: the session
// alone, a stolen cookie, must not add one); a wrong one is recorded and
// counts toward the password limit.
func TestPasskeyNeedsPassword(t *testing.T) {
	t.Parallel()
	ts := newServer(t, passkeyEnv(nil))
	ts.signUp(t, "root@example.com")
	c, u := ts.passkeyUser(t, "nofa@example.com")
	expect(t, c.do(t, "POST", wa+"/options", nil), 400, "resource.webauthn.missing_password")
	expect(t, c.do(t, "POST", wa+"/options", map[string]any{"password": " "}), 400, "resource.webauthn.missing_password")
	expect(t, c.do(t, "POST", wa+"/options", map[string]any{"password": "wrong"}), 422, "resource.webauthn.invalid_password")
	if got := activityActions(t, ts, u, "webauthn"); strings.Join(got, ",") != "register passkey/failed" {
		t.Fatalf("webauthn activities %v", got)
	}
	for range 9 {
		expect(t, c.do(t, "POST", wa+"/options", map[string]any{"password": "wrong"}), 422, "resource.webauthn.invalid_password")
	}
	expect(t, c.do(t, "POST", wa+"/options", withPassword(nil)), 429, "password.too_many_attempts")
	if r := c.do(t, "GET", wa, nil); strings.TrimSpace(string(r.Body)) != "[]" {
		t.Fatalf("passkeys %s", r.Body)
	}
	c2, _ := ts.passkeyUser(t, "other@example.com")
	registerPasskey(t, c2, nil, ceremony{}, "Key")
}

// TestPasskeyTwoFactor: with 2FA on, registering needs a TOTP code, and a
// passkey stands in for the TOTP code of a password sign-in.
func TestPasskeyTwoFactor(t *testing.T) {
	t.Parallel()
	ts := newServer(t, passkeyEnv(nil))
	ts.signUp(t, "root@example.com")
	c, u := ts.passkeyUser(t, "2fa@example.com")
	secret := mgmtEnableOTP(t, ts, u)
	expect(t, c.do(t, "POST", wa+"/options", nil), 400, "resource.webauthn.missing_otp_code")
	expect(t, c.do(t, "POST", wa+"/options", map[string]any{"otp_code": "000000"}), 422, "resource.webauthn.invalid_otp")
	expect(t, c.do(t, "POST", wa+"/options", map[string]any{"otp_code": map[string]any{}}), 422, "resource.webauthn.non_string_otp_code")
	k, _ := registerPasskey(t, c, map[string]any{"otp_code": mgmtTOTP(t, secret)}, ceremony{}, "Key")
	_, otherU := ts.passkeyUser(t, "nofa@example.com")
	oc := ts.client()
	_ = otherU
	ok, _ := ts.passkeyUser(t, "owner2@example.com")
	otherKey, _ := registerPasskey(t, ok, nil, ceremony{}, "Other")
	ts.events(t)

	login := func(cred map[string]any, pw string) *response {
		body := map[string]any{"email": "2fa@example.com", "password": pw}
		if cred != nil {
			body["credential"] = cred
		}
		return oc.do(t, "POST", id+"/sessions", body)
	}
	expect(t, login(nil, strongPassword), 401, "identity.session.missing_otp")
	// The second factor needs no user verification (the password is the
	// other factor).
	r := login(k.get(t, loginOptions(t, oc), ceremony{origin: rpOrigin, flags: flagUP}), strongPassword)
	expect(t, r, 201)
	if got := activityActions(t, ts, u, "session"); got[0] != "login::2fa/succeed" {
		t.Fatalf("activities %v", got)
	}
	find(t, ts.events(t), "system.session.create")
	// Another account's passkey, a replay, a wrong password.
	expect(t, login(otherKey.get(t, loginOptions(t, oc), ceremony{origin: rpOrigin}), strongPassword), 403, "identity.session.invalid_passkey")
	a := k.get(t, loginOptions(t, oc), ceremony{origin: rpOrigin})
	expect(t, login(a, strongPassword), 201)
	expect(t, login(a, strongPassword), 401, "identity.session.passkey_challenge_expired")
	expect(t, login(k.get(t, loginOptions(t, oc), ceremony{origin: rpOrigin}), "Wrong-passw0rd"), 401, "identity.session.invalid_params")
	expect(t, login(k.get(t, loginOptions(t, oc), ceremony{origin: "https://evil.example"}), strongPassword), 403, "identity.session.invalid_passkey")
	if got := activityActions(t, ts, u, "session"); got[0] != "login::2fa/failed" {
		t.Fatalf("activities %v", got)
	}
	expect(t, oc.do(t, "POST", id+"/sessions", map[string]any{"email": "2fa@example.com", "password": strongPassword, "credential": 7}), 422, "identity.session.invalid_passkey_format")
	// A user-verified passkey alone is two factors.
	_, r = passkeySignIn(t, ts, k, ceremony{})
	expect(t, r, 201)
}

// TestPasskeyThrottle: passkey sign-ins go through the sign-in throttle
// of password sign-ins (app/throttle.go): once the credential names an
// account, the attempt is counted at that account from this client, and
// failures count per client IP; before that, the IP alone. A passkey
// sign-in sets the device cookie, which lets that browser past the limits
// other clients share.
func TestPasskeyThrottle(t *testing.T) {
	t.Parallel()
	ts := newServer(t, passkeyEnv(map[string]string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "3", "BARONG_LOGIN_THROTTLE_IP_MAX_ATTEMPTS": "6",
		"BARONG_LOGIN_THROTTLE_DELAY": "60"}))
	ts.signUp(t, "root@example.com")
	c, u := ts.passkeyUser(t, "thr@example.com")
	k, _ := registerPasskey(t, c, nil, ceremony{}, "Key")
	known, r := passkeySignIn(t, ts, k, ceremony{})
	if expect(t, r, 201); cookieValue(r, api.DeviceCookieName) == "" {
		t.Fatalf("no device cookie: %v", r.Header.Values("Set-Cookie"))
	}
	for range 3 {
		_, r := passkeySignIn(t, ts, k, ceremony{origin: "https://evil.example"})
		expect(t, r, 401, "identity.session.invalid_passkey")
	}
	// The account from this IP without its device cookie waits: even a
	// good passkey is refused, and so is its password.
	_, r = passkeySignIn(t, ts, k, ceremony{})
	if expect(t, r, 429, "identity.session.too_many_attempts"); r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	expect(t, ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": "thr@example.com", "password": strongPassword}), 429, "identity.session.too_many_attempts")
	if got := activityActions(t, ts, u, "session"); got[0] != "login/failed" || got[1] != "login::webauthn/failed" {
		t.Fatalf("activities %v", got)
	}
	// The browser that signed in with the passkey before is let past.
	r = known.do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": k.get(t, loginOptions(t, known), ceremony{origin: rpOrigin})})
	expect(t, r, 201)
	// Unknown credentials count for the IP alone, until the IP is out.
	stranger := newSoftKey(t, rpDomain, "AAAA", false)
	for range 3 {
		_, r := passkeySignIn(t, ts, stranger, ceremony{})
		expect(t, r, 401, "identity.session.invalid_passkey")
	}
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn/options", nil), 429, "identity.session.too_many_attempts")
	// From many IPs, they meet no limit they share.
	for i := range 12 {
		sc := ts.restrictClient(fmt.Sprintf("198.51.100.%d", i+1))
		r := sc.do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": stranger.get(t, loginOptions(t, sc), ceremony{origin: rpOrigin})})
		expect(t, r, 401, "identity.session.invalid_passkey")
	}
	// Security lines: every refused passkey sign-in is a login_failed line
	// (method passkey); each of the three 429s is one throttle decision
	// (login_throttled, refused) and no login_failed line.
	if l := ts.logs.lines("security", map[string]any{"event": "login_failed", "method": "passkey",
		"errors": "[identity.session.invalid_passkey]"}); len(l) != 18 {
		t.Fatalf("%d passkey login_failed lines, want 18:\n%s", len(l), ts.logs.text())
	}
	if l := ts.logs.lines("security", map[string]any{"event": "login_throttled", "decision": "refused"}); len(l) != 3 {
		t.Fatalf("%d refused throttle lines, want 3: %v", len(l), l)
	}
	if l := ts.logs.lines("security", map[string]any{"event": "login_failed", "errors": "[identity.session.too_many_attempts]"}); len(l) != 0 {
		t.Fatalf("throttle refusals written as login_failed: %v", l)
	}
}

// TestPasskeyBadInput: every passkey endpoint answers bad input with a 4xx
// and its key, never a 500.
func TestPasskeyBadInput(t *testing.T) {
	t.Parallel()
	ts := newServer(t, passkeyEnv(nil))
	ts.signUp(t, "root@example.com")
	c, _ := ts.passkeyUser(t, "bad@example.com")
	k, _ := registerPasskey(t, c, nil, ceremony{}, "Key")

	expect(t, c.do(t, "POST", wa, nil), 400, "resource.webauthn.missing_credential", "resource.webauthn.empty_credential")
	expect(t, c.do(t, "POST", wa, map[string]any{"credential": " "}), 400, "resource.webauthn.empty_credential")
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn", nil), 400, "identity.session.missing_credential", "identity.session.empty_credential")
	expect(t, c.do(t, "POST", wa, "{"), 400, "request.invalid_body")
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn", "[1]"), 400, "request.invalid_body")
	valid := k.get(t, loginOptions(t, ts.client()), ceremony{origin: rpOrigin})
	validJSON, _ := json.Marshal(valid)
	bad := []any{5, true, []any{1}, map[string]any{}, "not json", `{"id":"x"}`, map[string]any{"id": "AA", "rawId": "AA", "type": "public-key"},
		map[string]any{"id": "!!", "rawId": "!!", "type": "public-key", "response": map[string]any{}},
		map[string]any{"id": strings.Repeat("A", 2000), "rawId": strings.Repeat("A", 2000), "type": "public-key", "response": valid["response"]},
		strings.Replace(string(validJSON), `"type":"public-key"`, `"type":"password"`, 1),
		strings.Replace(string(validJSON), `"authenticatorData":"`, `"authenticatorData":"A`, 1),
	}
	for i, v := range bad {
		r := c.do(t, "POST", wa, map[string]any{"credential": v})
		if r.Status != 422 || strings.Join(r.errors(), ",") != "resource.webauthn.invalid_credential_format" {
			t.Fatalf("register %d: %d %s", i, r.Status, r.Body)
		}
		r = ts.client().do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": v})
		if r.Status != 422 || strings.Join(r.errors(), ",") != "identity.session.invalid_passkey_format" {
			t.Fatalf("sign-in %d: %d %s", i, r.Status, r.Body)
		}
	}
	// A well-formed registration credential at the sign-in, and the
	// reverse: refused, not crashed.
	r := c.do(t, "POST", wa+"/options", withPassword(nil))
	regCred := k.create(t, r.Body, ceremony{origin: rpOrigin})
	if r := ts.client().do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": regCred}); r.Status/100 != 4 {
		t.Fatalf("registration credential at sign-in: %d %s", r.Status, r.Body)
	}
	if r := c.do(t, "POST", wa, map[string]any{"credential": valid}); r.Status/100 != 4 {
		t.Fatalf("assertion at registration: %d %s", r.Status, r.Body)
	}
	// The credential as a JSON string, and form-encoded.
	opts := loginOptions(t, ts.client())
	s, _ := json.Marshal(k.get(t, opts, ceremony{origin: rpOrigin}))
	expect(t, ts.client().do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": string(s)}), 201)
	// Unauthenticated management calls.
	for _, p := range []string{wa + "/options", wa} {
		expect(t, ts.client().do(t, "POST", p, map[string]any{}), 401, "authz.missing_csrf_token")
	}
	expect(t, ts.client().do(t, "GET", wa, nil), 401, "authz.invalid_session")
	expect(t, ts.client().do(t, "DELETE", wa+"/1", nil), 401, "authz.missing_csrf_token")
}

// TestPasskeyLimitConcurrent: registrations that finish at the same time
// never take a user past ten passkeys, on every database (the count and
// the insert run under the user's row lock).
func TestPasskeyLimitConcurrent(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, passkeyEnv(nil), func(t *testing.T, env map[string]string) {
		ts := newServer(t, env)
		ts.signUp(t, "root@example.com")
		c, _ := ts.passkeyUser(t, "many@example.com")
		for i := range 7 {
			registerPasskey(t, c, nil, ceremony{}, fmt.Sprint("key ", i))
		}
		// Five ceremonies started while there are seven: each may finish.
		var creds []any
		for range 5 {
			_, cred := passkeyCredential(t, c, nil, ceremony{})
			creds = append(creds, cred)
		}
		statuses := make([]int, len(creds))
		bodies := make([]string, len(creds))
		var wg sync.WaitGroup
		for i, cred := range creds {
			wg.Go(func() {
				r, err := c.sendJSON("POST", wa, map[string]any{"credential": cred, "name": fmt.Sprint("late ", i)})
				if err != nil {
					bodies[i] = err.Error()
					return
				}
				statuses[i], bodies[i] = r.Status, string(r.Body)
			})
		}
		wg.Wait()
		created, refused := 0, 0
		for i, s := range statuses {
			switch {
			case s == 201:
				created++
			case s == 422 && strings.Contains(bodies[i], "resource.webauthn.limit_reached"):
				refused++
			default:
				t.Errorf("registration %d: %d %s", i, s, bodies[i])
			}
		}
		if created != 3 || refused != 2 {
			t.Errorf("%d created, %d refused; want 3 and 2", created, refused)
		}
		if n := len(jsonList(t, c.do(t, "GET", wa, nil))); n != 10 {
			t.Fatalf("%d passkeys stored, want 10", n)
		}
	})
}
