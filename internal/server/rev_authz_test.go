package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// Holes found by the authorization review (ownership, roles, states).

// bearerDo sends method path with the bearer token tok and no cookie: a
// direct call with a token that authz issued earlier.
func bearerDo(t *testing.T, ts *testServer, tok, method, path string, body any) *response {
	t.Helper()
	c := ts.client()
	c.Client = &http.Client{Transport: bearerTransport{tok}}
	return c.do(t, method, path, body)
}

type bearerTransport struct{ tok string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return http.DefaultTransport.RoundTrip(r)
}

// TestRevAuthzBearerOfBannedUser: a bearer JWT stays valid for
// BARONG_JWT_EXPIRE_TIME (1 h) after authz issued it; a user banned (or an
// admin demoted to banned) since must not keep using the resource and admin
// APIs with it by calling barong directly. Authz refuses his cookie and
// API keys at once (authz.user_not_active); the token must be refused too.
func TestRevAuthzBearerOfBannedUser(t *testing.T) {
	e := admServer(t, nil)
	ts := e.ts
	tok := authzToken(t, e.as["member"], "api/v2/peatio/account/balances")
	atok := authzToken(t, e.as["admin"], "api/v2/peatio/account/balances")

	expect(t, bearerDo(t, ts, tok, "PUT", res+"/users/me", map[string]string{"data": `{"a":1}`}), 200)
	expect(t, bearerDo(t, ts, atok, "GET", adm+"/users/"+e.users["member"].UID, nil), 200)

	root := e.as["superadmin"]
	for _, role := range []string{"member", "admin"} {
		r := root.do(t, "PUT", adm+"/users", map[string]any{"uid": e.users[role].UID, "state": "banned"})
		expect(t, r, 200)
	}

	expect(t, bearerDo(t, ts, tok, "PUT", res+"/users/me", map[string]string{"data": `{"a":2}`}), 401, "authz.user_not_active")
	expect(t, bearerDo(t, ts, tok, "POST", res+"/labels", map[string]string{"key": "kkk", "value": "vvv"}), 401, "authz.user_not_active")
	expect(t, bearerDo(t, ts, tok, "GET", res+"/users/me", nil), 401, "authz.user_not_active")
	expect(t, bearerDo(t, ts, atok, "GET", adm+"/users/"+e.users["member"].UID, nil), 401, "authz.user_not_active")
	expect(t, bearerDo(t, ts, atok, "PUT", adm+"/users", map[string]any{"uid": e.users["member"].UID, "state": "active"}), 401, "authz.user_not_active")
}

// TestRevAuthzBearerMeetsPermissions: a bearer JWT issued for one path (a
// Peatio one) does not pass over the permission table of barong's own
// paths on a direct call: a DROP rule of the role is in force for it as
// for a cookie.
func TestRevAuthzBearerMeetsPermissions(t *testing.T) {
	e := admServer(t, nil)
	ts := e.ts
	ctx := context.Background()
	tok := authzToken(t, e.as["member"], "api/v2/peatio/account/balances")
	expect(t, bearerDo(t, ts, tok, "POST", res+"/labels", map[string]string{"key": "kkk", "value": "vvv"}), 201)
	p := &barong.Permission{Role: "member", Verb: "ALL", Path: "api/v2/barong/resource/labels", Action: "DROP"}
	if err := ts.Store.CreatePermission(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := ts.Authz.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, e.as["member"].do(t, "POST", res+"/labels", map[string]string{"key": "kkk2", "value": "vvv"}), 401, "authz.invalid_permission")
	expect(t, bearerDo(t, ts, tok, "POST", res+"/labels", map[string]string{"key": "kkk2", "value": "vvv"}), 401, "authz.invalid_permission")
	expect(t, bearerDo(t, ts, tok, "PUT", res+"/users/me", map[string]string{"data": `{"a":1}`}), 200)
}

// TestRevAuthzBearerRoleEscalation: the seeded permission table keeps
// POST /admin/users/role to superadmins (DROP for admin, compliance,
// accountant; support reaches only GET and users/update), while the
// abilities of compliance and support include update User. A compliance
// officer's bearer JWT sent directly to barong used to pass over the DROP
// and make a member an admin.
func TestRevAuthzBearerRoleEscalation(t *testing.T) {
	e := admServer(t, nil)
	ts := e.ts
	m := e.member(t, "mallory@example.com")
	for _, role := range []string{"compliance", "support", "admin"} {
		body := map[string]string{"uid": m.UID, "role": "admin"}
		expect(t, e.as[role].do(t, "POST", adm+"/users/role", body), 401, "authz.invalid_permission")
		tok := authzToken(t, e.as[role], "api/v2/peatio/account/balances")
		expect(t, bearerDo(t, ts, tok, "POST", adm+"/users/role", body), 401, "authz.invalid_permission")
	}
	if got := e.user(t, m.ID).Role; got != "member" {
		t.Fatalf("role %s", got)
	}
}

