package authz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/redisstore"
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
	// processes are in force within this interval plus one load).
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
	// Result.Token (the gateway check). Result.User and
	// Result.ServiceAccount may then be Redis snapshots holding only the
	// token's claims, ID and OTP; otherwise they are database rows.
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

// Engine decides authz requests.
type Engine struct {
	cfg      Config
	store    barong.Store
	sessions barong.SessionStore
	kv       barong.KV
	keys     *token.Keyring
	geo      Geo
	log      *slog.Logger
	now      func() time.Time
	snap     atomic.Pointer[snapshot]
	audit    chan *barong.Activity // pointers: 4096 queued values would be 1 MB idle
	// cache is the shared principal cache; nil without Redis.
	cache   *redisstore.Principals
	tokens  *tokenCache // nil when TokenCache is zero
	secrets secretCache
}

// New builds the engine; call Run to keep its snapshots fresh.
func New(cfg Config, store barong.Store, sessions barong.SessionStore, kv barong.KV, keys *token.Keyring, geo Geo, log *slog.Logger) *Engine {
	if cfg.Refresh == 0 {
		cfg.Refresh = 2 * time.Second
	}
	if cfg.TokenCache > cfg.JWTExpire/2 {
		cfg.TokenCache = cfg.JWTExpire / 2
	}
	e := &Engine{cfg: cfg, store: store, sessions: sessions, kv: kv, keys: keys, geo: geo, log: log,
		now: time.Now, audit: make(chan *barong.Activity, 4096)}
	if cfg.TokenCache > 0 {
		e.tokens = newTokenCache(cfg.TokenCache)
	}
	e.snap.Store(&snapshot{})
	return e
}

// UsePrincipals makes the engine read sessions, nonces and principal
// snapshots through p, one Redis round trip per request in steady state.
// p must share the prefix of the session store and KV the engine was
// built with, and the store the rules write through must be p.Wrap'ed so
// that changes delete their snapshots. Call it before serving.
func (e *Engine) UsePrincipals(p *redisstore.Principals) { e.cache = p }

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
	switch apiKey := r.APIKey != nil || r.Nonce != nil || r.Signature != nil; {
	case apiKey && e.cache != nil:
		res, err = e.apiKeyCached(ctx, r)
	case apiKey:
		res, err = e.apiKeyMode(ctx, r)
	case e.cache != nil:
		res, err = e.cookieCached(ctx, r)
	default:
		res, err = e.cookieMode(ctx, r)
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

var stateChanging = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "TRACE": true}

// cookieMode is reference §7.2 on the session store and the database.
// sessionWithUser is implemented by the SQL session store: the session
// and its user in one statement.
type sessionWithUser interface {
	SessionWithUser(ctx context.Context, id string) (*barong.Session, *barong.User, error)
}

