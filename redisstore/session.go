package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// sessionStore implements barong.SessionStore. Records are
// recordPrefix+sha256hex(id); the index of a user is indexPrefix+uid, a ZSET
// of record hashes scored by their expiry in unix milliseconds. Every
// deletion, and TouchSession, is reported on the prefix's change feed
// (changes.go) before the call returns.
type sessionStore struct {
	rdb          *redis.Client
	hub          *hub
	recordPrefix string
	indexPrefix  string
}

var _ barong.SessionStore = (*sessionStore)(nil)

// luaSources holds the source of every script of the package, which Open
// loads into the server's script cache.
var luaSources []string

// newScript registers src in luaSources and returns it as a Script.
func newScript(src string) *redis.Script {
	luaSources = append(luaSources, src)
	return redis.NewScript(src)
}

// nowMS is the Lua prelude that reads the server clock, so that every
// process scores the index by the same clock.
const nowMS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// createScript stores the record and indexes it; it prunes members that
// have expired and extends the index TTL to the new member's expiry.
// KEYS: record, index. ARGV: json, ttl ms, member.
var createScript = newScript(nowMS + `
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
`)

// touchScript rewrites an existing record with a fresh TTL and rescores its
// index member. A record that is gone (expired or revoked) is not
// recreated: its member is removed and 0 is returned.
// KEYS: record, index. ARGV: json, ttl ms, member.
var touchScript = newScript(nowMS + `
local ttl = tonumber(ARGV[2])
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX') then
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 0
end
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
`)

// deleteScript deletes a record and removes it from its user's index,
// found through the uid the record holds.
// KEYS: record. ARGV: index prefix, member.
var deleteScript = newScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
redis.call('DEL', KEYS[1])
local ok, rec = pcall(cjson.decode, v)
if ok and type(rec) == 'table' and type(rec.uid) == 'string' and rec.uid ~= '' then
  redis.call('ZREM', ARGV[1] .. rec.uid, ARGV[2])
end
return 1
`)

// deleteUserScript deletes every record of the index except the excepted
// member, then rewrites the index to hold only that member (when its
// record still lives), with the record's remaining TTL. It returns the
// number of records deleted.
// KEYS: index. ARGV: record prefix, excepted member or "".
var deleteUserScript = newScript(nowMS + `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local keep = false
local n = 0
for _, m in ipairs(members) do
  if m == ARGV[2] then
    keep = true
  else
    n = n + redis.call('DEL', ARGV[1] .. m)
  end
end
redis.call('DEL', KEYS[1])
if keep then
  local pttl = redis.call('PTTL', ARGV[1] .. ARGV[2])
  if pttl > 0 then
    redis.call('ZADD', KEYS[1], now + pttl, ARGV[2])
    redis.call('PEXPIRE', KEYS[1], pttl)
  end
