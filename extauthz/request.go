package extauthz

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/seclog"
)

// Checker decides a gateway check; *authz.Engine is the one barong uses.
type Checker interface {
	Check(ctx context.Context, r authz.Request) (*authz.Result, error)
}

// Config tells how a gateway's request maps to an authz request; the
// values are those of the HTTP endpoint (BARONG_SESSION_NAME,
// BARONG_GATEWAY, BARONG_TRUSTED_PROXIES).
type Config struct {
	// SessionName is the session cookie's name.
	SessionName string
	// Gateway "akamai" makes a non-empty True-Client-IP the client IP.
	Gateway string
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
}

// Service answers gateway checks with a Checker. It serves Envoy's gRPC
// ext_authz (Check) and Traefik's forwardAuth (ServeHTTP).
type Service struct {
	checker Checker
	cfg     Config
	log     *slog.Logger
}

// New returns the service deciding with c.
func New(c Checker, cfg Config, log *slog.Logger) *Service {
	if cfg.SessionName == "" {
		cfg.SessionName = "_barong_session"
	}
	return &Service{checker: c, cfg: cfg, log: log}
}

// decision is the answer to one check: Status 200 with Token (empty for a
// pass-listed path), or a refusal with Barong's status and JSON body.
type decision struct {
	Status int
	Token  string
	Body   []byte
	// RequestID is the gateway's X-Request-Id when sane, else "".
	RequestID string
}

func (d decision) allowed() bool { return d.Status == http.StatusOK }

// decide maps the gateway's view of a request to authz and runs the check.
// target is the request target (path and query, not decoded); peer is the
// address of whoever connected to the gateway or to barong.
func (s *Service) decide(ctx context.Context, method, target, peer string, h http.Header) decision {
	// The gateway owns the request id (Envoy always sends x-request-id;
	// forwardAuth adds one when Traefik did not): it names the check in
	// the logs and in the refusal's body.
	id := seclog.IncomingRequestID(h.Get("X-Request-Id"))
	if id != "" {
		ctx = seclog.WithRequestID(ctx, id)
	}
	r, err := s.request(method, target, peer, h)
	if err != nil { // refused by the path check: log the path as sent, without its query
		r.Path, _, _ = strings.Cut(strings.TrimPrefix(target, "/"), "?")
		r.IP = s.clientIP(peer, h)
	} else {
		var res *authz.Result
		if res, err = s.checker.Check(ctx, r); err == nil {
			return decision{Status: http.StatusOK, Token: res.Token, RequestID: id}
		}
	}
	if e := barong.AsError(err); e != nil && e.Kind != barong.KindInternal {
		attrs := []slog.Attr{slog.String("path", r.Path), slog.String("method", strings.ToUpper(method)),
			slog.String("ip", r.IP), slog.Any("errors", e.Keys)}
		if r.APIKey != nil {
			attrs = append(attrs, slog.String("kid", *r.APIKey))
		}
		seclog.Log(ctx, s.log, seclog.AuthzRefused, attrs...)
	}
	return s.refusal(ctx, method, err)
}

// request builds the authz request as the HTTP endpoint does.
func (s *Service) request(method, target, peer string, h http.Header) (authz.Request, error) {
	p, query, err := authz.TargetPath(target)
	if err != nil {
		return authz.Request{}, err
	}
	// TokenOnly: a gateway check answers with the decision and the token
	// alone, so the engine may use the claims it keeps in memory.
	r := authz.Request{Path: p, Method: strings.ToUpper(method), IP: s.clientIP(peer, h), UserAgent: authz.CleanUserAgent(h.Get("User-Agent")),
		TokenOnly: true}
	if c, err := (&http.Request{Header: h}).Cookie(s.cfg.SessionName); err == nil {
		r.SessionID = c.Value
	}
	if v, ok := h["X-Csrf-Token"]; ok && len(v) > 0 {
		r.CSRF, r.HasCSRF = v[0], true
	}
	r.APIKey, r.Nonce, r.Signature = first(h, "X-Auth-Apikey"), first(h, "X-Auth-Nonce"), first(h, "X-Auth-Signature")
	r.Params = func() map[string]any {
		m := map[string]any{}
		vals, _ := url.ParseQuery(query)
		for k, v := range vals {
			m[k] = v[len(v)-1]
		}
		return m
	}
	return r, nil
}

// clientIP is reference §4.4 as the HTTP endpoint applies it: with
// gateway=akamai a non-empty True-Client-IP wins; otherwise X-Forwarded-For
// is walked from the right, skipping trusted proxies, starting at the peer,
// which must itself be trusted for the header to count.
func (s *Service) clientIP(peer string, h http.Header) string {
	if s.cfg.Gateway == "akamai" {
		if v := strings.TrimSpace(h.Get("True-Client-Ip")); v != "" {
			if a, err := netip.ParseAddr(v); err == nil {
				return a.Unmap().String()
			}
		}
	}
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil {
		return peer
	}
	addr = addr.Unmap()
	if !s.trusted(addr) {
		return addr.String()
	}
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				hops = append(hops, part)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !s.trusted(addr) {
			break
		}
	}
	return addr.String()
}

func (s *Service) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// refusal renders err as the HTTP endpoint does: the kind's status (the
// restriction's code for restrictions) and {"errors":[keys]}; anything
// unexpected is logged here and shown as 500 server.internal_error.
func (s *Service) refusal(ctx context.Context, method string, err error) decision {
	e := barong.AsError(err)
	if e == nil && errors.Is(err, barong.ErrNotFound) {
		e = barong.NotFound("record.not_found")
	}
	if e == nil || e.Kind == barong.KindInternal {
		s.log.ErrorContext(ctx, "gateway check failed", slog.String("method", method), slog.Any("error", err))
		e = &barong.Error{Kind: barong.KindInternal, Keys: []string{"server.internal_error"}}
	}
	status := e.HTTPStatus()
	id := seclog.RequestID(ctx)
	body, _ := json.Marshal(struct {
		Errors    []string `json:"errors"`
		RequestID string   `json:"request_id,omitempty"`
	}{e.Keys, id})
	return decision{Status: status, Body: body, RequestID: id}
}

// missingURI refuses a forwardAuth check without X-Forwarded-Uri.
var missingURI = barong.BadRequest("authz.missing_forwarded_uri")

// first points at the first value of a header, nil when it was not sent.
func first(h http.Header, name string) *string {
	if v := h[name]; len(v) > 0 {
		return &v[0]
	}
	return nil
}
