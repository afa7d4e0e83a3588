package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// kvStore implements barong.KV under prefix. Keys may hold tokens (used
// jti, whitelink tokens, e-mail addresses), so no error or log names them.
type kvStore struct {
	rdb    *redis.Client
	prefix string
}

var _ barong.KV = (*kvStore)(nil)

// incrScript increments a counter and starts its window when the counter is
// new (or, defensively, when it has no TTL).
// KEYS: counter. ARGV: window ms.
var incrScript = newScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// checkTTL refuses a negative ttl, which go-redis would read as KEEPTTL;
// zero means no expiry.
func checkTTL(ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("negative ttl %s", ttl)
	}
	return nil
}

// SetNX stores value for ttl (zero: no expiry) unless the key exists, with
// one SET NX PX; it reports whether it stored.
func (kv *kvStore) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, fmt.Errorf("redisstore: setnx: %w", err)
	}
	ok, err := kv.rdb.SetNX(ctx, kv.prefix+key, value, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: setnx: %w", err)
	}
	return ok, nil
}

// Set stores value for ttl (zero: no expiry), replacing any value.
func (kv *kvStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("redisstore: set: %w", err)
	}
	if err := kv.rdb.Set(ctx, kv.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: set: %w", err)
	}
	return nil
}

// Get returns the value, or barong.ErrNotFound for a missing or expired key.
func (kv *kvStore) Get(ctx context.Context, key string) (string, error) {
	v, err := kv.rdb.Get(ctx, kv.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", barong.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: get: %w", err)
	}
	return v, nil
}

// Delete removes the key; a missing key is not an error.
func (kv *kvStore) Delete(ctx context.Context, key string) error {
	if err := kv.rdb.Del(ctx, kv.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

// Incr adds one to the counter and returns the new count. The first
// increment starts a window of ttl after which the counter disappears; later
// increments do not extend it. One atomic round trip.
func (kv *kvStore) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if ttl < time.Millisecond {
		return 0, fmt.Errorf("redisstore: incr: window %s is below 1ms", ttl)
	}
	n, err := incrScript.Run(ctx, kv.rdb, []string{kv.prefix + key}, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: incr: %w", err)
	}
	return n, nil
}

// decrScript takes one from a positive counter; DECR keeps its TTL.
// KEYS: counter.
var decrScript = newScript(`
local v = tonumber(redis.call('GET', KEYS[1]))
if v and v > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
`)

// Decr takes one back from a live counter (never below zero, never
// creating one), keeping its window.
func (kv *kvStore) Decr(ctx context.Context, key string) error {
	if err := decrScript.Run(ctx, kv.rdb, []string{kv.prefix + key}).Err(); err != nil {
		return fmt.Errorf("redisstore: decr: %w", err)
	}
	return nil
}