// TestRevAuthzLowerRoleCannotChangeHigher: with the seeded permissions and
// abilities, support (POST /admin/users/update, manage User) and
// compliance (all of /admin/users, manage User and Label) could turn off
// an admin's 2FA (deactivating his API keys), ban him or label him: Barong
// protects only superadmins. An admin changes only users whose role's
// abilities his own role has too (peers included), and grants only such
// roles.
func TestRevAuthzLowerRoleCannotChangeHigher(t *testing.T) {
	e := admServer(t, nil)
	ctx := context.Background()
	a := e.users["admin"]
	u := e.user(t, a.ID)
	u.OTP = true
	if err := e.ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const up = adm + "/users/update"
	for _, role := range []string{"support", "compliance"} {
		c := e.as[role]
		expect(t, c.do(t, "POST", up, map[string]any{"uid": a.UID, "otp": false}), 422, "admin.user.superadmin_change")
		expect(t, c.do(t, "POST", up, map[string]any{"uid": a.UID, "state": "banned"}), 422, "admin.user.superadmin_change")
	}
	lab := map[string]any{"uid": a.UID, "key": "ban", "value": "yes", "scope": "private"}
	expect(t, e.as["compliance"].do(t, "POST", adm+"/users/labels", lab), 422, "admin.user.superadmin_change")
	expect(t, e.as["compliance"].do(t, "DELETE", admQ(adm+"/users/sessions", url.Values{"uid": {a.UID}}), nil), 422, "admin.user.superadmin_change")
	if got := e.user(t, a.ID); !got.OTP || got.State != "active" {
		t.Fatalf("admin changed: otp %v state %s", got.OTP, got.State)
	}

	// Members and peers stay theirs to manage.
	m := e.member(t, "m@example.com")
	expect(t, e.as["support"].do(t, "POST", up, map[string]any{"uid": m.UID, "state": "banned"}), 200)
	expect(t, e.as["compliance"].do(t, "POST", up, map[string]any{"uid": m.UID, "state": "active"}), 200)
	peer := e.member(t, "peer@example.com")
	pu := e.user(t, peer.ID)
	pu.Role = "support"
	if err := e.ts.DB.UpdateUser(ctx, pu); err != nil {
		t.Fatal(err)
	}
	expect(t, e.as["support"].do(t, "POST", up, map[string]any{"uid": peer.UID, "state": "banned"}), 200)
	expect(t, e.as["admin"].do(t, "POST", up, map[string]any{"uid": peer.UID, "state": "active"}), 200)

	// Roles: with the DROP rules lifted, compliance may grant no role whose
	// abilities it lacks.
	e.grant(t, "compliance")
	role := func(uid, r string) map[string]any { return map[string]any{"uid": uid, "role": r} }
	expect(t, e.as["compliance"].do(t, "POST", adm+"/users/role", role(m.UID, "admin")), 422, "admin.user.superadmin_change")
	expect(t, e.as["compliance"].do(t, "POST", adm+"/users/role", role(m.UID, "technical")), 422, "admin.user.superadmin_change")
	expect(t, e.as["compliance"].do(t, "POST", adm+"/users/role", role(m.UID, "trader")), 200)
	expect(t, e.as["compliance"].do(t, "POST", adm+"/users/role", role(m.UID, "compliance")), 200)
}

// TestRevAuthzAdminCannotRaiseHimself: Barong keeps an admin from
// changing his own state or role, but not from writing his own private
// labels (document=verified raises his level; removing a ban pin lifts an
// admin's own restriction) or verifying his own submitted profile. Both
// are refused with admin.user.update_himself; another admin does them.
func TestRevAuthzAdminCannotRaiseHimself(t *testing.T) {
	e := admServer(t, nil)
	me := e.users["admin"]
	c := e.as["admin"]
	lab := map[string]any{"uid": me.UID, "key": "document", "value": "verified", "scope": "private"}
	expect(t, c.do(t, "POST", adm+"/users/labels", lab), 422, "admin.user.update_himself")
	expect(t, c.do(t, "PUT", adm+"/users/labels", lab), 422, "admin.user.update_himself")
	expect(t, c.do(t, "POST", adm+"/users/labels/update", lab), 422, "admin.user.update_himself")
	del := url.Values{"uid": {me.UID}, "key": {"email"}, "scope": {"private"}}
	expect(t, c.do(t, "DELETE", admQ(adm+"/users/labels", del), nil), 422, "admin.user.update_himself")

	expect(t, c.do(t, "POST", res+"/profiles", map[string]any{"first_name": "Eve", "last_name": "Self", "confirm": true}), 201)
	expect(t, c.do(t, "PUT", adm+"/profiles", map[string]any{"uid": me.UID, "state": "verified"}), 422, "admin.user.update_himself")
	if u := e.user(t, me.ID); u.Level != 1 {
		t.Fatalf("level %d", u.Level)
	}

	// Another admin may.
	expect(t, e.as["superadmin"].do(t, "POST", adm+"/users/labels", lab), 200)
	expect(t, e.as["superadmin"].do(t, "PUT", adm+"/profiles", map[string]any{"uid": me.UID, "state": "verified"}), 200)
}

