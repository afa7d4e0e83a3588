package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// DefaultSnapshotTTL is how long a principal snapshot lives when
// Principals gets no TTL. Every committed change deletes the snapshot at
// once; the TTL only bounds how long a change made behind barong's back
// (a hand-written SQL UPDATE, or an invalidation lost to a Redis outage)
// can go unseen. It costs one SQL query per active principal per TTL.
const DefaultSnapshotTTL = time.Minute

// Principals is the shared cache of authz's hot path: in one script run
// (one round trip) it reads a cookie session, slides its expiry and reads
// the user's snapshot, or records an API-key nonce and reads the key's and
// its holder's snapshots. Snapshots are written by the process that
// missed them (under a lease, so that a load racing with a change never
// stores stale data) and deleted after every committed change by the store
// that Wrap returns.
//
// Keys, besides the session keys of Sessions and the KV keys of KV:
//
//	<prefix>user:<uid>    user snapshot (JSON), TTL snapshot ttl
//	<prefix>sa:<uid>      service-account snapshot (JSON)
//	<prefix>apikey:<kid>  API-key snapshot: "<holder key suffix>\n<JSON>";
//	                      no secret, not even encrypted
//	<prefix>lease         counter of the leases
//
// A missing snapshot is replaced by a lease "#<n>" for 5 s (the time a
// loader may take between reading the database and storing the snapshot),
// which other readers treat as missing.
type Principals struct {
	rdb *redis.Client
	// sc runs the per-request scripts: the client, or its automatic
	// pipeliner.
	sc            redis.Scripter
	bt            *batcher
	log           *slog.Logger
	ttl           time.Duration
	prefix        string
	sessionPrefix string
	indexPrefix   string
	kvPrefix      string
	leaseKey      string
}

// Principals returns the principal cache under prefix (DefaultPrefix when
// empty), whose snapshots live for ttl (DefaultSnapshotTTL when zero or
// negative). It reads the sessions that Sessions(prefix) writes and the
// nonces under KV(prefix).
func (c *Client) Principals(prefix string, ttl time.Duration) *Principals {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if ttl <= 0 {
		ttl = DefaultSnapshotTTL
	}
	var sc redis.Scripter = c.rdb
	var bt *batcher
	switch os.Getenv("ZZ_AP") {
	case "1":
		ap, err := c.rdb.AutoPipeline()
		if err == nil {
			sc = ap
		}
	case "2":
		bt = &batcher{rdb: c.rdb, max: 1}
	case "3":
		bt = &batcher{rdb: c.rdb, max: 2}
	case "4":
		bt = &batcher{rdb: c.rdb, max: 4}
	}
	return &Principals{rdb: c.rdb, sc: sc, bt: bt, log: c.log, ttl: ttl, prefix: prefix,
		sessionPrefix: prefix + "session:", indexPrefix: prefix + "user_sessions:",
		kvPrefix: prefix + "kv:", leaseKey: prefix + "lease"}
}

// Snapshot key suffixes; the holder line of a key snapshot is one of the
// first two followed by the holder's uid.
const (
	userSuffix = "user:"
	saSuffix   = "sa:"
	keySuffix  = "apikey:"
)

// leaseLua is the Lua helper shared by the read scripts: get(k) returns the
// snapshot at k, or false and a lease number when k was empty (then k holds
// the lease), or false and 0 when another loader holds it.
const leaseLua = `
local function get(k, counter)
  local v = redis.call('GET', k)
  if not v then
    local l = redis.call('INCR', counter)
    redis.call('SET', k, '#' .. l, 'PX', 5000)
    return false, l
  end
  if string.sub(v, 1, 1) == '#' then return false, 0 end
  return v, 0
end
`

