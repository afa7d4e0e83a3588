package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// extauthzClient serves ts's gRPC ext_authz on a loopback port and dials it.
func extauthzClient(t *testing.T, ts *testServer) authv3.AuthorizationClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.ServeGRPC(ctx, ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeGRPC: %v", err)
		}
	})
	return authv3.NewAuthorizationClient(conn)
}

// envoyCheck asks as Envoy does for a client at 127.0.0.1.
func envoyCheck(t *testing.T, c authv3.AuthorizationClient, method, path string, h map[string]string) *authv3.CheckResponse {
	t.Helper()
	headers := map[string]string{}
	for k, v := range h {
		headers[strings.ToLower(k)] = v
	}
	resp, err := c.Check(context.Background(), &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{Address: "127.0.0.1"}}}},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{Method: method, Path: path, Headers: headers}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// envoyDenied asserts a refusal with status and Barong's body of keys.
func envoyDenied(t *testing.T, resp *authv3.CheckResponse, status int32, key string) {
	t.Helper()
	d := resp.GetDeniedResponse()
	if d == nil || int32(d.GetStatus().GetCode()) != status || d.GetBody() != `{"errors":["`+key+`"]}` || resp.GetStatus().GetCode() == 0 {
		t.Fatalf("response %v, want %d %s", resp, status, key)
	}
}

// envoyBearerUID verifies the authorization header of an allowed check.
func envoyBearerUID(t *testing.T, ts *testServer, resp *authv3.CheckResponse) string {
	t.Helper()
	hs := resp.GetOkResponse().GetHeaders()
	if resp.GetStatus().GetCode() != 0 || len(hs) != 1 || hs[0].GetHeader().GetKey() != "authorization" {
		t.Fatalf("response %v", resp)
	}
	return gwBearerUID(t, ts, http.Header{"Authorization": {hs[0].GetHeader().GetValue()}})
}

func TestEnvoyGRPCExtAuthz(t *testing.T) {
	ts := newServer(t, nil)
	c := extauthzClient(t, ts)
	ts.signUp(t, "root@example.com")
	member, _ := ts.signUp(t, "member@example.com")
	u := ts.activate(t, "member@example.com")
	var sid string
	for _, ck := range member.Jar.Cookies(mustURL(t, ts.URL)) {
		if ck.Name == "_barong_session" {
			sid = ck.Value
		}
	}
	browser := map[string]string{"cookie": "_barong_session=" + sid, "user-agent": member.ua}

	if uid := envoyBearerUID(t, ts, envoyCheck(t, c, "GET", "/api/v2/peatio/account/balances.json?x=1", browser)); uid != u.UID {
		t.Fatalf("uid %s", uid)
	}
	envoyDenied(t, envoyCheck(t, c, "POST", "/api/v2/peatio/market/orders", browser), 401, "authz.missing_csrf_token")
	browser["x-csrf-token"] = member.csrf
	envoyBearerUID(t, ts, envoyCheck(t, c, "POST", "/api/v2/peatio/market/orders", browser))
	envoyDenied(t, envoyCheck(t, c, "GET", "/api/v2/peatio/account/balances", map[string]string{"user-agent": "x"}), 401, "authz.invalid_session")
	envoyDenied(t, envoyCheck(t, c, "GET", "/api/v2/barong/management/users", nil), 401, "authz.permission_denied")
	envoyDenied(t, envoyCheck(t, c, "GET", "/api/v2/peatio/public/../account/balances", browser), 400, "authz.invalid_path")

	// Pass-listed: allowed without a token; the client's authorization removed.
	resp := envoyCheck(t, c, "GET", "/api/v2/barong/identity/ping", map[string]string{"authorization": "Bearer forged"})
	if ok := resp.GetOkResponse(); ok == nil || len(ok.GetHeaders()) != 0 || strings.Join(ok.GetHeadersToRemove(), ",") != "authorization" {
		t.Fatalf("pass response %v", resp)
	}

	// API keys, and a replayed nonce.
	key := gwAPIKey(t, ts, "member@example.com", "kid-grpc-1")
	now := time.Now().UnixMilli()
	if uid := envoyBearerUID(t, ts, envoyCheck(t, c, "DELETE", "/api/v2/peatio/market/orders/1", key.headers(now))); uid != u.UID {
		t.Fatalf("api-key uid %s", uid)
	}
	envoyDenied(t, envoyCheck(t, c, "DELETE", "/api/v2/peatio/market/orders/1", key.headers(now)), 401, "authz.nonce_expired")
	h := key.headers(now + 1)
	h["X-Auth-Signature"] = ""
	envoyDenied(t, envoyCheck(t, c, "GET", "/api/v2/peatio/account/balances", h), 422, "authz.invalid_api_key_headers")

	// A restriction's own status code.
	lift := gwRestrict(t, ts, "maintenance", "all", "all", 471)
	envoyDenied(t, envoyCheck(t, c, "GET", "/api/v2/peatio/public/markets", nil), 471, "authz.restrict.maintenance")
	lift()
}

// TestTraefikForwardAuth sends what Traefik's forwardAuth sends to the
// mounted endpoint of a real server.
func TestTraefikForwardAuth(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "root@example.com")
	member, _ := ts.signUp(t, "member@example.com")
	u := ts.activate(t, "member@example.com")
	ask := func(h map[string]string) *response {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+"/api/v2/auth", nil)
		req.Header.Set("User-Agent", member.ua)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		for _, ck := range member.Jar.Cookies(mustURL(t, ts.URL)) {
			req.AddCookie(ck)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	}
	r := ask(map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/api/v2/peatio/account/balances", "X-Forwarded-For": "127.0.0.1"})
	expect(t, r, 200)
	if gwBearerUID(t, ts, r.Header) != u.UID {
		t.Fatal("wrong uid")
	}
	expect(t, ask(map[string]string{"X-Forwarded-Method": "PUT", "X-Forwarded-Uri": "/api/v2/peatio/account/x"}), 401, "authz.missing_csrf_token")
	expect(t, ask(map[string]string{"X-Forwarded-Method": "PUT", "X-Forwarded-Uri": "/api/v2/peatio/account/x", "X-CSRF-Token": member.csrf}), 200)
	if r = ask(map[string]string{"X-Forwarded-Uri": "/api/v2/peatio/public/markets"}); r.Status != 200 || r.Header.Get("Authorization") != "" {
		t.Fatalf("pass: %d %q", r.Status, r.Header.Get("Authorization"))
	}
	expect(t, ask(nil), 400, "authz.missing_forwarded_uri")
}

// TestAuthzErrorsHeader: a refused check repeats its body in
// X-Barong-Errors (what the nginx recipe answers the client with).
func TestAuthzErrorsHeader(t *testing.T) {
	ts := newServer(t, nil)
	r := ts.client().do(t, "POST", "/api/v2/auth/api/v2/peatio/market/orders", nil)
	expect(t, r, 401, "authz.missing_csrf_token")
	if got := r.Header.Get("X-Barong-Errors"); got != string(r.Body) ||
		got != `{"errors":["authz.missing_csrf_token"],"request_id":"`+r.Header.Get("X-Request-Id")+`"}` {
		t.Fatalf("X-Barong-Errors %q, body %q", got, r.Body)
	}
	r = ts.client().do(t, "GET", "/api/v2/auth/api/v2/peatio/public/markets", nil)
	if expect(t, r, 200); r.Header.Get("X-Barong-Errors") != "" || r.Header.Get("Authorization") != "" {
		t.Fatalf("pass answer headers %v", r.Header)
	}
}
