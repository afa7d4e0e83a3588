package extauthz

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// grpcService adapts Service to the generated server interface without
// exporting the generated Unimplemented methods on Service itself.
type grpcService struct {
	authv3.UnimplementedAuthorizationServer
	s *Service
}

func (g grpcService) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	return g.s.Check(ctx, req)
}

// Check is envoy.service.auth.v3.Authorization/Check. The request's
// method, path, headers and source address become the authz request; an
// allowed caller gets OkHttpResponse setting authorization: Bearer <JWT>,
// a pass-listed path OkHttpResponse without it (and removing any
// authorization the client sent, so that upstreams only ever see tokens
// barong minted), a refusal DeniedHttpResponse with Barong's status and
// {"errors":[...]} body. It never returns an error: an unexpected failure
// is a 500 refusal, like the HTTP endpoint's.
func (s *Service) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	h := req.GetAttributes().GetRequest().GetHttp()
	peer := req.GetAttributes().GetSource().GetAddress().GetSocketAddress().GetAddress()
	d := s.decide(ctx, h.GetMethod(), h.GetPath(), peer, envoyHeaders(h))
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
		}, nil
	}
	ok := &authv3.OkHttpResponse{}
	if d.Token != "" {
		ok.Headers = []*corev3.HeaderValueOption{header("authorization", "Bearer "+d.Token)}
	} else {
		ok.HeadersToRemove = []string{"authorization"}
	}
	return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: int32(codes.OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok}}, nil
}

func header(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
}

// envoyHeaders reads the request headers Envoy sends: the raw list when
// encode_raw_headers is on, else the merged map (lower-case keys).
func envoyHeaders(h *authv3.AttributeContext_HttpRequest) http.Header {
	out := http.Header{}
	if raw := h.GetHeaderMap().GetHeaders(); len(raw) > 0 {
		for _, kv := range raw {
			v := kv.GetValue()
			if len(kv.GetRawValue()) > 0 {
				v = string(kv.GetRawValue())
			}
			out.Add(kv.GetKey(), v)
		}
		return out
	}
	for k, v := range h.GetHeaders() {
		out.Add(k, v)
	}
	return out
}

// Register adds the Authorization service and a health service reporting
// SERVING to g.
func (s *Service) Register(g *grpc.Server) {
	authv3.RegisterAuthorizationServer(g, grpcService{s: s})
	healthpb.RegisterHealthServer(g, health.NewServer())
}

// Serve answers the gRPC ext_authz service on ln until ctx ends, then stops
// gracefully: checks in flight are answered (for at most drain), new
// connections are refused. It returns nil after a stop caused by ctx.
func (s *Service) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	g := grpc.NewServer()
	s.Register(g)
	errc := make(chan error, 1)
	go func() { errc <- g.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("grpc serve: %w", err)
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { g.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(drain):
		g.Stop()
		<-stopped
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("grpc serve: %w", err)
	}
	return nil
}
