package app

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most n computations run at once; the others wait their turn.
func TestHashSlotsBound(t *testing.T) {
	t.Parallel()
	if got, want := cap(newHashSlots(0)), max(1, runtime.GOMAXPROCS(0)-1); got != want {
		t.Fatalf("default slots %d, want %d", got, want)
	}
	h := newHashSlots(2)
	var running, peak, done atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			err := h.run(context.Background(), func() {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
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
func TestHashSlotsCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	h := newHashSlots(1)
	release := make(chan struct{})
	go func() { _ = h.run(context.Background(), func() { <-release }) }()
	for len(h) == 0 {
		runtime.Gosched()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	err := h.run(ctx, func() { ran = true })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("run = %v (ran %v), want the context's error without running", err, ran)
	}
}
