package authz

import (
	"context"
	"time"

	barong "github.com/barong-go/barong"
)

// Principals is what the decision reads and writes about callers
// (reference §7.2, §5.2). It is served by the stores (stores, below; SQL or
// Redis sessions, SQL rows), by sqlstore.Principals and
// redisstore.Principals, and by the process cache in front of either
// (cache.go). Callers must not modify what they get.
type Principals interface {
	// Session returns the session with this cookie value; barong.ErrNotFound
	// when it is unknown or its record expired. Its idle expiry
	// (ExpireTime) is the caller's to check.
	Session(ctx context.Context, id string) (*barong.Session, error)
	// SlideSession stores s.ExpireTime, the slid idle expiry, and keeps the
	// record for ttl; a session deleted meanwhile stays deleted
	// (barong.ErrNotFound).
	SlideSession(ctx context.Context, s *barong.Session, ttl time.Duration) error
	// DeleteSession revokes a session (binding mismatch, user gone).
	DeleteSession(ctx context.Context, id string) error
	// User returns the user with uid, at least what the decision and the
	// token need (ID, UID, Username, Email, Role, Level, OTP, State,
	// ReferralID); barong.ErrNotFound when there is none.
	User(ctx context.Context, uid string) (*barong.User, error)
	// APIKey returns the key with kid, its secret included;
	// barong.ErrNotFound when there is none.
	APIKey(ctx context.Context, kid string) (*barong.APIKey, error)
	// Holder returns the user or the service account that holds k, with
	// what User returns of a user (a service account: ID, UID, Email,
	// Role, Level, State).
	Holder(ctx context.Context, k *barong.APIKey) (*barong.User, *barong.ServiceAccount, error)
	// UseNonce records that key kid's nonce (the header's text, whose
	// leading digits read as ms milliseconds) was used, for ttl, unless it
	// was already, which it reports as false: atomic across processes. ttl
	// is twice the nonce window: a nonce within the window of the clock is
	// fresh for at most ttl.
	UseNonce(ctx context.Context, kid, nonce string, ms int64, ttl time.Duration) (bool, error)
}

// Changes is the feed of changes a source of Principals reports: every
// change committed by any process, delivered to this one within 1 s.
type Changes interface {
	// Watch calls fn with every change reported from now on, until stop.
	// fn runs on the feed's goroutine and must not block.
	Watch(fn func(barong.Change)) (stop func())
	// Live reports whether the feed has delivered every change committed
	// until a moment ago (under 1 s). While it is not, nothing cached may
	// be used.
	Live() bool
	// MaxAge bounds how long a record may be used without news of it: the
	// feed cannot report rows changed behind barong's back (SQL by hand).
	MaxAge() time.Duration
}

// CallerRows are the rows of callers the decision reads from the database
// (barong.Queries serves them): users by UID, API keys by kid, and their
// holders. Each returns barong.ErrNotFound for no such row.
type CallerRows interface {
	UserByUID(ctx context.Context, uid string) (*barong.User, error)
	APIKeyByKID(ctx context.Context, kid string) (*barong.APIKey, error)
	barong.HolderQueries
}

// stores serves Principals from the stores the engine was built with, one
// read or write per call: the reference behaviour.
type stores struct {
	db       CallerRows
	sessions barong.SessionStore
	kv       barong.KV
}

func (s stores) Session(ctx context.Context, id string) (*barong.Session, error) {
	return s.sessions.Session(ctx, id)
}

func (s stores) SlideSession(ctx context.Context, se *barong.Session, ttl time.Duration) error {
	return s.sessions.TouchSession(ctx, se, ttl)
}

func (s stores) DeleteSession(ctx context.Context, id string) error {
	return s.sessions.DeleteSession(ctx, id)
}

func (s stores) User(ctx context.Context, uid string) (*barong.User, error) {
	return s.db.UserByUID(ctx, uid)
}

func (s stores) APIKey(ctx context.Context, kid string) (*barong.APIKey, error) {
	return s.db.APIKeyByKID(ctx, kid)
}

func (s stores) Holder(ctx context.Context, k *barong.APIKey) (*barong.User, *barong.ServiceAccount, error) {
	return barong.LoadHolder(ctx, s.db, k)
}

func (s stores) UseNonce(ctx context.Context, kid, nonce string, _ int64, ttl time.Duration) (bool, error) {
	return s.kv.SetNX(ctx, barong.NonceKey(kid, nonce), "1", ttl)
}
