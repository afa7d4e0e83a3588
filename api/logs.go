package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/seclog"
)

// RequestIDHeader carries the request id: a sane incoming value is kept
// (nginx's $request_id, Envoy's x-request-id), else one is generated. It
// is answered on every response, set on the authz answer for the upstream,
// added to every log line of the request and to {"errors":[...]} bodies.
const RequestIDHeader = "X-Request-Id"

// errorBody is {"errors":[keys],"request_id":"..."}: Barong's shape with
// the request id after it, which JSON clients of Barong ignore.
type errorBody struct {
	Errors    []string `json:"errors"`
	RequestID string   `json:"request_id,omitempty"`
}

// accessLog writes the access log line of one request
// (BARONG_ACCESS_LOG): method, route pattern, path (never the query,
// which may carry tokens), status and duration; the request id is added
// by the logger (seclog.Handler).
func (s *Server) accessLog(r *http.Request, status int, start time.Time) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", slog.String("method", r.Method),
		slog.String("route", route), slog.String("path", r.URL.Path), slog.Int("status", status),
		slog.Duration("duration", time.Since(start)))
}

// refusal returns the keys and status of an expected refusal, ok=false for
// an internal failure (logged by writeError instead).
func refusal(err error) (keys []string, ok bool) {
	e := barong.AsError(err)
	if e == nil || e.Kind == barong.KindInternal {
		return nil, errors.Is(err, barong.ErrNotFound)
	}
	return e.Keys, true
}

// logAuthzRefusal writes the security line of a refused authz decision:
// the gateway check, a direct resource/admin call or a restriction. It
// names the API key's kid but never a session id, CSRF token, nonce or
// signature.
func (s *Server) logAuthzRefusal(r *http.Request, ar authz.Request, err error) {
	keys, ok := refusal(err)
	if !ok {
		return
	}
	attrs := []slog.Attr{slog.String("path", ar.Path), slog.String("method", ar.Method),
		slog.String("ip", ar.IP), slog.Any("errors", keys)}
	if ar.APIKey != nil {
		attrs = append(attrs, slog.String("kid", *ar.APIKey))
	}
	seclog.Log(r.Context(), s.log, seclog.AuthzRefused, attrs...)
}

// logLoginFailure writes the security line of a refused sign-in
// (seclog.LoginFailed) with the e-mail that was tried ("" when none is
// named, as in a passkey sign-in, and when what was sent is not an e-mail
// address: it may be a password typed into the wrong field). A throttle refusal is not written
// here: the throttle wrote its decision (seclog.LoginThrottled, app/
// throttle.go), one line per decision.
func (s *Server) logLoginFailure(r *http.Request, method, email string, c app.Client, err error) {
	keys, ok := refusal(err)
	if !ok || len(keys) == 1 && keys[0] == app.KeyLoginThrottled {
		return
	}
	if !app.ValidEmail(email) {
		email = ""
	}
	seclog.Log(r.Context(), s.log, seclog.LoginFailed, slog.String("method", method), slog.String("email", email),
		slog.String("ip", c.IP), slog.String("user_agent", c.UserAgent), slog.Any("errors", keys))
}
