package extauthz

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// checkerFunc is a Checker that keeps nothing (the fuzzer calls it often).
type checkerFunc func(context.Context, authz.Request) (*authz.Result, error)

func (f checkerFunc) Check(ctx context.Context, r authz.Request) (*authz.Result, error) {
	return f(ctx, r)
}

// fromEnvoy is what decodeCheckRequest must read of m, taken with the
// generated getters.
func fromEnvoy(m *authv3.CheckRequest) *CheckRequest {
	h := m.GetAttributes().GetRequest().GetHttp()
	r := &CheckRequest{Source: m.GetAttributes().GetSource().GetAddress().GetSocketAddress().GetAddress(),
		Method: h.GetMethod(), Path: h.GetPath(), Host: h.GetHost(), Headers: h.GetHeaders()}
	for _, kv := range h.GetHeaderMap().GetHeaders() {
		r.HeaderMap = append(r.HeaderMap, HeaderValue{Key: kv.GetKey(), Value: kv.GetValue(), RawValue: kv.GetRawValue()})
	}
	return r
}

func sameRequest(a, b *CheckRequest) bool {
	return a.Source == b.Source && a.Method == b.Method && a.Path == b.Path && a.Host == b.Host &&
		maps.Equal(a.Headers, b.Headers) && slices.EqualFunc(a.HeaderMap, b.HeaderMap, func(x, y HeaderValue) bool {
		return x.Key == y.Key && x.Value == y.Value && bytes.Equal(x.RawValue, y.RawValue)
	})
}

// envoyRequests are CheckRequests as Envoy sends them, with the fields
// barong skips filled in as well.
func envoyRequests() []*authv3.CheckRequest {
	full := checkReq("POST", "/api/v2/peatio/market/orders.json?market=btcusd", "10.1.2.3",
		map[string]string{"cookie": "_barong_session=sid", "user-agent": "UA/1", "x-forwarded-for": "198.51.100.7", ":authority": "example.com"})
	full.Attributes.Destination = &authv3.AttributeContext_Peer{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
		SocketAddress: &corev3.SocketAddress{Address: "10.9.9.9", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 8080}}}},
		Principal: "spiffe://x"}
	full.Attributes.Source.Service = "frontend"
	full.Attributes.Source.Labels = map[string]string{"a": "b"}
	full.Attributes.ContextExtensions = map[string]string{"virtual_host": "vh"}
	full.Attributes.MetadataContext = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{
		"f": {Fields: map[string]*structpb.Value{"n": structpb.NewNumberValue(1.5), "l": structpb.NewListValue(&structpb.ListValue{})}}}}
	full.Attributes.Request.Time = timestamppb.New(timestamppb.Now().AsTime())
	h := full.Attributes.Request.Http
	h.Id, h.Host, h.Scheme, h.Protocol, h.Size, h.Body, h.RawBody = "req-1", "example.com", "https", "HTTP/2", 123, "b", []byte{0, 1, 255}
	h.Query, h.Fragment = "market=btcusd", "frag"

	raw := checkReq("DELETE", "/api/v2/applogic/x", "::1", nil)
	raw.Attributes.Request.Http.HeaderMap = &corev3.HeaderMap{Headers: []*corev3.HeaderValue{
		{Key: "cookie", RawValue: []byte("_barong_session=raw1")}, {Key: "x-forwarded-for", RawValue: []byte{0xff, 'x'}},
		{Key: "user-agent", Value: "UA/raw"}, {Key: "cookie", Value: "second"}, {Key: "empty"}}}

	pipe := checkReq("GET", "/", "", map[string]string{"": "", "k": ""})
	pipe.Attributes.Source.Address = &corev3.Address{Address: &corev3.Address_Pipe{Pipe: &corev3.Pipe{Path: "/run/envoy.sock", Mode: 0o600}}}

	return []*authv3.CheckRequest{full, raw, pipe, {}, {Attributes: &authv3.AttributeContext{}},
		checkReq("GET", "/"+strings.Repeat("a", 300), "192.0.2.1", map[string]string{"x-long": strings.Repeat("v", 70000)})}
}

