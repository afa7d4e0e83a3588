package redisstore

import (
	"context"
	"errors"
	"time"

	barong "github.com/barong-go/barong"
)

// DefaultMaxAge is how long authz may use a record read through Principals
// when Principals gets no maxAge. Every change made through barong reaches
// every process at once (changes.go); the bound only limits how long a
// change made behind its back (an UPDATE by hand) goes unseen. It costs a
// read per active session or key per process and period.
const DefaultMaxAge = time.Minute

// errUnbound is the error of a row read before Wrap.
var errUnbound = errors.New("redisstore: Principals reads rows before Wrap bound it to the database")

// Principals is where authz reads callers in a deployment with Redis
// (authz.Principals and authz.Changes): sessions (those of
// Sessions(prefix)) and used nonces (KV(prefix)) in Redis, users, API keys
// and key holders from the database that Wrap binds, and the feed of
// changes between processes that authz's process cache follows.
type Principals struct {
	sessions *sessionStore
	hub      *hub
	maxAge   time.Duration
	db       callerRows
}

// callerRows are the rows Principals reads from the database.
type callerRows interface {
	UserByUID(ctx context.Context, uid string) (*barong.User, error)
	APIKeyByKID(ctx context.Context, kid string) (*barong.APIKey, error)
	barong.HolderQueries
}

// Principals returns the principals under prefix (DefaultPrefix when
// empty); authz may keep what it reads for maxAge (DefaultMaxAge when zero
// or negative) without news of it.
func (c *Client) Principals(prefix string, maxAge time.Duration) *Principals {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Principals{sessions: c.sessions(prefix), hub: c.hub(prefix), maxAge: maxAge}
}

// Wrap binds p to store, the database it reads users, API keys and key
// holders from, routes the changes store commits to the Redis feed of
// every process (barong.Store.ReportChangesTo), and returns store. Call it
// before p serves.
func (p *Principals) Wrap(store barong.Store) barong.Store {
	p.db = store
	store.ReportChangesTo(p.hub.notify)
	return store
}

func (p *Principals) Session(ctx context.Context, id string) (*barong.Session, error) {
	return p.sessions.Session(ctx, id)
}

// SlideSession writes the slide without reporting it: it only moves the
// expiry forward, which the processes that hold the session find out when
// theirs passes.
func (p *Principals) SlideSession(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	return p.sessions.touch(ctx, s, ttl)
}

func (p *Principals) DeleteSession(ctx context.Context, id string) error {
	return p.sessions.DeleteSession(ctx, id)
}

func (p *Principals) User(ctx context.Context, uid string) (*barong.User, error) {
	if p.db == nil {
		return nil, errUnbound
	}
	return p.db.UserByUID(ctx, uid)
}

func (p *Principals) APIKey(ctx context.Context, kid string) (*barong.APIKey, error) {
	if p.db == nil {
		return nil, errUnbound
	}
	return p.db.APIKeyByKID(ctx, kid)
}

func (p *Principals) Holder(ctx context.Context, k *barong.APIKey) (*barong.User, *barong.ServiceAccount, error) {
	if p.db == nil {
		return nil, nil, errUnbound
	}
	return barong.LoadHolder(ctx, p.db, k)
}

// UseNonce is checked in this process's memory while this process owns
// the key's nonces, in Redis (one SET NX PX, sent through go-redis'
// autopipeliner with those of the concurrent requests) while the key is
// shared (nonces.go).
func (p *Principals) UseNonce(ctx context.Context, kid, nonce string, ms int64, ttl time.Duration) (bool, error) {
	return p.hub.nonces.use(ctx, kid, nonce, ms, ttl)
}

// Watch calls fn with every change made by any process of the prefix.
func (p *Principals) Watch(fn func(barong.Change)) (stop func()) { return p.hub.watch(fn) }

// Live reports whether the change feed is known to be connected.
func (p *Principals) Live() bool { return p.hub.live() }

// MaxAge is the maxAge p was made with.
func (p *Principals) MaxAge() time.Duration { return p.maxAge }
