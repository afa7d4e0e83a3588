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

// Used API-key nonces, accepted once across processes without a round trip
// per request.
//
// Each API key (kid) has an owner record in Redis, <prefix>nonceowner:<kid>:
//
//	absent          nobody checks the key's nonces: the first process to
//	                use it takes it
//	o:<process>     the process (a hub's origin) checks them in its memory,
//	                as long as it is alive: its liveness key
//	                <prefix>alive:<process> exists (its heartbeat renews it
//	                while its change feed is live, for aliveTTL)
//	s:<below>       the key is shared: every process checks them in Redis
//	                (SET NX of <prefix>kv:nonce:<kid>:<nonce>, as before
//	                ownership) and refuses nonces whose milliseconds are
//	                below <below>
//
// A key used through one process (one process, or a gateway that routes by
// X-Auth-Apikey) costs one script per ownerRecordTTL; a key used through
// several is shared and costs the SET NX per request, pipelined. A process
// that finds a key owned by another live process asks the owner, on the
// owner's channel <prefix>changes:ack:<owner>, to give it up; the owner
// writes the nonces it accepted into Redis, marks the key shared ("s:0")
// and the asking request, which polls meanwhile, goes on (a few ms). A key
// stays shared for sharedTTL + ttl + margin from the moment it became so,
// whoever uses it: in its last ttl + margin, the first live process that
// uses it takes it (a gateway that moved a key from one process to
// another, or a round-robin blip, does not leave it shared for good), and
// checks its nonces in Redis too until those of the shared period expired
// (the warm-up); a key still used through several processes is handed
// over again, once per shared period.
//
// The lifetimes are chosen so that nothing accepted is forgotten while its
// nonce can still pass the window (ttl, twice the window, is how long a
// nonce must be remembered):
//   - an owner checks locally only for ownerRecordTTL after it last wrote
//     its record, which Redis keeps ttl + margin longer, and while its
//     liveness key lives (it stops at aliveUntil, measured from before the
//     write, so before Redis drops the key);
//   - a process relies on "shared" without asking Redis only until ttl +
//     margin before the record's end, so that a process that takes the key
//     in that last part, or after it, finds every nonce of the shared
//     period in Redis during its warm-up;
//   - an owner that dies (or loses Redis) without giving its keys up leaves
//     "o:<process>" without a liveness key: the next process to use the key
//     marks it shared with below = now + ttl/2 + margin, refusing every
//     nonce the dead process might have accepted (as long as the clocks of
//     the processes agree within margin). Legitimate requests of that key
//     are refused for ttl/2 + margin (6 s by default) from that use, which
//     comes at the earliest when the owner's liveness lapsed (aliveTTL):
//     the price of a crash, not of a restart (Close gives every key up).
//     An owner whose liveness lapsed while it lived (a pause, its feed
//     down) claims its keys again when its heartbeat writes the key anew.
//
// A Redis that loses its keys (a restart without persistence) loses the
// used nonces whichever way they were kept; an owner then keeps checking in
// its memory for at most aliveTTL while another may take the key.
const (
	ownerRecordTTL = time.Minute
	sharedTTL      = 30 * time.Second
	aliveTTL       = 3 * time.Second
	nonceMargin    = time.Second
	// handoffWait bounds how long a request waits for an owner to give a
	// key up: past it the owner's liveness has lapsed anyway.
	handoffWait = aliveTTL + time.Second
	releaseTag  = "release:"
)

// Modes of a key in this process.
const (
	kidUnknown uint8 = iota // ask Redis (the claim script)
	kidOwned                // check here, until kidNonces.until
	kidShared               // SET NX in Redis, until kidNonces.until
)

// monoBase anchors mono.
var monoBase = time.Now()

// mono is the monotonic clock in ns since the process started.
func mono() int64 { return int64(time.Since(monoBase)) }