// TestDecodeEnvoyRequests decodes CheckRequests marshalled with the
// generated Envoy types, alone and concatenated (protobuf's merge).
func TestDecodeEnvoyRequests(t *testing.T) {
	t.Parallel()
	reqs := envoyRequests()
	for i, m := range reqs {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCheckRequest(b)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if want := fromEnvoy(m); !sameRequest(got, want) {
			t.Fatalf("request %d:\n got %+v\nwant %+v", i, got, want)
		}
		// Merged with the next one: the real types' reading of the
		// concatenation is the reference.
		next, _ := proto.Marshal(reqs[(i+1)%len(reqs)])
		cat := append(append([]byte(nil), b...), next...)
		merged := &authv3.CheckRequest{}
		if err := proto.Unmarshal(cat, merged); err != nil {
			t.Fatal(err)
		}
		if got, err = decodeCheckRequest(cat); err != nil || !sameRequest(got, fromEnvoy(merged)) {
			t.Fatalf("merged %d: %v\n got %+v\nwant %+v", i, err, got, fromEnvoy(merged))
		}
	}
	// Socket address, then a pipe, then a socket address again: the oneof
	// keeps the last member.
	a, _ := proto.Marshal(checkReq("GET", "/", "192.0.2.1", nil))
	p, _ := proto.Marshal(reqs[2])
	b, _ := proto.Marshal(checkReq("", "", "192.0.2.2", nil))
	for _, cat := range [][]byte{slices.Concat(a, p), slices.Concat(a, p, b), slices.Concat(p, a)} {
		m := &authv3.CheckRequest{}
		if err := proto.Unmarshal(cat, m); err != nil {
			t.Fatal(err)
		}
		if got, err := decodeCheckRequest(cat); err != nil || !sameRequest(got, fromEnvoy(m)) {
			t.Fatalf("oneof: %v\n got %+v\nwant %+v", err, got, fromEnvoy(m))
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	t.Parallel()
	good, _ := proto.Marshal(envoyRequests()[0])
	for name, b := range map[string][]byte{
		"truncated":      good[:len(good)-1],
		"field zero":     {0x00, 0x00},
		"bad varint":     {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"end group":      {0x0c},
		"long length":    {0x0a, 0x05, 0x01},
		"nested":         {0x0a, 0x03, 0x22, 0x05, 0x12},
		"invalid utf-8":  {0x0a, 0x07, 0x22, 0x05, 0x12, 0x03, 0x12, 0x01, 0xff},
		"number too big": {0x80, 0x80, 0x80, 0x80, 0x10, 0x00},
	} {
		if proto.Unmarshal(b, &authv3.CheckRequest{}) == nil {
			t.Fatalf("%s: the real types accept % x", name, b)
		}
		if _, err := decodeCheckRequest(b); !errors.Is(err, errMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// envoyResponse is the CheckResponse the implementation on the generated
// types built for d; the hand-written encoding must read back equal to it.
func envoyResponse(d decision) *authv3.CheckResponse {
	header := func(k, v string) *corev3.HeaderValueOption {
		return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
	}
	if !d.allowed() {
		code := codes.PermissionDenied
		if d.Status == http.StatusUnauthorized {
			code = codes.Unauthenticated
		}
		return &authv3.CheckResponse{
			Status: &rpcstatus.Status{Code: int32(code)},
			HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
				Status:  &typev3.HttpStatus{Code: typev3.StatusCode(d.Status)},
				Headers: []*corev3.HeaderValueOption{header("content-type", "application/json")},
				Body:    string(d.Body),
			}},
		}
	}
	ok := &authv3.OkHttpResponse{}
	if d.Token != "" {
		ok.Headers = []*corev3.HeaderValueOption{header("authorization", "Bearer "+d.Token)}
	} else {
		ok.HeadersToRemove = []string{"authorization"}
	}
	return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: int32(codes.OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok}}
}

// TestEncodeCheckResponses encodes Check's answers and reads them back with
// the generated types.
func TestEncodeCheckResponses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, rec := range []*recorder{
		{res: &authz.Result{Token: "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("x", 400)}},
		{res: &authz.Result{Pass: true}},
		{err: barong.Unauthorized("authz.invalid_session")},
		{err: barong.Invalid("authz.invalid_api_key_headers")},
		{err: barong.WithStatus(471, "authz.restrict.maintenance")},
		{err: errors.New("database is down")},
	} {
		svc := New(rec, testConfig(), quiet())
		req := &CheckRequest{Method: "GET", Path: "/api/v2/peatio/account/balances", Source: "127.0.0.1"}
		b := svc.Check(ctx, req).marshal(nil)
		got := &authv3.CheckResponse{}
		if err := proto.Unmarshal(b, got); err != nil {
			t.Fatal(err)
		}
		want := envoyResponse(svc.decide(ctx, req.Method, req.Path, req.Source, req.header()))
		if !proto.Equal(got, want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
		if wb, _ := proto.Marshal(want); !bytes.Equal(b, wb) {
			t.Fatalf("bytes differ:\n got % x\nwant % x", b, wb)
		}
	}
}

// TestEncodeAllFields encodes responses with every field barong writes,
// including lengths of more than one varint byte.
func TestEncodeAllFields(t *testing.T) {
	t.Parallel()
	opt := func(k, v string, raw []byte) *corev3.HeaderValueOption {
		return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v, RawValue: raw},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
	}
	long := strings.Repeat("é", 40000)
	for _, tc := range []struct {
		mine *CheckResponse
		want *authv3.CheckResponse
	}{
		{&CheckResponse{Code: codeUnauthenticated, Denied: &DeniedResponse{Status: 401, Body: long,
			Headers: []HeaderValue{{Key: "a", Value: "1"}, {Key: "b", RawValue: []byte{0, 255}}, {}}}},
			&authv3.CheckResponse{Status: &rpcstatus.Status{Code: 16}, HttpResponse: &authv3.CheckResponse_DeniedResponse{
				DeniedResponse: &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{Code: 401}, Body: long,
					Headers: []*corev3.HeaderValueOption{opt("a", "1", nil), opt("b", "", []byte{0, 255}), opt("", "", nil)}}}}},
		{&CheckResponse{Code: -1, Denied: &DeniedResponse{}},
			&authv3.CheckResponse{Status: &rpcstatus.Status{Code: -1}, HttpResponse: &authv3.CheckResponse_DeniedResponse{
				DeniedResponse: &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{}}}}},
		{&CheckResponse{OK: &OKResponse{Headers: []HeaderValue{{Key: "x", Value: long}}, HeadersToRemove: []string{"a", "", long}}},
			&authv3.CheckResponse{Status: &rpcstatus.Status{}, HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
				Headers: []*corev3.HeaderValueOption{opt("x", long, nil)}, HeadersToRemove: []string{"a", "", long}}}}},
		{&CheckResponse{OK: &OKResponse{}},
			&authv3.CheckResponse{Status: &rpcstatus.Status{}, HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{}}}},
	} {
		b := tc.mine.marshal([]byte("prefix"))
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatal("marshal lost what it appended to")
		}
		got := &authv3.CheckResponse{}
		if err := proto.Unmarshal(b[len("prefix"):], got); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, tc.want) {
			t.Fatalf("got %v\nwant %v", got, tc.want)
		}
	}

	hr := &healthpb.HealthCheckResponse{}
	if err := proto.Unmarshal(marshalHealthResponse(nil), hr); err != nil || hr.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health response %v %v", hr, err)
	}
	hb, _ := proto.Marshal(&healthpb.HealthCheckRequest{Service: "envoy.service.auth.v3.Authorization"})
	if name, err := decodeHealthRequest(hb); err != nil || name != "envoy.service.auth.v3.Authorization" {
		t.Fatalf("health request %q %v", name, err)
	}
}

