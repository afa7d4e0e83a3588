package server_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

const admUserFields = "email,uid,role,level,otp,state,referral_uid,data,username"
const admKYCFields = admUserFields + ",profiles,labels,phones,documents,data_storages,comments,created_at,updated_at"

// admExec runs SQL on the test server's SQLite file (to backdate rows).
func admExec(t *testing.T, e *admEnv, query string, args ...any) {
	t.Helper()
	db, ok := rawSQLite(t, e.ts)
	if !ok {
		t.Fatalf("not sqlite: %s", e.ts.Config.DatabaseURL)
	}
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestAdminUsersList(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	b := e.member(t, "bob@example.com")
	b.Level, b.State = 2, "banned"
	if err := e.ts.DB.UpdateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DB.CreateProfile(ctx, &barong.Profile{UserID: a.ID, FirstName: "Alice", LastName: "Liddell",
		DOB: "1990-01-02", Country: "UA", State: "submitted"}); err != nil {
		t.Fatal(err)
	}
	admExec(t, e, "UPDATE users SET created_at = '2020-01-01 00:00:00', updated_at = '2021-06-01 00:00:00' WHERE id = ?", a.ID)
	c := e.as["admin"]
	all := len(admRoles) + 2

	for _, mount := range admMounts {
		r := c.do(t, "GET", mount+"/users", nil)
		expect(t, r, 200)
		admPage(t, r, strconv.Itoa(all), "1", "100")
		list := admList(t, r)
		if len(list) != all || list[0]["email"] != "root@example.com" {
			t.Fatalf("list %s", r.Body)
		}
		if got := admKeys(t, admRaw(t, r)[0]); got != admUserFields {
			t.Fatalf("user fields %s", got)
		}
	}
	r := c.do(t, "GET", admQ(adm+"/users", url.Values{"limit": {"2"}, "page": {"2"}}), nil)
	expect(t, r, 200)
	admPage(t, r, strconv.Itoa(all), "2", "2")
	if got := admUIDs(t, r); len(got) != 2 || got[0] != e.users["accountant"].UID {
		t.Fatalf("page 2 %v", got)
	}

	from, to := strconv.FormatInt(time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC).Unix(), 10), strconv.FormatInt(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 10)
	for _, tc := range []struct {
		params url.Values
		want   []string
	}{
		{url.Values{"uid": {b.UID}}, []string{b.UID}},
		{url.Values{"email": {"ALICE@example.com"}}, []string{a.UID}},
		{url.Values{"role": {"support"}}, []string{e.users["support"].UID}},
		{url.Values{"country": {"UA"}}, []string{a.UID}},
		{url.Values{"level": {"2"}}, []string{b.UID}},
		{url.Values{"state": {"banned"}}, []string{b.UID}},
		{url.Values{"from": {from}, "to": {to}}, []string{a.UID}},
		{url.Values{"range": {"created"}, "to": {to}}, []string{a.UID}},
		{url.Values{"range": {"updated"}, "from": {from}, "to": {to}}, nil},
		{url.Values{"range": {"updated"}, "to": {strconv.FormatInt(time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC).Unix(), 10)}}, []string{a.UID}},
		{url.Values{"role": {"member"}, "state": {"active"}}, []string{e.users["member"].UID, a.UID}},
		{url.Values{"role": {"member"}, "ordering": {"desc"}}, []string{b.UID, a.UID, e.users["member"].UID}},
		{url.Values{"role": {"member"}, "order_by": {"level"}, "ordering": {"desc"}}, []string{b.UID, a.UID, e.users["member"].UID}}, // ties by id, same direction
		{url.Values{"role": {"member"}, "order_by": {"created_at"}}, []string{a.UID, e.users["member"].UID, b.UID}},
		{url.Values{"email": {"nobody@example.com"}}, nil},
	} {
		r := c.do(t, "GET", admQ(adm+"/users", tc.params), nil)
		expect(t, r, 200)
		if got := admUIDs(t, r); !slices.Equal(got, tc.want) {
			t.Fatalf("%v: %v, want %v", tc.params, got, tc.want)
		}
		admPage(t, r, strconv.Itoa(len(tc.want)), "1", "100")
	}

	// Extended: UserWithProfile, unmasked.
	r = c.do(t, "GET", admQ(adm+"/users", url.Values{"extended": {"true"}, "uid": {a.UID}}), nil)
	expect(t, r, 200)
	ext := admList(t, r)[0]
	if got := admKeys(t, admRaw(t, r)[0]); got != admUserFields+",profiles,created_at,updated_at" {
		t.Fatalf("extended fields %s", got)
	}
	p := ext["profiles"].([]any)[0].(map[string]any)
	if p["last_name"] != "Liddell" || p["dob"] != "1990-01-02" || ext["created_at"] != "2020-01-01T00:00:00Z" {
		t.Fatalf("extended %s", r.Body)
	}

	for _, tc := range []struct {
		params url.Values
		status int
		keys   []string
	}{
		{url.Values{"extended": {"maybe"}}, 422, []string{"admin.user.non_boolean_extended"}},
		{url.Values{"range": {"deleted"}}, 422, []string{"admin.user.invalid_range"}},
		{url.Values{"ordering": {"up"}}, 422, []string{"user.ordering.invalid_ordering"}},
		{url.Values{"order_by": {"password_digest"}}, 422, []string{"user.ordering.invalid_attribute"}},
		{url.Values{"level": {"one"}}, 422, []string{"admin.user.non_integer_level"}},
		{url.Values{"from": {"yesterday"}}, 422, []string{"admin.user.non_integer_from"}},
		{url.Values{"to": {""}}, 400, []string{"admin.user.empty_to"}},
		{url.Values{"page": {"0"}}, 422, []string{"non_positive_page"}},
		{url.Values{"page": {"x"}}, 422, []string{"non_integer_page"}},
		{url.Values{"limit": {"101"}}, 422, []string{"invalid_limit"}},
		{url.Values{"limit": {"x"}}, 422, []string{"non_integer_limit"}},
	} {
		expect(t, c.do(t, "GET", admQ(adm+"/users", tc.params), nil), tc.status, tc.keys...)
	}
}