// claimScript takes, renews or reads the owner record of a kid, and in a
// shared key records the nonce. KEYS: owner record, nonce record, this
// process's liveness key. ARGV: this process, owner record ms, nonce ttl
// ms, nonce ms, now ms (the caller's clock, as the nonce window's),
// shared ms, refusal ms (ttl/2 + margin), liveness key prefix.
// final ms (ttl + margin). Replies {1, alive ms}: owned by the caller,
// whose liveness key lives for alive ms more; {2, owner}: owned by another
// live process; {3, fresh, below, left ms}: shared, for left ms more; {4}:
// owned by the caller, who is not alive (give it up first); {5, fresh,
// below, alive ms}: the shared period ends, the key is the caller's now,
// with the nonce recorded in Redis (a warm-up begins).
var claimScript = newScript(`
local me = 'o:' .. ARGV[1]
local v = redis.call('GET', KEYS[1])
if v == me or not v then
  local alive = redis.call('PTTL', KEYS[3])
  if alive > 0 then
    redis.call('SET', KEYS[1], me, 'PX', ARGV[2])
    return {1, alive}
  end
  if v then return {4} end
end
local now = tonumber(ARGV[5])
local below = 0
if v and string.sub(v, 1, 2) == 'o:' then
  local owner = string.sub(v, 3)
  if redis.call('EXISTS', ARGV[8] .. owner) == 1 then return {2, owner} end
  below = now + tonumber(ARGV[7])
elseif v then
  below = tonumber(string.sub(v, 3)) or 0
  local left = redis.call('PTTL', KEYS[1])
  local fresh = 0
  if tonumber(ARGV[4]) >= below and redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then fresh = 1 end
  if left >= 0 and left <= tonumber(ARGV[9]) then
    local alive = redis.call('PTTL', KEYS[3])
    if alive > 0 then
      redis.call('SET', KEYS[1], me, 'PX', ARGV[2])
      return {5, fresh, below, alive}
    end
  end
  if left < 0 then left = tonumber(ARGV[6]) end
  return {3, fresh, below, left}
end
local keep = tonumber(ARGV[6])
if below > now then keep = keep + below - now end
redis.call('SET', KEYS[1], 's:' .. below, 'PX', keep)
local fresh = 0
if tonumber(ARGV[4]) >= below and redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then fresh = 1 end
return {3, fresh, below, keep}
`)

// releaseScript marks the key shared if the caller owns it. KEYS: owner
// record. ARGV: this process, shared ms.
var releaseScript = newScript(`
if redis.call('GET', KEYS[1]) == 'o:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 's:0', 'PX', ARGV[2])
  return 1
end
return 0
`)

// nonceOwner is the nonce ownership of one hub (prefix) in this process.
type nonceOwner struct {
	h          *hub
	ap         *redis.AutoPipeliner
	kvPrefix   string // <prefix>kv:
	ownerKey   string // <prefix>nonceowner:
	alivePre   string // <prefix>alive:
	aliveKey   string // <prefix>alive:<origin>
	aliveUntil atomic.Int64
	active     atomic.Bool // a nonce was checked: the heartbeat renews the liveness key
	// aliveGen moves when the liveness key is found lapsed: a key owned
	// before may have been taken over meanwhile, so it is claimed again.
	aliveGen atomic.Uint64

	mu   sync.RWMutex
	kids map[string]*kidNonces

	// shared is sharedTTL (tests shorten it).
	shared time.Duration

	// Counters, for tests and metrics.
	local, remote, handoffs, released atomic.Int64
}

