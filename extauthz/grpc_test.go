package extauthz

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// recorder is a Checker that keeps the requests it was asked and answers
// with a fixed result. The real engine behind the service is exercised end
// to end in internal/server; here the mapping of each field is checked.
type recorder struct {
	mu   sync.Mutex
	reqs []authz.Request
	dl   time.Time // the last check's deadline
	res  *authz.Result
	err  error
}

func (r *recorder) Check(ctx context.Context, req authz.Request) (*authz.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.dl, _ = ctx.Deadline()
	return r.res, r.err
}

// deadline is the last check's context deadline.
func (r *recorder) deadline() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dl, !r.dl.IsZero()
}

func (r *recorder) last(t *testing.T) authz.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("checker was not called")
	}
	return r.reqs[len(r.reqs)-1]
}

func testConfig() Config {
	return Config{SessionName: "_barong_session", TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}}
}

// dialGRPC serves svc on a loopback port and returns a grpc-go client
// connection to it; the server is stopped through its context at cleanup
// and must return nil.
func dialGRPC(t *testing.T, svc *Service) *grpc.ClientConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln, 5*time.Second) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after stop: %v", err)
		}
	})
	return conn
}

// startGRPC is dialGRPC with the generated Authorization client.
func startGRPC(t *testing.T, svc *Service) authv3.AuthorizationClient {
	t.Helper()
	return authv3.NewAuthorizationClient(dialGRPC(t, svc))
}

