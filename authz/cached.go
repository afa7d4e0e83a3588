package authz

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/redisstore"
)

// cookieCached is cookieMode on the principal cache: the session is read
// and slid and the user snapshot read in one round trip; the database is
// asked only when the snapshot is missing or the caller wants the row.
// Checks, keys and their order are cookieMode's.
func (e *Engine) cookieCached(ctx context.Context, r Request) (*Result, error) {
	csrf := e.cfg.CSRFProtection && stateChanging[strings.ToUpper(r.Method)]
	if csrf && !r.HasCSRF {
		// The answer whatever the session (cookieMode reads it first).
		return nil, barong.Unauthorized("authz.missing_csrf_token")
	}
	now := e.now()
	newExp := now.Add(e.cfg.SessionExpire).Unix()
	look, err := e.cache.Cookie(ctx, redisstore.CookieQuery{SessionID: r.SessionID, UserAgent: r.UserAgent,
		CheckCSRF: csrf, CSRF: r.CSRF, Now: now.Unix(), NewExpire: newExp, TTL: e.cfg.SessionExpire})
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	sess := look.Session
	if csrf && (sess == nil || !hmac.Equal([]byte(r.CSRF), []byte(sess.CSRFToken))) {
		return nil, barong.Unauthorized("authz.csrf_token_mismatch")
	}
	if sess == nil || sess.UID == "" {
		return nil, barong.Unauthorized("authz.invalid_session")
	}
	u := look.User
	if u == nil || !r.TokenOnly || u.UID != sess.UID {
		if u, err = e.store.UserByUID(ctx, sess.UID); err != nil {
			if errors.Is(err, barong.ErrNotFound) {
				_ = e.sessions.DeleteSession(ctx, r.SessionID)
				return nil, barong.Unauthorized("authz.invalid_session")
			}
			return nil, fmt.Errorf("load user: %w", err)
		}
		if err := e.cache.PutUser(ctx, look.Lease, u); err != nil {
			e.log.WarnContext(ctx, "store user snapshot", slog.Any("error", err))
		}
	}
	if r.UserAgent != sess.UserAgent || now.Unix() >= sess.ExpireTime || !SameNetwork(sess.UserIP, r.IP) {
		_ = e.sessions.DeleteSession(ctx, r.SessionID)
		return nil, barong.Unauthorized("authz.client_session_mismatch")
	}
	sess.ExpireTime = newExp
	if !look.Slid {
		// Written with the next pipeline to Redis: the answer does not
		// wait for it (and nothing is written for a refused session).
		e.cache.SlideLater(sess, e.cfg.SessionExpire)
	}
	if !u.CanSignIn() {
		return nil, barong.Unauthorized("authz.user_not_active")
	}
	return &Result{User: u, Session: sess}, nil
}

