package authz

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/token"
)

// Config holds the settings of the decision.
type Config struct {
	CSRFProtection bool
	SessionExpire  time.Duration
	NonceLifetime  time.Duration
	JWTExpire      time.Duration
	Pass, Block    []string
	// Refresh is how often snapshots are reloaded (changes made by other
	// processes are in force within this interval plus one load; 1 s by
	// default, so that a load may take up to 2 s within the interface's
	// 3 s).
	Refresh time.Duration
	// TokenCache is how long a signed bearer token is handed out again for
	// the same claims (BARONG_AUTHZ_TOKEN_CACHE_SECONDS; see
	// DefaultTokenCache). Zero mints a token per request, as Barong does.
	// It is capped at half of JWTExpire, so a token handed out always has
	// at least half its lifetime left.
	TokenCache time.Duration
}

// Request is what authz looks at. Path is the authz path without the
// leading slash, e.g. api/v2/peatio/account/balances.
type Request struct {
	Path      string
	Method    string
	IP        string
	UserAgent string
	SessionID string
	// CSRF is the X-CSRF-Token header; HasCSRF tells whether it was sent.
	CSRF    string
	HasCSRF bool
	// API-key headers; nil when absent.
	APIKey, Nonce, Signature *string
	// Params returns the request parameters for audit records (may be nil).
	Params func() map[string]any
	// TokenOnly tells that the caller uses only Result.Pass and
	// Result.Token (the gateway check), or only the user's UID. Result.User
	// and Result.ServiceAccount may then be what the process cache keeps
	// (the token's claims, ID, OTP), shared between requests and not to be
	// modified; otherwise they are database rows.
	TokenOnly bool
}

// Result is an allowed request.
type Result struct {
	// Pass means a pass-listed path: no identity, no token.
	Pass  bool
	Token string
	// Bearer is the Authorization header value, "Bearer " + Token (shared
	// by the requests the token cache serves, not built per request).
	Bearer         string
	User           *barong.User
	ServiceAccount *barong.ServiceAccount
	Session        *barong.Session
}

// Geo resolves an IP to country (ISO code and name) and continent (code and
// name); empty strings when unknown.
type Geo interface {
	Lookup(ip string) (countryCode, countryName, continentCode, continentName string)
}

// Store is what the engine reads and writes in the database (barong.Store
// serves it): the permissions and restrictions of its snapshots and their
// fingerprint, the callers it reads past its cache, and the audit
// activities, written in transactions of their own.
type Store interface {
	RulesVersion(ctx context.Context) (barong.RulesVersion, error)
	Permissions(ctx context.Context) ([]barong.Permission, error)
	Restrictions(ctx context.Context) ([]barong.Restriction, error)
	CallerRows
	InTx(ctx context.Context, fn func(tx barong.Tx) error) error
}

// Engine decides authz requests.
type Engine struct {
	cfg   Config
	store Store
	keys  *token.Keyring
	geo   Geo
	log   *slog.Logger
	now   func() time.Time
	snap  atomic.Pointer[snapshot]
	audit chan *barong.Activity // pointers: 4096 queued values would be 1 MB idle
	// p is where sessions, users, keys and holders are read (principals.go);
	// cached tells that it is the process cache, whose users and service
	// accounts hold only their claims.
	p      Principals
	cached bool
	tokens *tokenCache // nil when TokenCache is zero
	macs   macs        // HMAC states by API-key secret (signature.go)
}

// New builds the engine on the stores (one read per request; see
// UsePrincipals); call Run to keep its snapshots fresh.
func New(cfg Config, store Store, sessions barong.SessionStore, kv barong.KV, keys *token.Keyring, geo Geo, log *slog.Logger) *Engine {
	if cfg.Refresh == 0 {
		cfg.Refresh = time.Second
	}
	if cfg.TokenCache > cfg.JWTExpire/2 {
		cfg.TokenCache = cfg.JWTExpire / 2
	}
	e := &Engine{cfg: cfg, store: store, keys: keys, geo: geo, log: log, now: time.Now,
		audit: make(chan *barong.Activity, 4096), p: stores{db: store, sessions: sessions, kv: kv}}
	if cfg.TokenCache > 0 {
		e.tokens = newTokenCache(cfg.TokenCache)
	}
	e.snap.Store(&snapshot{})
	return e
}

// UsePrincipals makes the engine read callers through p instead of the
// stores it was built with. When p reports its changes (Changes), what the
// engine reads is kept in process memory (cache.go) and dropped when any
// process changes it: the steady-state request then touches no network,
// except to use up an API key's nonce. barong serve passes
// redisstore.Principals or sqlstore.Principals. Call it before serving.
func (e *Engine) UsePrincipals(p Principals) {
	e.p, e.cached = p, false
	if ch, ok := p.(Changes); ok {
		e.p, e.cached = newCache(p, ch, e.log), true
	}
}

