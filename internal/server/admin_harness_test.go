package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// Helpers of the admin API tests (admin_*_test.go).

const adm = "/api/v2/auth/admin"

// admMounts are the two mounts of the admin family.
var admMounts = []string{"/api/v2/auth/admin", "/api/v2/admin"}

// admRoles are the seeded roles the tests sign in with.
var admRoles = []string{"superadmin", "admin", "accountant", "compliance", "support", "technical", "member"}

// admEnv is a server with one signed-in, active user per role of admRoles
// (the first sign-up, root@example.com, is the superadmin).
type admEnv struct {
	ts    *testServer
	as    map[string]*client
	users map[string]*barong.User
}

// admServer starts a server with env and signs in a user of every role.
func admServer(t *testing.T, env map[string]string) *admEnv {
	t.Helper()
	e := &admEnv{ts: newServer(t, env), as: map[string]*client{}, users: map[string]*barong.User{}}
	for _, role := range admRoles {
		email := role + "@example.com"
		if role == "superadmin" {
			email = "root@example.com"
		}
		e.as[role], e.users[role] = e.signIn(t, email, role)
	}
	e.ts.events(t)
	return e
}

// signIn signs up email and gives the account role and the active state.
func (e *admEnv) signIn(t *testing.T, email, role string) (*client, *barong.User) {
	t.Helper()
	c, info := e.ts.signUp(t, email)
	var u *barong.User
	if info["state"] == "active" { // the first sign-up: already a verified superadmin
		u = e.user(t, e.lookup(t, email).ID)
	} else {
		u = e.ts.activate(t, email)
	}
	u.Role = role
	if err := e.ts.DB.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return c, u
}

// member signs up a plain member (active, level 1) and returns him.
func (e *admEnv) member(t *testing.T, email string) *barong.User {
	t.Helper()
	_, u := e.signIn(t, email, "member")
	e.ts.events(t)
	return u
}

// login opens a session of email in a new client.
func (e *admEnv) login(t *testing.T, email string) *client {
	t.Helper()
	c := e.ts.client()
	r := c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": email, "password": strongPassword})
	expect(t, r, 201)
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	return c
}

// lookup finds a user by e-mail.
func (e *admEnv) lookup(t *testing.T, email string) *barong.User {
	t.Helper()
	u, err := e.ts.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// user reloads a user from the database.
func (e *admEnv) user(t *testing.T, id int64) *barong.User {
	t.Helper()
	u, err := e.ts.DB.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// grant lets role call every admin path (permission ACCEPT), so that the
// ability check is what decides, and reloads the authz snapshot.
func (e *admEnv) grant(t *testing.T, role string) {
	t.Helper()
	ctx := context.Background()
	for _, path := range []string{"api/v2/barong/admin"} {
		p := &barong.Permission{Role: role, Verb: "ALL", Path: path, Action: "ACCEPT"}
		if err := e.ts.DB.CreatePermission(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Drop the seeded DROP rules of the role on admin paths.
	ps, err := e.ts.DB.Permissions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Role == role && p.Action == "DROP" && strings.HasPrefix(p.Path, "api/v2/barong/admin") {
			if err := e.ts.DB.DeletePermission(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.ts.Authz.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

// admConfigFile writes a barong.yml with Barong's state triggers plus
// extra and returns its path.
func admConfigFile(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "barong.yml")
	yml := "state_triggers: {banned: [ban, fraud], deleted: [delete], locked: [suspicious, lock]}\n" + extra
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// admQ is path with a query string.
func admQ(path string, v url.Values) string { return path + "?" + v.Encode() }

// admList decodes a JSON array of objects.
func admList(t *testing.T, r *response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("list %s: %v", r.Body, err)
	}
	return out
}

// admRaw returns the raw items of a list answer.
func admRaw(t *testing.T, r *response) []json.RawMessage {
	t.Helper()
	return admRawItems(t, r.Body)
}

// admRawItems splits a JSON array into its raw items.
func admRawItems(t *testing.T, b []byte) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("list %s: %v", b, err)
	}
	return out
}

// admRawField splits a JSON object into its raw members.
func admRawField(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var out map[string]json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("object %s: %v", b, err)
	}
	return out
}

// admUIDs returns the "uid" of every object of a list answer.
func admUIDs(t *testing.T, r *response) []string {
	t.Helper()
	var out []string
	for _, m := range admList(t, r) {
		out = append(out, m["uid"].(string))
	}
	return out
}

// admKeys returns the member names of a JSON object, in order.
func admKeys(t *testing.T, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("object %s: %v", raw, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("object %s: %v", raw, err)
		}
	}
	return strings.Join(keys, ",")
}

// admPage asserts the pagination headers.
func admPage(t *testing.T, r *response, total, page, perPage string) {
	t.Helper()
	if r.Header.Get("Total") != total || r.Header.Get("Page") != page || r.Header.Get("Per-Page") != perPage {
		t.Fatalf("page headers Total=%q Page=%q Per-Page=%q, want %s %s %s", r.Header.Get("Total"),
			r.Header.Get("Page"), r.Header.Get("Per-Page"), total, page, perPage)
	}
}

// admActivities lists the stored activities of category, newest first.
func admActivities(t *testing.T, e *admEnv, category string) []barong.Activity {
	t.Helper()
	as, _, err := e.ts.DB.ListActivities(context.Background(), barong.ActivityFilter{Category: category,
		Page: barong.Page{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// admWaitAudit starts the authz background writer and waits until an admin
// activity matching ok is stored.
func admWaitAudit(t *testing.T, e *admEnv, ok func(a barong.Activity) bool) barong.Activity {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range admActivities(t, e, barong.CategoryAdmin) {
			if ok(a) {
				return a
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no matching admin activity in %v", admActivities(t, e, barong.CategoryAdmin))
	return barong.Activity{}
}

// admRunAuthz runs the authz engine's background work (audit writer,
// snapshot refresh) for the rest of the test.
func admRunAuthz(t *testing.T, e *admEnv) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.ts.Authz.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}
