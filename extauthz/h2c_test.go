package extauthz

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong/authz"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// blocker is a Checker that holds each check until released or until the
// call's context ends, and tells the deadline each check had.
type blocker struct {
	started   chan time.Time // the deadline of each check as it starts (zero: none)
	release   chan struct{}
	closeOnce sync.Once
}

func newBlocker() *blocker {
	return &blocker{started: make(chan time.Time, 16), release: make(chan struct{})}
}

func (b *blocker) Check(ctx context.Context, _ authz.Request) (*authz.Result, error) {
	dl, _ := ctx.Deadline()
	b.started <- dl
	select {
	case <-b.release:
		return &authz.Result{Token: "late"}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *blocker) done() { b.closeOnce.Do(func() { close(b.release) }) }

// serveOn runs svc.Serve on a loopback listener; stop cancels it and
// returns Serve's result.
func serveOn(t *testing.T, svc *Service, drain time.Duration) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln, drain) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

// h2c is a plain HTTP/2 client with prior knowledge, to send what grpc-go
// would not.
func h2c(t *testing.T) *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type rawAnswer struct {
	httpStatus int
	grpcStatus string
	grpcMsg    string
	ctype      string
	body       []byte
}

func rawCall(t *testing.T, c *http.Client, addr, method, path string, h http.Header, body []byte) rawAnswer {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("answered over %s", resp.Proto)
	}
	a := rawAnswer{httpStatus: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b,
		grpcStatus: resp.Header.Get("Grpc-Status"), grpcMsg: resp.Header.Get("Grpc-Message")}
	if a.grpcStatus == "" {
		a.grpcStatus, a.grpcMsg = resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	}
	return a
}

