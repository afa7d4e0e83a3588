package redisstore

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestBatcher: concurrent runs each get their own reply, share round
// trips, and a script Redis does not know (a fresh one, as after a
// restart) is sent again in full.
func TestBatcher(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	h := &countHook{}
	c.rdb.AddHook(h)
	b := &batcher{rdb: c.rdb, max: 1}
	// A script no server has seen: its EVALSHA fails with NOSCRIPT.
	echo := redis.NewScript("-- " + randHex(t, 8) + "\nreturn ARGV[1] .. KEYS[1]")
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := strconv.Itoa(i) + "k"
			got, err := b.runScript(context.Background(), echo, []string{"k"}, i).Text()
			if err != nil || got != want {
				errs <- errors.New("run " + want + ": got " + got + ", " + errString(err))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if trips := h.trips(); trips >= n {
		t.Errorf("%d runs took %d round trips: no batching", n, trips)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inFlight != 0 || len(b.queue) != 0 {
		t.Fatalf("after the runs: %d in flight, %d queued", b.inFlight, len(b.queue))
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// TestBatcherCancelled: a caller whose context ends stops waiting.
func TestBatcherCancelled(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	b := &batcher{rdb: c.rdb, max: 1}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.mu.Lock()
	b.inFlight = 1 // a pipeline in flight: the run queues and waits
	b.mu.Unlock()
	err := b.runScript(ctx, redis.NewScript("return 1"), nil).Err()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
