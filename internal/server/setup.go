package server

import (
	"context"
	"log/slog"
	"net"
	"net/netip"

	barong "github.com/barong-go/barong"
)

// Setup runs at `barong serve` start. While the platform has no superadmin
// (BARONG_FIRST_REGISTRATION_SUPERADMIN on, BARONG_ADMIN_EMAIL unset) it
// issues a one-time setup token and logs it with how to use it: the
// sign-up that sends it as setup_token becomes the superadmin, any other
// sign-up an ordinary member. When the server then listens on every
// interface (BARONG_HTTP_ADDR's default :8000, which interface §3 fixes),
// it warns how to bind to loopback. It returns the token ("" when none
// was issued).
func (s *Server) Setup(ctx context.Context, listen net.Addr) (string, error) {
	cfg := s.Config
	if cfg.AdminEmail != "" || cfg.AdminPassword != "" {
		return "", nil
	}
	pending, err := s.App.SetupPending(ctx)
	if err != nil || !pending {
		return "", err
	}
	tok, err := s.App.IssueSetupToken(ctx, barong.SystemActor("setup token"))
	if err != nil {
		return "", err
	}
	s.Log.Warn("setup: no superadmin yet; the sign-up that sends this setup_token becomes the superadmin "+
		"(POST /api/v2/identity/users with email, password and setup_token; valid 24 h, once), every other sign-up is a member. "+
		"Alternatives: BARONG_ADMIN_EMAIL and BARONG_ADMIN_PASSWORD, or barong seed with a superadmin user",
		slog.String("setup_token", tok))
	if allInterfaces(listen) {
		s.Log.Warn("setup: listening on every interface while the platform has no superadmin; "+
			"to keep it local until set up, start with BARONG_HTTP_ADDR=127.0.0.1:8000",
			slog.String("addr", listen.String()))
	}
	return tok, nil
}

// allInterfaces reports whether a listener's address is the unspecified
// one (0.0.0.0 or ::, as ":8000" listens).
func allInterfaces(a net.Addr) bool {
	if a == nil {
		return false
	}
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().IsUnspecified()
}
