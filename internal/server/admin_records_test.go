package server_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	barong "github.com/barong-go/barong"
)

func TestAdminPendingDocuments(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a, b, c, d := e.member(t, "a@example.com"), e.member(t, "b@example.com"), e.member(t, "c@example.com"), e.member(t, "d@example.com")
	for i, x := range []struct {
		u     *barong.User
		value string
		at    string
	}{
		{a, "pending", "2024-01-03 00:00:00"}, {b, "replaced", "2024-01-01 00:00:00"},
		{c, "pending", "2024-01-02 00:00:00"}, {d, "verified", "2024-01-01 00:00:00"},
	} {
		l := &barong.Label{UserID: x.u.ID, Key: "document", Value: x.value, Scope: "private"}
		if err := e.ts.DB.CreateLabel(ctx, l); err != nil {
			t.Fatal(i, err)
		}
		admExec(t, e, "UPDATE labels SET updated_at = ? WHERE id = ?", x.at, l.ID)
	}
	if err := e.ts.DB.CreateDocument(ctx, &barong.Document{UserID: c.ID, DocType: "Passport", DocNumber: "XY987"}); err != nil {
		t.Fatal(err)
	}
	// compliance has GET admin; support has not the read-User need? it has manage User.
	for _, mount := range admMounts {
		r := e.as["compliance"].do(t, "GET", mount+"/users/documents/pending", nil)
		expect(t, r, 200)
		admPage(t, r, "3", "1", "100")
		if got := admUIDs(t, r); !slices.Equal(got, []string{b.UID, c.UID, a.UID}) {
			t.Fatalf("pending %v", got)
		}
	}
	r := e.as["compliance"].do(t, "GET", admQ(adm+"/users/documents/pending", url.Values{"extended": {"1"}, "email": {c.Email},
		"first_name": {"ignored"}}), nil)
	expect(t, r, 200)
	if got := admKeys(t, admRaw(t, r)[0]); got != admKYCFields {
		t.Fatalf("extended fields %s", got)
	}
	if doc := admList(t, r)[0]["documents"].([]any)[0].(map[string]any); doc["doc_number"] != "XY987" {
		t.Fatalf("documents %s", r.Body)
	}
	r = e.as["compliance"].do(t, "GET", admQ(adm+"/users/documents/pending", url.Values{"limit": {"1"}, "page": {"3"}}), nil)
	expect(t, r, 200)
	admPage(t, r, "3", "3", "1")
	if got := admUIDs(t, r); !slices.Equal(got, []string{a.UID}) {
		t.Fatalf("page 3 %v", got)
	}
	expect(t, e.as["compliance"].do(t, "GET", adm+"/users/documents/pending?extended=x", nil), 422, "admin.user.non_boolean_extended")
	expect(t, e.as["compliance"].do(t, "GET", adm+"/users/documents/pending?range=x", nil), 422, "admin.user.invalid_range")
	// The seeded permissions DROP this path for accountants.
	expect(t, e.as["accountant"].do(t, "GET", adm+"/users/documents/pending", nil), 401, "authz.invalid_permission")
}

