package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// Tests of session management (docs/sessions-and-passkeys.md): listing
// and revoking sessions through the resource, admin and management APIs,
// revocation seen by other processes' gateway checks, activities and
// system.session.revoked events.

// sessionLogin opens a session of email with user agent ua in a new client
// and returns the client and its session id.
func (ts *testServer) sessionLogin(t *testing.T, email, ua string) (*client, string) {
	t.Helper()
	c := ts.client()
	c.ua = ua
	r := c.do(t, "POST", id+"/sessions", map[string]string{"email": email, "password": strongPassword})
	expect(t, r, 201)
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	return c, cookieValue(r, "_barong_session")
}

// listSessions answers c's GET path as decoded sessions.
func listSessions(t *testing.T, c *client, path string) []map[string]any {
	t.Helper()
	r := c.do(t, "GET", path, nil)
	expect(t, r, 200)
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("sessions %s: %v", r.Body, err)
	}
	return out
}

// sessionIDs are the ids of listed sessions, in order.
func sessionIDs(ss []map[string]any) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s["id"].(string))
	}
	return out
}

// revokedEvents are the system.session.revoked events of evs, checked for
// Barong 2.7's record shape, by session id.
func revokedEvents(t *testing.T, evs []event) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, e := range evs {
		if e.Name != "system.session.revoked" {
			continue
		}
		rec, ok := e.Body["record"].(map[string]any)
		if !ok || e.Body["name"] != "system.session.revoked" || len(e.Body) != 2 {
			t.Fatalf("event body %s", e.Raw)
		}
		if _, ok := rec["user"].(map[string]any); !ok {
			t.Fatalf("event without user: %s", e.Raw)
		}
		out[rec["session_id"].(string)] = rec
	}
	return out
}

// sessionActivities are u's activities of topic session with action
// ("" for both revocation actions), newest first.
func sessionActivities(t *testing.T, ts *testServer, u *barong.User, action string) []barong.Activity {
	t.Helper()
	as, _, err := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{UserID: u.ID, Topic: "session",
		Action: action, Page: barong.Page{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(as, func(a barong.Activity) bool { return !strings.HasPrefix(a.Action, "revoke session") })
}

func TestResourceSessions(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sql", "redis"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			var env map[string]string
			if store == "redis" {
				env = redisEnv(t)
			}
			testResourceSessions(t, newServer(t, env))
		})
	}
}

