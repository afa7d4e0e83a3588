package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// useAt offers nonce ms of kid to pr, failing the test on an error.
func useAt(t *testing.T, pr *Principals, kid string, ms int64) bool {
	t.Helper()
	ok, err := pr.UseNonce(ctxT(t), kid, strconv.FormatInt(ms, 10), ms, 10*time.Second)
	if err != nil {
		t.Fatalf("UseNonce(%s, %d): %v", kid, ms, err)
	}
	return ok
}

// TestNonceHandoff: a key checked in one process's memory is handed over
// when another process uses it: the nonces the first accepted are refused
// by the second, and from then on both check in Redis.
func TestNonceHandoff(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, a)
	pa, pb := a.Principals(p, 0), b.Principals(p, 0)
	now := time.Now().UnixMilli()
	for i := range int64(50) {
		if !useAt(t, pa, "k", now+i) {
			t.Fatalf("nonce %d refused in the owner", i)
		}
	}
	if useAt(t, pa, "k", now) {
		t.Fatal("the owner accepted a nonce twice")
	}
	if got := a.hub(p).nonces.local.Load(); got < 49 {
		t.Errorf("%d nonces checked in memory, want at least 49", got)
	}
	// The replay through the other process.
	for i := range int64(50) {
		if useAt(t, pb, "k", now+i) {
			t.Fatalf("nonce %d accepted again by the second process", i)
		}
	}
	if v := ownerRecord(t, b, p, "k"); v != "s:0" {
		t.Errorf("owner record %q after the handoff, want s:0", v)
	}
	// The owner counts its release after Redis ran it; b may go on first.
	for end := time.Now().Add(10 * time.Second); a.hub(p).nonces.released.Load() < 1 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if a.hub(p).nonces.released.Load() < 1 || b.hub(p).nonces.handoffs.Load() != 1 {
		t.Errorf("released %d, handoffs %d; want at least 1 and 1", a.hub(p).nonces.released.Load(), b.hub(p).nonces.handoffs.Load())
	}
	// Shared: each process sees the other's nonces.
	for i := int64(50); i < 60; i++ {
		first, second := pb, pa
		if i%2 == 0 {
			first, second = pa, pb
		}
		if !useAt(t, first, "k", now+i) {
			t.Fatalf("fresh nonce %d refused", i)
		}
		if useAt(t, second, "k", now+i) {
			t.Fatalf("nonce %d accepted by both processes", i)
		}
	}
}

// TestNonceRace: every nonce offered to two processes at once, on keys
// owned by neither, by one and by the other: each is accepted exactly once.
func TestNonceRace(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, a)
	prs := []*Principals{a.Principals(p, 0), b.Principals(p, 0)}
	now := time.Now().UnixMilli()
	useAt(t, prs[0], "owned-by-a", now-1)
	useAt(t, prs[1], "owned-by-b", now-1)
	const nonces = 300
	for _, kid := range []string{"free", "owned-by-a", "owned-by-b"} {
		var accepted [nonces]atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 4*nonces)
		for i := range nonces {
			for j := range 4 {
				wg.Go(func() {
					ms := now + int64(i)
					ok, err := prs[(i+j)%2].UseNonce(ctxT(t), kid, strconv.FormatInt(ms, 10), ms, 10*time.Second)
					if err != nil {
						errs <- err
					}
					if ok {
						accepted[i].Add(1)
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("%s: %v", kid, err)
		}
		for i := range nonces {
			if n := accepted[i].Load(); n != 1 {
				t.Fatalf("%s: nonce %d accepted %d times", kid, i, n)
			}
		}
	}
}

// TestNonceOwnerClose: a process that stops gives its keys up: another
// refuses what it accepted and accepts the rest at once.
func TestNonceOwnerClose(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, b)
	pa, pb := a.Principals(p, 0), b.Principals(p, 0)
	now := time.Now().UnixMilli()
	for i := range int64(10) {
		useAt(t, pa, "k", now+i)
	}
	origin := a.hub(p).origin // after Close, a.hub(p) would be a new hub
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := b.rdb.Exists(ctxT(t), p+"alive:"+origin).Val(); n != 0 {
		t.Error("the closed process's liveness key is still there")
	}
	for i := range int64(10) {
		if useAt(t, pb, "k", now+i) {
			t.Fatalf("nonce %d of the closed owner accepted again", i)
		}
	}
	if !useAt(t, pb, "k", now+10) {
		t.Fatal("a fresh nonce refused after the owner closed")
	}
	if h := b.hub(p).nonces.handoffs.Load(); h != 0 {
		t.Errorf("%d handoffs asked of a closed process", h)
	}
}

// TestNonceOwnerCrash: a process that disappears without giving its keys
// up (its heartbeat stops) leaves them to the next process once its
// liveness lapses, which then refuses every nonce the lost process might
// have accepted: the window after the moment it took over.
func TestNonceOwnerCrash(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, a)
	pa, pb := a.Principals(p, 0), b.Principals(p, 0)
	now := time.Now().UnixMilli()
	useAt(t, pa, "k", now)
	useAt(t, pa, "k", now+4000) // the client's clock ahead: still in the window
	a.hub(p).close()            // no heartbeat, no answer to requests: a crash
	start := time.Now()
	if useAt(t, pb, "k", now) {
		t.Fatal("a nonce of the lost owner accepted again")
	}
	if waited := time.Since(start); waited > handoffWait+time.Second {
		t.Errorf("the takeover waited %v, want at most %v", waited, handoffWait)
	}
	if useAt(t, pb, "k", now+4000) {
		t.Fatal("a nonce of the lost owner ahead of the clock accepted again")
	}
	if useAt(t, pb, "k", time.Now().UnixMilli()) {
		t.Fatal("a nonce inside the refusal window accepted")
	}
	later := time.Now().UnixMilli() + 5000 + nonceMargin.Milliseconds() + 100
	if !useAt(t, pb, "k", later) {
		t.Fatal("a nonce past the refusal window refused")
	}
	if useAt(t, pb, "k", later) {
		t.Fatal("a nonce accepted twice after the takeover")
	}
}

