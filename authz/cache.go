package authz

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	barong "github.com/barong-go/barong"
)

// cacheSize bounds each table of the cache (sessions, users, service
// accounts, API keys); when one is full an arbitrary entry makes room.
const cacheSize = 1 << 16

// slideTimeout bounds one session slide written behind a request.
const slideTimeout = 5 * time.Second

// cache is Principals in process memory in front of src: what a request
// read is kept, so that the next request of the same session or key reads
// nothing from the network (except the nonce an API key uses up). It drops
// what the feed reports changed, by any process, and everything while the
// feed is not live; an entry is read again after the feed's MaxAge, and a
// session whose idle expiry has passed here is read again (another process
// may have slid it). Slides are written behind the requests (slideWriter).
//
// A load that overlaps a change is not kept (epoch): it may have read the
// record before the change committed.
type cache struct {
	src     Principals
	changes Changes
	maxAge  time.Duration
	slides  slideWriter
	// epoch counts the changes applied, under mu.
	epoch atomic.Uint64
	// live is whether the feed was live at the last look; the look that
	// finds it not live any more drops everything.
	live atomic.Bool

	mu       sync.RWMutex
	sessions map[string]entry[*barong.Session]        // by barong.SessionHash
	users    map[string]entry[*barong.User]           // by uid: claims
	sas      map[string]entry[*barong.ServiceAccount] // by uid
	keys     map[string]entry[*barong.APIKey]         // by kid
	holders  map[holderRef]string                     // a key holder's uid, which never changes
}

type entry[T any] struct {
	v  T
	at time.Time // loaded
}

type holderRef struct {
	typ string
	id  int64
}

func newCache(src Principals, changes Changes, log *slog.Logger) *cache {
	c := &cache{src: src, changes: changes, maxAge: changes.MaxAge(), slides: slideWriter{src: src, log: log},
		sessions: map[string]entry[*barong.Session]{}, users: map[string]entry[*barong.User]{},
		sas: map[string]entry[*barong.ServiceAccount]{}, keys: map[string]entry[*barong.APIKey]{},
		holders: map[holderRef]string{}}
	changes.Watch(c.apply) // for the life of the process, as the engine
	return c
}

// get returns the entry of k in m when it is young enough and the feed is
// live.
func get[T any](c *cache, m map[string]entry[T], k string) (T, bool) {
	c.mu.RLock()
	e, ok := m[k]
	c.mu.RUnlock()
	if !ok || time.Since(e.at) >= c.maxAge || !c.trusted() {
		var zero T
		return zero, false
	}
	return e.v, true
}

