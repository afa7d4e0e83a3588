package sqlstore

import (
	"context"
	"time"

	"github.com/barong-go/barong"
)

// DefaultMaxAge is how long authz may use a record read through Principals
// when Principals gets no maxAge: the bound of a change made behind
// barong's back (an UPDATE by hand), which the feed cannot report.
const DefaultMaxAge = time.Minute

// Principals is where authz reads callers in a deployment without Redis
// (authz.Principals and authz.Changes): sessions, used nonces, users, API
// keys and key holders from db, and the feed of changes between the
// processes sharing the database (changes.go) that authz's process cache
// follows.
type Principals struct {
	db     *DB
	maxAge time.Duration
}

// Principals returns db's principals; authz may keep what it reads for
// maxAge (DefaultMaxAge when zero or negative) without news of it.
func (db *DB) Principals(maxAge time.Duration) *Principals {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Principals{db: db, maxAge: maxAge}
}

// Wrap returns store, the store the rules write through, whose changes
// reach the other processes through the database (its own feed, which it
// uses unless told otherwise).
func (p *Principals) Wrap(store barong.Store) barong.Store { return store }

func (p *Principals) Session(ctx context.Context, id string) (*barong.Session, error) {
	return p.db.Session(ctx, id)
}

// SlideSession writes the slide without reporting it: it only moves the
// expiry forward, which the processes that hold the session find out when
// theirs passes.
func (p *Principals) SlideSession(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	return p.db.touch(ctx, s, ttl)
}

func (p *Principals) DeleteSession(ctx context.Context, id string) error {
	return p.db.DeleteSession(ctx, id)
}

func (p *Principals) User(ctx context.Context, uid string) (*barong.User, error) {
	return p.db.UserByUID(ctx, uid)
}

func (p *Principals) APIKey(ctx context.Context, kid string) (*barong.APIKey, error) {
	return p.db.APIKeyByKID(ctx, kid)
}

func (p *Principals) Holder(ctx context.Context, k *barong.APIKey) (*barong.User, *barong.ServiceAccount, error) {
	return barong.LoadHolder(ctx, p.db, k)
}

// UseNonce is the KV's SetNX (an INSERT that fails on a live key).
func (p *Principals) UseNonce(ctx context.Context, kid, nonce string, _ int64, ttl time.Duration) (bool, error) {
	return p.db.SetNX(ctx, barong.NonceKey(kid, nonce), "1", ttl)
}

// Watch calls fn with every change made by any process on the database.
func (p *Principals) Watch(fn func(barong.Change)) (stop func()) { return p.db.changes.watch(fn) }

// Live reports whether the change feed polled recently.
func (p *Principals) Live() bool { return p.db.changes.live() }

// MaxAge is the maxAge p was made with.
func (p *Principals) MaxAge() time.Duration { return p.maxAge }
