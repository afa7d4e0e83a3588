package server_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
)

// TestAdminOnEachDatabase runs the admin API's main flows on PostgreSQL and
// MariaDB (the other admin tests use SQLite).
func TestAdminOnEachDatabase(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := admServer(t, map[string]string{"BARONG_DATABASE_URL": testenvDatabase(t, dialect)})
			ctx := context.Background()
			root := e.as["superadmin"]
			a, b := e.member(t, "alice@example.com"), e.member(t, "bob@example.com")

			r := root.do(t, "GET", admQ(adm+"/users", url.Values{"email": {"ALICE@example.com"}, "role": {"member"},
				"state": {"active"}, "level": {"1"}, "extended": {"true"}}), nil)
			expect(t, r, 200)
			if got := admUIDs(t, r); !slices.Equal(got, []string{a.UID}) {
				t.Fatalf("filtered %v", got)
			}

			expect(t, root.do(t, "POST", adm+"/users/labels", map[string]any{"uid": b.UID, "key": "document", "value": "pending", "scope": "private"}), 200)
			expect(t, root.do(t, "POST", adm+"/users/labels", map[string]any{"uid": a.UID, "key": "document", "value": "replaced", "scope": "private"}), 200)
			r = root.do(t, "GET", adm+"/users/documents/pending?extended=true", nil)
			expect(t, r, 200)
			if got := admUIDs(t, r); len(got) != 2 {
				t.Fatalf("pending %v", got)
			}
			r = root.do(t, "GET", adm+"/users/labels/list", nil)
			expect(t, r, 200)
			if m := r.json(t); m[`["document", "pending"]`] != float64(1) || m[`["email", "verified"]`] != float64(9) {
				t.Fatalf("counts %s", r.Body)
			}
			r = root.do(t, "GET", adm+"/metrics", nil)
			expect(t, r, 200)
			if m := r.json(t); m["pending_applications"] != float64(1) || len(m["signups"].(map[string]any)) != 1 {
				t.Fatalf("metrics %s", r.Body)
			}

			expect(t, root.do(t, "POST", adm+"/profiles", map[string]any{"uid": a.UID, "first_name": "Alice", "dob": "1990-01-02"}), 201)
			expect(t, root.do(t, "PUT", adm+"/profiles", map[string]any{"uid": a.UID, "state": "verified"}), 200)
			r = root.do(t, "GET", adm+"/profiles", nil)
			expect(t, r, 200)
			if l := admList(t, r); len(l) != 1 || l[0]["state"] != "verified" || l[0]["dob"] != "1990-01-02" {
				t.Fatalf("profiles %s", r.Body)
			}
			r = root.do(t, "POST", adm+"/users/comments", map[string]any{"uid": b.UID, "title": "t", "data": "d"})
			expect(t, r, 201)
			if got := admKeys(t, r.Body); got != admKYCFields {
				t.Fatalf("kyc %s", got)
			}
			expect(t, root.do(t, "POST", adm+"/permissions", map[string]any{"role": "support", "verb": "get",
				"path": "api/v2/barong/admin/users", "action": "drop"}), 200)
			expect(t, e.as["support"].do(t, "GET", adm+"/users", nil), 401, "authz.invalid_permission")
			expect(t, root.do(t, "POST", adm+"/restrictions", map[string]any{"category": "blacklist", "scope": "ip", "value": "10.1.1.1"}), 200)
			expect(t, root.do(t, "POST", adm+"/restrictions", map[string]any{"category": "blacklist", "scope": "ip", "value": "10.1.1.1"}), 422, "value.taken")
			expect(t, root.do(t, "PUT", adm+"/users", map[string]any{"uid": a.UID, "email": "BOB@example.com"}), 422, "email.taken")
			expect(t, root.do(t, "POST", adm+"/users/update", map[string]any{"uid": b.UID, "state": "banned"}), 200)
			if u, _ := e.ts.DB.UserByID(ctx, b.ID); u.State != "banned" {
				t.Fatalf("state %s", u.State)
			}
			r = root.do(t, "GET", admQ(adm+"/activities", url.Values{"uid": {a.UID}}), nil)
			expect(t, r, 200)
			if r.Header.Get("Total") != "1" {
				t.Fatalf("activities %s", r.Body)
			}
		})
	}
}