// TestRevAuthzCommentsKeepTheirAuthor: a comment names its author
// (author_uid); Barong let any admin rewrite it, so a note could be put in
// another admin's name, or a superior's note deleted. Only the author edits
// his comment; a comment is deleted by its author or by an admin who may
// change the author (abilities covering the author's role).
func TestRevAuthzCommentsKeepTheirAuthor(t *testing.T) {
	e := admServer(t, nil)
	m := e.member(t, "m@example.com")
	post := func(c *client) int64 {
		t.Helper()
		r := c.do(t, "POST", adm+"/users/comments", map[string]any{"uid": m.UID, "title": "Call", "data": "note"})
		expect(t, r, 201)
		cs := r.json(t)["comments"].([]any)
		return jsonInt(cs[len(cs)-1].(map[string]any)["id"])
	}
	del := func(c *client, id int64) *response {
		return c.do(t, "DELETE", admQ(adm+"/users/comments", url.Values{"id": {strconv.FormatInt(id, 10)}}), nil)
	}
	byAdmin, byCompliance := post(e.as["admin"]), post(e.as["compliance"])

	expect(t, e.as["compliance"].do(t, "PUT", adm+"/users/comments", map[string]any{"id": byAdmin, "data": "forged"}), 422, "admin.comments.not_author")
	expect(t, e.as["admin"].do(t, "PUT", adm+"/users/comments", map[string]any{"id": byCompliance, "data": "forged"}), 422, "admin.comments.not_author")
	expect(t, del(e.as["compliance"], byAdmin), 422, "admin.comments.not_author")
	expect(t, e.as["compliance"].do(t, "PUT", adm+"/users/comments", map[string]any{"id": byCompliance, "data": "mine"}), 200)
	expect(t, del(e.as["admin"], byCompliance), 200)
	expect(t, del(e.as["admin"], byAdmin), 200)
}

// TestRevAuthzServiceAccountKeyIsNoUser: a service account's API key
// passes the gateway check with the account's role (a superadmin one
// here), but the resource and admin APIs act for users only: such a key
// reaches none of them, not even for a superadmin-role account.
func TestRevAuthzServiceAccountKeyIsNoUser(t *testing.T) {
	e := admServer(t, nil)
	ts := e.ts
	owner := e.users["member"]
	sa := saCreate(t, ts, owner.ID, "active", "superadmin")
	k := &barong.APIKey{HolderID: sa.ID, HolderType: barong.HolderServiceAccount, KID: "0123456789abcdef",
		Algorithm: "HS256", Scope: []string{}, State: "active", Secret: "0123456789abcdef0123456789abcdef"}
	if err := ts.DB.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	creds := apiKeyCreds{kid: k.KID, secret: k.Secret}
	expect(t, apiKeysCall(t, ts, "GET", "/api/v2/auth/api/v2/peatio/account/balances", creds, apiKeysNonce()), 200)
	for _, p := range []struct{ method, path string }{
		{"GET", res + "/users/me"}, {"GET", res + "/api_keys"}, {"DELETE", res + "/sessions"},
		{"GET", adm + "/users"}, {"POST", adm + "/users/role"}, {"PUT", adm + "/users"},
	} {
		expect(t, apiKeysCall(t, ts, p.method, p.path, creds, apiKeysNonce()), 401, "authz.invalid_session")
	}
	// Its bearer token names no user either.
	r := apiKeysCall(t, ts, "GET", "/api/v2/auth/api/v2/peatio/account/balances", creds, apiKeysNonce())
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	expect(t, bearerDo(t, ts, tok, "GET", adm+"/users", nil), 404, "record.not_found")
	expect(t, bearerDo(t, ts, tok, "PUT", res+"/users/me", map[string]string{"data": "{}"}), 404, "record.not_found")
}