// kidNonces is what this process knows of one key.
type kidNonces struct {
	mu    sync.Mutex
	epoch uint64 // moves when the key is given up, so a claim in flight starts over
	mode  uint8
	until int64 // mono ns: the mode holds until then
	below int64 // shared: nonces (ms) below are refused
	ttl   int64 // ns, of the latest use
	// warmUntil (mono ns): until then an owned key is checked in Redis
	// too, where the nonces of its shared period are. It only grows.
	warmUntil int64
	// gen is, while owned, nonceOwner.aliveGen from before the claim.
	gen uint64
	// lost: a claim failed, maybe after Redis ran it and gave the key to
	// this process at the end of a shared period (a reply lost to a
	// timeout or a cancelled request): the next reply that the key is
	// owned here starts a warm-up.
	lost bool
	// claiming is closed when the claim in flight has its answer.
	claiming chan struct{}
	used     map[string]int64
	fifo     []usedNonce
	head     int
}

type usedNonce struct {
	nonce   string
	expires int64 // mono ns
}

func newNonceOwner(h *hub, prefix string) *nonceOwner {
	return &nonceOwner{h: h, kvPrefix: prefix + "kv:", ownerKey: prefix + "nonceowner:",
		alivePre: prefix + "alive:", aliveKey: prefix + "alive:" + h.origin, kids: map[string]*kidNonces{}, shared: sharedTTL}
}

func (o *nonceOwner) kid(kid string) *kidNonces {
	o.mu.RLock()
	k := o.kids[kid]
	o.mu.RUnlock()
	if k != nil {
		return k
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if k = o.kids[kid]; k == nil {
		k = &kidNonces{}
		o.kids[strings.Clone(kid)] = k
	}
	return k
}

// use reports whether nonce (reading as ms milliseconds) of kid is fresh,
// and records it for ttl; false if it was used.
func (o *nonceOwner) use(ctx context.Context, kid, nonce string, ms int64, ttl time.Duration) (bool, error) {
	k := o.kid(kid)
	for {
		now := mono()
		k.mu.Lock()
		k.ttl = int64(ttl)
		switch {
		case k.mode == kidOwned && now < k.until && now < o.aliveUntil.Load() && k.gen == o.aliveGen.Load():
			return o.checkOwned(ctx, k, kid, nonce, ms, now, ttl)
		case k.mode == kidShared && now < k.until:
			below := k.below
			k.mu.Unlock()
			o.remote.Add(1)
			if ms < below {
				return false, nil
			}
			return o.setNX(ctx, kid, nonce, ttl)
		}
		if wait := k.claiming; wait != nil { // one claim at a time: the others wait for its answer
			k.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return false, fmt.Errorf("redisstore: wait for the nonces of an API key: %w", ctx.Err())
			}
		}
		done := make(chan struct{})
		k.claiming = done
		k.mu.Unlock()
		fresh, err := o.claim(ctx, k, kid, nonce, ms, ttl)
		k.mu.Lock()
		k.claiming = nil
		k.mu.Unlock()
		close(done)
		return fresh, err
	}
}

// checkOwned checks the nonce of a key owned here: in memory, and during
// a warm-up in Redis too, where the nonces of the shared period are. Called
// with k.mu held, which it releases.
func (o *nonceOwner) checkOwned(ctx context.Context, k *kidNonces, kid, nonce string, ms, now int64, ttl time.Duration) (bool, error) {
	if now >= k.warmUntil {
		fresh := k.record(nonce, now, false)
		k.mu.Unlock()
		o.local.Add(1)
		return fresh, nil
	}
	// Recorded here, then in Redis outside the key's lock (a slow Redis
	// must not queue the key's requests and releases one round trip after
	// the other): marked as written by this request, so that a release
	// meanwhile does not write it first and make the SET NX refuse it.
	fresh := ms >= k.below && k.record(nonce, now, true)
	k.mu.Unlock()
	o.remote.Add(1)
	if !fresh {
		return false, nil
	}
	return o.setNX(ctx, kid, nonce, ttl)
}

