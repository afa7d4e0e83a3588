package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/geoip/geoiptest"
	"github.com/barong-go/barong/internal/server"
)

// restrictServer is a server with the fixture GeoIP database.
func restrictServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	e := map[string]string{"BARONG_MAXMINDDB_PATH": geoiptest.Write(t)}
	for k, v := range env {
		e[k] = v
	}
	return newServer(t, e)
}

// restrictXFF sends every request of a client through the trusted
// loopback proxy on behalf of ip (X-Forwarded-For).
type restrictXFF struct{ ip string }

func (x restrictXFF) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", x.ip)
	return http.DefaultTransport.RoundTrip(r)
}

// restrictClient is a browser client coming from ip.
func (ts *testServer) restrictClient(ip string) *client {
	c := ts.client()
	c.Transport = restrictXFF{ip}
	return c
}

// restrictAdd stores an enabled restriction (enabling a seeded one with
// the same category, scope and value) and reloads this server's snapshot,
// as an admin change does.
func restrictAdd(t *testing.T, ts *testServer, category, scope, value string, code int) *barong.Restriction {
	t.Helper()
	ctx := context.Background()
	rs, err := ts.DB.Restrictions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := &barong.Restriction{Category: category, Scope: scope, Value: value}
	for i := range rs {
		if rs[i].Category == category && rs[i].Scope == scope && rs[i].Value == value {
			r = &rs[i]
		}
	}
	r.Code, r.State = code, "enabled"
	if r.ID != 0 {
		err = ts.DB.UpdateRestriction(ctx, r)
	} else {
		err = ts.DB.CreateRestriction(ctx, r)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Authz.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

func restrictSignUp(t *testing.T, ts *testServer, ip, email string) *client {
	t.Helper()
	c := ts.restrictClient(ip)
	r := c.do(t, "POST", id+"/users", ts.signUpBody(email))
	expect(t, r, 201)
	c.csrf, _ = r.json(t)["csrf_token"].(string)
	return c
}

const gw = "/api/v2/auth/api/v2/"

func TestRestrictionMaintenance(t *testing.T) {
	t.Parallel()
	ts := restrictServer(t, nil)
	gb := restrictSignUp(t, ts, geoiptest.GB.IP, "admin@example.com")
	expect(t, gb.do(t, "GET", res+"/users/me", nil), 200)
	restrictAdd(t, ts, "maintenance", "all", "all", 471)
	for _, c := range []struct{ method, path string }{
		{"GET", gw + "peatio/account/balances"},
		{"GET", gw + "barong/identity/ping"},
		{"POST", gw + "barong/identity/sessions"},
		{"POST", id + "/sessions"},
		{"DELETE", "/api/v2/identity/sessions"},
		{"POST", id + "/users"},
		{"GET", "/api/v2/identity/ping"},
		{"GET", "/api/v2/auth/public/time"},
		{"GET", "/api/v2/public/configs"},
		{"GET", res + "/users/me"},
		{"GET", "/api/v2/resource/users/me"},
	} {
		expect(t, gb.do(t, c.method, c.path, map[string]string{}), 471, "authz.restrict.maintenance")
	}
	// The whitelink path stays open: direct and through the gateway.
	expect(t, gb.do(t, "POST", id+"/users/access", map[string]string{"whitelink_token": "nope"}), 422,
		"identity.user.access.invalid_token")
	expect(t, gb.do(t, "POST", gw+"barong/identity/users/access", nil), 200)
}

func TestRestrictionBlacklists(t *testing.T) {
	t.Parallel()
	ts := restrictServer(t, nil)
	restrictAdd(t, ts, "blacklist", "country", "GBR", 435)
	restrictAdd(t, ts, "blacklist", "continent", "South America", 436)
	restrictAdd(t, ts, "blacklist", "ip_subnet", "2001:218::/32", 0)
	restrictAdd(t, ts, "blacklist", "ip", geoiptest.UA.IP, 433)
	for _, c := range []struct {
		ip     string
		status int
	}{
		{geoiptest.GB.IP, 435},
		{geoiptest.BR.IP, 436},
		{geoiptest.JP6.IP, 403},
		{geoiptest.UA.IP, 433},
	} {
		cl := ts.restrictClient(c.ip)
		expect(t, cl.do(t, "GET", gw+"barong/public/ping", nil), c.status, "authz.restrict.blacklist")
		expect(t, cl.do(t, "GET", "/api/v2/public/ping", nil), c.status, "authz.restrict.blacklist")
		expect(t, cl.do(t, "POST", id+"/users", map[string]string{"email": "x@example.com", "password": strongPassword}),
			c.status, "authz.restrict.blacklist")
	}
	for _, ip := range []string{geoiptest.US.IP, geoiptest.DE6.IP, "5.58.10.21", "127.0.0.1"} {
		cl := ts.restrictClient(ip)
		expect(t, cl.do(t, "GET", gw+"barong/public/ping", nil), 200)
		expect(t, cl.do(t, "GET", "/api/v2/public/ping", nil), 200)
		expect(t, cl.do(t, "GET", res+"/users/me", nil), 401, "authz.invalid_session")
	}
}

func TestRestrictionBlocklogin(t *testing.T) {
	t.Parallel()
	ts := restrictServer(t, nil)
	us := restrictSignUp(t, ts, geoiptest.US.IP, "first@example.com")
	restrictAdd(t, ts, "blocklogin", "continent", "NA", 0) // continent: 423 by default
	login := map[string]string{"email": "first@example.com", "password": strongPassword}
	expect(t, us.do(t, "POST", id+"/sessions", login), 423, "authz.restrict.blocklogin")
	expect(t, us.do(t, "POST", "/api/v2/identity/sessions", login), 423, "authz.restrict.blocklogin")
	expect(t, us.do(t, "DELETE", id+"/sessions", nil), 423, "authz.restrict.blocklogin")
	expect(t, us.do(t, "POST", gw+"barong/identity/sessions", nil), 423, "authz.restrict.blocklogin")
	// Passkey sign-in (barong-go addition) is a login too.
	expect(t, us.do(t, "POST", id+"/sessions/webauthn/options", nil), 423, "authz.restrict.blocklogin")
	expect(t, us.do(t, "POST", id+"/sessions/webauthn", map[string]any{"credential": map[string]any{}}), 423, "authz.restrict.blocklogin")
	expect(t, us.do(t, "POST", gw+"barong/identity/sessions/webauthn", nil), 423, "authz.restrict.blocklogin")
	// Only the sessions path: the rest of identity and the resource API
	// stay open (the session opened before the restriction still works).
	expect(t, us.do(t, "GET", id+"/ping", nil), 200)
	expect(t, us.do(t, "POST", gw+"barong/identity/sessions/auth0", nil), 200)
	expect(t, us.do(t, "GET", res+"/users/me", nil), 200)
	expect(t, us.do(t, "GET", gw+"peatio/account/balances", nil), 200)
	// Another continent logs in.
	gb := ts.restrictClient(geoiptest.GB.IP)
	expect(t, gb.do(t, "POST", id+"/sessions", login), 201)
}

func TestRestrictionWhitelist(t *testing.T) {
	t.Parallel()
	ts := restrictServer(t, nil)
	restrictAdd(t, ts, "maintenance", "all", "all", 471)
	restrictAdd(t, ts, "whitelist", "ip_subnet", "2a02:2e0::/32", 0)
	restrictAdd(t, ts, "whitelist", "country", "ua", 0)
	for ip, status := range map[string]int{geoiptest.DE6.IP: 200, geoiptest.UA.IP: 200, geoiptest.GB.IP: 471, geoiptest.JP6.IP: 471} {
		cl := ts.restrictClient(ip)
		expect(t, cl.do(t, "GET", gw+"barong/identity/ping", nil), status)
		expect(t, cl.do(t, "GET", id+"/ping", nil), status)
	}
}

func TestRestrictionWhitelinkFlow(t *testing.T) {
	t.Parallel()
	ts := restrictServer(t, nil)
	ctx := context.Background()
	restrictAdd(t, ts, "maintenance", "all", "all", 471)
	if err := ts.DB.Set(ctx, "whitelink:tok-123", "active", time.Hour); err != nil {
		t.Fatal(err)
	}
	gb, us := ts.restrictClient(geoiptest.GB.IP), ts.restrictClient(geoiptest.US.IP)
	expect(t, gb.do(t, "GET", id+"/ping", nil), 471, "authz.restrict.maintenance")
	if r := gb.do(t, "POST", id+"/users/access", map[string]string{"whitelink_token": "tok-123"}); r.Status/100 != 2 {
		t.Fatalf("whitelink: %d %s", r.Status, r.Body)
	}
	// In force at once on this process: the whitelisted IP passes
	// maintenance, directly and through the gateway; others do not.
	expect(t, gb.do(t, "GET", id+"/ping", nil), 200)
	expect(t, gb.do(t, "GET", gw+"barong/identity/ping", nil), 200)
	expect(t, gb.do(t, "POST", id+"/users", map[string]string{"email": "gb@example.com", "password": strongPassword}), 201)
	expect(t, us.do(t, "GET", id+"/ping", nil), 471, "authz.restrict.maintenance")
	rs, err := ts.DB.Restrictions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := rs[len(rs)-1]
	if last.Category != "whitelist" || last.Scope != "ip" || last.Value != geoiptest.GB.IP || last.State != "enabled" {
		t.Fatalf("whitelist restriction %+v", last)
	}
}

func TestRestrictionCrossProcess(t *testing.T) {
	t.Parallel()
	a := restrictServer(t, nil)
	b := newServerSharing(t, a, map[string]string{"BARONG_MAXMINDDB_PATH": a.Config.MaxMindDBPath})
	b.Start(context.Background())
	cl := b.restrictClient(geoiptest.CN.IP)
	expect(t, cl.do(t, "GET", id+"/ping", nil), 200)

	r := restrictAdd(t, a, "blacklist", "country", "CHN", 0) // a's own snapshot reloads; b's must follow
	restrictWait(t, cl, 423)
	expect(t, cl.do(t, "GET", gw+"barong/public/ping", nil), 423, "authz.restrict.blacklist")

	r.State = "disabled"
	if err := a.DB.UpdateRestriction(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	restrictWait(t, cl, 200)
}

// restrictWait polls /identity/ping until it answers status, failing after
// the 3 s the interface allows for another process's change.
// (Timed from the start of each request: on a loaded machine the request
// or the sleep may take long, and a change in force in time must not fail
// because the answer that shows it came later.)
func restrictWait(t *testing.T, cl *client, status int) {
	t.Helper()
	start := time.Now()
	for {
		at := time.Since(start)
		r := cl.do(t, "GET", id+"/ping", nil)
		if r.Status == status {
			t.Logf("status %d after %v", status, time.Since(start).Round(time.Millisecond))
			return
		}
		if at > 3*time.Second {
			t.Fatalf("still %d %v after the change, want %d within 3 s", r.Status, at.Round(time.Millisecond), status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRestrictionActivityCountry(t *testing.T) {
	t.Parallel()
	ts := restrictServer(t, map[string]string{"BARONG_GEOIP_LANG": "de"})
	ts.Start(context.Background())
	ctx := context.Background()
	admin := restrictSignUp(t, ts, geoiptest.GB.IP, "admin@example.com")
	local := ts.client()
	expect(t, local.do(t, "POST", id+"/sessions", map[string]string{"email": "admin@example.com", "password": strongPassword}), 201)
	u, err := ts.DB.UserByEmail(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	acts, _, err := ts.DB.ListActivities(ctx, barong.ActivityFilter{UserID: u.ID, Category: "user", Page: barong.Page{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	countries := map[string]string{}
	for _, a := range acts {
		countries[a.UserIP] = a.UserIPCountry
	}
	if countries[geoiptest.GB.IP] != "Vereinigtes Königreich" || countries["127.0.0.1"] != "" || len(countries) != 2 {
		t.Fatalf("user activities by ip: %v", countries)
	}
	// The admin activity written by authz (AUDIT of a superadmin POST)
	// carries the country too.
	expect(t, admin.do(t, "POST", gw+"peatio/market/orders", map[string]string{}), 200)
	deadline := time.Now().Add(5 * time.Second)
	for {
		acts, _, err := ts.DB.ListActivities(ctx, barong.ActivityFilter{UserID: u.ID, Category: "admin", Page: barong.Page{Page: 1, Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) > 0 {
			if acts[0].UserIP != geoiptest.GB.IP || acts[0].UserIPCountry != "Vereinigtes Königreich" {
				t.Fatalf("admin activity %+v", acts[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no admin activity within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restrictOpen opens a server with env (on top of the harness defaults)
// and returns the error of server.Open.
func restrictOpen(t *testing.T, env map[string]string) (*server.Server, error) {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"BARONG_DATABASE_URL":        "sqlite:" + filepath.Join(dir, "barong.db"),
		"JWT_PRIVATE_KEY_PATH":       filepath.Join(dir, "jwt.pem"),
		"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(dir, "enc.key"),
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := base[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if srv != nil {
		t.Cleanup(srv.Close)
	}
	return srv, err
}

func TestRestrictionGeoIPDatabaseSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mmdb")
	if err := os.WriteFile(bad, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.mmdb")} {
		if _, err := restrictOpen(t, map[string]string{"BARONG_MAXMINDDB_PATH": p}); err == nil ||
			!strings.Contains(err.Error(), "BARONG_MAXMINDDB_PATH") {
			t.Fatalf("%s: error %v, want one naming BARONG_MAXMINDDB_PATH", filepath.Base(p), err)
		}
	}
	// Barong's default (a directory) and no setting: countries unknown.
	for _, p := range []string{dir, ""} {
		srv, err := restrictOpen(t, map[string]string{"BARONG_MAXMINDDB_PATH": p})
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if srv.Geo.Enabled() {
			t.Fatalf("%q: GeoIP enabled", p)
		}
	}
	// Without a database country rules never match; IP rules still do.
	ts := newServer(t, nil)
	restrictAdd(t, ts, "blacklist", "country", "GB", 0)
	gb := ts.restrictClient(geoiptest.GB.IP)
	expect(t, gb.do(t, "GET", id+"/ping", nil), 200)
	restrictAdd(t, ts, "blacklist", "ip", geoiptest.GB.IP, 0)
	expect(t, gb.do(t, "GET", id+"/ping", nil), 401, "authz.restrict.blacklist")
}
