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

// TestUseNonce: in a process alone on a key, concurrent calls each get
// their own reply, exactly one of two calls with the same nonce is fresh,
// the first call claims the key and the others are checked in memory:
// no nonce reaches Redis.
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
	base := time.Now().UnixMilli()
	for i := range n {
		wg.Go(func() {
			ms := base + int64(i%100)
			ok, err := pr.UseNonce(context.Background(), "k", strconv.FormatInt(ms, 10), ms, time.Minute) // every nonce twice
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
	if trips := h.trips(); trips >= n/4 {
		t.Errorf("%d checks took %d round trips, want a few (the claim)", n, trips)
	}
	if v := c.rdb.Get(context.Background(), p+"nonceowner:k").Val(); v != "o:"+c.hub(p).origin {
		t.Errorf("owner record %q, want this process's", v)
	}
	if keys := keysUnder(t, c, p+"kv:"); len(keys) != 0 {
		t.Errorf("%d nonce records in Redis, want none: %v", len(keys), keys)
	}
	if ttl := c.rdb.PTTL(context.Background(), p+"nonceowner:k").Val(); ttl <= ownerRecordTTL || ttl > ownerRecordTTL+time.Minute+nonceMargin {
		t.Errorf("owner record TTL %v, want about %v", ttl, ownerRecordTTL)
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
	// A shared key: every nonce is a SET NX through the autopipeliner.
	if err := c.rdb.Set(ctx, p+"nonceowner:k", "s:0", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	set := func(i int) error {
		_, err := pr.UseNonce(ctx, "k", strconv.Itoa(i), int64(i), time.Minute)
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