// setNX records the nonce in Redis, pipelined with the concurrent ones.
// The wait ends with the reply or the client's timeouts, not with ctx.
func (o *nonceOwner) setNX(ctx context.Context, kid, nonce string, ttl time.Duration) (bool, error) {
	cmd := redis.NewBoolCmd(ctx, "set", o.nonceKey(kid, nonce), "1", "px", ttl.Milliseconds(), "nx")
	err := o.ap.Process(ctx, cmd)
	if err == nil {
		err = cmd.Err()
	}
	if errors.Is(err, redis.Nil) { // not set: the key exists
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("redisstore: record nonce: %w", err)
	}
	return cmd.Val(), nil
}

func (o *nonceOwner) nonceKey(kid, nonce string) string {
	return o.kvPrefix + barong.NonceKey(kid, nonce)
}

// claim asks Redis who checks kid's nonces, and checks this one there or
// here; when another live process owns the key, it asks that one to give
// it up and waits.
func (o *nonceOwner) claim(ctx context.Context, k *kidNonces, kid, nonce string, ms int64, ttl time.Duration) (bool, error) {
	if o.active.CompareAndSwap(false, true) {
		o.h.start()
		if o.h.live() {
			o.renewAlive(ctx)
		}
	}
	start := mono()
	var askedAt int64 = -1
	for wait := time.Millisecond; ; {
		k.mu.Lock()
		epoch := k.epoch
		k.mu.Unlock()
		gen := o.aliveGen.Load()
		send := mono()
		res, err := claimScript.Run(ctx, o.h.rdb,
			[]string{o.ownerKey + kid, o.nonceKey(kid, nonce), o.aliveKey},
			o.h.origin, (ownerRecordTTL + ttl + nonceMargin).Milliseconds(), ttl.Milliseconds(), ms, time.Now().UnixMilli(),
			(o.shared + ttl + nonceMargin).Milliseconds(), (ttl/2 + nonceMargin).Milliseconds(), o.alivePre,
			(ttl + nonceMargin).Milliseconds()).Slice()
		if err != nil {
			k.mu.Lock()
			k.lost = true
			k.mu.Unlock()
			return false, fmt.Errorf("redisstore: claim nonces of an API key: %w", err)
		}
		switch reply(res, 0) {
		case 1: // owned here
			alive := send + reply(res, 1)*int64(time.Millisecond)
			k.mu.Lock()
			now := mono()
			if k.lost { // it may have been taken from a shared period meanwhile
				k.warmUntil, k.lost = max(k.warmUntil, now+int64(ttl+nonceMargin)), false
			}
			if k.epoch != epoch || now >= alive { // given up, or a stall outlived the liveness
				k.mu.Unlock()
				continue
			}
			k.mode, k.until, k.gen = kidOwned, send+int64(ownerRecordTTL), gen
			o.noteAlive(alive)
			return o.checkOwned(ctx, k, kid, nonce, ms, now, ttl)
		case 3: // shared: without asking again until ttl + margin before the record's end
			o.remote.Add(1)
			k.mu.Lock()
			if until := send + reply(res, 3)*int64(time.Millisecond) - int64(ttl+nonceMargin); k.epoch == epoch && until > send {
				k.mode, k.until, k.below = kidShared, until, reply(res, 2)
			}
			k.mu.Unlock()
			return reply(res, 1) == 1, nil
		case 5: // the shared period ends: owned here, the nonce recorded in Redis
			o.remote.Add(1)
			fresh := reply(res, 1) == 1
			alive := send + reply(res, 3)*int64(time.Millisecond)
			k.mu.Lock()
			// From the reply, not from send: Redis ran the script in
			// between, maybe long after send, and the period's nonces may
			// pass the window until ttl after it. Whatever follows: stricter only.
			now := mono()
			k.warmUntil = max(k.warmUntil, now+int64(ttl+nonceMargin))
			if k.epoch == epoch && now < alive {
				k.mode, k.until, k.gen, k.below = kidOwned, send+int64(ownerRecordTTL), gen, reply(res, 2)
				o.noteAlive(alive)
				if fresh {
					k.record(nonce, now, true) // in Redis already: refused here after the warm-up
				}
			}
			k.mu.Unlock()
			return fresh, nil
		case 4: // owned here, but this process is not known alive: give it up
			if err := o.release(ctx, kid); err != nil {
				return false, err
			}
			continue
		case 2: // owned by another live process: ask it to give the key up
			owner, _ := res[1].(string)
			now := mono()
			if now-start > int64(handoffWait) {
				return false, fmt.Errorf("redisstore: the process that checks the nonces of an API key did not give it up within %v", handoffWait)
			}
			if askedAt < 0 || now-askedAt > int64(100*time.Millisecond) {
				if askedAt < 0 {
					o.handoffs.Add(1)
				}
				askedAt = now
				if err := o.h.rdb.Publish(ctx, o.h.ackPrefix+owner, releaseTag+kid).Err(); err != nil {
					return false, fmt.Errorf("redisstore: ask for the nonces of an API key: %w", err)
				}
			}
			select {
			case <-ctx.Done():
				return false, fmt.Errorf("redisstore: wait for the nonces of an API key: %w", ctx.Err())
			case <-time.After(wait):
			}
			wait = min(2*wait, 20*time.Millisecond)
		default:
			return false, fmt.Errorf("redisstore: claim nonces of an API key: unexpected reply %v", res)
		}
	}
}

