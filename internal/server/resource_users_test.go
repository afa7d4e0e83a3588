package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

const resAFullInfoFields = "email,uid,role,level,otp,state,referral_uid,data,username,labels,phones,profiles,data_storages,created_at,updated_at"

func TestResourceUsersUpdateData(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	for i, mount := range resAMounts {
		data := `{"language":"en","n":` + string(rune('0'+i)) + `}`
		r := c.do(t, "PUT", mount+"/users/me", map[string]string{"data": data})
		expect(t, r, 200)
		resAWantKeys(t, r.Body, resAFullInfoFields)
		if m := r.json(t); m["data"] != data || m["email"] != "member@example.com" {
			t.Fatalf("me %s", r.Body)
		}
		if got := resAUser(t, ts, u.ID).Data; got != data {
			t.Fatalf("stored data %q", got)
		}
		evs := ts.events(t)
		resAWantEvents(t, evs, "model.user.updated")
		if ch, ok := evs[0].Body["changes"].(map[string]any); !ok || len(ch) != 0 {
			t.Fatalf("changes %s", evs[0].Raw)
		}
	}
	// The same data again changes nothing.
	expect(t, c.do(t, "PUT", res+"/users/me", url.Values{"data": {`{"language":"en","n":1}`}}), 200)
	resAWantEvents(t, ts.events(t))

	for _, tc := range []struct {
		body   any
		status int
		keys   []string
	}{
		{map[string]any{}, 400, []string{"resource.user.missing_data", "resource.user.empty_data"}},
		{map[string]any{"data": "  "}, 400, []string{"resource.user.empty_data"}},
		{map[string]any{"data": "{nope"}, 422, []string{"data.invalid_format"}},
		{map[string]any{"data": `"` + strings.Repeat("a", 1030) + `"`}, 422, []string{"data.too_long"}},
		{map[string]any{"data": map[string]any{"a": 1}}, 422, []string{"resource.user.non_string_data"}},
		{`{"data":`, 400, []string{"request.invalid_body"}},
	} {
		expect(t, c.do(t, "PUT", res+"/users/me", tc.body), tc.status, tc.keys...)
	}
	if got := resAUser(t, ts, u.ID).Data; got != `{"language":"en","n":1}` {
		t.Fatalf("data changed by a failed request: %q", got)
	}
	resAWantEvents(t, ts.events(t))
}

func TestResourceUsersDeleteMe(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	ctx := context.Background()
	key := &barong.APIKey{HolderID: u.ID, HolderType: barong.HolderUser, KID: "0123456789abcdef", Algorithm: "HS256", Secret: "s3cret", State: "active"}
	if err := ts.DB.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	q := func(v url.Values) string { return res + "/users/me?" + v.Encode() }
	expect(t, c.do(t, "DELETE", res+"/users/me", nil), 400, "resource.user.missing_password", "resource.user.empty_password")
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {" "}}), nil), 400, "resource.user.empty_password")
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {strongPassword}, "otp_code": {""}}), nil), 400, "resource.user.empty_otp_code")
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {"wrong"}}), nil), 422, "resource.user.invalid_password")
	if got := resAUser(t, ts, u.ID); got.State != "pending" {
		t.Fatalf("state %s after failures", got.State)
	}
	resAWantEvents(t, ts.events(t))

	r := c.do(t, "DELETE", "/api/v2/resource/users/me?"+url.Values{"password": {strongPassword}}.Encode(), nil)
	expect(t, r, 204)
	if len(r.Body) != 0 {
		t.Fatalf("204 body %q", r.Body)
	}
	if got := resAUser(t, ts, u.ID); got.State != "deleted" {
		t.Fatalf("state %s", got.State)
	}
	l, err := ts.DB.LabelByKey(ctx, u.ID, "delete", "private")
	if err != nil || l.Value != "by_user" {
		t.Fatalf("delete label %+v %v", l, err)
	}
	evs := ts.events(t)
	resAWantEvents(t, evs, "model.label.created", "model.user.updated", "system.user.account.deleted")
	del := evs[2].record()["user"].(map[string]any)
	if del["state"] != "deleted" || del["email"] != "member@example.com" {
		t.Fatalf("account.deleted %s", evs[2].Raw)
	}
	if k, _ := ts.DB.APIKeyByKID(ctx, key.KID); k.State != "inactive" {
		t.Fatalf("api key state %s", k.State)
	}
	// The session is revoked and the account can no longer log in.
	expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	expect(t, ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": strongPassword}), 401, "identity.session.deleted")
}

