package server_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

const admProfileFields = "first_name,last_name,dob,address,postcode,city,country,state,metadata,created_at,updated_at"

func TestAdminProfilesCreateAndList(t *testing.T) {
	t.Parallel()
	e := admServer(t, map[string]string{"BARONG_API_DATA_MASKING_ENABLED": "true"})
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	admin := e.as["admin"]
	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"first_name": "Alice"}, 400, []string{"admin.profile.missing_uid", "admin.profile.empty_uid"}},
		{map[string]any{"uid": "IDNOBODY000"}, 404, []string{"admin.user.doesnt_exist"}},
		{map[string]any{"uid": e.users["superadmin"].UID}, 422, []string{"admin.profiles.superadmin_change"}},
		{map[string]any{"uid": a.UID, "first_name": "R2-D2!", "country": "Narnia"}, 422, []string{"first_name.invalid", "country.must have alpha2 or alpha3 format"}},
		{map[string]any{"uid": a.UID, "dob": "someday"}, 422, []string{"admin.profile.invalid_dob"}},
	} {
		expect(t, admin.do(t, "POST", adm+"/profiles", tc.body), tc.status, tc.keys...)
	}
	r := admin.do(t, "POST", "/api/v2/admin/profiles", map[string]any{"uid": a.UID, "first_name": "Alice", "last_name": "Liddell",
		"dob": "1990-01-02", "country": "UA", "metadata": `{"src":"call"}`})
	expect(t, r, 201)
	if got := admKeys(t, r.Body); got != admProfileFields {
		t.Fatalf("fields %s", got)
	}
	if m := r.json(t); m["state"] != "submitted" || m["last_name"] != "Liddell" || m["dob"] != "1990-01-02" {
		t.Fatalf("profile %s", r.Body)
	}
	ps, _ := e.ts.DB.ProfilesByUser(ctx, a.ID)
	if len(ps) != 1 || ps[0].Author != e.users["admin"].UID {
		t.Fatalf("stored %+v", ps)
	}
	if l, err := e.ts.DB.LabelByKey(ctx, a.ID, "profile", "private"); err != nil || l.Value != "submitted" {
		t.Fatalf("profile label %v %v", l, err)
	}
	find(t, e.ts.events(t), "model.profile.created")
	expect(t, admin.do(t, "POST", adm+"/profiles", map[string]any{"uid": a.UID}), 409, "state.exists")

	for _, mount := range admMounts {
		r = e.as["support"].do(t, "GET", admQ(mount+"/profiles", url.Values{"limit": {"1"}}), nil)
		expect(t, r, 200)
		admPage(t, r, "1", "1", "1")
		if list := admList(t, r); list[0]["last_name"] != "Liddell" {
			t.Fatalf("list masked %s", r.Body)
		}
	}
	expect(t, e.as["support"].do(t, "GET", adm+"/profiles?page=-1", nil), 422, "non_positive_page")
}

