package app

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
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

// The pool's size: a worker per CPU and GOMAXPROCS raised to leave the
// CPUs' Ps to the rest, unless the operator set GOMAXPROCS.
func TestHashPoolSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		workers, procs, cpus int
		pinned               bool
		n, gomaxprocs        int
	}{
		{0, 2, 2, false, 2, 4},
		{0, 8, 8, false, 8, 16},
		{0, 2, 64, false, 2, 4}, // a container limited to 2 CPUs
		{1, 2, 2, false, 1, 3},
		{3, 2, 2, false, 3, 5},
		{0, 2, 2, true, 1, 2},
		{0, 1, 2, true, 1, 1},
		{0, 6, 2, true, 2, 6},
		{4, 2, 2, true, 4, 2},
	} {
		n, procs := hashPoolSize(c.workers, c.procs, c.cpus, c.pinned)
		if n != c.n || procs != c.gomaxprocs {
			t.Errorf("hashPoolSize(%d, %d, %d, %v) = %d, %d; want %d, %d", c.workers, c.procs, c.cpus, c.pinned, n, procs, c.n, c.gomaxprocs)
		}
	}
}

// The process's pool as started: GOMAXPROCS leaves the workers' Ps aside
// while hashing unless the environment set it.
func TestStartPasswordHashing(t *testing.T) {
	t.Parallel()
	s := StartPasswordHashing(0)
	if s.Workers < 1 || s.GOMAXPROCS < 1 || s.Class == "" {
		t.Fatalf("setup %+v, GOMAXPROCS now %d", s, runtime.GOMAXPROCS(0))
	}
	if os.Getenv("GOMAXPROCS") == "" && s.WhileHashing != s.GOMAXPROCS+s.Workers {
		t.Fatalf("setup %+v: GOMAXPROCS not raised above the workers while hashing", s)
	}
	if again := StartPasswordHashing(7); again != s {
		t.Fatalf("second start %+v, want the first %+v", again, s)
	}
}

// GOMAXPROCS is raised by the workers while hashes run, once per burst, and
// set back to the default after idleLower without one.
func TestProcsGovernor(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	procs, sets, resets := 2, 0, 0
	g := &procsGovernor{extra: 2,
		get:   func() int { mu.Lock(); defer mu.Unlock(); return procs },
		set:   func(n int) { mu.Lock(); defer mu.Unlock(); procs = n; sets++ },
		reset: func() { mu.Lock(); defer mu.Unlock(); procs = 2; resets++ }}
	now := func() (int, int, int) { mu.Lock(); defer mu.Unlock(); return procs, sets, resets }
	p := newHashPool(2)
	p.procs = g
	t.Cleanup(p.close)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_ = p.run(context.Background(), func() {
				if n, _, _ := now(); n != 4 {
					t.Errorf("GOMAXPROCS %d while hashing, want 4", n)
				}
				time.Sleep(time.Millisecond)
			})
		})
	}
	wg.Wait()
	if n, s, r := now(); n != 4 || s != 1 || r != 0 {
		t.Fatalf("after the burst: GOMAXPROCS %d, %d raises, %d resets; want 4, 1, 0 (still raised)", n, s, r)
	}
	// The lowering may come idleLower after the last hash ended
	// (g.lastLeave), not before: a lowering seen when this goroutine ran
	// later than that (a loaded machine oversleeps, the workers' threads
	// are SCHED_IDLE) proves nothing, and the rest is skipped.
	lastLeave := func() time.Time { g.mu.Lock(); defer g.mu.Unlock(); return g.lastLeave }
	first := lastLeave()
	time.Sleep(idleLower / 2)
	_ = p.run(context.Background(), func() {}) // the burst goes on: no new raise, the lowering waits
	if _, _, r := now(); r != 0 && time.Since(first) >= idleLower {
		t.Skipf("too slow: the burst went on %v after its last hash, later than idleLower", time.Since(first))
	}
	second := lastLeave()
	time.Sleep(idleLower/2 + 200*time.Millisecond)
	n, s, r := now()
	if r != 0 && time.Since(second) >= idleLower {
		t.Skipf("too slow: checked %v after the last hash, later than idleLower", time.Since(second))
	}
	if n != 4 || s != 1 || r != 0 {
		t.Fatalf("idleLower after the first burst only: GOMAXPROCS %d, %d raises, %d resets; want 4, 1, 0", n, s, r)
	}
	deadline := time.Now().Add(10 * time.Second) // the lowering is due idleLower after second
	for {
		if n, s, r := now(); n == 2 && s == 1 && r == 1 {
			break
		}
		if time.Now().After(deadline) {
			n, s, r := now()
			t.Fatalf("idle: GOMAXPROCS %d, %d raises, %d resets; want 2, 1, 1", n, s, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = p.run(context.Background(), func() {})
	if n, s, _ := now(); n != 4 || s != 2 {
		t.Fatalf("a new burst: GOMAXPROCS %d after %d raises, want 4 after 2", n, s)
	}
}

// TestComparePasswordWork: a sign-in's bcrypt work does not tell whether
// the e-mail has an account. An unknown user (no digest), a digest that is
// not a usable bcrypt hash and a digest of a lower cost than the
// configured one (management import) all cost 2^cost, as a digest of the
// configured cost does; only the right password matches.
func TestComparePasswordWork(t *testing.T) {
	const cost = 7
	var work atomic.Int64
	compareHash = func(d, pw []byte) error {
		if c, err := bcrypt.Cost(d); err == nil {
			work.Add(1 << c)
		}
		return bcrypt.CompareHashAndPassword(d, pw)
	}
	t.Cleanup(func() { compareHash = bcrypt.CompareHashAndPassword })
	hash := func(c int) string {
		h, err := bcrypt.GenerateFromPassword([]byte("right"), c)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	for _, tc := range []struct {
		name, digest, pw string
		want             bool
	}{
		{"unknown user", "", "right", false},
		{"not bcrypt", "x", "right", false},
		{"malformed bcrypt", "$2a$05$short", "right", false},
		{"configured cost, right", hash(cost), "right", true},
		{"configured cost, wrong", hash(cost), "wrong", false},
		{"lower cost, right", hash(bcrypt.MinCost), "right", true},
		{"lower cost, wrong", hash(5), "wrong", false},
	} {
		work.Store(0)
		if got := comparePassword(cost, tc.digest, tc.pw); got != tc.want {
			t.Errorf("%s: matches %v, want %v", tc.name, got, tc.want)
		}
		if w := work.Load(); w != 1<<cost {
			t.Errorf("%s: bcrypt work %d, want %d (2^%d)", tc.name, w, 1<<cost, cost)
		}
	}
}
