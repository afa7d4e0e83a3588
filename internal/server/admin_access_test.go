package server_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"
)

const admPermissionFields = "id,action,role,verb,path,topic,created_at,updated_at"
const admRestrictionFields = "id,category,scope,value,code,state,created_at,updated_at"

func TestAdminPermissions(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	root := e.as["superadmin"]
	seeded, _ := e.ts.DB.Permissions(ctx)

	r := root.do(t, "GET", admQ(adm+"/permissions", url.Values{"limit": {"5"}, "page": {"2"}}), nil)
	expect(t, r, 200)
	admPage(t, r, strconv.Itoa(len(seeded)), "2", "5")
	if list := admList(t, r); len(list) != 5 || jsonInt(list[0]["id"]) != seeded[5].ID {
		t.Fatalf("page %s", r.Body)
	}
	if got := admKeys(t, admRaw(t, r)[0]); got != admPermissionFields {
		t.Fatalf("fields %s", got)
	}

	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"role": "support", "verb": "get", "path": "x"}, 400, []string{"admin.permission.missing_action", "admin.permission.empty_action"}},
		{map[string]any{"role": "", "verb": "get", "path": "x", "action": "drop"}, 400, []string{"admin.permission.empty_role"}},
		{map[string]any{"role": "support", "verb": "fetch", "path": "x", "action": "allow"}, 422, []string{"admin.permissions.invalid_verb", "admin.permissions.invalid_action"}},
		{map[string]any{"role": "emperor", "verb": "get", "path": "x", "action": "drop"}, 422, []string{"admin.permission.role_doesnt_exist"}},
	} {
		expect(t, root.do(t, "POST", adm+"/permissions", tc.body), tc.status, tc.keys...)
	}
	if ps, _ := e.ts.DB.Permissions(ctx); len(ps) != len(seeded) {
		t.Fatalf("refused creates stored %d", len(ps)-len(seeded))
	}

	// A DROP for support on admin/users is in force at once.
	expect(t, e.as["support"].do(t, "GET", adm+"/users", nil), 200)
	r = root.do(t, "POST", adm+"/permissions", url.Values{"role": {"support"}, "verb": {"get"}, "path": {"api/v2/barong/admin/users"},
		"action": {"drop"}, "topic": {"users"}})
	expect(t, r, 200)
	ps, _ := e.ts.DB.Permissions(ctx)
	p := ps[len(ps)-1]
	if p.Verb != "GET" || p.Action != "DROP" || p.Role != "support" || p.Topic != "users" {
		t.Fatalf("stored %+v", p)
	}
	expect(t, e.as["support"].do(t, "GET", adm+"/users", nil), 401, "authz.invalid_permission")

	id := strconv.FormatInt(p.ID, 10)
	expect(t, root.do(t, "PUT", adm+"/permissions", map[string]any{"verb": "get"}), 400, "admin.permission.missing_id", "admin.permission.empty_id")
	expect(t, root.do(t, "PUT", adm+"/permissions", map[string]any{"id": "x"}), 422, "admin.permission.non_integer_id")
	expect(t, root.do(t, "PUT", adm+"/permissions", map[string]any{"id": 999999, "verb": "get"}), 404, "admin.permission.doesnt_exist")
	expect(t, root.do(t, "PUT", adm+"/permissions", map[string]any{"id": id, "verb": "fetch"}), 422, "admin.permissions.invalid_verb")
	expect(t, root.do(t, "PUT", adm+"/permissions", map[string]any{"id": id, "role": "emperor"}), 422, "admin.permission.role_doesnt_exist")
	expect(t, root.do(t, "PUT", adm+"/permissions", map[string]any{"id": id, "verb": "post"}), 200)
	if got, _ := e.ts.DB.PermissionByID(ctx, p.ID); got.Verb != "POST" || got.Path != p.Path {
		t.Fatalf("updated %+v", got)
	}
	expect(t, e.as["support"].do(t, "GET", adm+"/users", nil), 200)

	expect(t, root.do(t, "DELETE", adm+"/permissions?id=999999", nil), 404, "admin.permission.doesnt_exist")
	expect(t, root.do(t, "DELETE", "/api/v2/admin/permissions?id="+id, nil), 200)
	if _, err := e.ts.DB.PermissionByID(ctx, p.ID); err == nil {
		t.Fatal("not deleted")
	}
	// Admins read permissions by ability, but the seeds DROP the path.
	expect(t, e.as["admin"].do(t, "POST", adm+"/permissions", map[string]any{}), 401, "authz.invalid_permission")
}

