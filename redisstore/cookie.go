package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// CookieQuery is one cookie request.
type CookieQuery struct {
	SessionID string
	UserAgent string
	// CheckCSRF makes the slide conditional on CSRF equal to the session's
	// token (a state-changing request under CSRF protection).
	CheckCSRF bool
	CSRF      string
	// Now and NewExpire are unix seconds: the session slides to NewExpire
	// when its stored expiry is after Now.
	Now, NewExpire int64
	// TTL is the idle lifetime the record and its index entry get.
	TTL time.Duration
}

// CookieResult is what Cookie read.
type CookieResult struct {
	// Session is nil when the id is unknown or expired. Its ExpireTime is
	// the stored one, from before any slide.
	Session *barong.Session
	// Slid reports that the record holds NewExpire already (slid by this
	// call or earlier within the second). When it is false and the caller
	// accepts the session, the caller slides it with SlideLater.
	Slid bool
	// User is the user snapshot (ID, UID, Username, Email, Role, Level,
	// OTP, State, ReferralID), nil when there is none.
	User *barong.User
	// Lease is non-zero when the caller should load the user and store it
	// with PutUser(ctx, Lease, u).
	Lease int64
}

// Cookie reads the session and its user's snapshot in one round trip.
// The first time a process sees a session it runs cookieScript, which
// also slides the session; afterwards, knowing the session's uid (which
// never changes), it sends two plain GETs, which cost Redis a tenth of a
// script run, and leaves the slide, when one is due, to SlideLater. A
// missing user snapshot sends it back to the script, which takes the
// lease.
func (p *Principals) Cookie(ctx context.Context, q CookieQuery) (CookieResult, error) {
	if q.SessionID == "" {
		return CookieResult{}, nil
	}
	if q.TTL < time.Millisecond {
		return CookieResult{}, fmt.Errorf("redisstore: cookie: session ttl %s is below 1ms", q.TTL)
	}
	h := hashID(q.SessionID)
	if e := p.known.get(h); e != nil {
		if res, done, err := p.cookieGets(ctx, q, h, e); done || err != nil {
			return res, err
		}
	}
	res, err := p.cookieRun(ctx, q, h)
	if err == nil && res.Session != nil {
		p.known.put(h, res.Session.UID, res.Slid, q.NewExpire)
	}
	return res, err
}

// cookieGets is the steady-state read; done is false when the script
// must run instead.
func (p *Principals) cookieGets(ctx context.Context, q CookieQuery, h string, e *knownSession) (CookieResult, bool, error) {
	var res CookieResult
	getS := redis.NewStringCmd(ctx, "get", p.sessionPrefix+h)
	getU := redis.NewStringCmd(ctx, "get", p.prefix+userSuffix+e.uid)
	if err := p.batch.do(ctx, &batchCall{cmds: []redis.Cmder{getS, getU}}); err != nil {
		return res, true, fmt.Errorf("redisstore: cookie: %w", err)
	}
	rec, err := getS.Result()
	if errors.Is(err, redis.Nil) {
		p.known.drop(h)
		return res, true, nil
	}
	if err != nil {
		return res, true, fmt.Errorf("redisstore: cookie: %w", err)
	}
	if res.Session, err = decodeRecord(q.SessionID, rec); err != nil {
		return res, true, fmt.Errorf("redisstore: cookie: %w", err)
	}
	u, err := getU.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return res, true, fmt.Errorf("redisstore: cookie: %w", err)
	}
	if err != nil || strings.HasPrefix(u, "#") || res.Session.UID != e.uid {
		return res, false, nil
	}
	if res.User, err = decodeUser(u); err != nil {
		return res, true, fmt.Errorf("redisstore: cookie: %w", err)
	}
	res.Slid = res.Session.ExpireTime == q.NewExpire || e.slidTo.Load() == q.NewExpire
	return res, true, nil
}

// cookieRun runs cookieScript.
func (p *Principals) cookieRun(ctx context.Context, q CookieQuery, h string) (CookieResult, error) {
	var res CookieResult
	csrf := ""
	if q.CheckCSRF {
		csrf = "=" + q.CSRF
	}
	keys := []string{p.sessionPrefix + h}
	args := []any{p.indexPrefix, p.prefix + userSuffix, h, q.Now, q.NewExpire, q.TTL.Milliseconds(), q.UserAgent, csrf, p.leaseKey}
	vals, err := p.batch.runScript(ctx, cookieScript, keys, args...).Slice()
	if err != nil {
		return res, fmt.Errorf("redisstore: cookie: %w", err)
	}
	if len(vals) != 4 {
		return res, fmt.Errorf("redisstore: cookie: script returned %d values", len(vals))
	}
	rec, ok := vals[0].(string)
	if !ok {
		return res, nil
	}
	if res.Session, err = decodeRecord(q.SessionID, rec); err != nil {
		return res, fmt.Errorf("redisstore: cookie: %w", err)
	}
	if u, ok := vals[1].(string); ok {
		if res.User, err = decodeUser(u); err != nil {
			return res, fmt.Errorf("redisstore: cookie: %w", err)
		}
	}
	res.Lease, _ = vals[2].(int64)
	res.Slid = vals[3] == int64(1)
	return res, nil
}

// SlideLater stores s (its slid ExpireTime) with a fresh ttl and
// refreshes its index entry, as TouchSession does, in the next pipeline
// to Redis, without waiting: the request that slides a session does not
// pay a round trip for it. A session revoked meanwhile is not recreated.
// Each process sends one write per session and second at most.
func (p *Principals) SlideLater(s *barong.Session, ttl time.Duration) {
	h := hashID(s.ID)
	if e := p.known.get(h); e != nil && e.slidTo.Swap(s.ExpireTime) == s.ExpireTime {
		return
	}
	data, err := encodeSession(s)
	if err != nil || checkSession(s, ttl) != nil {
		p.log.Warn("redis session slide skipped", "error", err)
		return
	}
	p.batch.later(touchScript, []string{p.sessionPrefix + h, p.indexPrefix + s.UID}, data, ttl.Milliseconds(), h)
}

// knownSessionsMax bounds the sessions a process remembers.
const knownSessionsMax = 1 << 16

// knownSession is what a process remembers of a session: its uid, which
// never changes, and the expiry it last slid it to.
type knownSession struct {
	uid    string
	slidTo atomic.Int64
}

// knownSessions maps session hashes to knownSession, bounded: when full,
// an arbitrary entry goes (the session's next request runs the script).
type knownSessions struct {
	mu sync.RWMutex
	m  map[string]*knownSession
}

func (k *knownSessions) get(h string) *knownSession {
	k.mu.RLock()
	e := k.m[h]
	k.mu.RUnlock()
	return e
}

func (k *knownSessions) put(h, uid string, slid bool, exp int64) {
	e := &knownSession{uid: uid}
	if slid {
		e.slidTo.Store(exp)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]*knownSession{}
	}
	if _, ok := k.m[h]; !ok && len(k.m) >= knownSessionsMax {
		for old := range k.m {
			delete(k.m, old)
			break
		}
	}
	k.m[h] = e
}

func (k *knownSessions) drop(h string) {
	k.mu.Lock()
	delete(k.m, h)
	k.mu.Unlock()
}
