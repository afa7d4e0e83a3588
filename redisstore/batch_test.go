package redisstore

import (
	"bufio"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestBatcher: concurrent commands each get their own reply and share
// round trips; nothing is left in flight afterwards.
func TestBatcher(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	h := &countHook{}
	c.rdb.AddHook(h)
	b := &batcher{rdb: c.rdb}
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			key := p + strconv.Itoa(i%100) // every key twice: one SET NX wins
			cmd := redis.NewBoolCmd(context.Background(), "set", key, "1", "px", 60000, "nx")
			if err := b.do(context.Background(), cmd); err != nil {
				errs <- err
				return
			}
			if _, err := cmd.Result(); err != nil && !errors.Is(err, redis.Nil) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if trips := h.trips(); trips >= n {
		t.Errorf("%d commands took %d round trips: no batching", n, trips)
	}
	if keys := keysUnder(t, c, p); len(keys) != 100 {
		t.Errorf("%d keys stored, want 100", len(keys))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inFlight || len(b.queue) != 0 {
		t.Fatalf("after the commands: in flight %v, %d queued", b.inFlight, len(b.queue))
	}
}

// TestBatcherReconnects: when its connection is killed, the batcher's next
// pipeline takes a fresh one.
func TestBatcherReconnects(t *testing.T) {
	t.Parallel()
	name := "barongtest-" + randHex(t, 6)
	c := mustOpen(t, "client_name="+name)
	admin := mustOpen(t, "")
	p := testPrefix(t, c)
	b := &batcher{rdb: c.rdb}
	ctx := ctxT(t)
	set := func(i int) error {
		cmd := redis.NewBoolCmd(ctx, "set", p+strconv.Itoa(i), "1", "px", 60000, "nx")
		if err := b.do(ctx, cmd); err != nil {
			return err
		}
		return cmd.Err()
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
	// The command on the killed connection may fail; the following ones
	// do not.
	_ = set(2)
	deadline := time.Now().Add(5 * time.Second)
	for i := 3; ; i++ {
		err := set(i)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after the connection was killed: %v", err)
		}
	}
}

// TestBatcherCancelled: a caller whose context ends stops waiting.
func TestBatcherCancelled(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	b := &batcher{rdb: c.rdb}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.mu.Lock()
	b.inFlight = true // a pipeline in flight: the command queues and waits
	b.mu.Unlock()
	err := b.do(ctx, redis.NewCmd(ctx, "ping"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// clientFields parses one line of CLIENT LIST.
func clientFields(line string) map[string]string {
	f := map[string]string{}
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	return f
}