func TestAdminDeleteDataStorage(t *testing.T) {
	t.Parallel()
	e := admServer(t, map[string]string{"BARONG_CONFIG": admConfigFile(t, "user_storage_titles: [personal, proof]\n")})
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	alice := e.login(t, a.Email)
	for _, title := range []string{"personal", "proof"} {
		expect(t, alice.do(t, "POST", res+"/data_storage", map[string]string{"title": title, "data": `{"x":1}`}), 201)
	}
	if _, err := e.ts.DB.LabelByKey(ctx, a.ID, "personal", "private"); err != nil {
		t.Fatalf("recorded label: %v", err)
	}
	e.ts.events(t)
	admin := e.as["admin"]
	for _, tc := range []struct {
		params url.Values
		status int
		keys   []string
	}{
		{url.Values{"uid": {a.UID}}, 400, []string{"admin.user.missing_title", "admin.user.empty_title"}},
		{url.Values{"title": {"personal"}}, 400, []string{"admin.user.missing_uid", "admin.user.empty_uid"}},
		{url.Values{"uid": {"IDNOBODY000"}, "title": {"personal"}}, 404, []string{"admin.user.doesnt_exist"}},
		{url.Values{"uid": {a.UID}, "title": {"other"}}, 404, []string{"admin.storage.doesnt_exist"}},
		{url.Values{"uid": {e.users["superadmin"].UID}, "title": {"personal"}}, 422, []string{"admin.user.superadmin_change"}},
	} {
		expect(t, admin.do(t, "DELETE", admQ(adm+"/users/data_storage", tc.params), nil), tc.status, tc.keys...)
	}
	r := admin.do(t, "DELETE", admQ("/api/v2/admin/users/data_storage", url.Values{"uid": {a.UID}, "title": {"Personal"}}), nil)
	expect(t, r, 200)
	if got := admKeys(t, r.Body); got != admKYCFields {
		t.Fatalf("fields %s", got)
	}
	ds, _ := e.ts.DB.DataStoragesByUser(ctx, a.ID)
	if len(ds) != 1 || ds[0].Title != "proof" {
		t.Fatalf("storages %v", ds)
	}
	// Unlike Barong, the <title>=recorded label goes too; the other stays.
	if _, err := e.ts.DB.LabelByKey(ctx, a.ID, "personal", "private"); err == nil {
		t.Fatal("recorded label kept")
	}
	if _, err := e.ts.DB.LabelByKey(ctx, a.ID, "proof", "private"); err != nil {
		t.Fatalf("other label: %v", err)
	}
	if m := r.json(t); len(m["data_storages"].([]any)) != 1 || len(m["labels"].([]any)) != 2 {
		t.Fatalf("view %s", r.Body)
	}
}

func TestAdminAPIKeys(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	a := e.member(t, "alice@example.com")
	for _, kid := range []string{"bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa"} {
		k := &barong.APIKey{HolderID: a.ID, HolderType: barong.HolderUser, KID: kid, Algorithm: "HS256", Scope: []string{"trade"},
			Secret: "secret-" + kid, State: "active"}
		if err := e.ts.DB.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	tech := e.as["technical"]
	for _, mount := range admMounts {
		r := tech.do(t, "GET", admQ(mount+"/api_keys", url.Values{"uid": {a.UID}}), nil)
		expect(t, r, 200)
		admPage(t, r, "2", "1", "100")
		list := admList(t, r)
		if len(list) != 2 || list[0]["kid"] != "bbbbbbbbbbbbbbbb" || list[0]["secret"] != nil {
			t.Fatalf("keys %s", r.Body)
		}
		if got := admKeys(t, admRaw(t, r)[0]); got != "kid,algorithm,scope,state,created_at,updated_at" {
			t.Fatalf("fields %s", got)
		}
	}
	r := tech.do(t, "GET", admQ(adm+"/api_keys", url.Values{"uid": {a.UID}, "order_by": {"kid"}, "limit": {"1"}}), nil)
	expect(t, r, 200)
	admPage(t, r, "2", "1", "1")
	if list := admList(t, r); list[0]["kid"] != "aaaaaaaaaaaaaaaa" {
		t.Fatalf("ordered %s", r.Body)
	}
	expect(t, tech.do(t, "GET", adm+"/api_keys", nil), 400, "admin.apikey.missing_uid", "admin.apikey.empty_uid")
	expect(t, tech.do(t, "GET", adm+"/api_keys?uid=IDNOBODY000", nil), 404, "admin.user.doesnt_exist")
	expect(t, tech.do(t, "GET", admQ(adm+"/api_keys", url.Values{"uid": {a.UID}, "ordering": {"sideways"}}), nil), 422, "api_keys.ordering.invalid_ordering")
	expect(t, tech.do(t, "GET", admQ(adm+"/api_keys", url.Values{"uid": {a.UID}, "order_by": {"secret_encrypted"}}), nil), 422, "api_keys.ordering.invalid_attribute")
	expect(t, e.as["accountant"].do(t, "GET", admQ(adm+"/api_keys", url.Values{"uid": {a.UID}}), nil), 401, "admin.ability.not_permitted")
}