// cookieScript reads a session record and, when it is within its idle
// lifetime, bound to this user agent and (when asked) to this CSRF token,
// slides its expiry, rewrites it with a fresh TTL and rescores its index
// member, as touchScript does. A record already slid to the same second
// is not written again: its TTL and index score, set by that write within
// the second, already reach past the expiry it holds, so at most one write
// per session and second reaches Redis. The remaining checks (IP network) are the
// caller's, who deletes the session when they fail. Then it reads the
// user snapshot. CSRF tokens are compared through their SHA-1, so the
// comparison time tells nothing of the token.
// KEYS: record. ARGV: index prefix, user key prefix, member, now s,
// new expiry s, ttl ms, user agent, "" or "=" .. csrf, lease counter.
// Returns {record or false, user or false, lease, slid}.
var cookieScript = redis.NewScript(leaseLua + `
local v = redis.call('GET', KEYS[1])
if not v then return {false, false, 0, 0} end
local ok, rec = pcall(cjson.decode, v)
if not ok or type(rec) ~= 'table' or type(rec.uid) ~= 'string' or rec.uid == '' then
  return {v, false, 0, 0}
end
local slid = 0
local exp = tonumber(rec.exp)
if exp and exp > tonumber(ARGV[4]) and rec.ua == ARGV[7] and
   (ARGV[8] == '' or redis.sha1hex(tostring(rec.csrf)) == redis.sha1hex(string.sub(ARGV[8], 2))) then
  local nv, n = v, 0
  if exp == tonumber(ARGV[5]) then
    slid = 1 -- slid within this second: record and index outlive the expiry already
  else
    nv, n = string.gsub(v, '"exp":%-?%d+', '"exp":' .. ARGV[5], 1)
  end
  if n == 1 then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local ttl = tonumber(ARGV[6])
    local idx = ARGV[1] .. rec.uid
    redis.call('SET', KEYS[1], nv, 'PX', ttl)
    redis.call('ZADD', idx, now + ttl, ARGV[3])
    if redis.call('PTTL', idx) < ttl then redis.call('PEXPIRE', idx, ttl) end
    slid = 1
  end
end
local u, lease = get(ARGV[2] .. rec.uid, ARGV[9])
return {v, u, lease, slid}
`)

// keyScript records the nonce (when asked) and reads the key snapshot and
// the snapshot of its holder.
// KEYS: key snapshot, nonce. ARGV: key prefix, nonce ttl ms, "1" to record
// the nonce, lease counter.
// Returns {fresh, key or false, key lease, holder or false, holder lease}.
var keyScript = redis.NewScript(leaseLua + `
local fresh = 0
if ARGV[3] == '1' and redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then fresh = 1 end
local k, kl = get(KEYS[1], ARGV[4])
if not k then return {fresh, false, kl, false, 0} end
local nl = string.find(k, '\n', 1, true)
if not nl then return {fresh, k, 0, false, 0} end
local h, hl = get(ARGV[1] .. string.sub(k, 1, nl - 1), ARGV[4])
return {fresh, k, kl, h, hl}
`)