// FuzzDecodeCheckRequest checks the request decoder against the generated
// types on arbitrary input: it never panics, it reads the same as the real
// types whatever they accept (so what it refuses they refuse too), and its
// only error is errMalformed. The service answers every decoded request
// with a response the real types read.
func FuzzDecodeCheckRequest(f *testing.F) {
	for _, m := range envoyRequests() {
		b, _ := proto.Marshal(m)
		if len(b) < 4096 {
			f.Add(b)
			f.Add(b[:len(b)/2])
		}
	}
	f.Add([]byte{0x0a, 0x00})
	f.Add([]byte{0x0b, 0x0c})
	svc := New(checkerFunc(func(context.Context, authz.Request) (*authz.Result, error) {
		return &authz.Result{Token: "tok"}, nil
	}), testConfig(), quiet())
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeCheckRequest(b)
		m := &authv3.CheckRequest{}
		perr := proto.Unmarshal(b, m)
		if perr == nil && err != nil {
			t.Fatalf("refused what the real types read (%v): % x", err, b)
		}
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if perr == nil && !sameRequest(got, fromEnvoy(m)) {
			t.Fatalf("% x:\n got %+v\nwant %+v", b, got, fromEnvoy(m))
		}
		resp := &authv3.CheckResponse{}
		if err := proto.Unmarshal(frame(svc.Check(context.Background(), got).marshal)[5:], resp); err != nil {
			t.Fatalf("response: %v", err)
		}
	})
}
