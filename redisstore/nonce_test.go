package redisstore

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestUseNonce (was TestBatcher, when a hand-written batcher sent the
// nonces): concurrent calls each get their own reply, exactly one of two
// calls with the same key is fresh, and they share round trips.
func TestUseNonce(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	h := &countHook{}
	c.rdb.AddHook(h)
	pr := c.Principals(p, 0)
	const n = 200
	var wg sync.WaitGroup
	var fresh atomic.Int64
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ok, err := pr.UseNonce(context.Background(), "nonce:k:"+strconv.Itoa(i%100), time.Minute) // every key twice
			if err != nil {
				errs <- err
				return
			}
			if ok {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if f := fresh.Load(); f != 100 {
		t.Errorf("%d fresh nonces, want 100", f)
	}
	if trips := h.trips(); trips >= n {
		t.Errorf("%d commands took %d round trips: no batching", n, trips)
	}
	if keys := keysUnder(t, c, p); len(keys) != 100 {
		t.Errorf("%d keys stored, want 100", len(keys))
	}
	if ttl := c.rdb.PTTL(context.Background(), p+"kv:nonce:k:1").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("nonce TTL %v, want (0, 1m]", ttl)
	}
}

// TestUseNonceReconnects (was TestBatcherReconnects): when the
// connections are killed, the following nonces are recorded on fresh ones.
func TestUseNonceReconnects(t *testing.T) {
	t.Parallel()
	name := "barongtest-" + randHex(t, 6)
	c := mustOpen(t, "client_name="+name)
	admin := mustOpen(t, "")
	p := testPrefix(t, c)
	pr := c.Principals(p, 0)
	ctx := ctxT(t)
	set := func(i int) error {
		_, err := pr.UseNonce(ctx, "nonce:k:"+strconv.Itoa(i), time.Minute)
		return err
	}
	if err := set(1); err != nil {
		t.Fatal(err)
	}
	list, err := admin.rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		if f := clientFields(sc.Text()); f["name"] == name {
			if err := admin.rdb.ClientKillByFilter(ctx, "ID", f["id"]).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The command on a killed connection may fail; the following ones
	// do not.
	_ = set(2)
	deadline := time.Now().Add(5 * time.Second)
	for i := 3; ; i++ {
		err := set(i)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after the connections were killed: %v", err)
		}
	}
}
