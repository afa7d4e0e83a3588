package sqlstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// TestKV runs alone: PurgeExpired with its fake clock would remove other
// tests' rows from the shared databases.
func TestKV(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		key := unique("reset_password_")
		if _, err := db.Get(ctx, key); err == nil {
			t.Fatal("missing key found")
		} else {
			wantNotFound(t, err)
		}
		if err := db.Set(ctx, key, "token1", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.Set(ctx, key, "token2", time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, err := db.Get(ctx, key); err != nil || v != "token2" {
			t.Fatalf("Get = %q, %v", v, err)
		}
		// Keys are case-sensitive on every database.
		if _, err := db.Get(ctx, key[:1]+"R"+key[2:]); err == nil {
			t.Fatal("key matched in another case")
		}
		clock.Advance(time.Minute)
		_, err := db.Get(ctx, key)
		wantNotFound(t, err)

		// SetNX: refused while the key lives, granted once it expired.
		if ok, err := db.SetNX(ctx, key, "a", time.Minute); err != nil || !ok {
			t.Fatalf("SetNX over expired = %v, %v", ok, err)
		}
		if ok, err := db.SetNX(ctx, key, "b", time.Minute); err != nil || ok {
			t.Fatalf("SetNX over live = %v, %v", ok, err)
		}
		if v, _ := db.Get(ctx, key); v != "a" {
			t.Fatalf("value %q after refused SetNX", v)
		}
		forever := unique("first_registration_")
		if ok, err := db.SetNX(ctx, forever, "done", 0); err != nil || !ok {
			t.Fatalf("SetNX no ttl = %v, %v", ok, err)
		}
		clock.Advance(365 * 24 * time.Hour)
		if ok, err := db.SetNX(ctx, forever, "again", 0); err != nil || ok {
			t.Fatalf("SetNX over key without ttl = %v, %v", ok, err)
		}
		if err := db.Delete(ctx, forever); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.SetNX(ctx, forever, "again", 0); err != nil || !ok {
			t.Fatalf("SetNX after delete = %v, %v", ok, err)
		}

		// PurgeExpired keeps live keys.
		if err := db.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := db.Get(ctx, forever); err != nil || v != "again" {
			t.Fatalf("purge removed a live key: %q %v", v, err)
		}
	})
}

func TestKVSetNXConcurrent(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		key := unique("jti:")
		var stored atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.SetNX(ctx, key, "utilized", time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					stored.Add(1)
				}
			}()
		}
		wg.Wait()
		if stored.Load() != 1 {
			t.Fatalf("SetNX stored %d times", stored.Load())
		}
	})
}

func TestKVIncr(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		key := unique("throttle:")
		for want := int64(1); want <= 3; want++ {
			if n, err := db.Incr(ctx, key, time.Minute); err != nil || n != want {
				t.Fatalf("Incr = %d, %v; want %d", n, err, want)
			}
			clock.Advance(10 * time.Second)
		}
		// The window started at the first increment and is not extended.
		clock.Advance(31 * time.Second)
		if n, err := db.Incr(ctx, key, time.Minute); err != nil || n != 1 {
			t.Fatalf("Incr after window = %d, %v", n, err)
		}

		conc := unique("throttle:")
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.Incr(ctx, conc, time.Hour); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n, err := db.Incr(ctx, conc, time.Hour); err != nil || n != 21 {
			t.Fatalf("after 20 concurrent increments Incr = %d, %v", n, err)
		}
	})
}

func TestKVDecr(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		key := unique("throttle:")
		// A missing counter is not created.
		if err := db.Decr(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Get(ctx, key); !errors.Is(err, barong.ErrNotFound) {
			t.Fatalf("Decr created the counter: %v", err)
		}
		for range 2 {
			if _, err := db.Incr(ctx, key, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 { // never below zero
			if err := db.Decr(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := db.Get(ctx, key); err != nil || v != "0" {
			t.Fatalf("after 2 Incr and 3 Decr: %q, %v", v, err)
		}
		// The window is kept: the counter still ends a minute after its start.
		if n, err := db.Incr(ctx, key, time.Minute); err != nil || n != 1 {
			t.Fatalf("Incr = %d, %v", n, err)
		}
		clock.Advance(61 * time.Second)
		if err := db.Decr(ctx, key); err != nil {
			t.Fatal(err)
		}
		if n, err := db.Incr(ctx, key, time.Minute); err != nil || n != 1 {
			t.Fatalf("Incr after the window = %d, %v", n, err)
		}
	})
}