func testResourceSessions(t *testing.T, ts *testServer) {
	ts.signUp(t, "root@example.com")
	const email = "holder@example.com"
	ts.signUp(t, email)
	u := ts.activate(t, email)
	c1, sid1 := ts.sessionLogin(t, email, "Agent/1")
	c2, sid2 := ts.sessionLogin(t, email, "Agent/2")
	c3, sid3 := ts.sessionLogin(t, email, "Agent/3")
	other, otherSID := ts.sessionLogin(t, "root@example.com", "Agent/root")
	ts.events(t)

	ss := listSessions(t, c1, res+"/sessions")
	if len(ss) != 4 { // the sign-up's session and three logins
		t.Fatalf("sessions %v", ss)
	}
	body := c1.do(t, "GET", res+"/sessions", nil).Body
	for _, sid := range []string{sid1, sid2, sid3} {
		if strings.Contains(string(body), sid) {
			t.Fatal("a session id is listed")
		}
	}
	var current []string
	for _, s := range ss {
		keys := []string{}
		for k := range s {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if strings.Join(keys, ",") != "created_at,current,id,last_seen_at,user_agent,user_ip,user_ip_country" {
			t.Fatalf("session fields %v", keys)
		}
		if s["user_ip"] != "127.0.0.1" || s["user_ip_country"] != nil || len(s["id"].(string)) != 64 {
			t.Fatalf("session %v", s)
		}
		if _, err := time.Parse(time.RFC3339, s["last_seen_at"].(string)); err != nil {
			t.Fatalf("last_seen_at %v", s)
		}
		if s["current"] == true {
			current = append(current, s["id"].(string))
		}
	}
	if len(current) != 1 || current[0] != barong.SessionHash(sid1) {
		t.Fatalf("current %v, sessions %v", current, ss)
	}
	// Pagination headers as every list.
	r := c1.do(t, "GET", res+"/sessions?limit=2&page=2", nil)
	expect(t, r, 200)
	if r.Header.Get("Total") != "4" || r.Header.Get("Per-Page") != "2" || len(sessionIDs(jsonList(t, r))) != 2 {
		t.Fatalf("page 2: %v %s", r.Header, r.Body)
	}
	expect(t, c1.do(t, "GET", res+"/sessions?limit=101", nil), 422, "invalid_limit")

	// Revoke one: that client is out, the others stay.
	expect(t, c1.do(t, "DELETE", res+"/sessions/"+barong.SessionHash(sid2), nil), 204)
	expect(t, c2.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	expect(t, c3.do(t, "GET", res+"/users/me", nil), 200)
	// Unknown ids, another user's session, the raw id and garbage: 404.
	for _, bad := range []string{barong.SessionHash(sid2), barong.SessionHash(otherSID), sid3, "x", strings.Repeat("f", 64),
		url.PathEscape("../../users/me"), strings.Repeat("a", 5000)} {
		expect(t, c1.do(t, "DELETE", res+"/sessions/"+bad, nil), 404, "resource.session.not_found")
	}
	expect(t, other.do(t, "GET", res+"/users/me", nil), 200)
	failed := 0
	for _, a := range sessionActivities(t, ts, u, "revoke session") {
		if a.Result == barong.ResultFailed && strings.Contains(a.Data, "Session not found") {
			failed++
		}
	}
	if failed != 7 {
		t.Fatalf("%d failed revocations recorded, want 7", failed)
	}
	evs := revokedEvents(t, ts.events(t))
	rec := evs[barong.SessionHash(sid2)]
	if len(evs) != 1 || rec["user_agent"] != "Agent/2" || rec["user_ip"] != "127.0.0.1" || rec["revoked_by"] != "user" ||
		rec["user"].(map[string]any)["uid"] != u.UID || rec["created_at"] == nil {
		t.Fatalf("revoked events %v", evs)
	}

	// Revoke all others.
	expect(t, c1.do(t, "DELETE", res+"/sessions", nil), 204)
	expect(t, c3.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	expect(t, c1.do(t, "GET", res+"/users/me", nil), 200)
	if ids := sessionIDs(listSessions(t, c1, res+"/sessions")); len(ids) != 1 || ids[0] != barong.SessionHash(sid1) {
		t.Fatalf("left %v", ids)
	}
	if evs := revokedEvents(t, ts.events(t)); len(evs) != 2 || evs[barong.SessionHash(sid3)] == nil || evs[barong.SessionHash(sid1)] != nil {
		t.Fatalf("revoked events %v", evs)
	}
	as := sessionActivities(t, ts, u, "revoke sessions")
	if len(as) != 1 || as[0].Result != barong.ResultSucceed || !strings.Contains(as[0].Data, barong.SessionHash(sid3)) ||
		!strings.Contains(as[0].Data, `"revoked_by":"user"`) || as[0].UserAgent != "Agent/1" {
		t.Fatalf("activities %+v", as)
	}
	ok := sessionActivities(t, ts, u, "revoke session")
	if ok[len(ok)-1].Result != barong.ResultSucceed || !strings.Contains(ok[len(ok)-1].Data, barong.SessionHash(sid2)) {
		t.Fatalf("first revocation %+v", ok[len(ok)-1])
	}
	// The other user kept his session.
	expect(t, other.do(t, "GET", res+"/users/me", nil), 200)

	// Revoking the current session signs the caller out.
	r = c1.do(t, "DELETE", res+"/sessions/"+barong.SessionHash(sid1), nil)
	expect(t, r, 204)
	if !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "_barong_session=;") {
		t.Fatalf("cookie not cleared: %v", r.Header)
	}
	expect(t, c1.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	expect(t, c1.do(t, "GET", res+"/sessions", nil), 401, "authz.invalid_session")
}

// TestSessionsBehindGateway: a Bearer call (the gateway answered the
// cookie check) with the cookie forwarded marks and keeps the current
// session.
func TestSessionsBehindGateway(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	ts.signUp(t, "root@example.com")
	ts.signUp(t, "gw@example.com")
	ts.activate(t, "gw@example.com")
	c, sid := ts.sessionLogin(t, "gw@example.com", "Agent/gw")
	c2, _ := ts.sessionLogin(t, "gw@example.com", "Agent/gw2")
	r := c.do(t, "GET", "/api/v2/auth/api/v2/barong/resource/sessions", nil)
	expect(t, r, 200)
	bearer := r.Header.Get("Authorization")
	call := func(method string) *response {
		req, _ := http.NewRequest(method, ts.URL+"/api/v2/resource/sessions", nil)
		req.Header.Set("Authorization", bearer)
		req.Header.Set("User-Agent", "Agent/gw")
		req.AddCookie(&http.Cookie{Name: "_barong_session", Value: sid})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return &response{Status: resp.StatusCode, Header: resp.Header, Body: readAll(resp)}
	}
	r = call("GET")
	expect(t, r, 200)
	for _, s := range jsonList(t, r) {
		if (s["id"] == barong.SessionHash(sid)) != (s["current"] == true) {
			t.Fatalf("current flag %v", s)
		}
	}
	expect(t, call("DELETE"), 204)
	expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
	expect(t, c2.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
}

// TestSessionRevocationAcrossProcesses: a session revoked through one
// process is refused by another process's gateway check, which had it
// cached, at once: with Redis sessions, and with SQL sessions on each
// database. Each revocation path of issue 15 is checked: the owner's
// DELETE resource/sessions/{id}, an admin's revocation of one session and
// of all of a user's sessions.
func TestSessionRevocationAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"redis", "sqlite", "postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var env map[string]string
			switch name {
			case "redis":
				env = redisEnv(t)
			case "postgres", "mysql":
				env = map[string]string{"BARONG_DATABASE_URL": testenvDatabase(t, name)}
			}
			a := newServer(t, env)
			b := newServerSharing(t, a, env)
			root, _ := a.signUp(t, "root@example.com")
			_, info := a.signUp(t, "proc@example.com")
			uid := info["uid"].(string)
			a.activate(t, "proc@example.com")
			owner, _ := a.sessionLogin(t, "proc@example.com", "Agent/owner")
			check := func(sid string) int {
				req, _ := http.NewRequest("GET", b.URL+"/api/v2/auth/api/v2/peatio/account/balances", nil)
				req.Header.Set("User-Agent", "Agent/victim")
				req.AddCookie(&http.Cookie{Name: "_barong_session", Value: sid})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == 200 && resp.Header.Get("Authorization") == "" {
					t.Fatal("gateway answered 200 without a token")
				}
				return resp.StatusCode
			}
			// victim opens a session through a, which b's gateway check
			// accepts (and caches).
			victim := func() string {
				_, sid := a.sessionLogin(t, "proc@example.com", "Agent/victim")
				if got := check(sid); got != 200 {
					t.Fatalf("gateway check on the other process: %d", got)
				}
				return sid
			}
			// The contract is 1 s; the margin is for a loaded machine.
			refused := func(what string, sids ...string) {
				t.Helper()
				start := time.Now()
				for _, sid := range sids {
					for check(sid) != 401 {
						if time.Since(start) > 5*time.Second {
							t.Fatalf("%s: revoked session still accepted by the other process after 5 s", what)
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
				t.Logf("%s (%s): refused by the other process %s after the revocation answered", what, name, time.Since(start))
			}

			sid := victim()
			expect(t, owner.do(t, "DELETE", res+"/sessions/"+barong.SessionHash(sid), nil), 204)
			refused("owner revokes one", sid)

			sid = victim()
			q := url.Values{"uid": {uid}, "id": {barong.SessionHash(sid)}}
			expect(t, root.do(t, "DELETE", admQ(adm+"/users/sessions", q), nil), 204)
			refused("admin revokes one", sid)

			s1, s2 := victim(), victim()
			expect(t, root.do(t, "DELETE", admQ(adm+"/users/sessions", url.Values{"uid": {uid}}), nil), 204)
			refused("admin revokes all", s1, s2)
			expect(t, owner.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
		})
	}
}

func TestAdminSessions(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	m := e.member(t, "victim@example.com")
	c1 := e.login(t, "victim@example.com")
	c2 := e.login(t, "victim@example.com")
	e.ts.events(t)
	q := func(v ...string) string {
		vals := url.Values{}
		for i := 0; i+1 < len(v); i += 2 {
			vals.Set(v[i], v[i+1])
		}
		return admQ(adm+"/users/sessions", vals)
	}
	ss := listSessions(t, e.as["superadmin"], q("uid", m.UID))
	if len(ss) != 3 {
		t.Fatalf("sessions %v", ss)
	}
	for _, s := range ss {
		if s["current"] != false {
			t.Fatalf("another user's session marked current: %v", s)
		}
	}
	// Readers of User read sessions; members are refused by the
	// permission table, roles without the ability by the ability check.
	listSessions(t, e.as["accountant"], q("uid", m.UID))
	listSessions(t, e.as["support"], q("uid", m.UID))
	expect(t, e.as["member"].do(t, "GET", q("uid", m.UID), nil), 401, "authz.invalid_permission")
	expect(t, e.as["accountant"].do(t, "DELETE", q("uid", m.UID), nil), 401, "authz.invalid_permission")
	e.grant(t, "technical")
	expect(t, e.as["technical"].do(t, "DELETE", q("uid", m.UID), nil), 401, "admin.ability.not_permitted")
	// Bad input.
	expect(t, e.as["superadmin"].do(t, "GET", adm+"/users/sessions", nil), 400, "admin.user.missing_uid", "admin.user.empty_uid")
	expect(t, e.as["superadmin"].do(t, "GET", q("uid", ""), nil), 400, "admin.user.empty_uid")
	expect(t, e.as["superadmin"].do(t, "GET", q("uid", "IDNOPE"), nil), 404, "admin.user.doesnt_exist")
	expect(t, e.as["superadmin"].do(t, "GET", q("uid", m.UID, "page", "0"), nil), 422, "non_positive_page")
	expect(t, e.as["superadmin"].do(t, "DELETE", q("uid", m.UID, "id", " "), nil), 400, "admin.user.empty_id")
	expect(t, e.as["superadmin"].do(t, "DELETE", q("uid", m.UID, "id", strings.Repeat("0", 64)), nil), 404, "admin.session.not_found")
	expect(t, e.as["superadmin"].do(t, "DELETE", q("uid", "IDNOPE"), nil), 404, "admin.user.doesnt_exist")
	// A superadmin's sessions are revoked by superadmins only.
	expect(t, e.as["admin"].do(t, "DELETE", q("uid", e.users["superadmin"].UID), nil), 422, "admin.user.superadmin_change")
	expect(t, e.as["superadmin"].do(t, "GET", "/api/v2/auth/resource/users/me", nil), 200)

	// Revoke one, then all.
	one := ss[0]["id"].(string)
	expect(t, e.as["compliance"].do(t, "DELETE", q("uid", m.UID, "id", one), nil), 204)
	if left := sessionIDs(listSessions(t, e.as["superadmin"], q("uid", m.UID))); len(left) != 2 || slices.Contains(left, one) {
		t.Fatalf("left %v", left)
	}
	expect(t, e.as["admin"].do(t, "DELETE", q("uid", m.UID), nil), 204)
	for _, c := range []*client{c1, c2} {
		expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	}
	if left := listSessions(t, e.as["superadmin"], q("uid", m.UID)); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
	evs := revokedEvents(t, e.ts.events(t))
	if len(evs) != 3 || evs[one]["revoked_by"] != "admin" {
		t.Fatalf("events %v", evs)
	}
	as := sessionActivities(t, e.ts, m, "")
	if len(as) != 2 || as[0].Action != "revoke sessions" || as[1].Action != "revoke session" ||
		!strings.Contains(as[1].Data, `"admin_uid":"`+e.users["compliance"].UID+`"`) ||
		!strings.Contains(as[0].Data, `"revoked_by":"admin"`) {
		t.Fatalf("activities %+v", as)
	}
}

func TestManagementSessions(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	m.signUp(t, "root@example.com")
	c, _ := m.signUp(t, "mgmt-sess@example.com")
	u := m.activate(t, "mgmt-sess@example.com")
	c2, sid2 := m.sessionLogin(t, "mgmt-sess@example.com", "Agent/2")
	m.events(t)

	r := m.callAs(t, "POST", "/sessions/list", map[string]any{"uid": u.UID}, m.applogic)
	mgmtExpect(t, r, 200, "")
	if ss := jsonList(t, r); len(ss) != 2 || !slices.Contains(sessionIDs(ss), barong.SessionHash(sid2)) || ss[0]["current"] != false {
		t.Fatalf("sessions %s", r.Body)
	}
	mgmtExpect(t, m.callAs(t, "POST", "/sessions/list", map[string]any{"uid": "IDNOPE"}, m.applogic), 422, `{"error":"user.doesnt_exist"}`)
	mgmtExpect(t, m.callAs(t, "POST", "/sessions/list", map[string]any{}, m.applogic), 422, `{"error":"uid is missing, uid is empty"}`)
	mgmtExpect(t, m.callAs(t, "POST", "/sessions/list", map[string]any{"uid": []int{1}}, m.applogic), 422, `{"error":"uid is invalid"}`)
	// write_users needs both signers, as the other user writes.
	mgmtExpect(t, m.callAs(t, "POST", "/sessions/delete", map[string]any{"uid": u.UID}, m.applogic), 401, `{"error":"Not enough signatures for the action."}`)
	mgmtExpect(t, m.call(t, "/sessions/delete", map[string]any{"uid": u.UID, "id": strings.Repeat("0", 64)}), 404, `{"error":"management.session.doesnt_exist"}`)
	mgmtExpect(t, m.call(t, "/sessions/delete", map[string]any{"uid": u.UID, "id": ""}), 422, `{"error":"id is empty"}`)
	mgmtExpect(t, m.call(t, "/sessions/delete", map[string]any{"uid": "IDNOPE"}), 422, `{"error":"user.doesnt_exist"}`)
	r = m.call(t, "/sessions/delete", map[string]any{"uid": u.UID, "id": barong.SessionHash(sid2)})
	mgmtExpect(t, r, 200, "")
	if ss := jsonList(t, r); len(ss) != 1 || ss[0]["id"] != barong.SessionHash(sid2) {
		t.Fatalf("revoked %s", r.Body)
	}
	expect(t, c2.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
	r = m.call(t, "/sessions/delete", map[string]any{"uid": u.UID})
	mgmtExpect(t, r, 200, "")
	if ss := jsonList(t, r); len(ss) != 1 {
		t.Fatalf("revoked %s", r.Body)
	}
	expect(t, c.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	evs := revokedEvents(t, m.events(t))
	if len(evs) != 2 || evs[barong.SessionHash(sid2)]["revoked_by"] != "management" {
		t.Fatalf("events %v", evs)
	}
	as := sessionActivities(t, m.testServer, u, "")
	if len(as) != 2 || !strings.Contains(as[0].Data, `"revoked_by":"management"`) {
		t.Fatalf("activities %+v", as)
	}
}