func framed(flag byte, msg []byte) []byte {
	b := []byte{flag, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

func grpcHeader(kv ...string) http.Header {
	h := http.Header{"Content-Type": {"application/grpc"}, "Te": {"trailers"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// TestGRPCProtocol sends by hand what grpc-go clients never send, and
// checks the framing of a good call.
func TestGRPCProtocol(t *testing.T) {
	t.Parallel()
	rec := &recorder{res: &authz.Result{Token: "tok"}}
	addr, _ := serveOn(t, New(rec, testConfig(), quiet()), 5*time.Second)
	c := h2c(t)
	const check = "/envoy.service.auth.v3.Authorization/Check"
	good, _ := proto.Marshal(checkReq("GET", "/api/v2/x", "127.0.0.1", nil))

	// A good call: 200, application/grpc, one framed CheckResponse, then
	// grpc-status 0 in the trailers.
	a := rawCall(t, c, addr, "POST", check, grpcHeader("Content-Type", "application/grpc+proto; charset=x"), framed(0, good))
	if a.httpStatus != 200 || a.ctype != "application/grpc" || a.grpcStatus != "0" || len(a.body) < 5 ||
		a.body[0] != 0 || int(binary.BigEndian.Uint32(a.body[1:5])) != len(a.body)-5 {
		t.Fatalf("good call: %+v", a)
	}
	resp := &authv3.CheckResponse{}
	if err := proto.Unmarshal(a.body[5:], resp); err != nil || resp.GetOkResponse().GetHeaders()[0].GetHeader().GetValue() != "Bearer tok" {
		t.Fatalf("response %v %v", resp, err)
	}
	if dl, ok := rec.deadline(); ok {
		t.Fatalf("deadline %v without grpc-timeout", dl)
	}

	for _, tc := range []struct {
		name          string
		method, path  string
		h             http.Header
		body          []byte
		http          int
		code          codes.Code
		msgContaining string
	}{
		{"not grpc", "POST", check, grpcHeader("Content-Type", "application/json"), framed(0, good), 415, 0, ""},
		{"no content-type", "POST", check, http.Header{}, framed(0, good), 415, 0, ""},
		{"grpc-web", "POST", check, grpcHeader("Content-Type", "application/grpc-web"), framed(0, good), 415, 0, ""},
		{"GET", "GET", check, grpcHeader(), nil, 405, 0, ""},
		{"json codec", "POST", check, grpcHeader("Content-Type", "application/grpc+json"), framed(0, good), 200, codes.Internal, "json"},
		{"compressed", "POST", check, grpcHeader("Grpc-Encoding", "gzip"), framed(1, good), 200, codes.Unimplemented, "compressed"},
		{"bad flag", "POST", check, grpcHeader(), framed(2, good), 200, codes.Internal, "payload format"},
		{"too large", "POST", check, grpcHeader(), []byte{0, 0, 0x40, 0, 1}, 200, codes.ResourceExhausted, "larger than max"},
		{"empty body", "POST", check, grpcHeader(), nil, 200, codes.Internal, "truncated"},
		{"short message", "POST", check, grpcHeader(), framed(0, good)[:10], 200, codes.Internal, "truncated"},
		{"two messages", "POST", check, grpcHeader(), append(framed(0, good), framed(0, good)...), 200, codes.Internal, "more than one"},
		{"malformed", "POST", check, grpcHeader(), framed(0, []byte{0x0a, 0x05, 0x01}), 200, codes.InvalidArgument, "CheckRequest"},
		{"bad timeout", "POST", check, grpcHeader("Grpc-Timeout", "1x"), framed(0, good), 200, codes.Internal, "grpc-timeout"},
		{"unknown method", "POST", "/envoy.service.auth.v3.Authorization/Nope", grpcHeader(), framed(0, good), 200, codes.Unimplemented, "unknown method Nope"},
		{"unknown service", "POST", "/x.Y/Check", grpcHeader(), framed(0, good), 200, codes.Unimplemented, "unknown service x.Y"},
		{"health watch", "POST", "/grpc.health.v1.Health/Watch", grpcHeader(), framed(0, nil), 200, codes.Unimplemented, "Watch"},
	} {
		a := rawCall(t, c, addr, tc.method, tc.path, tc.h, tc.body)
		if a.httpStatus != tc.http {
			t.Fatalf("%s: HTTP %d, want %d (%+v)", tc.name, a.httpStatus, tc.http, a)
		}
		if tc.http != 200 {
			continue
		}
		// Trailers-only: the status comes in the headers, no message.
		if a.grpcStatus != strconv.Itoa(int(tc.code)) {
			t.Fatalf("%s: grpc-status %q, want %d (%+v)", tc.name, a.grpcStatus, tc.code, a)
		}
		if len(a.body) != 0 || a.ctype != "application/grpc" || !strings.Contains(a.grpcMsg, tc.msgContaining) {
			t.Fatalf("%s: %+v", tc.name, a)
		}
	}

	// grpc-timeout becomes the check's deadline.
	before := time.Now()
	if a := rawCall(t, c, addr, "POST", check, grpcHeader("Grpc-Timeout", "5S"), framed(0, good)); a.grpcStatus != "0" {
		t.Fatalf("with timeout: %+v", a)
	}
	if dl, ok := rec.deadline(); !ok || dl.Before(before.Add(4*time.Second)) || dl.After(time.Now().Add(5*time.Second)) {
		t.Fatalf("deadline %v (%v), want about 5s from %v", dl, ok, before)
	}
	if a := rawCall(t, c, addr, "POST", check, grpcHeader("Grpc-Timeout", "99999999H"), framed(0, good)); a.grpcStatus != "0" {
		t.Fatalf("with huge timeout: %+v", a)
	}
	if dl, ok := rec.deadline(); ok {
		t.Fatalf("deadline %v for 99999999H", dl)
	}
}

func TestParseTimeout(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"1H": time.Hour, "2M": 2 * time.Minute, "3S": 3 * time.Second,
		"250m": 250 * time.Millisecond, "7u": 7 * time.Microsecond, "12345678n": 12345678, "0S": 0} {
		if d, ok := parseTimeout(in); !ok || d != want {
			t.Errorf("parseTimeout(%q) = %v %v", in, d, ok)
		}
	}
	for _, in := range []string{"", "S", "1", "1s", "123456789S", "-1S", "1.5S", " 1S"} {
		if d, ok := parseTimeout(in); ok {
			t.Errorf("parseTimeout(%q) = %v", in, d)
		}
	}
	if got := encodeGRPCMessage("a%b\nçc"); got != "a%25b%0A%C3%A7c" {
		t.Errorf("encodeGRPCMessage: %q", got)
	}
}

// TestGRPCClientErrors checks the statuses grpc-go clients see.
func TestGRPCClientErrors(t *testing.T) {
	t.Parallel()
	conn := dialGRPC(t, New(&recorder{res: &authz.Result{Token: "tok"}}, testConfig(), quiet()))
	c := authv3.NewAuthorizationClient(conn)
	ctx := context.Background()
	req := checkReq("GET", "/api/v2/x", "127.0.0.1", nil)

	if _, err := c.Check(ctx, req, grpc.UseCompressor(gzip.Name)); status.Code(err) != codes.Unimplemented {
		t.Fatalf("gzip: %v", err)
	}
	if err := conn.Invoke(ctx, "/envoy.service.auth.v3.Authorization/Nope", req, &authv3.CheckResponse{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("unknown method: %v", err)
	}
	big := checkReq("GET", "/api/v2/x", "127.0.0.1", map[string]string{"x": strings.Repeat("a", maxMessage)})
	if _, err := c.Check(ctx, big); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("large message: %v", err)
	}
	// The connection still serves after those.
	if resp, err := c.Check(ctx, req); err != nil || resp.GetOkResponse() == nil {
		t.Fatalf("after errors: %v %v", resp, err)
	}
}

// TestGRPCDeadline: the client's deadline reaches the checker, and a check
// that outlives it ends with DEADLINE_EXCEEDED.
func TestGRPCDeadline(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	defer b.done()
	c := startGRPC(t, New(b, testConfig(), quiet()))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	if _, err := c.Check(ctx, checkReq("GET", "/api/v2/x", "127.0.0.1", nil)); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("check: %v", err)
	}
	if dl := <-b.started; dl.IsZero() || dl.After(want.Add(50*time.Millisecond)) {
		t.Fatalf("checker deadline %v, client's %v", dl, want)
	}
}

// TestServeDrains: on stop the listener closes at once, a check in flight
// is still answered, and Serve returns nil.
func TestServeDrains(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	defer b.done()
	addr, stop := serveOn(t, New(b, testConfig(), quiet()), 10*time.Second)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	type result struct {
		resp *authv3.CheckResponse
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := authv3.NewAuthorizationClient(conn).Check(context.Background(), checkReq("GET", "/api/v2/x", "127.0.0.1", nil))
		res <- result{resp, err}
	}()
	<-b.started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after stop")
		}
	}
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned %v with a check in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	b.done()
	r := <-res
	if r.err != nil || r.resp.GetOkResponse().GetHeaders()[0].GetHeader().GetValue() != "Bearer late" {
		t.Fatalf("check in flight: %v %v", r.resp, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestServeDrainTimeout: a check still running when the drain ends is cut
// and Serve returns nil.
func TestServeDrainTimeout(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	defer b.done()
	addr, stop := serveOn(t, New(b, testConfig(), quiet()), 200*time.Millisecond)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res := make(chan error, 1)
	go func() {
		_, err := authv3.NewAuthorizationClient(conn).Check(context.Background(), checkReq("GET", "/api/v2/x", "127.0.0.1", nil))
		res <- err
	}()
	<-b.started
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Fatalf("stopped after %v with a drain of 200ms", d)
	}
	if err := <-res; status.Code(err) == codes.OK {
		t.Fatal("the cut check succeeded")
	}
}