// apiKeyCached is apiKeyMode on the principal cache. The secret of a key
// is kept in process memory (it never changes), so the nonce and the
// signature are checked before the round trip that records the nonce and
// reads the key's and holder's snapshots. A process that does not know the
// secret yet, or a request that fails those checks, reads the snapshots
// without recording the nonce and records it afterwards, as apiKeyMode
// does: a request with a bad signature never uses up a nonce. Checks, keys
// and their order are apiKeyMode's.
func (e *Engine) apiKeyCached(ctx context.Context, r Request) (*Result, error) {
	if blank(r.APIKey) || blank(r.Nonce) || blank(r.Signature) {
		return nil, barong.Invalid("authz.invalid_api_key_headers")
	}
	kid, nonce, sig := *r.APIKey, *r.Nonce, *r.Signature
	if strings.ContainsRune(kid, '\n') { // not a kid; cannot name a snapshot
		return e.apiKeyMode(ctx, r)
	}
	nonceErr := e.checkNonce(nonce)
	known, haveSecret := e.secrets.get(kid)
	pre := haveSecret && nonceErr == nil && ValidSignature(known.secret, nonce, kid, sig)
	q := redisstore.KeyQuery{KID: kid, NonceKey: nonceKey(kid, nonce), Consume: pre, NonceTTL: 2 * e.cfg.NonceLifetime}
	if haveSecret {
		q.HolderType, q.HolderUID = known.holderType, known.holderUID
	}
	look, err := e.cache.APIKey(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load api key: %w", err)
	}
	key := look.Key
	secretOK := pre
	if key == nil || !haveSecret || known.id != key.ID {
		k, err := e.store.APIKeyByKID(ctx, kid)
		if err != nil {
			if errors.Is(err, barong.ErrNotFound) {
				return nil, barong.Unauthorized("authz.unexistent_apikey")
			}
			return nil, fmt.Errorf("load api key: %w", err)
		}
		e.secrets.put(k)
		key = &redisstore.KeySnapshot{ID: k.ID, KID: k.KID, State: k.State, HolderType: k.HolderType, HolderID: k.HolderID}
		secretOK = pre && known.id == k.ID && known.secret == k.Secret
		known = keySecret{id: k.ID, secret: k.Secret}
	} else if known.holderUID == "" {
		e.secrets.setHolder(kid, key)
	}
	if nonceErr != nil {
		return nil, nonceErr
	}
	if !secretOK && !ValidSignature(known.secret, nonce, kid, sig) {
		return nil, barong.Unauthorized("authz.invalid_signature")
	}
	fresh := look.Fresh
	if !pre {
		if fresh, err = e.kv.SetNX(ctx, nonceKey(kid, nonce), "1", 2*e.cfg.NonceLifetime); err != nil {
			return nil, fmt.Errorf("record nonce: %w", err)
		}
	}
	if !fresh {
		return nil, barong.Unauthorized("authz.nonce_expired")
	}
	if key.State != "active" {
		if look.KeyLease != 0 {
			_, _, _ = e.holder(ctx, key, look, r.TokenOnly)
		}
		return nil, barong.Unauthorized("authz.apikey_not_active")
	}
	u, sa, err := e.holder(ctx, key, look, r.TokenOnly)
	if err != nil {
		return nil, err
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

// holder returns the key's holder: its snapshot when the key's snapshot
// was read with it (and the caller takes snapshots), else the database
// row, stored as snapshot under the lease the script took. It then stores
// the key's snapshot when the script leased it.
func (e *Engine) holder(ctx context.Context, key *redisstore.KeySnapshot, look redisstore.KeyResult, tokenOnly bool) (*barong.User, *barong.ServiceAccount, error) {
	var u *barong.User
	var sa *barong.ServiceAccount
	if key.HolderType == barong.HolderServiceAccount {
		if sa = look.ServiceAccount; sa == nil || !tokenOnly || sa.ID != key.HolderID {
			var err error
			if sa, err = e.store.ServiceAccountByID(ctx, key.HolderID); err != nil {
				return nil, nil, fmt.Errorf("load service account: %w", err)
			}
			e.keep(ctx, "service account", e.cache.PutServiceAccount(ctx, look.HolderLease, sa))
		}
		key.HolderUID = sa.UID
	} else {
		if u = look.User; u == nil || !tokenOnly || u.ID != key.HolderID {
			var err error
			if u, err = e.store.UserByID(ctx, key.HolderID); err != nil {
				return nil, nil, fmt.Errorf("load key holder: %w", err)
			}
			e.keep(ctx, "user", e.cache.PutUser(ctx, look.HolderLease, u))
		}
		key.HolderUID = u.UID
	}
	if look.KeyLease != 0 {
		e.keep(ctx, "api key", e.cache.PutAPIKey(ctx, look.KeyLease, key))
	}
	e.secrets.setHolder(key.KID, key)
	return u, sa, nil
}

// keep logs a failure to store a snapshot (the next request loads again).
func (e *Engine) keep(ctx context.Context, kind string, err error) {
	if err != nil {
		e.log.WarnContext(ctx, "store "+kind+" snapshot", slog.Any("error", err))
	}
}
