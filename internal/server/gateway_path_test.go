package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// uncleanTargets are request targets an upstream could route somewhere
// else than where the rules look; the first two are issue 10's.
var uncleanTargets = []string{
	"/api/v2/peatio/public/..%2Faccount/balances",
	"/api/v2/peatio/public/%2e%2e/account/balances",
	"/api/v2/peatio/public/%2E%2E/account/balances",
	"/api/v2/peatio/public/../account/balances",
	"/api/v2/peatio/public/./markets",
	"/api/v2/peatio/public/..;/account/balances",
	"/api/v2/peatio/public;x/../account/balances",
	"/api/v2;x/peatio/account/balances",
	"/api/v2/peatio/public%2f..%2faccount/balances",
	"/api/v2/peatio/public/..%5Caccount/balances",
	"/api/v2/peatio/public\\..\\account/balances",
	"/api/v2/peatio/public/%252e%252e/account/balances",
	"/api/v2/peatio/public/markets%00",
	"/api/v2/peatio/public//markets",
}

// rawGet sends "GET target" on a fresh connection to base, bytes as they
// are (Go's client would clean or escape some of them), and reads the answer.
func rawGet(t *testing.T, base, target string, h map[string]string) *response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString("GET " + target + " HTTP/1.1\r\nHost: barong\r\nConnection: close\r\n")
	for k, v := range h {
		b.WriteString(k + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// TestGatewayUncleanPaths: every entry of the gateway check (the HTTP
// endpoint, which Envoy's HTTP filter and nginx ask, Traefik's forwardAuth
// and Envoy's gRPC service) refuses an unclean path with 400
// authz.invalid_path and no token, with or without a session; the clean
// path still answers as before.
func TestGatewayUncleanPaths(t *testing.T) {
	ts := newServer(t, nil)
	grpc := extauthzClient(t, ts)
	ts.signUp(t, "root@example.com")
	member, _ := ts.signUp(t, "member@example.com")
	ts.activate(t, "member@example.com")
	cookie := ""
	for _, ck := range member.Jar.Cookies(mustURL(t, ts.URL)) {
		if ck.Name == "_barong_session" {
			cookie = "_barong_session=" + ck.Value
		}
	}
	for hi, h := range []map[string]string{nil, {"Cookie": cookie, "User-Agent": member.ua}} {
		for i, target := range uncleanTargets {
			// Answered before the router, the refusal still carries the
			// request id (header, body, X-Barong-Errors) and is a
			// security line.
			rid := fmt.Sprintf("path-%d-%d", hi, i)
			hh := map[string]string{"X-Request-Id": rid}
			for k, v := range h {
				hh[k] = v
			}
			r := rawGet(t, ts.URL, "/api/v2/auth"+target, hh)
			if expect(t, r, 400, "authz.invalid_path"); r.Header.Get("Authorization") != "" {
				t.Fatalf("HTTP %s: token %q", target, r.Header.Get("Authorization"))
			}
			want := `{"errors":["authz.invalid_path"],"request_id":"` + rid + `"}`
			if r.Header.Get("X-Barong-Errors") != want || string(r.Body) != want || r.Header.Get("X-Request-Id") != rid {
				t.Fatalf("HTTP %s: X-Barong-Errors %q, body %s, X-Request-Id %q", target, r.Header.Get("X-Barong-Errors"), r.Body, r.Header.Get("X-Request-Id"))
			}
			if l := ts.logs.lines("security", map[string]any{"event": "authz_refused", "request_id": rid}); len(l) != 1 ||
				fmtErrs(l[0]) != "authz.invalid_path" || l[0]["path"] != strings.TrimPrefix(target, "/") || l[0]["ip"] != "127.0.0.1" {
				t.Fatalf("HTTP %s: security lines %v", target, l)
			}
			fh := map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": target}
			for k, v := range h {
				fh[k] = v
			}
			r = rawGet(t, ts.URL, "/api/v2/auth", fh)
			if expect(t, r, 400, "authz.invalid_path"); r.Header.Get("Authorization") != "" {
				t.Fatalf("forwardAuth %s: token", target)
			}
			envoyDenied(t, envoyCheck(t, grpc, "GET", target, h), 400, "authz.invalid_path")
		}
	}
	// One security line per refusal at every entry.
	if l := ts.logs.lines("security", map[string]any{"event": "authz_refused", "errors": "[authz.invalid_path]"}); len(l) != 3*2*len(uncleanTargets) {
		t.Fatalf("%d authz.invalid_path lines, want %d", len(l), 3*2*len(uncleanTargets))
	}
	// The clean paths: pass-listed without a token, protected with one.
	r := rawGet(t, ts.URL, "/api/v2/auth/api/v2/peatio/public/markets", nil)
	if expect(t, r, 200); r.Header.Get("Authorization") != "" {
		t.Fatalf("pass answer %v", r.Header)
	}
	expect(t, rawGet(t, ts.URL, "/api/v2/auth/api/v2/peatio/account/balances", nil), 401, "authz.invalid_session")
	r = rawGet(t, ts.URL, "/api/v2/auth/api/v2/peatio/account/balances", map[string]string{"Cookie": cookie, "User-Agent": member.ua})
	if expect(t, r, 200); !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		t.Fatalf("protected answer %v", r.Header)
	}
	// The API families under /api/v2/auth/ are still routed, not checked.
	expect(t, rawGet(t, ts.URL, "/api/v2/auth/identity/ping", nil), 200)
}