func TestResourceUsersDeleteMe2FA(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	secret := resAEnable2FA(t, ts, u)
	q := func(v url.Values) string { return res + "/users/me?" + v.Encode() }
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {strongPassword}}), nil), 422, "resource.user.missing_otp_code")
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {strongPassword}, "otp_code": {"000000"}}), nil), 422, "resource.user.invalid_otp")
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {"nope"}, "otp_code": {resATOTP(t, secret)}}), nil), 422, "resource.user.invalid_password")
	if got := resAUser(t, ts, u.ID); got.State != "pending" {
		t.Fatalf("state %s", got.State)
	}
	resAWantEvents(t, ts.events(t))
	expect(t, c.do(t, "DELETE", q(url.Values{"password": {strongPassword}, "otp_code": {resATOTP(t, secret)}}), nil), 204)
	if got := resAUser(t, ts, u.ID); got.State != "deleted" {
		t.Fatalf("state %s", got.State)
	}
}

func TestResourceUsersChangePassword(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	other := ts.client()
	expect(t, other.do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": strongPassword}), 201)
	ts.events(t)
	newPW := "N3w-Secret-Phrase!"
	pw := func(old, nw, confirm string) map[string]string {
		return map[string]string{"old_password": old, "new_password": nw, "confirm_password": confirm}
	}
	expect(t, c.do(t, "PUT", res+"/users/password", map[string]string{}), 400,
		"resource.user.missing_old_password", "resource.user.empty_old_password", "resource.user.missing_new_password",
		"resource.user.empty_new_password", "resource.user.missing_confirm_password", "resource.user.empty_confirm_password")
	expect(t, c.do(t, "PUT", res+"/users/password", pw(strongPassword, "", newPW)), 400, "resource.user.empty_new_password")
	if n := len(resAActivities(t, ts, u.ID, "password")); n != 0 {
		t.Fatalf("%d activities for parameter errors", n)
	}
	for _, tc := range []struct {
		body   map[string]string
		status int
		key    string
		reason string
	}{
		{pw(strongPassword, newPW, newPW+"x"), 422, "resource.password.doesnt_match", "New passwords don't match"},
		{pw("wrong", newPW, newPW), 400, "resource.password.prev_pass_not_correct", "Previous password is not correct"},
		{pw(strongPassword, strongPassword, strongPassword), 400, "resource.password.no_change_provided", "New password cant be the same, as old one"},
		{pw(strongPassword, "password", "password"), 422, "password.requirements", "password.requirements"},
		{pw(strongPassword, "Aa1!aaaaaaaa", "Aa1!aaaaaaaa"), 422, "password.weak", "password.weak"},
	} {
		expect(t, c.do(t, "PUT", res+"/users/password", tc.body), tc.status, tc.key)
		a := resAActivities(t, ts, u.ID, "password")[0]
		if a.Action != "password change" || a.Result != "failed" || a.Data != `{"reason":"`+tc.reason+`"}` || a.UserAgent != c.ua {
			t.Fatalf("activity %+v", a)
		}
	}
	if got := resAUser(t, ts, u.ID).PasswordDigest; got != u.PasswordDigest {
		t.Fatal("password changed by a failed request")
	}
	resAWantEvents(t, ts.events(t))

	r := c.do(t, "PUT", "/api/v2/resource/users/password", url.Values{"old_password": {strongPassword}, "new_password": {newPW}, "confirm_password": {newPW}})
	expect(t, r, 201)
	if string(r.Body) != "201" {
		t.Fatalf("body %s", r.Body)
	}
	evs := ts.events(t)
	resAWantEvents(t, evs, "model.user.updated", "system.user.password.change")
	ev := evs[1].record()
	if ev["domain"] != "openware.com" || ev["user"].(map[string]any)["email"] != "member@example.com" {
		t.Fatalf("password.change %s", evs[1].Raw)
	}
	resAWantKeys(t, evs[1].Raw, "record,name")
	resAWantKeys(t, resARaw(t, evs[1].Raw, "record"), "user,domain")
	if a := resAActivities(t, ts, u.ID, "password")[0]; a.Result != "succeed" || a.Data != "" {
		t.Fatalf("activity %+v", a)
	}
	// The caller's session stays, every other one is revoked.
	expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
	expect(t, other.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	l := ts.client()
	expect(t, l.do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": strongPassword}), 401, "identity.session.invalid_params")
	expect(t, l.do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": newPW}), 201)
}

func TestResourceUsersActivity(t *testing.T) {
	t.Parallel()
	ts, c, u := resAMember(t, nil, "member@example.com")
	ctx := context.Background()
	login := ts.client()
	expect(t, login.do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": "bad"}), 401)
	expect(t, login.do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": strongPassword}), 201)
	// An admin-category record of the user is not shown to him.
	if err := ts.DB.CreateActivity(ctx, &barong.Activity{UserID: u.ID, Category: "admin", UserIP: "127.0.0.1", UserAgent: "x", Topic: "session", Action: "read", Result: "denied"}); err != nil {
		t.Fatal(err)
	}
	// Another user's activities are never listed.
	ts.signUp(t, "other@example.com")

	for _, mount := range resAMounts {
		r := c.do(t, "GET", mount+"/users/activity/all", nil)
		expect(t, r, 200)
		if r.Header.Get("Total") != "3" || r.Header.Get("Page") != "1" || r.Header.Get("Per-Page") != "100" {
			t.Fatalf("headers %v", r.Header)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(r.Body, &list); err != nil || len(list) != 3 {
			t.Fatalf("list %s", r.Body)
		}
		resAWantKeys(t, list[0], "id,user_ip,user_ip_country,user_agent,topic,action,result,data,created_at")
		var first map[string]any
		_ = json.Unmarshal(list[0], &first)
		if first["topic"] != "session" || first["action"] != "login" || first["result"] != "succeed" || first["user_ip"] != "127.0.0.1" || first["data"] != nil {
			t.Fatalf("newest activity %s", list[0])
		}
		var last map[string]any
		_ = json.Unmarshal(list[2], &last)
		if last["topic"] != "account" || last["action"] != "signup" {
			t.Fatalf("oldest activity %s", list[2])
		}
	}
	getList := func(path string) []map[string]any {
		t.Helper()
		r := c.do(t, "GET", res+path, nil)
		expect(t, r, 200)
		var l []map[string]any
		_ = json.Unmarshal(r.Body, &l)
		return l
	}
	if l := getList("/users/activity/session?result=failed"); len(l) != 1 || l[0]["data"] != `{"reason":"Invalid Email or Password"}` {
		t.Fatalf("failed sessions %v", l)
	}
	if l := getList("/users/activity/account"); len(l) != 1 {
		t.Fatalf("account %v", l)
	}
	now := time.Now().Unix()
	if l := getList("/users/activity/all?time_from=" + strconv.FormatInt(now-3600, 10) + "&time_to=" + strconv.FormatInt(now+3600, 10)); len(l) != 3 {
		t.Fatalf("range %v", l)
	}
	r := c.do(t, "GET", res+"/users/activity/all?limit=1&page=2", nil)
	expect(t, r, 200)
	if r.Header.Get("Total") != "3" || r.Header.Get("Page") != "2" || r.Header.Get("Per-Page") != "1" {
		t.Fatalf("headers %v", r.Header)
	}
	var page []map[string]any
	_ = json.Unmarshal(r.Body, &page)
	if len(page) != 1 || page[0]["result"] != "failed" {
		t.Fatalf("page 2 %s", r.Body)
	}
	expect(t, c.do(t, "GET", res+"/users/activity/all?limit=1&page=9", nil), 200)

	for path, want := range map[string][]any{
		"/users/activity/logins":                                           {422, "resource.user.wrong_topic"},
		"/users/activity/%20":                                              {400, "resource.user.empty_topic"},
		"/users/activity/all?time_from=abc":                                {422, "resource.user.non_integer_time_from"},
		"/users/activity/all?time_to=1.5":                                  {422, "resource.user.non_integer_time_to"},
		"/users/activity/all?time_from=":                                   {400, "resource.user.empty_time_from"},
		"/users/activity/all?time_to=%20":                                  {400, "resource.user.empty_time_to"},
		"/users/activity/all?result=":                                      {400, "resource.user.empty_result"},
		"/users/activity/all?result[]=failed":                              {422, "resource.user.non_string_result"},
		"/users/activity/all?page=0":                                       {422, "non_positive_page"},
		"/users/activity/all?page=x":                                       {422, "non_integer_page"},
		"/users/activity/all?limit=101":                                    {422, "invalid_limit"},
		"/users/activity/all?limit=y":                                      {422, "non_integer_limit"},
		"/users/activity/otp":                                              {422, "resource.user.no_activity"},
		"/users/activity/all?result=denied":                                {422, "resource.user.no_activity"},
		"/users/activity/all?time_from=" + strconv.FormatInt(now+7200, 10): {422, "resource.user.no_activity"},
		"/users/activity/all?time_to=1000":                                 {422, "resource.user.no_activity"},
	} {
		expect(t, c.do(t, "GET", res+path, nil), want[0].(int), want[1].(string))
	}
}

// TestResourceUsersChangePasswordBearer: behind a gateway (bearer JWT) the
// session whose cookie came with the request is kept; without one, every
// session is revoked.
func TestResourceUsersChangePasswordBearer(t *testing.T) {
	t.Parallel()
	ts, c, _ := resAMember(t, nil, "member@example.com")
	other := ts.client()
	expect(t, other.do(t, "POST", id+"/sessions", map[string]string{"email": "member@example.com", "password": strongPassword}), 201)
	pw1, pw2 := "N3w-Secret-Phrase!", "Th1rd-Secret-Phrase?"
	body := func(old, nw string) map[string]string {
		return map[string]string{"old_password": old, "new_password": nw, "confirm_password": nw}
	}
	expect(t, resABearerPut(t, ts, c, resABearer(t, c), res+"/users/password", body(strongPassword, pw1)), 201)
	expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
	expect(t, other.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")

	// Bearer only: the caller's session cannot be told, all are revoked.
	expect(t, resABearerPut(t, ts, nil, resABearer(t, c), res+"/users/password", body(pw1, pw2)), 201)
	expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
}