func TestAdminProfileVerify(t *testing.T) {
	t.Parallel()
	e := admServer(t, map[string]string{"BARONG_PROFILE_DOUBLE_VERIFICATION": "true"})
	ctx := context.Background()
	a, b := e.member(t, "alice@example.com"), e.member(t, "bob@example.com")
	admin, root := e.as["admin"], e.as["superadmin"]
	comp, _ := e.signIn(t, "admin2@example.com", "admin") // a second admin
	expect(t, admin.do(t, "POST", adm+"/profiles", map[string]any{"uid": a.UID, "first_name": "Alice"}), 201)
	expect(t, root.do(t, "POST", adm+"/profiles", map[string]any{"uid": b.UID, "first_name": "Bob"}), 201)
	e.ts.events(t)

	for _, tc := range []struct {
		c      *client
		body   map[string]any
		status int
		keys   []string
	}{
		{admin, map[string]any{"uid": a.UID}, 400, []string{"admin.profile.missing_state", "admin.profile.empty_state"}},
		{admin, map[string]any{"uid": a.UID, "state": "approved"}, 422, []string{"admin.profile.invalid_state"}},
		{admin, map[string]any{"uid": "IDNOBODY000", "state": "verified"}, 404, []string{"admin.user.doesnt_exist"}},
		{admin, map[string]any{"uid": e.users["member"].UID, "state": "verified"}, 404, []string{"admin.profiles.doesnt_exist_or_not_editable"}},
		// The author may not approve his own profile without a second admin.
		{admin, map[string]any{"uid": a.UID, "state": "verified"}, 422, []string{"admin.profiles.second_admin_approval"}},
	} {
		expect(t, tc.c.do(t, "PUT", adm+"/profiles", tc.body), tc.status, tc.keys...)
	}
	r := comp.do(t, "PUT", adm+"/profiles", url.Values{"uid": {a.UID}, "state": {"verified"}})
	expect(t, r, 200)
	if got := admKeys(t, r.Body); got != admProfileFields || r.json(t)["state"] != "verified" {
		t.Fatalf("profile %s", r.Body)
	}
	if l, _ := e.ts.DB.LabelByKey(ctx, a.ID, "profile", "private"); l.Value != "verified" {
		t.Fatalf("label %v", l)
	}
	evs := e.ts.events(t)
	find(t, evs, "model.profile.updated")
	find(t, evs, "model.label.updated")
	// Verified: no submitted profile is left to edit.
	expect(t, comp.do(t, "PUT", adm+"/profiles", map[string]any{"uid": a.UID, "state": "rejected"}), 404, "admin.profiles.doesnt_exist_or_not_editable")
	// A superadmin (profile_verification_roles) may approve his own.
	expect(t, root.do(t, "PUT", adm+"/profiles", map[string]any{"uid": b.UID, "state": "rejected"}), 200)

	// Superadmin targets are for superadmins.
	sp := &barong.Profile{UserID: e.users["superadmin"].ID, State: "submitted"}
	if err := e.ts.DB.CreateProfile(ctx, sp); err != nil {
		t.Fatal(err)
	}
	expect(t, comp.do(t, "PUT", adm+"/profiles", map[string]any{"uid": e.users["superadmin"].UID, "state": "verified"}), 422, "admin.profiles.superadmin_change")
	e.grant(t, "accountant")
	e.ts.events(t)
	expect(t, e.as["accountant"].do(t, "PUT", adm+"/profiles", map[string]any{"uid": a.UID, "state": "verified"}), 401, "admin.ability.not_permitted")
	expect(t, e.as["accountant"].do(t, "POST", adm+"/profiles", map[string]any{"uid": a.UID}), 401, "admin.ability.not_permitted")
}