// TestAdminChangesAcrossProcesses: a permission or restriction changed on
// one process is in force on another within 3 s.
func TestAdminChangesAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	other := newServerSharing(t, e.ts, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); other.Authz.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	support := *e.as["support"]
	support.ts = other
	expect(t, support.do(t, "GET", adm+"/users", nil), 200)

	expect(t, e.as["superadmin"].do(t, "POST", adm+"/permissions", map[string]any{"role": "support", "verb": "all",
		"path": "api/v2/barong/admin/users", "action": "drop"}), 200)
	admEventually(t, 3*time.Second, func() bool { return support.do(t, "GET", adm+"/users", nil).Status == 401 })

	blocked := other.restrictClient("10.20.30.40")
	expect(t, blocked.do(t, "GET", "/api/v2/auth/identity/ping", nil), 200)
	expect(t, e.as["superadmin"].do(t, "POST", adm+"/restrictions", map[string]any{"category": "blacklist", "scope": "ip",
		"value": "10.20.30.40"}), 200)
	admEventually(t, 3*time.Second, func() bool { return blocked.do(t, "GET", "/api/v2/auth/identity/ping", nil).Status == 401 })
}

// admEventually polls ok until it holds, failing when it did not hold on a
// look begun after within (timed from the look's start: a loaded machine
// may make the look or the sleep between looks long).
func admEventually(t *testing.T, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		late := time.Now().After(deadline)
		if ok() {
			return
		}
		if late {
			t.Fatalf("not in force within %v", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAdminRestrictions(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	ctx := context.Background()
	tech := e.as["technical"]
	seeded, _ := e.ts.DB.Restrictions(ctx)
	admExec(t, e, "UPDATE restrictions SET created_at = '2020-01-01 00:00:00', updated_at = '2020-01-01 00:00:00'")

	for _, tc := range []struct {
		body   map[string]any
		status int
		keys   []string
	}{
		{map[string]any{"scope": "ip", "value": "1.2.3.4"}, 400, []string{"admin.restriction.missing_category", "admin.restriction.empty_category"}},
		{map[string]any{"scope": "planet", "value": "x", "category": "blacklist"}, 422, []string{"admin.restriction.invalid_scope"}},
		{map[string]any{"scope": "ip", "value": "1.2.3.4", "category": "greylist"}, 422, []string{"admin.restriction.invalid_category"}},
		{map[string]any{"scope": "ip", "value": "1.2.3.4", "category": "blacklist", "state": "on"}, 422, []string{"admin.restriction.invalid_state"}},
		{map[string]any{"scope": "ip", "value": "1.2.3.4", "category": "blacklist", "code": "x"}, 422, []string{"admin.restriction.non_integer_code"}},
		{map[string]any{"scope": "ip", "value": "1.2.3", "category": "blacklist"}, 422, []string{"value.invalid"}},
		{map[string]any{"scope": "ip_subnet", "value": "1.2.3.0/33", "category": "blacklist"}, 422, []string{"value.invalid"}},
		{map[string]any{"scope": "country", "value": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "category": "blacklist"}, 422, []string{"value.too_long"}},
		{map[string]any{"scope": "ip", "value": "164.116.47.255", "category": "blacklist"}, 422, []string{"value.taken"}},
	} {
		expect(t, tech.do(t, "POST", adm+"/restrictions", tc.body), tc.status, tc.keys...)
	}
	r := tech.do(t, "POST", "/api/v2/admin/restrictions", url.Values{"scope": {"ip_subnet"}, "value": {"10.0.0.0/8"}, "category": {"blacklist"}})
	expect(t, r, 200)
	rs, _ := e.ts.DB.Restrictions(ctx)
	created := rs[len(rs)-1]
	if len(rs) != len(seeded)+1 || created.Code != 403 || created.State != "enabled" {
		t.Fatalf("created %+v", created)
	}
	expect(t, e.ts.restrictClient("10.1.2.3").do(t, "GET", "/api/v2/auth/identity/ping", nil), 403, "authz.restrict.blacklist")

	// List filters.
	for _, tc := range []struct {
		params url.Values
		total  int
	}{
		{url.Values{}, len(seeded) + 1},
		{url.Values{"category": {"blacklist"}}, 5},
		{url.Values{"scope": {"ip_subnet"}}, 2},
		{url.Values{"scope": {"ip_subnet"}, "category": {"blacklist"}, "from": {strconv.FormatInt(created.CreatedAt.Unix(), 10)}}, 1},
		{url.Values{"range": {"updated"}, "to": {strconv.FormatInt(created.CreatedAt.Unix()-3600, 10)}}, len(seeded)},
		{url.Values{"range": {"created"}, "from": {"1"}, "to": {"2"}}, 0},
	} {
		r := tech.do(t, "GET", admQ(adm+"/restrictions", tc.params), nil)
		expect(t, r, 200)
		admPage(t, r, strconv.Itoa(tc.total), "1", "100")
		if tc.total > 0 {
			if got := admKeys(t, admRaw(t, r)[0]); got != admRestrictionFields {
				t.Fatalf("fields %s", got)
			}
		}
	}
	for _, tc := range []struct{ params, key string }{
		{"scope=planet", "admin.restriction.invalid_scope"}, {"category=x", "admin.restriction.invalid_category"},
		{"range=deleted", "admin.restriction.invalid_range"},
	} {
		expect(t, tech.do(t, "GET", adm+"/restrictions?"+tc.params, nil), 422, tc.key)
	}

	id := strconv.FormatInt(created.ID, 10)
	expect(t, tech.do(t, "PUT", adm+"/restrictions", map[string]any{"id": 999999, "state": "disabled"}), 404, "admin.restriction.doesnt_exist")
	expect(t, tech.do(t, "PUT", adm+"/restrictions", map[string]any{"id": id, "state": "off"}), 422, "admin.restriction.invalid_state")
	expect(t, tech.do(t, "PUT", adm+"/restrictions", map[string]any{"id": id, "state": "disabled"}), 200)
	expect(t, e.ts.restrictClient("10.1.2.3").do(t, "GET", "/api/v2/auth/identity/ping", nil), 200)
	expect(t, tech.do(t, "PUT", adm+"/restrictions", map[string]any{"id": id, "state": "enabled", "code": 429}), 200)
	expect(t, e.ts.restrictClient("10.1.2.3").do(t, "GET", "/api/v2/auth/identity/ping", nil), 429, "authz.restrict.blacklist")
	expect(t, tech.do(t, "DELETE", adm+"/restrictions?id=999999", nil), 404, "admin.restriction.doesnt_exist")
	expect(t, tech.do(t, "DELETE", adm+"/restrictions?id="+id, nil), 200)
	expect(t, e.ts.restrictClient("10.1.2.3").do(t, "GET", "/api/v2/auth/identity/ping", nil), 200)
	// accountants may not read restrictions.
	e.grant(t, "accountant")
	expect(t, e.as["accountant"].do(t, "GET", adm+"/restrictions", nil), 401, "admin.ability.not_permitted")
}

// TestAdminBlocklogin: a blocklogin restriction refuses logins from where
// it matches and, unlike Barong, logs nobody out.
func TestAdminBlocklogin(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	a := e.member(t, "alice@example.com")
	alice := e.login(t, a.Email)
	expect(t, e.as["admin"].do(t, "POST", adm+"/restrictions", map[string]any{"category": "blocklogin", "scope": "ip",
		"value": "10.5.5.5"}), 200)
	expect(t, alice.do(t, "GET", res+"/users/me", nil), 200)
	expect(t, e.as["admin"].do(t, "GET", adm+"/users", nil), 200)
	far := e.ts.restrictClient("10.5.5.5")
	expect(t, far.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": a.Email, "password": strongPassword}),
		401, "authz.restrict.blocklogin")
	expect(t, e.login(t, a.Email).do(t, "GET", res+"/users/me", nil), 200)
}

func TestAdminWhitelink(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	admin := e.as["admin"]
	expect(t, admin.do(t, "POST", adm+"/restrictions", map[string]any{"category": "blacklist", "scope": "ip", "value": "10.7.7.7"}), 200)
	far := e.ts.restrictClient("10.7.7.7")
	expect(t, far.do(t, "GET", "/api/v2/auth/identity/ping", nil), 401, "authz.restrict.blacklist")

	for _, tc := range []struct {
		body any
		key  string
	}{
		{map[string]any{"expire_time": 0}, "invalid_expire"}, {map[string]any{"expire_time": 31}, "invalid_expire"},
		{map[string]any{"expire_time": "soon"}, "invalid_expire"}, {map[string]any{"range": "week"}, "invalid_range"},
	} {
		expect(t, admin.do(t, "POST", adm+"/restrictions/whitelink", tc.body), 422, tc.key)
	}
	r := admin.do(t, "POST", adm+"/restrictions/whitelink", map[string]any{"expire_time": 2, "range": "hour"})
	expect(t, r, 201)
	tok, _ := r.json(t)["whitelink_token"].(string)
	if len(tok) != 64 {
		t.Fatalf("token %s", r.Body)
	}
	if v, err := e.ts.DB.Get(context.Background(), "whitelink:"+tok); err != nil || v != "active" {
		t.Fatalf("stored %q %v", v, err)
	}
	expect(t, far.do(t, "POST", "/api/v2/auth/identity/users/access", map[string]string{"whitelink_token": tok}), 200)
	expect(t, far.do(t, "GET", "/api/v2/auth/identity/ping", nil), 200)
	expect(t, far.do(t, "POST", "/api/v2/auth/identity/users/access", map[string]string{"whitelink_token": tok}), 422,
		"identity.user.access.invalid_token")
	expect(t, admin.do(t, "POST", adm+"/restrictions/whitelink", nil), 201)
}

func TestAdminLevels(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	for _, mount := range admMounts {
		r := e.as["support"].do(t, "GET", mount+"/levels", nil)
		expect(t, r, 200)
		admPage(t, r, "3", "1", "100")
		if string(r.Body) != `[{"id":1,"key":"email","value":"verified"},{"id":2,"key":"phone","value":"verified"},{"id":3,"key":"document","value":"verified"}]` {
			t.Fatalf("levels %s", r.Body)
		}
	}
	r := e.as["support"].do(t, "GET", adm+"/levels?limit=1&page=3", nil)
	expect(t, r, 200)
	if list := admList(t, r); len(list) != 1 || list[0]["key"] != "document" {
		t.Fatalf("page %s", r.Body)
	}
	expect(t, e.as["support"].do(t, "GET", adm+"/levels?limit=0", nil), 422, "invalid_limit")
}
