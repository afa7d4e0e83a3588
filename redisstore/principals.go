package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// Principals is the shared cache of authz's hot path: in one round trip
// it reads a cookie session and the user's snapshot (and slides the
// session), or records an API-key nonce and reads the key's and its
// holder's snapshots. A process's first request of a session or key runs
// a Lua script; later ones, knowing the uid of the session or the holder
// of the key (which never change), send plain commands, which cost Redis
// far less, and the slide of a session is written behind the answer
// (SlideLater). Concurrent requests share round trips (batcher).
// Snapshots are written by the process that missed them (under a lease,
// so that a load racing with a change never stores stale data) and
// deleted after every committed change by the store that Wrap returns.
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
	// batch runs the per-request scripts, several requests to a round
	// trip under load.
	batch *batcher
	// known holds the uid of the sessions this process has seen.
	known         knownSessions
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
	return &Principals{rdb: c.rdb, batch: &batcher{rdb: c.rdb, max: 1, log: c.log}, log: c.log, ttl: ttl, prefix: prefix,
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
