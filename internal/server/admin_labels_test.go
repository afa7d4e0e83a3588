package server_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

func TestAdminLabelCountsAndUsers(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a, b := e.member(t, "a@example.com"), e.member(t, "b@example.com")
	for _, l := range []*barong.Label{
		{UserID: a.ID, Key: "vip", Value: "gold", Scope: "public"},
		{UserID: a.ID, Key: "vip", Value: "gold", Scope: "private"},
		{UserID: b.ID, Key: "vip", Value: "silver", Scope: "private"},
	} {
		if err := e.ts.DB.CreateLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	r := e.as["accountant"].do(t, "GET", adm+"/users/labels/list", nil)
	expect(t, r, 200)
	// email=verified: the seven role users and the two members.
	want := `{"[\"email\", \"verified\"]":9,"[\"vip\", \"gold\"]":1,"[\"vip\", \"silver\"]":1}`
	if string(r.Body) != want {
		t.Fatalf("counts %s, want %s", r.Body, want)
	}

	for _, mount := range admMounts {
		r = e.as["accountant"].do(t, "GET", admQ(mount+"/users/labels", url.Values{"key": {"vip"}, "value": {"gold"}}), nil)
		expect(t, r, 200)
		admPage(t, r, "1", "1", "100")
		if got := admUIDs(t, r); !slices.Equal(got, []string{a.UID}) { // once, though two labels match
			t.Fatalf("by label %v", got)
		}
	}
	expect(t, e.as["accountant"].do(t, "GET", adm+"/users/labels?key=vip", nil), 400, "admin.user.missing_value", "admin.user.empty_value")
	expect(t, e.as["accountant"].do(t, "GET", adm+"/users/labels?key=&value=x", nil), 400, "admin.user.empty_key")
}

func TestAdminLabelWrites(t *testing.T) {
	t.Parallel()
	e := admServer(t, map[string]string{"BARONG_CONFIG": admConfigFile(t, "")})
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	admin := e.as["admin"]
	root := e.as["superadmin"]

	// Create.
	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"uid": a.UID, "key": "kyc"}, 400, []string{"admin.user.missing_value", "admin.user.empty_value"}},
		{map[string]any{"uid": a.UID, "key": "kyc", "value": "ok", "description": ""}, 400, []string{"admin.user.empty_description"}},
		{map[string]any{"uid": "IDNOBODY000", "key": "kyc", "value": "done"}, 404, []string{"admin.user.doesnt_exist"}},
		{map[string]any{"uid": e.users["superadmin"].UID, "key": "kyc", "value": "done"}, 422, []string{"admin.user.superadmin_change"}},
		{map[string]any{"uid": a.UID, "key": "k!", "value": "x"}, 422, []string{"key.too_short", "key.invalid", "value.too_short"}},
		{map[string]any{"uid": a.UID, "key": "kyc", "value": "done", "scope": "secret"}, 422, []string{"scope.inclusion"}},
		{map[string]any{"uid": a.UID, "key": "email", "value": "verified", "scope": "private"}, 422, []string{"key.taken"}},
		{map[string]any{"uid": a.UID, "key": "kyc", "value": "x", "description": strings.Repeat("d", 256)}, 422, []string{"description.too_long"}},
	} {
		expect(t, admin.do(t, "POST", adm+"/users/labels", tc.body), tc.status, tc.keys...)
	}
	if evs := e.ts.events(t); len(evs) != 0 {
		t.Fatalf("refused writes emitted %v", names(evs))
	}
	r := admin.do(t, "POST", adm+"/users/labels", map[string]any{"uid": a.UID, "key": " KYC ", "value": "Done", "description": "checked"})
	expect(t, r, 200)
	l, err := e.ts.DB.LabelByKey(ctx, a.ID, "kyc", "public")
	if err != nil || l.Value != "done" || l.Description != "checked" {
		t.Fatalf("label %+v %v", l, err)
	}
	find(t, e.ts.events(t), "model.label.created")
	expect(t, root.do(t, "POST", adm+"/users/labels", map[string]any{"uid": e.users["admin"].UID, "key": "kyc", "value": "done"}), 200)

	// A private ban label bans the user (state recomputed).
	expect(t, admin.do(t, "POST", adm+"/users/labels", url.Values{"uid": {a.UID}, "key": {"ban"}, "value": {"fraud"}, "scope": {"private"}}), 200)
	if got := e.user(t, a.ID).State; got != "banned" {
		t.Fatalf("state %s", got)
	}
	e.ts.events(t)

	// POST update: value changes, an absent description is kept (Barong clears it).
	upd := adm + "/users/labels/update"
	expect(t, admin.do(t, "POST", upd, map[string]any{"uid": a.UID, "key": "kyc", "scope": "public", "value": "redo"}), 200)
	if l, _ := e.ts.DB.LabelByKey(ctx, a.ID, "kyc", "public"); l.Value != "redo" || l.Description != "checked" {
		t.Fatalf("updated %+v", l)
	}
	ev := find(t, e.ts.events(t), "model.label.updated")
	if ev.Body["changes"].(map[string]any)["value"] != "done" {
		t.Fatalf("event %s", ev.Raw)
	}
	// Missing label: created with replace (default true), 404 without.
	expect(t, admin.do(t, "POST", upd, map[string]any{"uid": a.UID, "key": "tier", "scope": "private", "value": "two"}), 200)
	if _, err := e.ts.DB.LabelByKey(ctx, a.ID, "tier", "private"); err != nil {
		t.Fatalf("replace created nothing: %v", err)
	}
	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"uid": a.UID, "key": "none", "scope": "private", "value": "x1x", "replace": false}, 404, []string{"admin.label.doesnt_exist"}},
		{map[string]any{"uid": a.UID, "key": "kyc", "scope": "public", "value": "x1x", "replace": "perhaps"}, 422, []string{"admin.user.non_boolean_replace"}},
		{map[string]any{"uid": a.UID, "key": "kyc", "value": "x1x"}, 400, []string{"admin.user.missing_scope", "admin.user.empty_scope"}},
		{map[string]any{"uid": a.UID, "key": "kyc", "scope": "public", "value": "a"}, 422, []string{"value.too_short"}},
		{map[string]any{"uid": e.users["superadmin"].UID, "key": "email", "scope": "private", "value": "x1x"}, 422, []string{"admin.user.superadmin_change"}},
	} {
		expect(t, admin.do(t, "POST", upd, tc.body), tc.status, tc.keys...)
	}

	// PUT: the label must exist; description replaced when given.
	expect(t, admin.do(t, "PUT", adm+"/users/labels", map[string]any{"uid": a.UID, "key": "none", "scope": "public", "value": "abc"}), 404, "admin.label.doesnt_exist")
	expect(t, admin.do(t, "PUT", "/api/v2/admin/users/labels", map[string]any{"uid": a.UID, "key": "kyc", "scope": "public", "value": "final", "description": "second look"}), 200)
	if l, _ := e.ts.DB.LabelByKey(ctx, a.ID, "kyc", "public"); l.Value != "final" || l.Description != "second look" {
		t.Fatalf("put %+v", l)
	}

	// DELETE: the private ban label goes, the user is active again.
	del := func(v url.Values) *response { return admin.do(t, "DELETE", admQ(adm+"/users/labels", v), nil) }
	expect(t, del(url.Values{"uid": {a.UID}, "key": {"ban"}}), 400, "admin.user.missing_scope", "admin.user.empty_scope")
	expect(t, del(url.Values{"uid": {a.UID}, "key": {"ban"}, "scope": {"public"}}), 404, "admin.label.doesnt_exist")
	expect(t, del(url.Values{"uid": {e.users["superadmin"].UID}, "key": {"email"}, "scope": {"private"}}), 422, "admin.user.superadmin_change")
	r = del(url.Values{"uid": {a.UID}, "key": {"ban"}, "scope": {"private"}})
	expect(t, r, 200)
	if got := e.user(t, a.ID).State; got != "active" {
		t.Fatalf("state after unban %s", got)
	}
	// Support may read labels but not write them.
	expect(t, e.as["support"].do(t, "POST", adm+"/users/labels", map[string]any{"uid": a.UID, "key": "kyc", "value": "done"}), 401)
}

