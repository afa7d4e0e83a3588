package authz

import (
	"fmt"
	"sync"
	"time"

	"github.com/barong-go/barong/token"
)

// DefaultTokenCache is the token reuse window of BARONG_AUTHZ_TOKEN_CACHE_SECONDS'
// default. Signing an RS256 token costs about 1.5 ms of CPU, which caps
// authz at a few hundred requests per second per core when every request
// mints one. Reused for 10 s, a principal that calls at least once per 10 s
// costs one signature per 10 s per process; the token it gets is at most
// 10 s older than a fresh one (0.3% of the default 3600 s lifetime) and
// repeats its jti within the window, which Peatio and Barong's own API do
// not track. Any change of a claim (state, role, level, e-mail, ...) gives
// another cache key, so it is in the next token at once.
const DefaultTokenCache = 10 * time.Second

// tokenCacheSize bounds the principals of one generation (two generations
// are kept): about 1 KB each, so at most ~16 MB.
const tokenCacheSize = 8192

// tokenKey is every claim of a token except iat, exp and jti. Username ""
// and ReferralID 0 stand for null, as issue writes them.
type tokenKey struct {
	uid, username, email, role, state string
	level                             int
	referral                          int64
	serviceAccount                    bool
}

type issued struct {
	tok, bearer string
	at          time.Time
}

// tokenCache keeps signed tokens by claims for a window. Entries live in
// two generations that rotate every window, so an entry is dropped at most
// two windows after it was signed and memory stays bounded without a
// sweeper.
type tokenCache struct {
	window time.Duration
	mu     sync.RWMutex
	cur    map[tokenKey]issued
	prev   map[tokenKey]issued
	since  time.Time
}

func newTokenCache(window time.Duration) *tokenCache {
	return &tokenCache{window: window, cur: map[tokenKey]issued{}, prev: map[tokenKey]issued{}}
}

// get returns a token signed for k less than a window before now.
func (c *tokenCache) get(k tokenKey, now time.Time) (issued, bool) {
	c.mu.RLock()
	t, ok := c.cur[k]
	if !ok {
		t, ok = c.prev[k]
	}
	c.mu.RUnlock()
	if !ok || now.Before(t.at) || now.Sub(t.at) >= c.window {
		return issued{}, false
	}
	return t, true
}

// put stores a token signed at now.
func (c *tokenCache) put(k tokenKey, t issued) {
	now := t.at
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.since) >= c.window || now.Before(c.since) {
		c.prev, c.cur, c.since = c.cur, make(map[tokenKey]issued, len(c.cur)), now
	}
	if len(c.cur) < tokenCacheSize {
		c.cur[k] = t
	}
}

// keyOf is the token cache key of the principal.
func keyOf(res *Result) tokenKey {
	if u := res.User; u != nil {
		return tokenKey{uid: u.UID, username: u.Username, email: u.Email, role: u.Role, state: u.State,
			level: u.Level, referral: u.ReferralID}
	}
	sa := res.ServiceAccount
	return tokenKey{uid: sa.UID, email: sa.Email, role: sa.Role, state: sa.State, level: sa.Level, serviceAccount: true}
}

// claims are the bearer claims of a key (username "" and referral 0 are
// null).
func (k tokenKey) claims() token.AccessClaims {
	c := token.AccessClaims{UID: k.uid, Email: k.email, Role: k.role, Level: k.level, State: k.state,
		ServiceAccount: k.serviceAccount}
	if k.serviceAccount {
		return c
	}
	if k.username != "" {
		name := k.username
		c.Username = &name
	}
	if k.referral != 0 {
		ref := k.referral
		c.ReferralID = &ref
	}
	return c
}

// issue returns the bearer JWT of the principal and its Authorization
// header value: a cached pair signed for the same claims within the
// window, or a fresh one.
func (e *Engine) issue(res *Result) (issued, error) {
	key := keyOf(res)
	now := e.now()
	if e.tokens != nil {
		if t, ok := e.tokens.get(key, now); ok {
			return t, nil
		}
	}
	tok, err := e.keys.IssueAccess(key.claims(), now, e.cfg.JWTExpire)
	if err != nil {
		return issued{}, fmt.Errorf("issue token: %w", err)
	}
	t := issued{tok: tok, bearer: "Bearer " + tok, at: now}
	if e.tokens != nil {
		e.tokens.put(key, t)
	}
	return t, nil
}
