package server_test

import (
	"fmt"
	"strings"
	"testing"
)

// collisionPairs are values a case-insensitive, accent- and width-folding,
// space-padding collation (MariaDB's utf8mb4_unicode_ci) holds equal while
// Go compares them different.
var collisionPairs = [][2]string{
	{"abc", "ABC"},
	{"abc", "abc "},
	{"abc", "ａｂｃ"},
	{"cafe", "café"},
	{"café", "cafe\u0301"},
	{"strasse", "straße"},
	{"abc", "a\u200bbc"},
}

// TestHostileCollationCollisions creates records whose unique columns
// differ only as collisionPairs do, on each database: the second answers
// 2xx or a 4xx with keys, never a 5xx.
func TestHostileCollationCollisions(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, nil, func(t *testing.T, env map[string]string) {
		m := newMgmtServer(t, "{}", mgmtScopesYAML, env)
		e := &admEnv{ts: m.testServer, as: map[string]*client{}}
		root, _ := e.signIn(t, "root@example.com", "superadmin")
		carol, cu := e.signIn(t, "carol@example.com", "member")
		ok := func(what string, r *response) {
			t.Helper()
			if r.Status >= 500 || (r.Status >= 400 && !strings.HasPrefix(what, "management") && len(r.errors()) == 0) {
				t.Errorf("%s: %d %.300s", what, r.Status, r.Body)
			}
		}
		for i, pair := range collisionPairs {
			for j, v := range pair {
				w := fmt.Sprintf("pair %d value %d %q", i, j, v)
				ok("resource label "+w, carol.do(t, "POST", res+"/labels", map[string]any{"key": "k" + fmt.Sprint(i) + v, "value": "xyz"}))
				ok("admin label "+w, root.do(t, "POST", adm+"/users/labels", map[string]any{"uid": cu.UID, "key": "k" + fmt.Sprint(i) + v, "value": "xyz", "scope": "private"}))
				ok("admin label update "+w, root.do(t, "POST", adm+"/users/labels/update", map[string]any{"uid": cu.UID, "key": "u" + fmt.Sprint(i) + v, "value": "xyz", "scope": "private", "replace": true}))
				ok("management label "+w, m.call(t, "/labels", map[string]any{"user_uid": cu.UID, "key": "m" + fmt.Sprint(i) + v, "value": "xyz"}))
				ok("management label put "+w, m.callAs(t, "PUT", "/labels", map[string]any{"user_uid": cu.UID, "key": "p" + fmt.Sprint(i) + v, "value": "xyz", "replace": true}, m.applogic))
				ok("restriction "+w, root.do(t, "POST", adm+"/restrictions", map[string]any{"scope": "country", "category": "blacklist", "value": "c" + fmt.Sprint(i) + v}))
				ok("data storage "+w, carol.do(t, "POST", res+"/data_storage", map[string]any{"title": "t" + fmt.Sprint(i) + v, "data": `{"a":1}`}))
				ok("sign-up "+w, m.client().do(t, "POST", "/api/v2/auth/identity/users", map[string]any{"email": "u" + fmt.Sprint(i) + v + "@example.com", "password": strongPassword}))
				ok("management user "+w, m.call(t, "/users", map[string]any{"email": "mu" + fmt.Sprint(i) + v + "@example.com", "password": strongPassword}))
				ok("management import "+w, m.call(t, "/users/import", map[string]any{"email": "im" + fmt.Sprint(i) + v + "@example.com", "password_digest": "$2a$04$abcdefghijklmnopqrstuu5Xn7a4P6zvDW2Q2QhS5rCcOq4lQ2m1i"}))
				ok("management service account "+w, m.call(t, "/service_accounts/create", map[string]any{"owner_uid": cu.UID, "service_account_role": "sa_maker", "service_account_email": "sa" + fmt.Sprint(i) + v + "@example.com"}))
				ok("admin email "+w, root.do(t, "PUT", adm+"/users", map[string]any{"uid": cu.UID, "email": "ce" + fmt.Sprint(i) + v + "@example.com"}))
			}
		}
	})
}