func (e *Engine) cookieMode(ctx context.Context, r Request) (*Result, error) {
	var sess *barong.Session
	var u *barong.User
	if r.SessionID != "" {
		// With SQL sessions, one statement reads both; a miss (no session,
		// or a session whose user is gone) takes the two reads below,
		// which tell the cases apart.
		if sw, ok := e.sessions.(sessionWithUser); ok {
			s, su, err := sw.SessionWithUser(ctx, r.SessionID)
			if err != nil && !errors.Is(err, barong.ErrNotFound) {
				return nil, fmt.Errorf("load session: %w", err)
			}
			sess, u = s, su
		}
		if sess == nil {
			s, err := e.sessions.Session(ctx, r.SessionID)
			if err != nil && !errors.Is(err, barong.ErrNotFound) {
				return nil, fmt.Errorf("load session: %w", err)
			}
			sess = s
		}
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
	if u == nil {
		var err error
		if u, err = e.store.UserByUID(ctx, sess.UID); err != nil {
			if errors.Is(err, barong.ErrNotFound) {
				_ = e.sessions.DeleteSession(ctx, r.SessionID)
				return nil, barong.Unauthorized("authz.invalid_session")
			}
			return nil, fmt.Errorf("load user: %w", err)
		}
	}
	now := e.now()
	if r.UserAgent != sess.UserAgent || now.Unix() >= sess.ExpireTime || !SameNetwork(sess.UserIP, r.IP) {
		_ = e.sessions.DeleteSession(ctx, r.SessionID)
		return nil, barong.Unauthorized("authz.client_session_mismatch")
	}
	// A session already slid to this second is not written again: the
	// write would store the same expiry (SQL sessions keep whole seconds).
	prev := sess.ExpireTime
	sess.ExpireTime = now.Add(e.cfg.SessionExpire).Unix()
	if sess.ExpireTime != prev {
		if err := e.sessions.TouchSession(ctx, sess, e.cfg.SessionExpire); err != nil && !errors.Is(err, barong.ErrNotFound) {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	if !u.CanSignIn() {
		return nil, barong.Unauthorized("authz.user_not_active")
	}
	return &Result{User: u, Session: sess}, nil
}

// apiKeyMode is reference §5.2 with replay protection, on the database
// and the KV store: each (kid, nonce) is accepted once within the nonce
// window.
func (e *Engine) apiKeyMode(ctx context.Context, r Request) (*Result, error) {
	if blank(r.APIKey) || blank(r.Nonce) || blank(r.Signature) {
		return nil, barong.Invalid("authz.invalid_api_key_headers")
	}
	key, err := e.store.APIKeyByKID(ctx, *r.APIKey)
	if err != nil {
		if errors.Is(err, barong.ErrNotFound) {
			return nil, barong.Unauthorized("authz.unexistent_apikey")
		}
		return nil, fmt.Errorf("load api key: %w", err)
	}
	if err := e.checkNonce(*r.Nonce); err != nil {
		return nil, err
	}
	if !ValidSignature(key.Secret, *r.Nonce, key.KID, *r.Signature) {
		return nil, barong.Unauthorized("authz.invalid_signature")
	}
	fresh, err := e.kv.SetNX(ctx, nonceKey(key.KID, *r.Nonce), "1", 2*e.cfg.NonceLifetime)
	if err != nil {
		return nil, fmt.Errorf("record nonce: %w", err)
	}
	if !fresh {
		return nil, barong.Unauthorized("authz.nonce_expired")
	}
	if key.State != "active" {
		return nil, barong.Unauthorized("authz.apikey_not_active")
	}
	if key.HolderType == barong.HolderServiceAccount {
		sa, err := e.store.ServiceAccountByID(ctx, key.HolderID)
		if err != nil {
			return nil, fmt.Errorf("load service account: %w", err)
		}
		if sa.State != barong.StateActive && sa.State != barong.StatePending {
			return nil, barong.Unauthorized("authz.invalid_session")
		}
		return &Result{ServiceAccount: sa}, nil
	}
	u, err := e.store.UserByID(ctx, key.HolderID)
	if err != nil {
		return nil, fmt.Errorf("load key holder: %w", err)
	}
	if !u.CanSignIn() {
		return nil, barong.Unauthorized("authz.invalid_session")
	}
	if !u.OTP {
		return nil, barong.Unauthorized("authz.disabled_2fa")
	}
	return &Result{User: u}, nil
}

func blank(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }

// checkNonce is steps 3 and 4 of reference §5.2: a positive timestamp in
// milliseconds within the nonce lifetime of now.
func (e *Engine) checkNonce(nonce string) error {
	n := leadingInt(nonce)
	if n <= 0 {
		return barong.Unauthorized("authz.nonce_not_valid_timestamp")
	}
	diff := e.now().UnixMilli() - n
	if diff < 0 {
		diff = -diff
	}
	if time.Duration(diff)*time.Millisecond >= e.cfg.NonceLifetime {
		return barong.Unauthorized("authz.nonce_expired")
	}
	return nil
}

// nonceKey is the KV key marking a (kid, nonce) pair used.
func nonceKey(kid, nonce string) string { return "nonce:" + kid + ":" + nonce }

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

// ValidSignature checks hex(HMAC-SHA256(secret, nonce+kid)) in constant time.
func ValidSignature(secret, nonce, kid, signature string) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nonce))
	m.Write([]byte(kid))
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(signature))
}

// Sign returns the X-Auth-Signature for a key (for clients and tests).
func Sign(secret, nonce, kid string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nonce + kid))
	return hex.EncodeToString(m.Sum(nil))
}