func checkReq(method, path, source string, headers map[string]string) *authv3.CheckRequest {
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{Address: source, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 40000}}}}},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: method, Path: path, Headers: headers}},
	}}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestCheckMapsRequest(t *testing.T) {
	t.Parallel()
	rec := &recorder{res: &authz.Result{Token: "tok"}}
	c := startGRPC(t, New(rec, testConfig(), quiet()))
	ctx := context.Background()

	resp, err := c.Check(ctx, checkReq("post", "/api/v2/peatio/market/orders.json?market=btcusd&side=buy", "10.1.2.3",
		map[string]string{"cookie": "a=b; _barong_session=sid123; c=d", "user-agent": "UA/1", "x-csrf-token": "csrf1",
			"x-forwarded-for": "198.51.100.7, 10.9.9.9", ":authority": "example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	if r.Path != "api/v2/peatio/market/orders" || r.Method != "POST" || !r.TokenOnly || r.SessionID != "sid123" || r.UserAgent != "UA/1" ||
		!r.HasCSRF || r.CSRF != "csrf1" || r.IP != "198.51.100.7" || r.APIKey != nil || r.Nonce != nil || r.Signature != nil {
		t.Fatalf("request %+v", r)
	}
	if p := r.Params(); p["market"] != "btcusd" || p["side"] != "buy" || len(p) != 2 {
		t.Fatalf("params %v", p)
	}
	if resp.GetStatus().GetCode() != int32(codes.OK) {
		t.Fatalf("status %v", resp.GetStatus())
	}
	hs := resp.GetOkResponse().GetHeaders()
	if len(hs) != 1 || hs[0].GetHeader().GetKey() != "authorization" || hs[0].GetHeader().GetValue() != "Bearer tok" ||
		hs[0].GetAppendAction() != corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD || len(resp.GetOkResponse().GetHeadersToRemove()) != 0 {
		t.Fatalf("ok response %v", resp.GetOkResponse())
	}

	// API-key headers (present though blank), no CSRF header; an untrusted
	// source ignores X-Forwarded-For.
	if _, err := c.Check(ctx, checkReq("GET", "/api/v2/peatio/account/balances", "203.0.113.9",
		map[string]string{"x-auth-apikey": "kid1", "x-auth-nonce": "", "x-auth-signature": "sig", "x-forwarded-for": "1.1.1.1"})); err != nil {
		t.Fatal(err)
	}
	r = rec.last(t)
	if r.HasCSRF || r.APIKey == nil || *r.APIKey != "kid1" || r.Nonce == nil || *r.Nonce != "" || r.Signature == nil ||
		*r.Signature != "sig" || r.IP != "203.0.113.9" || r.SessionID != "" {
		t.Fatalf("api-key request %+v", r)
	}

	// Raw headers (encode_raw_headers) are read as well.
	raw := checkReq("DELETE", "/api/v2/applogic/x", "127.0.0.1", nil)
	raw.Attributes.Request.Http.HeaderMap = &corev3.HeaderMap{Headers: []*corev3.HeaderValue{
		{Key: "cookie", RawValue: []byte("_barong_session=raw1")}, {Key: "x-forwarded-for", RawValue: []byte("192.0.2.44")},
		{Key: "user-agent", Value: "UA/raw"}}}
	if _, err := c.Check(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if r = rec.last(t); r.SessionID != "raw1" || r.IP != "192.0.2.44" || r.UserAgent != "UA/raw" || r.Method != "DELETE" {
		t.Fatalf("raw-header request %+v", r)
	}
}

func TestCheckAkamaiClientIP(t *testing.T) {
	t.Parallel()
	rec := &recorder{res: &authz.Result{Pass: true}}
	cfg := testConfig()
	cfg.Gateway = "akamai"
	c := startGRPC(t, New(rec, cfg, quiet()))
	if _, err := c.Check(context.Background(), checkReq("GET", "/x", "10.0.0.1",
		map[string]string{"true-client-ip": "::ffff:192.0.2.8", "x-forwarded-for": "198.51.100.1"})); err != nil {
		t.Fatal(err)
	}
	if ip := rec.last(t).IP; ip != "192.0.2.8" {
		t.Fatalf("ip %q", ip)
	}
}

func TestCheckPassAndRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		err    error
		status int32
		code   codes.Code
		body   string
	}{
		{"session", barong.Unauthorized("authz.invalid_session"), 401, codes.Unauthenticated, `{"errors":["authz.invalid_session"]}`},
		{"headers", barong.Invalid("authz.invalid_api_key_headers"), 422, codes.PermissionDenied, `{"errors":["authz.invalid_api_key_headers"]}`},
		{"restriction", barong.WithStatus(471, "authz.restrict.maintenance"), 471, codes.PermissionDenied, `{"errors":["authz.restrict.maintenance"]}`},
		{"internal", errors.New("database is down"), 500, codes.PermissionDenied, `{"errors":["server.internal_error"]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startGRPC(t, New(&recorder{err: tc.err}, testConfig(), quiet()))
			resp, err := c.Check(ctx, checkReq("GET", "/api/v2/peatio/account/balances", "127.0.0.1", nil))
			if err != nil {
				t.Fatal(err)
			}
			d := resp.GetDeniedResponse()
			if resp.GetStatus().GetCode() != int32(tc.code) || d == nil || int32(d.GetStatus().GetCode()) != tc.status || d.GetBody() != tc.body {
				t.Fatalf("response %v", resp)
			}
			if h := d.GetHeaders(); len(h) != 1 || h[0].GetHeader().GetKey() != "content-type" || h[0].GetHeader().GetValue() != "application/json" {
				t.Fatalf("headers %v", h)
			}
		})
	}

	// A pass-listed path: allowed, no token, the client's authorization removed.
	c := startGRPC(t, New(&recorder{res: &authz.Result{Pass: true}}, testConfig(), quiet()))
	resp, err := c.Check(ctx, checkReq("GET", "/api/v2/peatio/public/markets", "127.0.0.1", map[string]string{"authorization": "Bearer forged"}))
	if err != nil {
		t.Fatal(err)
	}
	ok := resp.GetOkResponse()
	if resp.GetStatus().GetCode() != 0 || ok == nil || len(ok.GetHeaders()) != 0 || len(ok.GetHeadersToRemove()) != 1 || ok.GetHeadersToRemove()[0] != "authorization" {
		t.Fatalf("pass response %v", resp)
	}
}

func TestCheckRefusesUncleanPaths(t *testing.T) {
	t.Parallel()
	rec := &recorder{res: &authz.Result{Token: "tok"}}
	c := startGRPC(t, New(rec, testConfig(), quiet()))
	for _, p := range []string{"/api/v2/peatio/public/../account/balances", "/api/v2/peatio/public%2F..%2Faccount", "//api/v2/x",
		"/api/v2/./x", "api/v2/x", "", "/api/%zz", "/a\\b"} {
		resp, err := c.Check(context.Background(), checkReq("GET", p, "127.0.0.1", nil))
		if err != nil {
			t.Fatal(err)
		}
		d := resp.GetDeniedResponse()
		if d == nil || d.GetStatus().GetCode() != 400 || d.GetBody() != `{"errors":["authz.invalid_path"]}` {
			t.Fatalf("%q: %v", p, resp)
		}
	}
	if len(rec.reqs) != 0 {
		t.Fatalf("checker asked for unclean paths: %d", len(rec.reqs))
	}
}

func TestHealthService(t *testing.T) {
	t.Parallel()
	hc := healthpb.NewHealthClient(dialGRPC(t, New(&recorder{}, testConfig(), quiet())))
	ctx := context.Background()
	for _, name := range []string{"", "envoy.service.auth.v3.Authorization"} {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q: %v %v", name, resp, err)
		}
	}
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "other.Service"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown service: %v", err)
	}
	w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("watch: %v", err)
	}
}

func TestServeReturnsListenerError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := New(&recorder{}, testConfig(), quiet()).Serve(context.Background(), ln, time.Second); err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}