func TestAdminUserGet(t *testing.T) {
	t.Parallel()
	e := admServer(t, map[string]string{"BARONG_API_DATA_MASKING_ENABLED": "true"})
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	if err := e.ts.DB.CreateProfile(ctx, &barong.Profile{UserID: a.ID, LastName: "Liddell", DOB: "1990-01-02", State: "drafted"}); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DB.CreatePhone(ctx, &barong.Phone{UserID: a.ID, Country: "UA", Number: "380501234567"}); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DB.CreateDocument(ctx, &barong.Document{UserID: a.ID, DocType: "Passport", DocNumber: "AB123456"}); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DB.CreateLabel(ctx, &barong.Label{UserID: a.ID, Key: "vip", Value: "gold", Scope: "public", Description: "note"}); err != nil {
		t.Fatal(err)
	}
	for _, mount := range admMounts {
		r := e.as["support"].do(t, "GET", mount+"/users/"+a.UID, nil)
		expect(t, r, 200)
		if got := admKeys(t, r.Body); got != admKYCFields {
			t.Fatalf("fields %s", got)
		}
		m := r.json(t)
		prof := m["profiles"].([]any)[0].(map[string]any)
		phone := m["phones"].([]any)[0].(map[string]any)
		doc := m["documents"].([]any)[0].(map[string]any)
		labels := m["labels"].([]any)
		raw := admRawField(t, r.Body)
		if prof["last_name"] != "Liddell" || prof["dob"] != "1990-01-02" || phone["number"] != "380501234567" ||
			doc["doc_number"] != "AB123456" || len(labels) != 2 {
			t.Fatalf("masked or missing: %s", r.Body)
		}
		if got := admKeys(t, admRawItems(t, raw["labels"])[1]); got != "key,value,scope,description,created_at,updated_at" ||
			labels[1].(map[string]any)["description"] != "note" {
			t.Fatalf("label %v", labels[1])
		}
		if got := admKeys(t, admRawItems(t, raw["documents"])[0]); got != "upload,doc_type,doc_number,doc_expire,metadata,created_at,updated_at" {
			t.Fatalf("document fields %s", got)
		}
	}
	expect(t, e.as["support"].do(t, "GET", adm+"/users/IDNOBODY000", nil), 404, "admin.user.doesnt_exist")
}

