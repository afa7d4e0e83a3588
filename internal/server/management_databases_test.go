package server_test

import (
	"context"
	"testing"

	barong "github.com/barong-go/barong"
	"golang.org/x/crypto/bcrypt"
)

// TestManagementOnEachDatabase runs the main management flows on
// PostgreSQL and MariaDB (the other management tests use SQLite), with the
// used jtis kept in each database's kv table.
func TestManagementOnEachDatabase(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			m := newMgmtServer(t, "{}", mgmtScopesYAML, map[string]string{"BARONG_DATABASE_URL": testenvDatabase(t, dialect)})
			ctx := context.Background()
			body := mgmtBody(t, mgmtClaims(nil), m.applogic)
			mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, body), 200, "")
			mgmtExpect(t, m.send(t, "POST", "/timestamp", mgmtJSONHeader, body), 401, mgmtFailed)

			digest, _ := bcrypt.GenerateFromPassword([]byte("imported secret"), 4)
			mgmtExpect(t, m.call(t, "/users/import", map[string]string{"email": "db@example.com", "password_digest": string(digest),
				"phone": "+14155552671", "first_name": "Grace", "state": "submitted"}), 201, "")
			mgmtExpect(t, m.call(t, "/users/import", map[string]string{"email": "DB@example.com", "password_digest": string(digest)}), 422,
				`{"error":"User already exists by this email"}`)
			u, err := m.DB.UserByEmail(ctx, "db@example.com")
			if err != nil {
				t.Fatal(err)
			}
			mgmtExpect(t, m.call(t, "/users/get", map[string]string{"phone_num": "14155552671"}), 201, "")
			mgmtExpect(t, m.call(t, "/labels", map[string]string{"user_uid": u.UID, "key": "email", "value": "verified"}), 201, "")
			r := m.call(t, "/labels/filter/users", map[string]any{"key": "profile", "value": "submitted", "extended": true})
			if mgmtExpect(t, r, 200, ""); len(jsonList(t, r)) != 1 || r.Header.Get("Total") != "1" {
				t.Fatalf("filter %s", r.Body)
			}
			if cur, _ := m.DB.UserByID(ctx, u.ID); cur.State != barong.StateActive {
				t.Fatalf("state %s", cur.State)
			}
			r = m.call(t, "/service_accounts/create", map[string]string{"owner_uid": u.UID, "service_account_role": "sa_maker"})
			mgmtExpect(t, r, 201, "")
			sa := r.json(t)["uid"].(string)
			mgmtExpect(t, m.call(t, "/api_keys", map[string]string{"uid": sa, "algorithm": "HS256"}), 201, "")
			mgmtExpect(t, m.call(t, "/service_accounts/delete", map[string]string{"uid": sa}), 200, "")
			mgmtExpect(t, m.call(t, "/users/list", map[string]any{"extended": true}), 200, "")
		})
	}
}
