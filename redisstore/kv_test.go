package redisstore

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

func TestKV(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	kv := c.KV(p)
	ctx := ctxT(t)

	if _, err := kv.Get(ctx, "jti:missing"); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
	}
	if err := kv.Set(ctx, "reset_password:a@b.c", "tok1", time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := kv.Set(ctx, "reset_password:a@b.c", "tok2", time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if v, err := kv.Get(ctx, "reset_password:a@b.c"); err != nil || v != "tok2" {
		t.Fatalf("Get = %q, %v; want tok2", v, err)
	}
	if n := c.rdb.Exists(ctx, p+"kv:reset_password:a@b.c").Val(); n != 1 {
		t.Fatal("value not stored under <prefix>kv:")
	}
	if err := kv.Delete(ctx, "reset_password:a@b.c"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := kv.Get(ctx, "reset_password:a@b.c"); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := kv.Delete(ctx, "reset_password:a@b.c"); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}

	t.Run("SetNX", func(t *testing.T) {
		ok, err := kv.SetNX(ctx, "jti:1", "utilized", time.Minute)
		if err != nil || !ok {
			t.Fatalf("first SetNX = %v, %v; want true", ok, err)
		}
		ok, err = kv.SetNX(ctx, "jti:1", "other", time.Minute)
		if err != nil || ok {
			t.Fatalf("second SetNX = %v, %v; want false", ok, err)
		}
		if v, _ := kv.Get(ctx, "jti:1"); v != "utilized" {
			t.Fatalf("value = %q after refused SetNX", v)
		}
		if ttl := c.rdb.PTTL(ctx, p+"kv:jti:1").Val(); ttl <= 0 || ttl > time.Minute {
			t.Fatalf("PTTL = %s", ttl)
		}
	})

	t.Run("NoExpiry", func(t *testing.T) {
		if err := kv.Set(ctx, "forever", "x", 0); err != nil {
			t.Fatal(err)
		}
		if ttl := c.rdb.TTL(ctx, p+"kv:forever").Val(); ttl != -1 {
			t.Fatalf("TTL = %s, want none", ttl)
		}
	})

	t.Run("BadTTL", func(t *testing.T) {
		if err := kv.Set(ctx, "k", "v", -time.Second); err == nil {
			t.Error("Set with negative ttl: no error")
		}
		if _, err := kv.SetNX(ctx, "k", "v", -time.Second); err == nil {
			t.Error("SetNX with negative ttl: no error")
		}
		if _, err := kv.Incr(ctx, "k", 0); err == nil {
			t.Error("Incr without window: no error")
		}
	})
}

func TestKVExpiry(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	kv := c.KV(testPrefix(t, c))
	ctx := ctxT(t)
	if err := kv.Set(ctx, "whitelink", "active", 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ok, _ := kv.SetNX(ctx, "nonce", "1", 200*time.Millisecond); !ok {
		t.Fatal("SetNX refused a new key")
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := kv.Get(ctx, "whitelink"); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("Get after expiry: err = %v, want ErrNotFound", err)
	}
	if ok, _ := kv.SetNX(ctx, "nonce", "1", 200*time.Millisecond); !ok {
		t.Fatal("SetNX refused an expired key")
	}
}

// TestKVSetNXRace: of 50 concurrent SetNX calls on one key, exactly one
// stores, and its value is the one kept.
func TestKVSetNXRace(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	kv := c.KV(testPrefix(t, c))
	ctx := ctxT(t)

	var (
		wg     sync.WaitGroup
		wins   atomic.Int64
		winner atomic.Value
		start  = make(chan struct{})
	)
	for i := range 50 {
		wg.Go(func() {
			<-start
			v := fmt.Sprint(i)
			ok, err := kv.SetNX(ctx, "apikey:kid:1712345678901", v, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				wins.Add(1)
				winner.Store(v)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d SetNX calls won, want exactly 1", n)
	}
	if v, _ := kv.Get(ctx, "apikey:kid:1712345678901"); v != winner.Load() {
		t.Fatalf("stored %q, winner wrote %q", v, winner.Load())
	}
}

func TestKVIncrWindow(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	kv := c.KV(p)
	ctx := ctxT(t)
	// A window long enough that a loaded machine does not see it end
	// between the increments (it used to be 400 ms).
	const window = 2 * time.Second

	var first time.Time // the first increment returned: Redis ran it before
	for want := int64(1); want <= 3; want++ {
		n, err := kv.Incr(ctx, "login:1.2.3.4", window)
		if err != nil || n != want {
			t.Fatalf("Incr = %d, %v; want %d", n, err, want)
		}
		if want == 1 {
			first = time.Now()
			time.Sleep(150 * time.Millisecond)
		}
	}
	// The window started at the first increment and was not extended.
	if ttl := c.rdb.PTTL(ctx, p+"kv:login:1.2.3.4").Val(); ttl <= 0 || ttl > window-100*time.Millisecond {
		t.Fatalf("PTTL = %s, want the rest of the first window", ttl)
	}
	// The first window ended by first + window.
	time.Sleep(time.Until(first.Add(window + 10*time.Millisecond)))
	if n, err := kv.Incr(ctx, "login:1.2.3.4", window); err != nil || n != 1 {
		t.Fatalf("Incr in a new window = %d, %v; want 1", n, err)
	}
}

func TestKVIncrConcurrent(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	kv := c.KV(testPrefix(t, c))
	ctx := ctxT(t)
	hook := &countHook{}
	c.rdb.AddHook(hook)
	before := hook.trips()

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := kv.Incr(ctx, "ctr", time.Minute); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, _ := kv.Incr(ctx, "ctr", time.Minute); n != 51 {
		t.Fatalf("count = %d after 51 increments", n)
	}
	if n := hook.trips() - before; n != 51 {
		t.Fatalf("%d round trips for 51 increments", n)
	}
}

func TestKVDecr(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	kv := c.KV(p)
	ctx := ctxT(t)
	if err := kv.Decr(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if c.rdb.Exists(ctx, p+"kv:n").Val() != 0 {
		t.Fatal("Decr created the counter")
	}
	for range 2 {
		if _, err := kv.Incr(ctx, "n", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := kv.Decr(ctx, "n"); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := kv.Get(ctx, "n"); err != nil || v != "0" {
		t.Fatalf("after 2 Incr and 3 Decr: %q, %v", v, err)
	}
	if ttl := c.rdb.PTTL(ctx, p+"kv:n").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("window lost: PTTL %s", ttl)
	}
}
