package server

import (
	"context"
	"net"
	"time"

	"github.com/barong-go/barong/extauthz"
)

// gateway builds the gRPC ext_authz / forwardAuth service on the same
// authz engine and client-IP settings as the HTTP endpoint.
func (s *Server) gateway() *extauthz.Service {
	cfg := s.Config
	return extauthz.New(s.Authz, extauthz.Config{SessionName: cfg.SessionName, Gateway: cfg.Gateway,
		TrustedProxies: cfg.TrustedProxies}, s.Log)
}

// ServeGRPC answers Envoy's gRPC ext_authz (envoy.service.auth.v3) on ln
// until ctx ends, then lets checks in flight finish (BARONG_GRPC_ADDR).
func (s *Server) ServeGRPC(ctx context.Context, ln net.Listener) error {
	return s.Gateway.Serve(ctx, ln, 25*time.Second)
}
