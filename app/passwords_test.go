package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most n computations run at once; the others wait their turn.
func TestHashPoolBound(t *testing.T) {
	t.Parallel()
	p := newHashPool(2)
	t.Cleanup(p.close)
	var running, peak, done atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			err := p.run(context.Background(), func() {
				n := running.Add(1)
				for {
					m := peak.Load()
					if n <= m || peak.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				running.Add(-1)
				done.Add(1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() != 2 || done.Load() != 12 {
		t.Fatalf("peak %d running, %d done; want 2 and 12", peak.Load(), done.Load())
	}
}

// A request whose context ends while it waits gives up without computing.
func TestHashPoolCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	p := newHashPool(1)
	t.Cleanup(p.close)
	release, started := make(chan struct{}), make(chan struct{})
	go func() { _ = p.run(context.Background(), func() { close(started); <-release }) }()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	err := p.run(ctx, func() { ran = true })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("run = %v (ran %v), want the context's error without running", err, ran)
	}
}
