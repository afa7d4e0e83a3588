package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// The KV methods keep short-lived markers and counters in the kv table. A
// ttl <= 0 stores a key without expiry. Expired rows read as missing and are
// replaced in place; PurgeExpired removes them.

// SetNX stores value unless an unexpired key exists, atomically across
// processes, and reports whether it stored.
func (db *DB) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	now := db.clock()
	ok, err := db.d.kvSetNX(ctx, db.w, key, value, expiry(now, ttl), now)
	if err != nil {
		return false, fmt.Errorf("kv setnx: %w", err)
	}
	return ok, nil
}

// Set stores value under key, replacing any value.
func (db *DB) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if _, err := db.w.exec(ctx, `INSERT INTO kv ("key", value, expires_at) VALUES (?, ?, ?)`+db.d.upsert(`"key"`, "value", "expires_at"), key, value, expiry(db.clock(), ttl)); err != nil {
		return fmt.Errorf("kv set: %w", err)
	}
	return nil
}

// Get returns the value of key, or ErrNotFound when it is missing or expired.
func (db *DB) Get(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.queryRow(ctx, `SELECT value FROM kv WHERE "key" = ? AND (expires_at IS NULL OR expires_at > ?)`,
		key, db.clock()).Scan(&v)
	if err != nil {
		return "", notFound(err, "kv get")
	}
	return v, nil
}

// Delete removes key; a missing key is not an error.
func (db *DB) Delete(ctx context.Context, key string) error {
	if _, err := db.w.exec(ctx, `DELETE FROM kv WHERE "key" = ?`, key); err != nil {
		return fmt.Errorf("kv delete: %w", err)
	}
	return nil
}

// Incr adds one to the counter key and returns the new count. The window
// of ttl starts at the first increment; once it has passed, the next
// increment starts a new window at 1.
func (db *DB) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	now := db.clock()
	var n int64
	err := db.transact(ctx, func(sqlTx *sql.Tx) error {
		c := conn{q: sqlTx, d: db.d}
		if _, err := c.exec(ctx, db.d.kvIncrSQL(), key, expiry(now, ttl), now, now); err != nil {
			return err
		}
		var v string
		if err := c.queryRow(ctx, `SELECT value FROM kv WHERE "key" = ?`, key).Scan(&v); err != nil {
			return notFound(err, "kv incr")
		}
		var err error
		n, err = strconv.ParseInt(v, 10, 64)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("kv incr: %w", err)
	}
	return n, nil
}

// Decr takes one back from a live counter; a missing, expired or zero
// counter is left alone.
func (db *DB) Decr(ctx context.Context, key string) error {
	if _, err := db.w.exec(ctx, db.d.kvDecrSQL(), key, db.clock()); err != nil {
		return fmt.Errorf("kv decr: %w", err)
	}
	return nil
}