// putScript stores a snapshot only if the caller's lease is still there:
// a change committed (and its snapshot deleted) since the lease was taken
// makes the load stale, and it is dropped.
// KEYS: snapshot. ARGV: lease value, snapshot, ttl ms.
var putScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`)

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
	// Slid reports that the record now expires at NewExpire.
	Slid bool
	// User is the user snapshot (ID, UID, Username, Email, Role, Level,
	// OTP, State, ReferralID), nil when there is none.
	User *barong.User
	// Lease is non-zero when the caller should load the user and store it
	// with PutUser(ctx, Lease, u).
	Lease int64
}

// Cookie runs the cookie script: one round trip.
func (p *Principals) Cookie(ctx context.Context, q CookieQuery) (CookieResult, error) {
	var res CookieResult
	if q.SessionID == "" {
		return res, nil
	}
	if q.TTL < time.Millisecond {
		return res, fmt.Errorf("redisstore: cookie: session ttl %s is below 1ms", q.TTL)
	}
	csrf := ""
	if q.CheckCSRF {
		csrf = "=" + q.CSRF
	}
	h := hashID(q.SessionID)
	keys := []string{p.sessionPrefix + h}
	args := []any{p.indexPrefix, p.prefix + userSuffix, h, q.Now, q.NewExpire, q.TTL.Milliseconds(), q.UserAgent, csrf, p.leaseKey}
	var cmd *redis.Cmd
	if p.bt != nil {
		cmd = p.bt.run(ctx, cookieScript, keys, args...)
	} else {
		cmd = cookieScript.Run(ctx, p.sc, keys, args...)
	}
	vals, err := cmd.Slice()
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
	if res.Session, err = decodeSession(q.SessionID, []byte(rec)); err != nil {
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

// PutUser stores the snapshot of u under a lease from Cookie or APIKey;
// it is dropped if the user changed since the lease was taken.
func (p *Principals) PutUser(ctx context.Context, lease int64, u *barong.User) error {
	return p.put(ctx, userSuffix+u.UID, lease, encodeUser(u))
}

// PutServiceAccount stores the snapshot of sa under a lease from APIKey.
func (p *Principals) PutServiceAccount(ctx context.Context, lease int64, sa *barong.ServiceAccount) error {
	return p.put(ctx, saSuffix+sa.UID, lease, encodeServiceAccount(sa))
}

func (p *Principals) put(ctx context.Context, suffix string, lease int64, v []byte) error {
	if lease == 0 {
		return nil
	}
	err := putScript.Run(ctx, p.rdb, []string{p.prefix + suffix}, fmt.Sprintf("#%d", lease), v, p.ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redisstore: store snapshot: %w", err)
	}
	return nil
}

// Invalidate deletes the snapshots of the users, service accounts (by
// uid) and API keys (by kid), so that the next request loads them from the
// database. It runs even when ctx is cancelled (the change it follows is
// committed) and tries twice.
func (p *Principals) Invalidate(ctx context.Context, userUIDs, saUIDs, kids []string) error {
	keys := make([]string, 0, len(userUIDs)+len(saUIDs)+len(kids))
	for _, u := range userUIDs {
		keys = append(keys, p.prefix+userSuffix+u)
	}
	for _, u := range saUIDs {
		keys = append(keys, p.prefix+saSuffix+u)
	}
	for _, k := range kids {
		keys = append(keys, p.prefix+keySuffix+k)
	}
	if len(keys) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*pingTimeout)
	defer cancel()
	err := p.rdb.Del(ctx, keys...).Err()
	if err != nil {
		err = p.rdb.Del(ctx, keys...).Err()
	}
	if err != nil {
		return fmt.Errorf("redisstore: invalidate snapshots: %w", err)
	}
	return nil
}

// invalidateAll deletes every snapshot whose key starts with
// prefix+suffix (a change that did not name its principal), walking with
// SCAN.
func (p *Principals) invalidateAll(ctx context.Context, suffix string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 6*pingTimeout)
	defer cancel()
	iter := p.rdb.Scan(ctx, 0, globEscape(p.prefix+suffix)+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := p.rdb.Unlink(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("redisstore: invalidate snapshots: %w", err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("redisstore: invalidate snapshots: %w", err)
	}
	if len(batch) > 0 {
		if err := p.rdb.Unlink(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("redisstore: invalidate snapshots: %w", err)
		}
	}
	return nil
}

// errCorrupt is the error of a snapshot that does not decode.
var errCorrupt = errors.New("corrupt snapshot")

// holderSuffix is the holder line of a key snapshot.
func holderSuffix(holderType, holderUID string) string {
	if holderType == barong.HolderServiceAccount {
		return saSuffix + holderUID
	}
	return userSuffix + holderUID
}

// validSuffix reports whether a uid or kid can be part of a key: no
// newline (the holder line of a key snapshot ends at one) and not empty.
func validSuffix(s string) bool { return s != "" && !strings.ContainsAny(s, "\n") }

// unmarshalSnap decodes a JSON snapshot.
func unmarshalSnap(data string, v any) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return nil
}