// put keeps v under k unless a change was applied since epoch was read
// or the feed is not live.
func put[T any](c *cache, m map[string]entry[T], k string, v T, epoch uint64) {
	if !c.changes.Live() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch.Load() != epoch {
		return
	}
	if _, ok := m[k]; !ok && len(m) >= cacheSize {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = entry[T]{v: v, at: time.Now()}
}

// trusted reports whether the feed is live; the first look that finds it
// not live drops everything.
func (c *cache) trusted() bool {
	if c.changes.Live() {
		c.live.Store(true)
		return true
	}
	if c.live.Swap(false) {
		c.apply(barong.Change{Kind: barong.ChangedAll})
	}
	return false
}

// apply drops what ch names.
func (c *cache) apply(ch barong.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	switch ch.Kind {
	case barong.ChangedUser:
		drop(c.users, ch.Key)
	case barong.ChangedServiceAccount:
		drop(c.sas, ch.Key)
	case barong.ChangedAPIKey:
		drop(c.keys, ch.Key)
	case barong.ChangedSession:
		drop(c.sessions, ch.Key)
	case barong.ChangedUserSessions:
		for h, e := range c.sessions {
			if e.v.UID == ch.Key && h != ch.Except {
				delete(c.sessions, h)
			}
		}
	default:
		clear(c.sessions)
		clear(c.users)
		clear(c.sas)
		clear(c.keys)
	}
}

// drop deletes k from m, or everything for "".
func drop[T any](m map[string]entry[T], k string) {
	if k == "" {
		clear(m)
		return
	}
	delete(m, k)
}

func (c *cache) Session(ctx context.Context, id string) (*barong.Session, error) {
	h := barong.SessionHash(id)
	if s, ok := get(c, c.sessions, h); ok && time.Now().Unix() < s.ExpireTime {
		return s, nil
	}
	epoch := c.epoch.Load()
	s, err := c.src.Session(ctx, id)
	if err == nil {
		put(c, c.sessions, h, s, epoch)
	}
	return s, err
}

// SlideSession moves the cached session's expiry forward and has the slide
// written behind.
func (c *cache) SlideSession(_ context.Context, s *barong.Session, ttl time.Duration) error {
	h := barong.SessionHash(s.ID)
	c.mu.Lock()
	if e, ok := c.sessions[h]; ok && e.v.ExpireTime < s.ExpireTime {
		e.v = s
		c.sessions[h] = e
	}
	c.mu.Unlock()
	c.slides.add(h, s, ttl)
	return nil
}

func (c *cache) DeleteSession(ctx context.Context, id string) error {
	c.apply(barong.Change{Kind: barong.ChangedSession, Key: barong.SessionHash(id)})
	return c.src.DeleteSession(ctx, id)
}

func (c *cache) User(ctx context.Context, uid string) (*barong.User, error) {
	if u, ok := get(c, c.users, uid); ok {
		return u, nil
	}
	epoch := c.epoch.Load()
	u, err := c.src.User(ctx, uid)
	if err != nil {
		return nil, err
	}
	u = userClaims(u)
	put(c, c.users, uid, u, epoch)
	return u, nil
}

func (c *cache) APIKey(ctx context.Context, kid string) (*barong.APIKey, error) {
	if k, ok := get(c, c.keys, kid); ok {
		return k, nil
	}
	epoch := c.epoch.Load()
	k, err := c.src.APIKey(ctx, kid)
	if err == nil {
		put(c, c.keys, kid, k, epoch)
	}
	return k, err
}

func (c *cache) Holder(ctx context.Context, k *barong.APIKey) (*barong.User, *barong.ServiceAccount, error) {
	ref := holderRef{typ: k.HolderType, id: k.HolderID}
	c.mu.RLock()
	uid, known := c.holders[ref]
	c.mu.RUnlock()
	sa := k.HolderType == barong.HolderServiceAccount
	if known && sa {
		if s, ok := get(c, c.sas, uid); ok {
			return nil, s, nil
		}
	} else if known {
		if u, ok := get(c, c.users, uid); ok {
			return u, nil, nil
		}
	}
	epoch := c.epoch.Load()
	u, s, err := c.src.Holder(ctx, k)
	if err != nil {
		return nil, nil, err
	}
	if s != nil {
		s = saClaims(s)
		uid = s.UID
		put(c, c.sas, uid, s, epoch)
	} else {
		u = userClaims(u)
		uid = u.UID
		put(c, c.users, uid, u, epoch)
	}
	c.mu.Lock()
	if _, ok := c.holders[ref]; !ok && len(c.holders) >= cacheSize {
		clear(c.holders)
	}
	c.holders[ref] = uid
	c.mu.Unlock()
	return u, s, nil
}

func (c *cache) UseNonce(ctx context.Context, kid, nonce string, ms int64, ttl time.Duration) (bool, error) {
	return c.src.UseNonce(ctx, kid, nonce, ms, ttl)
}

// userClaims is what the cache keeps of a user: what the decision and the
// token need, no password digest, no data.
func userClaims(u *barong.User) *barong.User {
	return &barong.User{ID: u.ID, UID: u.UID, Username: u.Username, Email: u.Email, Role: u.Role, Level: u.Level,
		OTP: u.OTP, State: u.State, ReferralID: u.ReferralID}
}

// saClaims is what the cache keeps of a service account.
func saClaims(sa *barong.ServiceAccount) *barong.ServiceAccount {
	return &barong.ServiceAccount{ID: sa.ID, UID: sa.UID, OwnerID: sa.OwnerID, Email: sa.Email, Role: sa.Role,
		Level: sa.Level, State: sa.State}
}

// slideWriter writes session slides behind the requests, coalesced: a
// slide that finds no write in flight is written at once by the request
// that slides (one round trip, once per session and second), the slides
// due meanwhile are queued, the latest per session, and written together
// by a goroutine once that write returns. No goroutine outlives the queue.
type slideWriter struct {
	src Principals
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]slide // by session hash
	busy    bool
}

type slide struct {
	s   *barong.Session
	ttl time.Duration
}

func (w *slideWriter) add(h string, s *barong.Session, ttl time.Duration) {
	w.mu.Lock()
	if w.pending == nil {
		w.pending = map[string]slide{}
	}
	w.pending[h] = slide{s: s, ttl: ttl}
	if w.busy {
		w.mu.Unlock()
		return
	}
	w.busy = true
	w.mu.Unlock()
	if w.flush() {
		go func() {
			for w.flush() {
			}
		}()
	}
}

// flush writes the queued slides; it reports whether more were queued
// meanwhile, in which case its caller flushes again, else it ends the
// write in flight.
func (w *slideWriter) flush() (more bool) {
	w.mu.Lock()
	batch := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, sl := range batch {
		ctx, cancel := context.WithTimeout(context.Background(), slideTimeout)
		err := w.src.SlideSession(ctx, sl.s, sl.ttl)
		cancel()
		if err != nil && !errors.Is(err, barong.ErrNotFound) {
			w.log.Warn("slide session", slog.Any("error", err))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) > 0 {
		return true
	}
	w.busy = false
	return false
}