func TestAdminUserUpdate(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	admin := e.as["admin"]
	up := adm + "/users/update"

	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"state": "banned"}, 400, []string{"admin.user.missing_uid", "admin.user.empty_uid"}},
		{map[string]any{"uid": a.UID}, 422, []string{"admin.user.one_of_state_otp"}},
		{map[string]any{"uid": a.UID, "state": "banned", "otp": false}, 422, []string{"admin.user.one_of_state_otp"}},
		{map[string]any{"uid": a.UID, "state": " "}, 400, []string{"admin.user.empty_state"}},
		{map[string]any{"uid": a.UID, "otp": "perhaps"}, 422, []string{"admin.user.non_boolean_otp"}},
		{map[string]any{"uid": "IDNOBODY000", "state": "banned"}, 404, []string{"admin.user.doesnt_exist"}},
		{map[string]any{"uid": e.users["superadmin"].UID, "state": "banned"}, 422, []string{"admin.user.superadmin_change"}},
		{map[string]any{"uid": e.users["admin"].UID, "state": "banned"}, 422, []string{"admin.user.update_himself"}},
		{map[string]any{"uid": a.UID, "otp": true}, 422, []string{"admin.user.enable_2fa"}},
		{map[string]any{"uid": a.UID, "otp": false}, 422, []string{"admin.user.otp_no_change"}},
		{map[string]any{"uid": a.UID, "state": "active"}, 422, []string{"admin.user.state_no_change"}},
		{map[string]any{"uid": a.UID, "state": strings.Repeat("x", 256)}, 422, []string{"state.too_long"}},
	} {
		expect(t, admin.do(t, "POST", up, tc.body), tc.status, tc.keys...)
	}
	if got := e.ts.events(t); len(got) != 0 || e.user(t, a.ID).State != "active" {
		t.Fatalf("refused updates changed something: %v", names(got))
	}

	// A session of Alice is revoked when she is banned; her key deactivated.
	alice := e.login(t, a.Email)
	key := &barong.APIKey{HolderID: a.ID, HolderType: barong.HolderUser, KID: "00112233445566aa", Algorithm: "HS256", Secret: "s", State: "active"}
	if err := e.ts.DB.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	e.ts.events(t)
	r := admin.do(t, "POST", "/api/v2/admin/users/update", url.Values{"uid": {a.UID}, "state": {"banned"}})
	expect(t, r, 200)
	if string(r.Body) != "200" {
		t.Fatalf("body %s", r.Body)
	}
	if got := e.user(t, a.ID).State; got != "banned" {
		t.Fatalf("state %s", got)
	}
	ev := find(t, e.ts.events(t), "model.user.updated")
	if ch := ev.Body["changes"].(map[string]any); ch["state"] != "active" {
		t.Fatalf("changes %s", ev.Raw)
	}
	expect(t, alice.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	if k, _ := e.ts.DB.APIKeyByKID(ctx, key.KID); k.State != "inactive" {
		t.Fatalf("key %s", k.State)
	}

	// 2FA off: otp false, otp label removed.
	u := e.user(t, a.ID)
	u.OTP, u.State = true, "active"
	if err := e.ts.DB.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.DB.CreateLabel(ctx, &barong.Label{UserID: a.ID, Key: "otp", Value: "enabled", Scope: "private"}); err != nil {
		t.Fatal(err)
	}
	expect(t, admin.do(t, "POST", up, map[string]any{"uid": a.UID, "otp": "false"}), 200)
	if u := e.user(t, a.ID); u.OTP {
		t.Fatal("otp still on")
	}
	if _, err := e.ts.DB.LabelByKey(ctx, a.ID, "otp", "private"); err == nil {
		t.Fatal("otp label kept")
	}
}

func TestAdminUserPutEmail(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	a := e.member(t, "alice@example.com")
	root, admin := e.as["superadmin"], e.as["admin"]
	for _, tc := range []struct {
		c      *client
		body   map[string]any
		status int
		keys   []string
	}{
		{root, map[string]any{"uid": a.UID}, 422, []string{"admin.user.one_of_state_otp_email"}},
		{root, map[string]any{"uid": a.UID, "email": "x@example.com", "state": "banned"}, 422, []string{"admin.user.one_of_state_otp_email"}},
		{root, map[string]any{"uid": a.UID, "email": ""}, 400, []string{"admin.user.empty_email"}},
		{admin, map[string]any{"uid": a.UID, "email": "new@example.com"}, 422, []string{"superadmin.user.update_email"}},
		{root, map[string]any{"uid": a.UID, "email": "alice@example.com"}, 422, []string{"admin.user.email_no_change"}},
		{root, map[string]any{"uid": a.UID, "email": "not-an-email"}, 422, []string{"email.invalid"}},
		{root, map[string]any{"uid": a.UID, "email": "BOB@example.com"}, 422, []string{"email.taken"}},
	} {
		if tc.keys[0] == "email.taken" {
			e.member(t, "bob@example.com")
		}
		expect(t, tc.c.do(t, "PUT", adm+"/users", tc.body), tc.status, tc.keys...)
	}
	expect(t, root.do(t, "PUT", adm+"/users", map[string]any{"uid": a.UID, "email": "alice2@example.com"}), 200)
	if got := e.user(t, a.ID).Email; got != "alice2@example.com" {
		t.Fatalf("email %s", got)
	}
	ev := find(t, e.ts.events(t), "model.user.updated")
	if ev.Body["changes"].(map[string]any)["email"] != "alice@example.com" {
		t.Fatalf("event %s", ev.Raw)
	}
	expect(t, admin.do(t, "PUT", adm+"/users", map[string]any{"uid": a.UID, "state": "locked"}), 200)
	if got := e.user(t, a.ID).State; got != "locked" {
		t.Fatalf("state %s", got)
	}
}