// TestNonceOwnedExpiry: nonces kept in memory are forgotten after their
// ttl, and the memory of a key shrinks.
func TestNonceOwnedExpiry(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	pr := c.Principals(p, 0)
	ctx := ctxT(t)
	for i := range 200 {
		if ok, err := pr.UseNonce(ctx, "k", strconv.Itoa(i), int64(i+1), 100*time.Millisecond); err != nil || !ok {
			t.Fatalf("nonce %d: %v %v", i, ok, err)
		}
	}
	time.Sleep(150 * time.Millisecond)
	if ok, err := pr.UseNonce(ctx, "k", "0", 1, 100*time.Millisecond); err != nil || !ok {
		t.Fatalf("an expired nonce: %v %v, want fresh", ok, err)
	}
	k := c.hub(p).nonces.kid("k")
	k.mu.Lock()
	if len(k.used) != 1 || len(k.fifo)-k.head != 1 {
		t.Errorf("%d nonces kept (%d queued), want 1", len(k.used), len(k.fifo)-k.head)
	}
	k.mu.Unlock()
	// A key no longer used: the sweep forgets its last nonces.
	time.Sleep(150 * time.Millisecond)
	c.hub(p).nonces.sweep()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.used != nil || k.fifo != nil {
		t.Errorf("%d nonces kept (%d queued) after the sweep, want none", len(k.used), len(k.fifo)-k.head)
	}
}

// TestNonceOwnerNotAlive: an owner whose liveness lapsed while it lived
// (its feed was down) gives the key up itself before it checks again: the
// nonces it accepted go to Redis, nothing is refused beyond them.
func TestNonceOwnerNotAlive(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, b)
	pa, pb := a.Principals(p, 0), b.Principals(p, 0)
	now := time.Now().UnixMilli()
	for i := range int64(5) {
		useAt(t, pa, "k", now+i)
	}
	o := a.hub(p).nonces
	a.hub(p).close() // no heartbeat: the liveness key is not renewed
	if err := a.rdb.Del(ctxT(t), o.aliveKey).Err(); err != nil {
		t.Fatal(err)
	}
	o.aliveUntil.Store(0)
	if useAt(t, pa, "k", now) {
		t.Fatal("a nonce accepted twice by an owner that lost its liveness")
	}
	if o.released.Load() != 1 {
		t.Errorf("released %d times, want 1", o.released.Load())
	}
	if v := ownerRecord(t, a, p, "k"); v != "s:0" {
		t.Errorf("owner record %q, want s:0 (no refusal window)", v)
	}
	for i := range int64(5) {
		if useAt(t, pb, "k", now+i) {
			t.Fatalf("nonce %d accepted again through the other process", i)
		}
	}
	if !useAt(t, pb, "k", now+5) || useAt(t, pa, "k", now+5) {
		t.Fatal("a fresh nonce not accepted exactly once")
	}
}