// Check runs the decision procedure of reference §7.1 in its order. Errors
// are *barong.Error with Barong's authz keys and statuses.
func (e *Engine) Check(ctx context.Context, r Request) (*Result, error) {
	s := e.snap.Load()
	if err := e.checkRestrictions(s, r); err != nil {
		return nil, err
	}
	for _, p := range e.cfg.Block {
		if strings.HasPrefix(r.Path, p) {
			return nil, barong.Unauthorized("authz.permission_denied")
		}
	}
	for _, p := range e.cfg.Pass {
		if strings.HasPrefix(r.Path, p) {
			return &Result{Pass: true}, nil
		}
	}
	return e.Authenticate(ctx, r)
}

// Authenticate runs the cookie or API-key mode and the permission check,
// without restrictions and rules (direct resource/admin calls run Check).
func (e *Engine) Authenticate(ctx context.Context, r Request) (*Result, error) {
	var res *Result
	var err error
	if r.APIKey != nil || r.Nonce != nil || r.Signature != nil {
		res, err = e.apiKey(ctx, r)
	} else {
		res, err = e.cookie(ctx, r)
	}
	if err != nil {
		return nil, err
	}
	s := e.snap.Load()
	role := ""
	if res.User != nil {
		role = res.User.Role
	} else {
		role = res.ServiceAccount.Role
	}
	allowed, auditTopic, audit := s.permits(role, r.Method, r.Path)
	if !allowed {
		if res.User != nil {
			e.record(res.User, r, barong.ResultDenied, "")
		}
		return nil, barong.Unauthorized("authz.invalid_permission")
	}
	if audit && res.User != nil {
		e.record(res.User, r, barong.ResultSucceed, auditTopic)
	}
	t, err := e.issue(res)
	if err != nil {
		return nil, err
	}
	res.Token, res.Bearer = t.tok, t.bearer
	return res, nil
}

// Bearer admits the user uid of a bearer JWT that authz issued (up to
// JWTExpire ago) on a direct resource or admin call: the token proves who
// was let through then, so his state and the permission table on r.Path
// are checked again now, as for his cookie, and a ban or a permission
// change is in force at once rather than when the token expires. An
// unknown uid (a service account's token) is barong.ErrNotFound. With
// r.TokenOnly the user may be the process cache's claims.
func (e *Engine) Bearer(ctx context.Context, r Request, uid string) (*barong.User, error) {
	u, err := e.user(ctx, uid, r.TokenOnly)
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	if !u.CanSignIn() {
		return nil, barong.Unauthorized("authz.user_not_active")
	}
	if allowed, _, _ := e.snap.Load().permits(u.Role, r.Method, r.Path); !allowed {
		e.record(u, r, barong.ResultDenied, "")
		return nil, barong.Unauthorized("authz.invalid_permission")
	}
	return u, nil
}

var stateChanging = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "TRACE": true}

// cookie is reference §7.2: CSRF, the session, its user, the binding
// (§4.5), the slide of the idle expiry, the user's state.
func (e *Engine) cookie(ctx context.Context, r Request) (*Result, error) {
	var sess *barong.Session
	if r.SessionID != "" {
		s, err := e.p.Session(ctx, r.SessionID)
		if err != nil && !errors.Is(err, barong.ErrNotFound) {
			return nil, fmt.Errorf("load session: %w", err)
		}
		sess = s
	}
	if e.cfg.CSRFProtection && stateChanging[strings.ToUpper(r.Method)] {
		if !r.HasCSRF {
			return nil, barong.Unauthorized("authz.missing_csrf_token")
		}
		if sess == nil || !hmac.Equal([]byte(r.CSRF), []byte(sess.CSRFToken)) {
			return nil, barong.Unauthorized("authz.csrf_token_mismatch")
		}
	}
	if sess == nil || sess.UID == "" {
		return nil, barong.Unauthorized("authz.invalid_session")
	}
	u, err := e.user(ctx, sess.UID, r.TokenOnly)
	if err != nil {
		if errors.Is(err, barong.ErrNotFound) {
			_ = e.p.DeleteSession(ctx, r.SessionID)
			return nil, barong.Unauthorized("authz.invalid_session")
		}
		return nil, fmt.Errorf("load user: %w", err)
	}
	now := e.now()
	if r.UserAgent != sess.UserAgent || now.Unix() >= sess.ExpireTime || !SameNetwork(sess.UserIP, r.IP) {
		_ = e.p.DeleteSession(ctx, r.SessionID)
		return nil, barong.Unauthorized("authz.client_session_mismatch")
	}
	// A session already slid to this second is not written again (stored
	// expiries have whole seconds).
	if exp := now.Add(e.cfg.SessionExpire).Unix(); exp > sess.ExpireTime {
		slid := *sess
		slid.ExpireTime = exp
		sess = &slid
		if err := e.p.SlideSession(ctx, sess, e.cfg.SessionExpire); err != nil && !errors.Is(err, barong.ErrNotFound) {
			return nil, fmt.Errorf("slide session: %w", err)
		}
	}
	if !u.CanSignIn() {
		return nil, barong.Unauthorized("authz.user_not_active")
	}
	return &Result{User: u, Session: sess}, nil
}