func TestAdminUserRole(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	a := e.member(t, "alice@example.com")
	root := e.as["superadmin"]
	e.grant(t, "admin") // the seeds DROP users/role for admins
	admin := e.as["admin"]
	for _, tc := range []struct {
		c      *client
		body   map[string]any
		status int
		keys   []string
	}{
		{root, map[string]any{"uid": a.UID}, 400, []string{"admin.user.missing_role", "admin.user.empty_role"}},
		{root, map[string]any{"uid": a.UID, "role": ""}, 400, []string{"admin.user.empty_role"}},
		{root, map[string]any{"uid": "IDNOBODY000", "role": "admin"}, 404, []string{"admin.user.doesnt_exist"}},
		{root, map[string]any{"uid": e.users["superadmin"].UID, "role": "admin"}, 422, []string{"admin.user.update_himself"}},
		{admin, map[string]any{"uid": e.users["superadmin"].UID, "role": "admin"}, 422, []string{"admin.user.superadmin_change"}},
		{admin, map[string]any{"uid": a.UID, "role": "superadmin"}, 422, []string{"admin.user.superadmin_change"}},
		{root, map[string]any{"uid": a.UID, "role": "member"}, 422, []string{"admin.user.role_no_change"}},
		{root, map[string]any{"uid": a.UID, "role": "emperor"}, 422, []string{"role.doesnt_exist"}},
	} {
		expect(t, tc.c.do(t, "POST", adm+"/users/role", tc.body), tc.status, tc.keys...)
	}
	e.ts.events(t)
	expect(t, root.do(t, "POST", adm+"/users/role", url.Values{"uid": {a.UID}, "role": {"compliance"}}), 200)
	if got := e.user(t, a.ID).Role; got != "compliance" {
		t.Fatalf("role %s", got)
	}
	if ev := find(t, e.ts.events(t), "model.user.updated"); ev.Body["changes"].(map[string]any)["role"] != "member" {
		t.Fatalf("event %s", ev.Raw)
	}
	expect(t, admin.do(t, "POST", adm+"/users/role", map[string]any{"uid": a.UID, "role": "support"}), 200)
}

// An admin's ban survives the user's next label change (Barong's
// recomputation undid it, reference §3.4 Note): the ban is pinned by a
// private ban=admin label; lifting it removes that label, and the lift
// survives too.
func TestAdminStateSurvivesRecomputation(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	admin := e.as["admin"]
	up := adm + "/users/update"
	labelsOf := func() map[string]string {
		t.Helper()
		ls, err := e.ts.DB.LabelsByUser(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, l := range ls {
			m[l.Key+"/"+l.Scope] = l.Value
		}
		return m
	}
	e.ts.events(t)
	expect(t, admin.do(t, "POST", up, map[string]any{"uid": a.UID, "state": "banned"}), 200)
	if got := labelsOf()["ban/private"]; got != "admin" {
		t.Fatalf("labels %v", labelsOf())
	}
	if got := strings.Join(names(e.ts.events(t)), ","); !strings.Contains(got, "model.user.updated") || !strings.Contains(got, "model.label.created") {
		t.Fatalf("events %s", got)
	}
	// A private label change recomputes the state: still banned.
	expect(t, admin.do(t, "POST", adm+"/users/labels", map[string]any{"uid": a.UID, "key": "phone", "value": "verified", "scope": "private"}), 200)
	if got := e.user(t, a.ID).State; got != "banned" {
		t.Fatalf("state after recomputation %s, want banned", got)
	}
	// Lifting the ban removes the pin; the next recomputation keeps it lifted.
	expect(t, admin.do(t, "POST", up, map[string]any{"uid": a.UID, "state": "active"}), 200)
	if _, ok := labelsOf()["ban/private"]; ok {
		t.Fatalf("pin kept: %v", labelsOf())
	}
	expect(t, admin.do(t, "POST", adm+"/users/labels", map[string]any{"uid": a.UID, "key": "document", "value": "verified", "scope": "private"}), 200)
	if got := e.user(t, a.ID).State; got != "active" {
		t.Fatalf("state after the lift and a recomputation %s, want active", got)
	}
	// Locking a user who already has a lock label adds no pin.
	if err := e.ts.DB.CreateLabel(ctx, &barong.Label{UserID: a.ID, Key: "suspicious", Value: "aml", Scope: "private"}); err != nil {
		t.Fatal(err)
	}
	expect(t, admin.do(t, "POST", up, map[string]any{"uid": a.UID, "state": "locked"}), 200)
	if m := labelsOf(); m["lock/private"] != "" || m["suspicious/private"] != "aml" {
		t.Fatalf("labels %v", m)
	}
}