end
return n
`)

// listUserScript prunes the expired members of a user's index and
// returns its live members, each followed by its record; members whose
// record is gone are removed.
// KEYS: index. ARGV: record prefix.
var listUserScript = newScript(nowMS + `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for _, m in ipairs(members) do
  local v = redis.call('GET', ARGV[1] .. m)
  if v then
    out[#out + 1] = m
    out[#out + 1] = v
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
`)

// deleteOwnedScript deletes a record when it belongs to the uid, and its
// index member. It returns 1 when it deleted.
// KEYS: record, index. ARGV: uid, member.
var deleteOwnedScript = newScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
local ok, rec = pcall(cjson.decode, v)
if not ok or type(rec) ~= 'table' or rec.uid ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`)

// record is the stored form of a session; the id is not part of it.
type record struct {
	UID        string    `json:"uid"`
	UserIP     string    `json:"ip"`
	UserAgent  string    `json:"ua"`
	CSRFToken  string    `json:"csrf"`
	ExpireTime int64     `json:"exp"`
	CreatedAt  time.Time `json:"created"`
}

func encodeSession(s *barong.Session) ([]byte, error) {
	b, err := json.Marshal(record{
		UID:        s.UID,
		UserIP:     s.UserIP,
		UserAgent:  s.UserAgent,
		CSRFToken:  s.CSRFToken,
		ExpireTime: s.ExpireTime,
		CreatedAt:  s.CreatedAt.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	return b, nil
}

// decodeSession parses a stored record; a record without uid is corrupt.
func decodeSession(id string, data []byte) (*barong.Session, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	if r.UID == "" {
		return nil, errors.New("decode session: record has no uid")
	}
	return &barong.Session{
		ID:         id,
		UID:        r.UID,
		UserIP:     r.UserIP,
		UserAgent:  r.UserAgent,
		CSRFToken:  r.CSRFToken,
		ExpireTime: r.ExpireTime,
		CreatedAt:  r.CreatedAt.UTC(),
	}, nil
}

// checkSession validates what CreateSession and TouchSession write.
func checkSession(s *barong.Session, ttl time.Duration) error {
	switch {
	case s == nil || s.ID == "":
		return errors.New("session has no id")
	case s.UID == "":
		return errors.New("session has no uid")
	case ttl < time.Millisecond:
		return fmt.Errorf("session ttl %s is below 1ms", ttl)
	}
	return nil
}

// CreateSession stores s for ttl and adds it to its user's index in one
// atomic script. A zero CreatedAt is set to now.
func (st *sessionStore) CreateSession(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	if err := checkSession(s, ttl); err != nil {
		return fmt.Errorf("redisstore: create session: %w", err)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now().UTC().Truncate(time.Second)
	}
	data, err := encodeSession(s)
	if err != nil {
		return fmt.Errorf("redisstore: create session: %w", err)
	}
	h := barong.SessionHash(s.ID)
	keys := []string{st.recordPrefix + h, st.indexPrefix + s.UID}
	if err := createScript.Run(ctx, st.rdb, keys, data, ttl.Milliseconds(), h).Err(); err != nil {
		return fmt.Errorf("redisstore: create session: %w", err)
	}
	return nil
}

// Session loads a session with one GET; an unknown or expired id gives
// barong.ErrNotFound.
func (st *sessionStore) Session(ctx context.Context, id string) (*barong.Session, error) {
	if id == "" {
		return nil, barong.ErrNotFound
	}
	data, err := st.rdb.Get(ctx, st.recordPrefix+barong.SessionHash(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, barong.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: get session: %w", err)
	}
	s, err := decodeSession(id, data)
	if err != nil {
		return nil, fmt.Errorf("redisstore: get session: %w", err)
	}
	return s, nil
}

// TouchSession rewrites s (its slid ExpireTime) with a fresh ttl and
// refreshes the index, in one round trip, and reports the change. It never
// recreates a session: when the record is gone, because it expired or was
// revoked meanwhile, it returns barong.ErrNotFound.
func (st *sessionStore) TouchSession(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	if err := st.touch(ctx, s, ttl); err != nil {
		return err
	}
	st.hub.notify(ctx, []barong.Change{{Kind: barong.ChangedSession, Key: barong.SessionHash(s.ID)}})
	return nil
}

// touch is TouchSession without the report: the slide of a session that
// authz holds (Principals.SlideSession), which only moves its expiry
// forward.
func (st *sessionStore) touch(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	if err := checkSession(s, ttl); err != nil {
		return fmt.Errorf("redisstore: touch session: %w", err)
	}
	data, err := encodeSession(s)
	if err != nil {
		return fmt.Errorf("redisstore: touch session: %w", err)
	}
	h := barong.SessionHash(s.ID)
	keys := []string{st.recordPrefix + h, st.indexPrefix + s.UID}
	n, err := touchScript.Run(ctx, st.rdb, keys, data, ttl.Milliseconds(), h).Int()
	if err != nil {
		return fmt.Errorf("redisstore: touch session: %w", err)
	}
	if n == 0 {
		return barong.ErrNotFound
	}
	return nil
}

// DeleteSession deletes the session and its index member; deleting an
// unknown id is not an error.
func (st *sessionStore) DeleteSession(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	h := barong.SessionHash(id)
	n, err := deleteScript.Run(ctx, st.rdb, []string{st.recordPrefix + h}, st.indexPrefix, h).Int()
	if err != nil {
		return fmt.Errorf("redisstore: delete session: %w", err)
	}
	if n > 0 {
		st.hub.notify(ctx, []barong.Change{{Kind: barong.ChangedSession, Key: h}})
	}
	return nil
}

// DeleteUserSessions deletes every session of uid except exceptID ("" for
// none) and leaves the index holding only the excepted session, atomically.
func (st *sessionStore) DeleteUserSessions(ctx context.Context, uid, exceptID string) error {
	if uid == "" {
		return errors.New("redisstore: delete user sessions: empty uid")
	}
	except := ""
	if exceptID != "" {
		except = barong.SessionHash(exceptID)
	}
	err := deleteUserScript.Run(ctx, st.rdb, []string{st.indexPrefix + uid}, st.recordPrefix, except).Err()
	if err != nil {
		return fmt.Errorf("redisstore: delete user sessions: %w", err)
	}
	st.hub.notify(ctx, []barong.Change{{Kind: barong.ChangedUserSessions, Key: uid, Except: except}})
	return nil
}

// UserSessions lists the live sessions of uid from its index, newest
// first, with IDHash set and ID and CSRF token empty, in one round trip.
func (st *sessionStore) UserSessions(ctx context.Context, uid string) ([]barong.Session, error) {
	if uid == "" {
		return nil, errors.New("redisstore: user sessions: empty uid")
	}
	vals, err := listUserScript.Run(ctx, st.rdb, []string{st.indexPrefix + uid}, st.recordPrefix).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: user sessions: %w", err)
	}
	out := make([]barong.Session, 0, len(vals)/2)
	for i := 0; i+1 < len(vals); i += 2 {
		s, err := decodeSession("", []byte(vals[i+1]))
		if err != nil || s.UID != uid {
			continue // a corrupt record or another user's: not listed
		}
		s.IDHash, s.CSRFToken = vals[i], ""
		out = append(out, *s)
	}
	slices.SortStableFunc(out, func(a, b barong.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.IDHash, b.IDHash)
	})
	return out, nil
}

// DeleteUserSession deletes the session whose id hashes to idHash when it
// belongs to uid, atomically, reports the deletion on the change feed and
// whether it did.
func (st *sessionStore) DeleteUserSession(ctx context.Context, uid, idHash string) (bool, error) {
	if uid == "" || idHash == "" {
		return false, nil
	}
	keys := []string{st.recordPrefix + idHash, st.indexPrefix + uid}
	n, err := deleteOwnedScript.Run(ctx, st.rdb, keys, uid, idHash).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: delete user session: %w", err)
	}
	if n == 1 {
		st.hub.notify(ctx, []barong.Change{{Kind: barong.ChangedSession, Key: idHash}})
	}
	return n == 1, nil
}

// DeleteAllSessions deletes every session of every user and their indexes
// (an enabled blocklogin restriction). It walks the prefix with SCAN, never
// KEYS, so it does not block Redis, but it is not atomic: a session created
// meanwhile may survive. Callers reach it through an interface assertion
// on the barong.SessionStore that Sessions returns.
func (st *sessionStore) DeleteAllSessions(ctx context.Context) error {
	// Reported also after a failure: some sessions may be gone.
	defer st.hub.notify(ctx, []barong.Change{{Kind: barong.ChangedSession}})
	for _, pattern := range []string{globEscape(st.recordPrefix) + "*", globEscape(st.indexPrefix) + "*"} {
		iter := st.rdb.Scan(ctx, 0, pattern, 500).Iterator()
		batch := make([]string, 0, 500)
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == cap(batch) {
				if err := st.rdb.Unlink(ctx, batch...).Err(); err != nil {
					return fmt.Errorf("redisstore: delete all sessions: %w", err)
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return fmt.Errorf("redisstore: delete all sessions: %w", err)
		}
		if len(batch) > 0 {
			if err := st.rdb.Unlink(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("redisstore: delete all sessions: %w", err)
			}
		}
	}
	return nil
}

// globEscape quotes the glob characters of a SCAN MATCH pattern.
func globEscape(s string) string {
	return globQuoter.Replace(s)
}

var globQuoter = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)