// apiKey is reference §5.2 with replay protection: each (kid, nonce) is
// accepted once within the nonce window, across processes; a request with
// a bad signature does not use its nonce up.
func (e *Engine) apiKey(ctx context.Context, r Request) (*Result, error) {
	if blank(r.APIKey) || blank(r.Nonce) || blank(r.Signature) {
		return nil, barong.Invalid("authz.invalid_api_key_headers")
	}
	kid, nonce := *r.APIKey, *r.Nonce
	if !utf8.ValidString(kid) || strings.ContainsRune(kid, 0) {
		// No key has such a kid, and PostgreSQL refuses to compare it.
		return nil, barong.Unauthorized("authz.unexistent_apikey")
	}
	key, err := e.p.APIKey(ctx, kid)
	if err != nil {
		if errors.Is(err, barong.ErrNotFound) {
			return nil, barong.Unauthorized("authz.unexistent_apikey")
		}
		return nil, fmt.Errorf("load api key: %w", err)
	}
	ms, err := e.checkNonce(nonce)
	if err != nil {
		return nil, err
	}
	if !e.macs.valid(key.Secret, nonce, kid, *r.Signature) {
		return nil, barong.Unauthorized("authz.invalid_signature")
	}
	fresh, err := e.p.UseNonce(ctx, kid, nonce, ms, 2*e.cfg.NonceLifetime)
	if err != nil {
		return nil, fmt.Errorf("record nonce: %w", err)
	}
	if !fresh {
		return nil, barong.Unauthorized("authz.nonce_expired")
	}
	if key.State != "active" {
		return nil, barong.Unauthorized("authz.apikey_not_active")
	}
	u, sa, err := e.holder(ctx, key, r.TokenOnly)
	if err != nil {
		return nil, fmt.Errorf("load key holder: %w", err)
	}
	if sa != nil {
		if sa.State != barong.StateActive && sa.State != barong.StatePending {
			return nil, barong.Unauthorized("authz.invalid_session")
		}
		return &Result{ServiceAccount: sa}, nil
	}
	if !u.CanSignIn() {
		return nil, barong.Unauthorized("authz.invalid_session")
	}
	if !u.OTP {
		return nil, barong.Unauthorized("authz.disabled_2fa")
	}
	return &Result{User: u}, nil
}

// user reads the user of a session: the claims the process keeps for a
// caller that uses only the token, else the database row.
func (e *Engine) user(ctx context.Context, uid string, tokenOnly bool) (*barong.User, error) {
	if e.cached && !tokenOnly {
		return e.store.UserByUID(ctx, uid)
	}
	return e.p.User(ctx, uid)
}

// holder reads the holder of a key as user reads a user.
func (e *Engine) holder(ctx context.Context, k *barong.APIKey, tokenOnly bool) (*barong.User, *barong.ServiceAccount, error) {
	if e.cached && !tokenOnly {
		return barong.LoadHolder(ctx, e.store, k)
	}
	return e.p.Holder(ctx, k)
}

func blank(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }

// checkNonce is steps 3 and 4 of reference §5.2: a positive timestamp in
// milliseconds within the nonce lifetime of now.
func (e *Engine) checkNonce(nonce string) (int64, error) {
	n := leadingInt(nonce)
	if n <= 0 {
		return 0, barong.Unauthorized("authz.nonce_not_valid_timestamp")
	}
	diff := e.now().UnixMilli() - n
	if diff < 0 {
		diff = -diff
	}
	if time.Duration(diff)*time.Millisecond >= e.cfg.NonceLifetime {
		return 0, barong.Unauthorized("authz.nonce_expired")
	}
	return n, nil
}

// leadingInt parses the leading digits of s as Ruby's to_i does (0 when none).
func leadingInt(s string) int64 {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}