// TestRevAuthzOTPSignMintsNoToken: POST /management/otp/sign signs the
// payload it is given with the JWT key under the protected header of
// barong's own compact tokens, so its signature over a payload shaped as a
// session token (or an e-mail confirmation or password reset one) was such
// a token: any active user with 2FA, through the otp_sign signer, became
// the superadmin on every API that trusts barong's key. Payloads with
// the subject of a barong token are refused.
func TestRevAuthzOTPSignMintsNoToken(t *testing.T) {
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	root := mgmtUser(t, m.testServer, "boss@example.com", func(u *barong.User) { u.State, u.Role, u.Level = "active", "superadmin", 3 })
	eve := mgmtUser(t, m.testServer, "eve@example.com", func(u *barong.User) { u.State = "active" })
	secret := mgmtEnableOTP(t, m.testServer, eve)
	now := time.Now().Unix()
	for i, sub := range []string{"session", "confirmation", "reset"} {
		forged := map[string]any{"iat": now, "exp": now + 600, "sub": sub, "iss": "barong", "aud": []string{"peatio", "barong"},
			"jti": "f0rged" + strconv.Itoa(i), "uid": root.UID, "email": root.Email, "role": "superadmin", "level": 3, "state": "active",
			"referral_id": nil, "username": nil, "reset_token": "x"}
		var jws map[string]any
		_ = json.Unmarshal(mgmtBody(t, forged, m.applogic), &jws)
		r := m.call(t, "/otp/sign", map[string]any{"user_uid": eve.UID, "otp_code": mgmtTOTP(t, secret), "jwt": jws})
		if r.Status == 201 && sub == "session" {
			var out struct {
				Payload    string
				Signatures []struct {
					Header    map[string]string
					Protected string
					Signature string
				}
			}
			_ = json.Unmarshal(r.Body, &out)
			for _, s := range out.Signatures {
				if s.Header["kid"] == "barong" {
					tok := s.Protected + "." + out.Payload + "." + s.Signature
					if rr := bearerDo(t, m.testServer, tok, "GET", adm+"/users", nil); rr.Status == 200 {
						t.Errorf("the otp/sign signature is a superadmin token")
					}
				}
			}
		}
		mgmtExpect(t, r, 422, `{"error":"JWT is invalid by the reason \"sub `+sub+` is reserved for barong's own tokens\""}`)
	}
	// The code was not used up by the refusals.
	var jws map[string]any
	_ = json.Unmarshal(mgmtBody(t, mgmtClaims(map[string]any{"amount": "1"}), m.applogic), &jws)
	mgmtExpect(t, m.call(t, "/otp/sign", map[string]any{"user_uid": eve.UID, "otp_code": mgmtTOTP(t, secret), "jwt": jws}), 201, "")
}

// TestRevAuthzKeysOfBannedHolders: a ban deactivates the user's keys and
// his service accounts' keys; a key turned active again behind the
// service's back (an import, a hand edit) still fails on the holder's
// state, for the user's own key and for his service account's.
func TestRevAuthzKeysOfBannedHolders(t *testing.T) {
	e := admServer(t, nil)
	ts := e.ts
	ctx := context.Background()
	c := e.as["member"]
	a := otpEnable(t, ts, c, "member@example.com")
	own := apiKeysCreate(t, c, a, nil)
	sa := saCreate(t, ts, e.users["member"].ID, "active", "sa_maker")
	sk := saKeyCreate(t, c, a, sa.UID)
	const gw = "/api/v2/auth/api/v2/peatio/account/balances"
	for _, k := range []apiKeyCreds{own, sk} {
		expect(t, apiKeysCall(t, ts, "GET", gw, k, apiKeysNonce()), 200)
	}
	expect(t, e.as["superadmin"].do(t, "PUT", adm+"/users", map[string]any{"uid": e.users["member"].UID, "state": "banned"}), 200)
	for _, k := range []apiKeyCreds{own, sk} {
		if st := apiKeysState(t, ts, k.kid); st != "inactive" {
			t.Fatalf("key %s", st)
		}
		expect(t, apiKeysCall(t, ts, "GET", gw, k, apiKeysNonce()), 401, "authz.apikey_not_active")
		key, err := ts.Store.APIKeyByKID(ctx, k.kid)
		if err != nil {
			t.Fatal(err)
		}
		key.State = "active"
		if err := ts.Store.UpdateAPIKey(ctx, key); err != nil {
			t.Fatal(err)
		}
		expect(t, apiKeysCall(t, ts, "GET", gw, k, apiKeysNonce()), 401, "authz.invalid_session")
	}
}

