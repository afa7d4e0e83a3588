package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/server"
	"github.com/redis/go-redis/v9"
)

// getWith sends a GET to url with extra headers, as a fresh client.
func getWith(t *testing.T, url string, h map[string]string) *response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return (&client{Client: http.DefaultClient, ua: "Go-http-client/1.1"}).roundTrip(t, req)
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)

	// A sane incoming id is kept and answered; anything else is replaced.
	r := getWith(t, ts.URL+"/api/v2/auth/identity/ping", map[string]string{"X-Request-Id": "edge-42"})
	if r.Status != 200 || r.Header.Get("X-Request-Id") != "edge-42" {
		t.Fatalf("ping %d %q", r.Status, r.Header.Get("X-Request-Id"))
	}
	r = getWith(t, ts.URL+"/api/v2/auth/identity/ping", map[string]string{"X-Request-Id": "bad id\"<>"})
	if id := r.Header.Get("X-Request-Id"); len(id) != 32 || id == "bad id\"<>" {
		t.Fatalf("generated id %q", id)
	}

	// The error body keeps Barong's errors array and adds the id.
	r = getWith(t, ts.URL+"/api/v2/auth/resource/users/me", map[string]string{"X-Request-Id": "edge-43"})
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 401 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if errs, _ := body["errors"].([]any); len(errs) != 1 || errs[0] != "authz.invalid_session" || body["request_id"] != "edge-43" || len(body) != 2 {
		t.Fatalf("body %s", r.Body)
	}

	// The gateway check answers the id for the upstream (nginx's
	// auth_request_set, Envoy's allowed_upstream_headers), on pass and on
	// refusal, and the refusal's body and headers carry it.
	r = getWith(t, ts.URL+"/api/v2/auth/api/v2/peatio/public/markets", map[string]string{"X-Request-Id": "edge-44"})
	if r.Status != 200 || r.Header.Get("X-Request-Id") != "edge-44" {
		t.Fatalf("pass %d %q", r.Status, r.Header.Get("X-Request-Id"))
	}
	r = getWith(t, ts.URL+"/api/v2/auth/api/v2/peatio/account/balances", map[string]string{"X-Request-Id": "edge-45"})
	if r.Status != 401 || r.Header.Get("X-Request-Id") != "edge-45" ||
		r.Header.Get("X-Barong-Errors") != `{"errors":["authz.invalid_session"],"request_id":"edge-45"}` {
		t.Fatalf("refusal %d %v %s", r.Status, r.Header, r.Body)
	}
	// The security line of that refusal carries the same id.
	if l := ts.logs.lines("security", map[string]any{"event": "authz_refused", "request_id": "edge-45"}); len(l) != 1 ||
		l[0]["path"] != "api/v2/peatio/account/balances" || l[0]["level"] != "WARN" {
		t.Fatalf("security lines %v\n%s", l, ts.logs.text())
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	off := newServer(t, nil)
	getWith(t, off.URL+"/api/v2/auth/identity/ping", nil)
	if l := off.logs.lines("http request", nil); len(l) != 0 {
		t.Fatalf("access log written by default: %v", l)
	}

	ts := newServer(t, map[string]string{"BARONG_ACCESS_LOG": "true"})
	getWith(t, ts.URL+"/api/v2/identity/ping?token=secret-in-query", map[string]string{"X-Request-Id": "acc-1"})
	getWith(t, ts.URL+"/api/v2/auth/nope", map[string]string{"X-Request-Id": "acc-2"})
	l := ts.logs.lines("http request", map[string]any{"request_id": "acc-1"})
	if len(l) != 1 || l[0]["method"] != "GET" || l[0]["route"] != "GET /api/v2/identity/ping" ||
		l[0]["path"] != "/api/v2/identity/ping" || l[0]["status"] != float64(200) || l[0]["duration"] == nil {
		t.Fatalf("access line %v", l)
	}
	if l := ts.logs.lines("http request", map[string]any{"request_id": "acc-2"}); len(l) != 1 || l[0]["status"] != float64(401) {
		t.Fatalf("access line %v", l)
	}
	if strings.Contains(ts.logs.text(), "secret-in-query") {
		t.Fatal("the query string reached the log")
	}
}

