package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

const id = "/api/v2/auth/identity"

func TestGeneralEndpoints(t *testing.T) {
	ts := newServer(t, nil)
	c := ts.client()
	for _, mount := range []string{"/api/v2/auth/identity", "/api/v2/identity", "/api/v2/auth/public", "/api/v2/public"} {
		r := c.do(t, "GET", mount+"/ping", nil)
		expect(t, r, 200)
		if string(r.Body) != `{"ping":"pong"}` {
			t.Fatalf("ping body %s", r.Body)
		}
		if m := c.do(t, "GET", mount+"/time", nil).json(t); m["time"].(float64) < 1.7e9 {
			t.Fatalf("time %v", m)
		}
		v := c.do(t, "GET", mount+"/version", nil).json(t)
		for _, k := range []string{"git_tag", "git_sha", "build_date", "version"} {
			if _, ok := v[k]; !ok {
				t.Fatalf("version lacks %s: %v", k, v)
			}
		}
		cf := c.do(t, "GET", mount+"/configs", nil)
		expect(t, cf, 200)
		want := `{"session_expire_time":1800,"captcha_type":"none","phone_verification_type":"mock","password_min_entropy":14,"password_regexp":"(?-mix:^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$)"}`
		if string(cf.Body) != want {
			t.Fatalf("configs %s", cf.Body)
		}
	}
	r := c.do(t, "POST", id+"/password/validate", map[string]string{"password": "Tr0ub4dor&3"})
	expect(t, r, 201)
	if _, ok := r.json(t)["entropy"].(float64); !ok {
		t.Fatalf("entropy %s", r.Body)
	}
	expect(t, c.do(t, "POST", id+"/password/validate", map[string]string{}), 400, "identity.general.missing_password")
	expect(t, c.do(t, "POST", "/api/v2/public/password/validate", nil), 400, "public.general.missing_password")
	a := c.do(t, "GET", "/api/v2/auth/public/configs/auth0", nil)
	expect(t, a, 200)
	if string(a.Body) != `{"auth0_domain":"","auth0_client_id":""}` {
		t.Fatalf("auth0 configs %s", a.Body)
	}
	expect(t, c.do(t, "GET", "/api/v2/auth/identity/nothing", nil), 404)
	expect(t, c.do(t, "GET", "/.well-known/jwks.json", nil), 200)
	expect(t, c.do(t, "GET", "/api/v2/auth/public/swagger", nil), 200)
	expect(t, c.do(t, "POST", "/api/v2/auth/public/kyc", nil), 422)
}

func TestSignUp(t *testing.T) {
	ts := newServer(t, nil)
	// The first sign-up without the setup token is an ordinary member
	// (TestSetupToken).
	r0 := signUpWith(t, ts, "first@example.com", nil)
	expect(t, r0, 201)
	first := r0.json(t)
	if first["role"] != "member" || first["state"] != "pending" || first["level"].(float64) != 0 {
		t.Fatalf("first user %v", first)
	}
	if len(first["csrf_token"].(string)) != 20 {
		t.Fatalf("csrf %v", first["csrf_token"])
	}
	evs := ts.events(t)
	if got := strings.Join(names(evs), " "); got != "model.user.created system.user.email.confirmation.token" {
		t.Fatalf("first user events %s", got)
	}

	c2 := ts.client()
	r := c2.do(t, "POST", id+"/users", map[string]any{"email": "second@example.com", "password": strongPassword,
		"username": "Second1", "refid": first["uid"], "data": `{"language":"ru"}`})
	expect(t, r, 201)
	u := r.json(t)
	want := []string{"email", "uid", "role", "level", "otp", "state", "referral_uid", "data", "csrf_token", "username",
		"labels", "phones", "profiles", "data_storages", "created_at", "updated_at"}
	if got := jsonKeys(r.Body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields %v", got)
	}
	if u["role"] != "member" || u["state"] != "pending" || u["username"] != "second1" || u["referral_uid"] != first["uid"] {
		t.Fatalf("second user %v", u)
	}
	if !strings.HasPrefix(u["uid"].(string), "ID") || len(u["uid"].(string)) != 12 {
		t.Fatalf("uid %v", u["uid"])
	}
	cookie := r.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "_barong_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("cookie %s", cookie)
	}
	evs = ts.events(t)
	if got := names(evs); strings.Join(got, " ") != "model.user.created system.user.email.confirmation.token" {
		t.Fatalf("events %v", got)
	}
	conf := find(t, evs, "system.user.email.confirmation.token").record()
	if conf["domain"] != "openware.com" || conf["token"] == "" || conf["user"].(map[string]any)["email"] != "second@example.com" {
		t.Fatalf("confirmation event %v", conf)
	}
	rec := find(t, evs, "model.user.created").Body["record"].(map[string]any)
	if rec["uid"] != u["uid"] || rec["referral_uid"] != first["uid"] {
		t.Fatalf("created record %v", rec)
	}
	acts, _, err := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{Topic: "account", Page: barong.Page{Page: 1, Limit: 10}})
	if err != nil || len(acts) != 2 || acts[0].Action != "signup" || acts[0].Result != "succeed" {
		t.Fatalf("activities %v %v", acts, err)
	}
}