// TestRevAuthzTOTPGuessesLimited: the 2FA code that guards API keys,
// service-account keys, 2FA off, passkey registration and account deletion
// is six digits; without a limit a stolen session could guess one within
// minutes. Ten wrong codes per user in 15 minutes, then 429
// totp.too_many_attempts for every code, a right one included; codes that
// are right are given back; other users are not affected.
func TestRevAuthzTOTPGuessesLimited(t *testing.T) {
	t.Run("database", func(t *testing.T) { revAuthzTOTPGuesses(t, nil) })
	t.Run("redis", func(t *testing.T) { revAuthzTOTPGuesses(t, redisEnv(t)) })
}

func revAuthzTOTPGuesses(t *testing.T, env map[string]string) {
	ts := newServer(t, env)
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, "eve@example.com")
	ts.activate(t, "eve@example.com")
	a := otpEnable(t, ts, c, "eve@example.com")
	o, _ := ts.signUp(t, "olga@example.com")
	ts.activate(t, "olga@example.com")
	oa := otpEnable(t, ts, o, "olga@example.com")

	for range 12 { // right codes are not counted
		expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": a.code(t)}), 200)
	}
	for i := range 10 {
		if i%2 == 0 {
			expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": a.wrong(t)}), 422, "resource.otp.invalid")
		} else {
			expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": a.wrong(t)}), 422, "resource.api_key.invalid_totp")
		}
	}
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": a.wrong(t)}), 429, "totp.too_many_attempts")
	expect(t, c.do(t, "POST", res+"/otp/verify", map[string]string{"code": a.code(t)}), 429, "totp.too_many_attempts")
	expect(t, c.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": a.code(t)}), 429, "totp.too_many_attempts")
	expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": a.code(t)}), 429, "totp.too_many_attempts")
	if u, _ := ts.DB.UserByEmail(context.Background(), "eve@example.com"); !u.OTP {
		t.Fatal("2FA turned off")
	}
	expect(t, o.do(t, "POST", res+"/api_keys", map[string]string{"algorithm": "HS256", "totp_code": oa.code(t)}), 201)
}

// TestPasswordGuessesLimited: the password a signed-in user sends again
// (password change, account deletion) is limited to 10 wrong ones in
// 15 minutes, then 429 password.too_many_attempts, the right one too:
// a stolen session cannot try a password list. Right passwords are not
// counted; another user is not affected.
func TestPasswordGuessesLimited(t *testing.T) {
	t.Parallel()
	t.Run("database", func(t *testing.T) { t.Parallel(); passwordGuesses(t, nil) })
	t.Run("redis", func(t *testing.T) { t.Parallel(); passwordGuesses(t, redisEnv(t)) })
}

func passwordGuesses(t *testing.T, env map[string]string) {
	ts := newServer(t, env)
	ts.signUp(t, "root@example.com")
	c, _ := ts.signUp(t, "eve@example.com")
	o, _ := ts.signUp(t, "olga@example.com")
	del := func(pw string) string { return res + "/users/me?" + url.Values{"password": {pw}}.Encode() }
	change := func(old string) map[string]string {
		return map[string]string{"old_password": old, "new_password": "N3w-Secret-Phrase!", "confirm_password": "N3w-Secret-Phrase!"}
	}
	for range 12 { // right passwords are not counted (refused as no change, after the check)
		expect(t, c.do(t, "PUT", res+"/users/password", map[string]string{"old_password": strongPassword,
			"new_password": strongPassword, "confirm_password": strongPassword}), 400, "resource.password.no_change_provided")
	}
	for i := range 10 {
		if i%2 == 0 {
			expect(t, c.do(t, "PUT", res+"/users/password", change("wrong-"+strconv.Itoa(i))), 400, "resource.password.prev_pass_not_correct")
		} else {
			expect(t, c.do(t, "DELETE", del("wrong-"+strconv.Itoa(i)), nil), 422, "resource.user.invalid_password")
		}
	}
	expect(t, c.do(t, "PUT", res+"/users/password", change("wrong")), 429, "password.too_many_attempts")
	expect(t, c.do(t, "PUT", res+"/users/password", change(strongPassword)), 429, "password.too_many_attempts")
	expect(t, c.do(t, "DELETE", del(strongPassword), nil), 429, "password.too_many_attempts")
	if u, err := ts.DB.UserByEmail(context.Background(), "eve@example.com"); err != nil || u.State == "deleted" {
		t.Fatalf("eve: %v %v", u, err)
	}
	expect(t, o.do(t, "PUT", res+"/users/password", change(strongPassword)), 201)
}