func TestAdminActivitiesAndAudit(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	admRunAuthz(t, e)
	a := e.member(t, "alice@example.com")
	e.login(t, a.Email)
	bad := e.ts.client()
	expect(t, bad.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": a.Email, "password": "wrong"}), 401)

	root := e.as["superadmin"]
	r := root.do(t, "GET", admQ(adm+"/activities", url.Values{"email": {a.Email}}), nil)
	expect(t, r, 200)
	admPage(t, r, "3", "1", "100") // signup, login, failed login
	list := admList(t, r)
	if list[0]["action"] != "login" || list[0]["result"] != "failed" || list[2]["action"] != "signup" {
		t.Fatalf("activities %s", r.Body)
	}
	if got := admKeys(t, admRaw(t, r)[0]); got != "user_ip,user_ip_country,user_agent,topic,action,result,data,user,created_at" {
		t.Fatalf("fields %s", got)
	}
	if u := list[0]["user"].(map[string]any); u["uid"] != a.UID || admKeys(t, admRawField(t, admRaw(t, r)[0])["user"]) != admUserFields {
		t.Fatalf("user %v", u)
	}
	for _, tc := range []struct {
		params url.Values
		total  string
	}{
		{url.Values{"uid": {a.UID}, "topic": {"session"}}, "2"},
		{url.Values{"uid": {a.UID}, "action": {"signup"}}, "1"},
		{url.Values{"uid": {a.UID}, "email": {"root@example.com"}}, "0"},
		{url.Values{"uid": {"IDNOBODY000"}}, "0"},
		{url.Values{"uid": {a.UID}, "to": {"1"}}, "0"},
		{url.Values{"uid": {a.UID}, "from": {"1"}}, "3"},
	} {
		r := root.do(t, "GET", admQ(adm+"/activities", tc.params), nil)
		expect(t, r, 200)
		admPage(t, r, tc.total, "1", "100")
	}
	expect(t, root.do(t, "GET", adm+"/activities?from=x", nil), 422, "admin.activity.non_integer_from")
	expect(t, root.do(t, "GET", adm+"/activities/admin?range=updated", nil), 422, "admin.activity.invalid_range")

	// A direct admin write with a JSON body is audited with its target
	// and parameters (reference §7.5), secrets redacted.
	expect(t, root.do(t, "POST", adm+"/users/labels", map[string]any{"uid": a.UID, "key": "vip", "value": "gold",
		"otp_code": "123456"}), 200)
	audit := admWaitAudit(t, e, func(x barong.Activity) bool { return x.TargetUID == a.UID && x.Action == "create" })
	if audit.Topic != "users" || audit.Result != "succeed" || audit.UserID != e.users["superadmin"].ID ||
		!strings.Contains(audit.Data, `"key":"vip"`) || strings.Contains(audit.Data, "123456") {
		t.Fatalf("audit %+v", audit)
	}
	r = root.do(t, "GET", admQ(adm+"/activities/admin", url.Values{"target_uid": {a.UID}, "range": {"created"}}), nil)
	expect(t, r, 200)
	admPage(t, r, "1", "1", "100")
	if got := admKeys(t, admRaw(t, r)[0]); got != "user_ip,user_ip_country,user_agent,topic,action,result,data,admin,target,created_at" {
		t.Fatalf("admin fields %s", got)
	}
	m := admList(t, r)[0]
	if m["admin"].(map[string]any)["uid"] != e.users["superadmin"].UID || m["target"].(map[string]any)["uid"] != a.UID {
		t.Fatalf("admin activity %s", r.Body)
	}
	r = root.do(t, "GET", admQ(adm+"/activities/admin", url.Values{"uid": {e.users["superadmin"].UID}, "topic": {"users"}}), nil)
	expect(t, r, 200)
	if r.Header.Get("Total") == "0" {
		t.Fatal("no admin activity by uid")
	}
}

func TestAdminMetrics(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	e.login(t, a.Email)
	expect(t, e.ts.client().do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": a.Email, "password": "nope"}), 401)
	if err := e.ts.DB.CreateLabel(ctx, &barong.Label{UserID: a.ID, Key: "document", Value: "pending", Scope: "private"}); err != nil {
		t.Fatal(err)
	}
	// One old sign-up, outside a bounded window.
	admExec(t, e, "UPDATE activities SET created_at = '2020-05-05 10:00:00' WHERE user_id = ? AND action = 'signup'", e.users["member"].ID)
	today := e.ts.DB.Now().Format("2006-01-02")
	r := e.as["accountant"].do(t, "GET", adm+"/metrics", nil)
	expect(t, r, 200)
	want := `{"signups":{"2020-05-05":1,"` + today + `":7},"sucessful_logins":{"` + today + `":1},"failed_logins":{"` + today + `":1},"pending_applications":1}`
	if string(r.Body) != want {
		t.Fatalf("metrics %s\nwant %s", r.Body, want)
	}
	for _, tc := range []struct {
		params url.Values
		want   string
	}{
		{url.Values{"created_from": {"2020-05-01"}, "created_to": {"2020-05-05"}},
			`{"signups":{"2020-05-05":1},"sucessful_logins":{},"failed_logins":{},"pending_applications":0}`},
		{url.Values{"created_from": {strconv.FormatInt(e.ts.DB.Now().Add(-time.Hour).Unix(), 10)}},
			`{"signups":{"` + today + `":7},"sucessful_logins":{"` + today + `":1},"failed_logins":{"` + today + `":1},"pending_applications":1}`},
	} {
		r := e.as["accountant"].do(t, "GET", admQ(adm+"/metrics", tc.params), nil)
		expect(t, r, 200)
		if string(r.Body) != tc.want {
			t.Fatalf("%v: %s\nwant %s", tc.params, r.Body, tc.want)
		}
	}
	expect(t, e.as["accountant"].do(t, "GET", adm+"/metrics?created_from=soon", nil), 422, "admin.metric.invalid_created_from")
	expect(t, e.as["accountant"].do(t, "GET", adm+"/metrics?created_to=", nil), 400, "admin.metric.empty_created_to")
}