func jsonKeys(b []byte) []string {
	dec := jsonDecoder(b)
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		switch v := tok.(type) {
		case jsonDelim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 {
				keys = append(keys, v)
				// skip the value
				var skip any
				_ = dec.Decode(&skip)
			}
		}
	}
}

func TestSignUpErrors(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "first@example.com")
	ts.events(t)
	c := ts.client()
	cases := []struct {
		name   string
		body   any
		status int
		keys   []string
	}{
		{"nothing", map[string]any{}, 400, []string{"identity.user.missing_email", "identity.user.empty_email", "identity.user.missing_password", "identity.user.empty_password"}},
		{"blank", map[string]any{"email": " ", "password": ""}, 400, []string{"identity.user.empty_email", "identity.user.empty_password"}},
		{"form blank", url.Values{"email": {""}, "password": {strongPassword}}, 400, []string{"identity.user.empty_email"}},
		{"bad email", map[string]any{"email": "nope", "password": strongPassword}, 422, []string{"email.invalid"}},
		{"email taken any case", map[string]any{"email": "FIRST@example.com", "password": strongPassword}, 422, []string{"email.taken"}},
		{"weak password", map[string]any{"email": "a@example.com", "password": "Password1!"}, 422, []string{"password.weak"}},
		{"requirements", map[string]any{"email": "a@example.com", "password": "short"}, 422, []string{"password.requirements"}},
		{"bad email and password", map[string]any{"email": "x", "password": "short"}, 422, []string{"email.invalid", "password.requirements"}},
		{"username short", map[string]any{"email": "a@example.com", "password": strongPassword, "username": "ab"}, 422, []string{"username.too_short"}},
		{"username chars", map[string]any{"email": "a@example.com", "password": strongPassword, "username": "ab_cd"}, 422, []string{"username.invalid"}},
		// Reference §3.5: an empty username is validated, not ignored.
		{"username empty", map[string]any{"email": "a@example.com", "password": strongPassword, "username": ""}, 422, []string{"username.too_short", "username.invalid"}},
		{"username form empty", url.Values{"email": {"a@example.com"}, "password": {strongPassword}, "username": {""}}, 422, []string{"username.too_short", "username.invalid"}},
		{"username blank", map[string]any{"email": "a@example.com", "password": strongPassword, "username": "   "}, 422, []string{"username.too_short", "username.invalid"}},
		{"data not json", map[string]any{"email": "a@example.com", "password": strongPassword, "data": "{"}, 422, []string{"data.invalid_format"}},
		{"data too long", map[string]any{"email": "a@example.com", "password": strongPassword, "data": `"` + strings.Repeat("x", 1030) + `"`}, 422, []string{"data.too_long"}},
		{"refid format", map[string]any{"email": "a@example.com", "password": strongPassword, "refid": "XX123"}, 422, []string{"identity.user.invalid_referral_format"}},
		{"refid missing", map[string]any{"email": "a@example.com", "password": strongPassword, "refid": "ID0000000000"}, 422, []string{"identity.user.referral_doesnt_exist"}},
		{"wrong type", map[string]any{"email": map[string]any{"a": 1}, "password": strongPassword}, 422, []string{"identity.user.non_string_email"}},
		{"malformed json", `{"email":`, 400, []string{"request.invalid_body"}},
		{"array body", `[1,2]`, 400, []string{"request.invalid_body"}},
		{"oversized", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, 413, []string{"request.body_too_large"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(t, "POST", id+"/users", tc.body)
			expect(t, r, tc.status, tc.keys...)
		})
	}
	n, _ := ts.DB.CountUsers(context.Background())
	if n != 1 {
		t.Fatalf("users written by failed sign-ups: %d", n)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("events from failed sign-ups: %v", names(evs))
	}
}