func TestSecurityLog(t *testing.T) {
	t.Parallel()
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "2", "BARONG_LOGIN_THROTTLE_DELAY": "60"})
	ts.signUp(t, "sec@example.com")
	c := ts.client()
	const wrong = "Wrong-Passw0rd-Value"
	for range 2 {
		expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "sec@example.com", "password": wrong}),
			401, "identity.session.invalid_params")
	}
	expect(t, c.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "sec@example.com", "password": strongPassword}),
		429, "identity.session.too_many_attempts")
	failed := ts.logs.lines("security", map[string]any{"event": "login_failed", "email": "sec@example.com"})
	if len(failed) != 2 || failed[0]["ip"] != "127.0.0.1" || failed[0]["method"] != "password" ||
		failed[0]["request_id"] == nil || fmtErrs(failed[0]) != "identity.session.invalid_params" {
		t.Fatalf("login_failed lines %v", failed)
	}
	// The throttle's two decisions, one line each: the second failure
	// reached the limit (delayed), the third attempt waited (refused).
	// They name the account by a hash, never the e-mail, and the refused
	// sign-in writes no login_failed line besides.
	throttled := ts.logs.lines("security", map[string]any{"event": "login_throttled", "scope": "account_ip"})
	if len(throttled) != 2 || throttled[0]["decision"] != "delayed" || throttled[1]["decision"] != "refused" ||
		throttled[1]["retry_after_s"] != float64(60) || throttled[1]["account"] == "" || throttled[1]["request_id"] == nil ||
		throttled[1]["email"] != nil {
		t.Fatalf("login_throttled lines %v", throttled)
	}
	if l := ts.logs.lines("security", map[string]any{"event": "login_failed"}); len(l) != 2 {
		t.Fatalf("login_failed lines %v", l)
	}

	// A direct resource call refused by the permission table or CSRF.
	c2, _ := ts.signUp(t, "sec2@example.com")
	c2.csrf = ""
	expect(t, c2.do(t, "PUT", res+"/users/me", map[string]string{"data": "{}"}), 401, "authz.missing_csrf_token")
	if l := ts.logs.lines("security", map[string]any{"event": "authz_refused", "path": "api/v2/barong/resource/users/me"}); len(l) != 1 ||
		fmtErrs(l[0]) != "authz.missing_csrf_token" || l[0]["method"] != "PUT" {
		t.Fatalf("authz_refused lines %v", l)
	}

	// No secret reached the log: neither passwords nor the session cookie.
	text := ts.logs.text()
	for _, secret := range []string{wrong, strongPassword, c2.sessionCookie(t)} {
		if strings.Contains(text, secret) {
			t.Fatalf("secret %q in the log", secret)
		}
	}
}

func fmtErrs(line map[string]any) string {
	var out []string
	for _, e := range line["errors"].([]any) {
		out = append(out, e.(string))
	}
	return strings.Join(out, ",")
}

func (c *client) sessionCookie(t *testing.T) string {
	t.Helper()
	for _, k := range c.Jar.Cookies(mustURL(t, c.ts.URL)) {
		if k.Name == "_barong_session" {
			return k.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestSecurityLogManagement(t *testing.T) {
	t.Parallel()
	m := newMgmtServer(t, "{}", mgmtScopesYAML, nil)
	stranger := newMgmtSigner(t, "stranger", "RS256", mgmtRSA2)
	mgmtExpect(t, m.send(t, "POST", "/timestamp", "application/json", mgmtBody(t, mgmtClaims(nil), stranger)), 401,
		`{"error":"Failed to verify JWT."}`)
	l := m.logs.lines("security", map[string]any{"event": "management_refused", "path": "/api/v2/management/timestamp"})
	if len(l) != 1 || l[0]["scope"] != "tools" || l[0]["reason"] == nil {
		t.Fatalf("management_refused lines %v\n%s", l, m.logs.text())
	}
}

// TestLibraryLogs: go-redis' own pool messages go through slog.
func TestLibraryLogs(t *testing.T) {
	var buf logBuffer
	server.RouteLibraryLogs(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { server.RouteLibraryLogs(slog.New(slog.DiscardHandler)) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rdb := redis.NewClient(&redis.Options{Addr: addr, MinIdleConns: 1, DialTimeout: time.Second})
	defer rdb.Close()
	_ = rdb.Ping(context.Background()).Err()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(buf.text(), `"library":"go-redis"`) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no go-redis line through slog: %s", buf.text())
}