// reply reads the integer at i of a script's reply (0 when absent).
func reply(res []any, i int) int64 {
	if i < len(res) {
		if n, ok := res[i].(int64); ok {
			return n
		}
	}
	return 0
}

// record marks nonce used until now + the key's ttl; false if it was.
// inRedis tells that the caller records it in Redis itself (a warm-up):
// the lowest bit of its expiry, so that a release does not write it.
// Called with k.mu held.
func (k *kidNonces) record(nonce string, now int64, inRedis bool) bool {
	k.prune(now)
	if exp, ok := k.used[nonce]; ok && exp > now {
		return false
	}
	if k.used == nil {
		k.used = map[string]int64{}
	}
	nonce = strings.Clone(nonce) // not the request's buffer
	exp := (now + k.ttl) &^ 1
	if inRedis {
		exp |= 1
	}
	k.used[nonce] = exp
	k.fifo = append(k.fifo, usedNonce{nonce, exp})
	return true
}

// prune forgets the nonces that expired; a key with none left keeps no
// map. Called with k.mu held.
func (k *kidNonces) prune(now int64) {
	for k.head < len(k.fifo) && k.fifo[k.head].expires <= now {
		if e := k.fifo[k.head]; k.used[e.nonce] == e.expires {
			delete(k.used, e.nonce)
		}
		k.fifo[k.head] = usedNonce{}
		k.head++
	}
	switch {
	case k.head == len(k.fifo):
		k.used, k.fifo, k.head = nil, nil, 0
	case k.head > 64 && k.head*2 > len(k.fifo):
		k.fifo = append(k.fifo[:0], k.fifo[k.head:]...)
		k.head = 0
	}
}

// sweep prunes every key, so that a key no longer used does not keep the
// nonces of its last burst; the heartbeat calls it every few seconds.
func (o *nonceOwner) sweep() {
	o.mu.RLock()
	ks := make([]*kidNonces, 0, len(o.kids))
	for _, k := range o.kids {
		ks = append(ks, k)
	}
	o.mu.RUnlock()
	for _, k := range ks {
		k.mu.Lock()
		k.prune(mono())
		k.mu.Unlock()
	}
}