// TestNonceOwnerLivenessBack: an owner whose liveness lapsed without a
// request of the key (its feed was down, or it was paused) while another
// process took the key over must not check it in memory again when its
// heartbeat renews the liveness key.
func TestNonceOwnerLivenessBack(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, b)
	pa, pb := a.Principals(p, 0), b.Principals(p, 0)
	now := time.Now().UnixMilli()
	if !useAt(t, pa, "k", now) {
		t.Fatal("a fresh nonce refused")
	}
	o := a.hub(p).nonces
	a.hub(p).close() // no heartbeat: the liveness key lapses
	if err := a.rdb.Del(ctxT(t), o.aliveKey).Err(); err != nil {
		t.Fatal(err)
	}
	o.aliveUntil.Store(0)
	if useAt(t, pb, "k", now) { // the takeover, with its refusal window
		t.Fatal("a nonce of the lost owner accepted again")
	}
	o.renewAlive(ctxT(t)) // the feed is back: the heartbeat renews the liveness
	later := time.Now().UnixMilli() + 7000
	okA := useAt(t, pa, "k", later)
	okB := useAt(t, pb, "k", later)
	if okA && okB {
		t.Fatal("a nonce accepted by both processes after the owner's liveness came back")
	}
	if !okA && !okB {
		t.Fatal("a fresh nonce refused by both processes")
	}
}

// failHook fails the commands that match while on, without sending them.
type failHook struct {
	on    atomic.Bool
	match func(redis.Cmder) bool
}

func (h *failHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *failHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() && h.match(cmd) {
			return errors.New("injected failure")
		}
		return next(ctx, cmd)
	}
}

