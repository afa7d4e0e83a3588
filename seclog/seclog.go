// Package seclog writes barong-go's security log lines and carries the
// request id through a context, so that every log line of a request can be
// tied to the X-Request-ID its client and the upstream services see.
//
// It imports only the standard library, so that app, authz, api and
// extauthz can all call it. A security line is one slog record at level
// WARN with the message "security" and an attribute event naming what
// happened (the constants below); it never carries a password, code,
// token, session id, API-key secret or signature.
//
//	seclog.Log(ctx, log, seclog.LoginThrottled, slog.String("ip", ip))
package seclog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// Security events.
const (
	// LoginFailed is a refused sign-in (wrong credentials, 2FA code,
	// passkey, account state, captcha) by password, passkey or Auth0.
	LoginFailed = "login_failed"
	// LoginThrottled is a decision of the sign-in throttle (app/
	// throttle.go): an attempt that brought a scope to its limit
	// (decision delayed) or one refused while its scope waits (decision
	// refused, 429); one line per decision.
	LoginThrottled = "login_throttled"
	// AuthzRefused is a refused gateway check or direct resource/admin
	// call (unclean path, session, CSRF, API key, permission,
	// restriction).
	AuthzRefused = "authz_refused"
	// ManagementRefused is a management API request whose JWS multisig
	// failed verification.
	ManagementRefused = "management_refused"
)

// Message is the message of every security line.
const Message = "security"

// Log writes one security line for event with attrs. A nil logger
// writes nothing.
func Log(ctx context.Context, l *slog.Logger, event string, attrs ...slog.Attr) {
	if l == nil || !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	all := make([]slog.Attr, 0, len(attrs)+1)
	all = append(all, slog.String("event", event))
	l.LogAttrs(ctx, slog.LevelWarn, Message, append(all, attrs...)...)
}

type ctxKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID is the request id ctx carries, "" for none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

type routeKey struct{}

type route struct{ method, path string }

// WithRoute returns ctx carrying the method and path of the request, for
// the security lines written below the HTTP layer (the services' access
// checks).
func WithRoute(ctx context.Context, method, path string) context.Context {
	return context.WithValue(ctx, routeKey{}, route{method, path})
}

// Route is the method and path ctx carries, "" for none.
func Route(ctx context.Context) (method, path string) {
	r, _ := ctx.Value(routeKey{}).(route)
	return r.method, r.path
}

// MaxRequestIDLen bounds an accepted incoming request id.
const MaxRequestIDLen = 128

// AcceptRequestID returns the incoming X-Request-ID when it is sane (1 to
// MaxRequestIDLen characters of letters, digits and -_.:+/=@), else a new
// one: 32 hex digits of randomness, the form of nginx's $request_id.
func AcceptRequestID(incoming string) string {
	if saneRequestID(incoming) {
		return incoming
	}
	return NewRequestID()
}

// IncomingRequestID returns the incoming X-Request-ID when it is sane, else "".
func IncomingRequestID(incoming string) string {
	if saneRequestID(incoming) {
		return incoming
	}
	return ""
}

// NewRequestID returns 32 random hex digits.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

func saneRequestID(s string) bool {
	if s == "" || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '+', c == '/', c == '=', c == '@':
		default:
			return false
		}
	}
	return true
}

// Handler returns h adding the context's request id (attribute
// request_id) to every record logged with a context.
func Handler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