// release gives kid up: the nonces accepted here go to Redis with what is
// left of their lifetimes, then the key is marked shared if this process
// owns it. Requests of the key in this process wait meanwhile.
func (o *nonceOwner) release(ctx context.Context, kid string) error {
	k := o.kid(kid)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.epoch++
	k.mode = kidUnknown
	now := mono()
	if len(k.used) > 0 {
		_, err := o.h.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for n, exp := range k.used {
				if left := time.Duration(exp - now); left >= time.Millisecond && exp&1 == 0 {
					p.SetNX(ctx, o.nonceKey(kid, n), "1", left)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("redisstore: hand the nonces of an API key over: %w", err)
		}
	}
	if err := releaseScript.Run(ctx, o.h.rdb, []string{o.ownerKey + kid}, o.h.origin,
		(o.shared + time.Duration(k.ttl) + nonceMargin).Milliseconds()).Err(); err != nil {
		// The key may still be owned here: keep what it accepted.
		return fmt.Errorf("redisstore: give up the nonces of an API key: %w", err)
	}
	k.used, k.fifo, k.head = nil, nil, 0
	o.released.Add(1)
	return nil
}

// requested handles another process's request to give kid up (from the
// hub's subscription, which must not block).
func (o *nonceOwner) requested(kid string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
		defer cancel()
		if err := o.release(ctx, kid); err != nil {
			o.h.log.Warn("redis nonces: give up an API key", "err", err)
		}
	}()
}

// noteAlive moves aliveUntil to until (mono ns) if that is later: a claim
// saw the liveness key live until then.
func (o *nonceOwner) noteAlive(until int64) {
	for {
		cur := o.aliveUntil.Load()
		if until <= cur || o.aliveUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// renewAlive writes this process's liveness key; the hub's heartbeat calls
// it while the feed is live. A key that lapsed is written again only after
// aliveGen moved: the keys owned before may have been taken over.
func (o *nonceOwner) renewAlive(ctx context.Context) {
	send := mono()
	renewed, err := o.h.rdb.SetXX(ctx, o.aliveKey, "1", aliveTTL).Result()
	if err == nil && !renewed {
		o.aliveGen.Add(1)
		err = o.h.rdb.Set(ctx, o.aliveKey, "1", aliveTTL).Err()
	}
	if err == nil {
		o.aliveUntil.Store(send + int64(aliveTTL))
	}
}

// close gives up every key this process owns or holds nonces of, then
// drops the liveness key.
func (o *nonceOwner) close(ctx context.Context) {
	// The table first, then each key's lock without the table's: a key
	// whose lock a release holds across its round trips must not hold up
	// the requests of other keys, new ones included.
	o.mu.RLock()
	all := make(map[string]*kidNonces, len(o.kids))
	for kid, k := range o.kids {
		all[kid] = k
	}
	o.mu.RUnlock()
	var kids []string
	for kid, k := range all {
		k.mu.Lock()
		if k.mode == kidOwned || len(k.used) > 0 {
			kids = append(kids, kid)
		}
		k.mu.Unlock()
	}
	// At once: one after the other, the round trips of many keys would
	// outlast ctx, and the keys left would be refused for a window elsewhere.
	var wg sync.WaitGroup
	for _, kid := range kids {
		wg.Go(func() {
			if err := o.release(ctx, kid); err != nil {
				o.h.log.Warn("redis nonces: give up an API key at close", "err", err)
			}
		})
	}
	wg.Wait()
	o.aliveUntil.Store(0)
	if o.active.Load() {
		_ = o.h.rdb.Del(ctx, o.aliveKey).Err()
	}
}

// NonceStats counts the API-key nonces this process checked under a
// prefix, since it started.
type NonceStats struct {
	// Memory and Redis are the nonces checked in this process's memory
	// (keys it owns) and in Redis (shared keys).
	Memory, Redis int64
	// Handoffs are the keys this process asked another process for,
	// GivenUp the times it gave a key up (asked, or at Close).
	Handoffs, GivenUp int64
}

// NonceStats returns the counts of the prefix (DefaultPrefix when empty).
func (c *Client) NonceStats(prefix string) NonceStats {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	o := c.hub(prefix).nonces
	return NonceStats{Memory: o.local.Load(), Redis: o.remote.Load(), Handoffs: o.handoffs.Load(), GivenUp: o.released.Load()}
}