func TestAdminComments(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	a := e.member(t, "alice@example.com")
	admin := e.as["admin"]
	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"uid": a.UID, "title": "t"}, 400, []string{"admin.user.missing_data", "admin.user.empty_data"}},
		{map[string]any{"uid": a.UID, "title": strings.Repeat("t", 65), "data": "d"}, 422, []string{"admin.comments.title_too_long"}},
		{map[string]any{"uid": a.UID, "title": "t", "data": strings.Repeat("d", 65536)}, 422, []string{"admin.comments.data_too_long"}},
		{map[string]any{"uid": "IDNOBODY000", "title": "t", "data": "d"}, 404, []string{"admin.user.doesnt_exist"}},
	} {
		expect(t, admin.do(t, "POST", adm+"/users/comments", tc.body), tc.status, tc.keys...)
	}
	r := admin.do(t, "POST", adm+"/users/comments", map[string]any{"uid": a.UID, "title": "Call", "data": "Asked for ID"})
	expect(t, r, 201)
	if got := admKeys(t, r.Body); got != admKYCFields {
		t.Fatalf("fields %s", got)
	}
	cm := r.json(t)["comments"].([]any)[0].(map[string]any)
	if cm["author_uid"] != e.users["admin"].UID || cm["title"] != "Call" || cm["data"] != "Asked for ID" {
		t.Fatalf("comment %v", cm)
	}
	if got := admKeys(t, admRawItems(t, admRawField(t, r.Body)["comments"])[0]); got != "id,author_uid,title,data,created_at,updated_at" {
		t.Fatalf("comment fields %s", got)
	}
	id := jsonInt(cm["id"])

	expect(t, admin.do(t, "PUT", adm+"/users/comments", map[string]any{"title": "x"}), 400, "admin.user.missing_id", "admin.user.empty_id")
	expect(t, admin.do(t, "PUT", adm+"/users/comments", map[string]any{"id": "one"}), 422, "admin.user.non_integer_id")
	expect(t, admin.do(t, "PUT", adm+"/users/comments", map[string]any{"id": 999999, "title": "x"}), 404, "record.not_found")
	expect(t, admin.do(t, "PUT", adm+"/users/comments", map[string]any{"id": id, "title": strings.Repeat("t", 65)}), 422, "admin.comments.title_too_long")
	r = admin.do(t, "PUT", "/api/v2/admin/users/comments", map[string]any{"id": id, "data": "Sent ID"})
	expect(t, r, 200)
	cm = r.json(t)["comments"].([]any)[0].(map[string]any)
	if cm["title"] != "Call" || cm["data"] != "Sent ID" {
		t.Fatalf("edited %v", cm)
	}
	expect(t, admin.do(t, "DELETE", adm+"/users/comments?id=999999", nil), 404, "record.not_found")
	r = admin.do(t, "DELETE", admQ(adm+"/users/comments", url.Values{"id": {strconv.FormatInt(id, 10)}}), nil)
	expect(t, r, 200)
	if n := len(r.json(t)["comments"].([]any)); n != 0 {
		t.Fatalf("comments left %d", n)
	}
	// Barong has no ability check here; barong-go requires update User.
	e.grant(t, "accountant")
	expect(t, e.as["accountant"].do(t, "POST", adm+"/users/comments", map[string]any{"uid": a.UID, "title": "t", "data": "d"}), 401, "admin.ability.not_permitted")
}

func jsonInt(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