func (h *failHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// isScript reports whether cmd runs s.
func isScript(cmd redis.Cmder, s *redis.Script) bool {
	args := cmd.Args()
	return cmd.Name() == "evalsha" && len(args) > 1 && args[1] == s.Hash()
}

// TestNonceReleaseFails: a release whose nonces reached Redis but whose
// owner record was not marked shared leaves the key owned here: the
// nonces accepted before must still be refused here.
func TestNonceReleaseFails(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	pr := c.Principals(p, 0)
	now := time.Now().UnixMilli()
	if !useAt(t, pr, "k", now) {
		t.Fatal("a fresh nonce refused")
	}
	h := &failHook{match: func(cmd redis.Cmder) bool { return isScript(cmd, releaseScript) }}
	c.rdb.AddHook(h)
	h.on.Store(true)
	if err := c.hub(p).nonces.release(ctxT(t), "k"); err == nil {
		t.Fatal("the release did not fail")
	}
	h.on.Store(false)
	if v := ownerRecord(t, c, p, "k"); v != ownedBy(c, p) {
		t.Fatalf("owner record %q, want still this process's", v)
	}
	if useAt(t, pr, "k", now) {
		t.Fatal("a nonce accepted twice after a failed release")
	}
}

// delayHook delays the commands that match, as a distant Redis would.
type delayHook struct {
	d     time.Duration
	match func(redis.Cmder) bool
}

func (h *delayHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *delayHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.match(cmd) {
			select {
			case <-time.After(h.d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return next(ctx, cmd)
	}
}

func (h *delayHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestNonceOwnerCloseSlow: Close gives up every key it owns within its
// time budget when each release waits for a slow round trip: a key left
// owned by the closed process is refused for a window elsewhere.
func TestNonceOwnerCloseSlow(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, b)
	pa := a.Principals(p, 0)
	now := time.Now().UnixMilli()
	const keys = 8
	for i := range keys {
		if !useAt(t, pa, "k"+strconv.Itoa(i), now) {
			t.Fatalf("key %d: a fresh nonce refused", i)
		}
	}
	origin := a.hub(p).origin
	a.rdb.AddHook(&delayHook{d: 200 * time.Millisecond, match: func(cmd redis.Cmder) bool { return isScript(cmd, releaseScript) }})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range keys {
		if v := b.rdb.Get(ctxT(t), p+"nonceowner:k"+strconv.Itoa(i)).Val(); v == "o:"+origin {
			t.Errorf("key %d still owned by the closed process", i)
		}
	}
	if n := b.rdb.Exists(ctxT(t), p+"alive:"+origin).Val(); n != 0 {
		t.Error("the closed process's liveness key is still there")
	}
}

// TestNonceSharedReverts: a key shared once (a handoff) is taken again by
// the process it is used through at the end of its shared period, which
// checks Redis too until the shared period's nonces expire, then checks in
// memory; the other process's nonces stay refused throughout.
func TestNonceSharedReverts(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, b)
	a.hub(p).nonces.shared, b.hub(p).nonces.shared = 500*time.Millisecond, 500*time.Millisecond
	pa, pb := a.Principals(p, 0), b.Principals(p, 0)
	// A nonce is remembered for ttl from its check, no longer: a check
	// later than that (a loaded machine) may accept it again, and proves
	// nothing. 1 s leaves room for that (it used to be 400 ms).
	const ttl = time.Second
	use := func(pr *Principals, ms int64) bool {
		t.Helper()
		ok, err := pr.UseNonce(ctxT(t), "k", strconv.FormatInt(ms, 10), ms, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	base := time.Now().UnixMilli()
	if !use(pa, base) || !use(pb, base+1) { // a takes it, b asks for it: shared
		t.Fatal("fresh nonces refused")
	}
	if v := ownerRecord(t, b, p, "k"); v != "s:0" {
		t.Fatalf("owner record %q, want shared", v)
	}
	ob := b.hub(p).nonces
	type use1 struct {
		n  int64
		at time.Time // before its first use: remembered until at + ttl at least
	}
	var accepted []use1
	// About 3 s here (the shared period, a warm-up, 20 checks in memory);
	// a loaded machine may take longer.
	deadline := time.Now().Add(15 * time.Second)
	for n := base + 2; time.Now().Before(deadline); n++ {
		at := time.Now()
		if !use(pb, n) {
			t.Fatalf("fresh nonce %d refused by b", n-base)
		}
		accepted = append(accepted, use1{n, at})
		if use(pb, n) && time.Since(at) < ttl {
			t.Fatalf("nonce %d accepted twice by b", n-base)
		}
		if ownerRecord(t, b, p, "k") == ownedBy(b, p) && ob.local.Load() > 20 {
			// b's again, in memory after its warm-up. The nonces of the
			// last ttl, replayed through a, which asks b for the key.
			checked := 0
			for _, u := range accepted[max(0, len(accepted)-10):] {
				ok := use(pa, u.n)
				if time.Since(u.at) >= ttl {
					continue // may be forgotten by now
				}
				if ok {
					t.Fatalf("nonce %d accepted by a after b", u.n-base)
				}
				checked++
			}
			if checked == 0 {
				t.Skip("too slow: every replay came later than ttl after its nonce")
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the key never went back to b: record %q, %d checks in memory, %d in Redis",
		ownerRecord(t, b, p, "k"), ob.local.Load(), ob.remote.Load())
}

// TestNonceRaceTransitions: nonces offered to two processes at once while
// the key goes from shared to owned and back (short shared periods,
// traffic through one process at times): each accepted exactly once.
func TestNonceRaceTransitions(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, b)
	prs := []*Principals{a.Principals(p, 0), b.Principals(p, 0)}
	a.hub(p).nonces.shared, b.hub(p).nonces.shared = 300*time.Millisecond, 300*time.Millisecond
	const ttl = 300 * time.Millisecond
	base := time.Now().UnixMilli()
	var mu sync.Mutex
	count := map[int64]int{}
	// slow: nonces whose uses spread over ttl or more (a loaded machine):
	// a use that late may find the nonce forgotten and accept it again.
	slow := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	deadline := time.Now().Add(5 * time.Second)
	var next atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				n := base + next.Add(1)
				sent := time.Now()
				// Phases of 1.2 s: both processes, then a alone, then b alone.
				phase := (time.Now().UnixMilli() - base) / 1200 % 3
				var targets []*Principals
				switch phase {
				case 0:
					targets = prs
				case 1:
					targets = prs[:1]
				default:
					targets = prs[1:]
				}
				// Each nonce twice per target, from two goroutines at once.
				var inner sync.WaitGroup
				for _, pr := range targets {
					for range 2 {
						inner.Go(func() {
							ok, err := pr.UseNonce(ctxT(t), "k", strconv.FormatInt(n, 10), n, ttl)
							if err != nil {
								select {
								case errs <- err:
								default:
								}
								return
							}
							if ok {
								mu.Lock()
								count[n]++
								mu.Unlock()
							}
						})
					}
				}
				inner.Wait()
				if time.Since(sent) >= ttl {
					mu.Lock()
					slow[n] = true
					mu.Unlock()
				}
				if g == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	// Then a alone until the key is back in one process's memory: after the
	// last handoff that takes the rest of the shared period and a warm-up
	// (about 1.6 s here), longer on a loaded machine.
	oa, ob := a.hub(p).nonces, b.hub(p).nonces
	for end := time.Now().Add(15 * time.Second); oa.local.Load()+ob.local.Load() == 0 && time.Now().Before(end); {
		n := base + next.Add(1)
		ok, err := prs[0].UseNonce(ctxT(t), "k", strconv.FormatInt(n, 10), n, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			count[n]++
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := next.Load()
	late := 0
	for i := int64(1); i <= total; i++ {
		if c := count[base+i]; c > 1 && slow[base+i] {
			late++
		} else if c != 1 {
			t.Fatalf("nonce %d of %d accepted %d times", i, total, c)
		}
	}
	if late > 0 {
		t.Logf("%d nonces accepted more than once by uses spread over more than ttl (a loaded machine)", late)
	}
	t.Logf("%d nonces; a: %d in memory, %d in Redis, %d handoffs; b: %d, %d, %d",
		total, oa.local.Load(), oa.remote.Load(), oa.handoffs.Load(), ob.local.Load(), ob.remote.Load(), ob.handoffs.Load())
	if oa.local.Load()+ob.local.Load() == 0 {
		t.Error("no nonce checked in memory: the key never went back to one process")
	}
}

// TestNonceWarmUpLateClaim: a claim sent before the last ttl + margin of a
// shared period but run by Redis in it (a slow round trip, a wait for a
// connection) takes the key; its warm-up must last until the nonces
// accepted elsewhere in the period leave the window, counted from when
// Redis ran the claim, not from when it was sent.
//
// The times leave about a second to a loaded machine: b's nonce (at 2 s)
// before the period's last ttl + margin (from 3 s) and a's claim (run at
// 3.1 s); the check (at 4.2 s) after a warm-up counted from the sending
// would end (4 s), with b's nonce still in the window (until 5 s).
func TestNonceWarmUpLateClaim(t *testing.T) {
	t.Parallel()
	const shared, ttl, delay = 3 * time.Second, 3 * time.Second, 3100 * time.Millisecond
	const bAt, checkAt = 2 * time.Second, delay + 1100*time.Millisecond
	x := newSharedPair(t, shared, ttl)
	a, p, pa, pb, use := x.a, x.p, x.pa, x.pb, x.use
	start := time.Now() // the shared period began: it lasts shared + ttl + margin
	var slow atomic.Bool
	slow.Store(true)
	a.rdb.AddHook(&delayHook{d: delay, match: func(cmd redis.Cmder) bool { return slow.Load() && isScript(cmd, claimScript) }})
	done := make(chan error, 1)
	go func() { // sent now, run by Redis in the period's last ttl + margin
		ok, err := use(pa, time.Now().UnixMilli())
		if err == nil && !ok {
			err = errors.New("a fresh nonce refused")
		}
		done <- err
	}()
	time.Sleep(time.Until(start.Add(bAt)))
	n := time.Now().UnixMilli() + ttl.Milliseconds()/2 - 10 // the client's clock ahead, in the window
	if ok, err := use(pb, n); err != nil || !ok {
		t.Fatalf("b: %v %v", ok, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("a: %v", err)
	}
	slow.Store(false)
	if v := ownerRecord(t, a, p, "k"); v != ownedBy(a, p) {
		t.Fatalf("owner record %q, want a's", v)
	}
	time.Sleep(time.Until(start.Add(checkAt)))
	x.refusedByA(t, n, ttl)
}

// TestNonceWarmUpSlowRedis: during a warm-up, the requests of the key wait
// for their SET NX together, as in a shared key, not one round trip after
// the other: a slow Redis must not queue them behind the key's lock (each
// for up to the client's timeouts), nor the release another process asks
// for behind them.
func TestNonceWarmUpSlowRedis(t *testing.T) {
	t.Parallel()
	const ttl = 4 * time.Second
	x := newSharedPair(t, 300*time.Millisecond, ttl)
	a, p, pa, pb, base, use := x.a, x.p, x.pa, x.pb, x.base, x.use
	time.Sleep(400 * time.Millisecond) // in the period's last ttl + margin
	if ok, err := use(pa, base+2); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	if v := ownerRecord(t, a, p, "k"); v != ownedBy(a, p) {
		t.Fatalf("owner record %q, want a's (a warm-up)", v)
	}
	var slow atomic.Bool // the SET NX of the key's nonces: 200 ms round trips
	a.ap.AddHook(&delayHook{d: 200 * time.Millisecond, match: func(cmd redis.Cmder) bool {
		return slow.Load() && cmd.Name() == "set" && strings.HasPrefix(cmd.Args()[1].(string), p+"kv:nonce:k:")
	}})
	slow.Store(true)
	const n = 10
	start := time.Now()
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for i := range int64(n) {
		wg.Go(func() {
			if ok, err := use(pa, base+10+i); err != nil {
				t.Error(err)
			} else if ok {
				accepted.Add(1)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	okB, errB := use(pb, base+100) // b asks a for the key meanwhile
	handoff := time.Since(start)
	wg.Wait()
	took := time.Since(start)
	slow.Store(false)
	if errB != nil || !okB {
		t.Errorf("b: %v %v", okB, errB)
	}
	if accepted.Load() != n {
		t.Errorf("%d of %d fresh nonces accepted", accepted.Load(), n)
	}
	if took > 1500*time.Millisecond || handoff > 1500*time.Millisecond {
		t.Errorf("%d requests of a warming key took %v, the handoff %v, with 200 ms round trips: one after the other", n, took, handoff)
	}
}

// TestNonceWarmUpReleaseInFlight: a release while a warm-up request's SET
// NX is on its way to Redis writes the nonces checked in memory only, not
// that one, which the SET NX then accepts.
func TestNonceWarmUpReleaseInFlight(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	pr := c.Principals(p, 0)
	now := time.Now().UnixMilli()
	if !useAt(t, pr, "k", now) { // owned, checked in memory
		t.Fatal("a fresh nonce refused")
	}
	o := c.hub(p).nonces
	k := o.kid("k")
	k.mu.Lock()
	k.record("inflight", mono(), true) // a warm-up request, before its SET NX
	k.mu.Unlock()
	if err := o.release(ctxT(t), "k"); err != nil {
		t.Fatal(err)
	}
	if n := c.rdb.Exists(ctxT(t), o.nonceKey("k", strconv.FormatInt(now, 10))).Val(); n != 1 {
		t.Error("a nonce checked in memory not handed over")
	}
	if ok, err := o.setNX(ctxT(t), "k", "inflight", 10*time.Second); err != nil || !ok {
		t.Fatalf("the warm-up request's SET NX after a release: %v %v, want accepted", ok, err)
	}
}

// lostReplyHook runs the commands that match, then fails them while on, as
// a reply lost to a timeout or a cancelled request would.
type lostReplyHook struct {
	on    atomic.Bool
	match func(redis.Cmder) bool
}

func (h *lostReplyHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *lostReplyHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if h.on.Load() && h.match(cmd) {
			return errors.New("injected: reply lost")
		}
		return err
	}
}

func (h *lostReplyHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestNonceWarmUpLostReply: a claim that takes the key at the end of its
// shared period but whose reply is lost (the request cancelled, a
// timeout) leaves the key owned here without a warm-up known; the next
// claim finds it owned here: the nonces accepted elsewhere in the period
// must still be checked in Redis.
func TestNonceWarmUpLostReply(t *testing.T) {
	t.Parallel()
	// b's nonce (at 300 ms) comes about a second before the period's last
	// ttl + margin (from 1.2 s), where b would take the key itself; a's
	// claim comes in it (1.3 s), b's nonce still in the window (until 2.3 s).
	const ttl, shared = 2 * time.Second, 1200 * time.Millisecond
	x := newSharedPair(t, shared, ttl)
	a, p, pa, pb, use := x.a, x.p, x.pa, x.pb, x.use
	start := time.Now()
	time.Sleep(time.Until(start.Add(300 * time.Millisecond)))
	n := time.Now().UnixMilli() + ttl.Milliseconds()/2 - 10 // the client's clock ahead, in the window
	if ok, err := use(pb, n); err != nil || !ok {
		t.Fatalf("b: %v %v", ok, err)
	}
	time.Sleep(time.Until(start.Add(shared + 100*time.Millisecond))) // the period's last ttl + margin
	h := &lostReplyHook{match: func(cmd redis.Cmder) bool { return isScript(cmd, claimScript) }}
	a.rdb.AddHook(h)
	h.on.Store(true)
	if _, err := use(pa, time.Now().UnixMilli()); err == nil {
		t.Fatal("the claim did not fail")
	}
	h.on.Store(false)
	if v := ownerRecord(t, a, p, "k"); v != ownedBy(a, p) {
		t.Fatalf("owner record %q, want a's", v)
	}
	x.refusedByA(t, n, ttl)
}

// TestNonceCloseDoesNotHoldTable: while Close waits for a key whose lock is
// held (a release on its round trips), the other keys, new ones included,
// are still served.
func TestNonceCloseDoesNotHoldTable(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	pr := c.Principals(p, 0)
	now := time.Now().UnixMilli()
	useAt(t, pr, "busy", now)
	o := c.hub(p).nonces
	busy := o.kid("busy")
	busy.mu.Lock()
	closed := make(chan struct{})
	go func() { o.close(context.Background()); close(closed) }()
	time.Sleep(50 * time.Millisecond) // close is waiting for busy's lock
	served := make(chan struct{})
	go func() { o.kid("new"); close(served) }()
	select {
	case <-served:
	case <-time.After(2 * time.Second):
		busy.mu.Unlock()
		t.Fatal("a new key waited for Close, which waited for a busy key")
	}
	busy.mu.Unlock()
	<-closed
}

// sharedPair is two processes on a fresh prefix, whose shared periods last
// shared, that share key "k": a took it with nonce base, b asked for it
// with base+1. use offers nonce ms of "k" with ttl through pr.
type sharedPair struct {
	a, b   *Client
	p      string
	pa, pb *Principals
	base   int64
	use    func(pr *Principals, ms int64) (bool, error)
}

func newSharedPair(t *testing.T, shared, ttl time.Duration) *sharedPair {
	t.Helper()
	x := &sharedPair{a: mustOpen(t, ""), b: mustOpen(t, "")}
	x.p = testPrefix(t, x.b)
	x.a.hub(x.p).nonces.shared, x.b.hub(x.p).nonces.shared = shared, shared
	x.pa, x.pb = x.a.Principals(x.p, 0), x.b.Principals(x.p, 0)
	x.use = func(pr *Principals, ms int64) (bool, error) {
		return pr.UseNonce(ctxT(t), "k", strconv.FormatInt(ms, 10), ms, ttl)
	}
	x.base = time.Now().UnixMilli()
	okA, errA := x.use(x.pa, x.base)
	okB, errB := x.use(x.pb, x.base+1) // a takes it, b asks for it: shared
	if errA != nil || errB != nil || !okA || !okB {
		t.Fatalf("fresh nonces: %v %v, %v %v", okA, errA, okB, errB)
	}
	return x
}

// refusedByA checks that a, which took the key, refuses nonce n that b
// accepted in the shared period (skipping when the machine was too slow to
// keep n in the window).
func (x *sharedPair) refusedByA(t *testing.T, n int64, ttl time.Duration) {
	t.Helper()
	if time.Now().UnixMilli()-n >= ttl.Milliseconds()/2 {
		t.Skip("too slow: the nonce left the window")
	}
	if ok, err := x.use(x.pa, n); err != nil || ok {
		t.Fatalf("a nonce b accepted in the shared period accepted again by a: %v %v", ok, err)
	}
}

// ownerRecord reads the owner record of kid under prefix p.
func ownerRecord(t *testing.T, c *Client, p, kid string) string {
	t.Helper()
	return c.rdb.Get(ctxT(t), p+"nonceowner:"+kid).Val()
}

// ownedBy is the owner record of a key c's process owns under prefix p.
func ownedBy(c *Client, p string) string { return "o:" + c.hub(p).origin }
