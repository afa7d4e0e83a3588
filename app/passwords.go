package app

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	barong "github.com/barong-go/barong"
	"golang.org/x/crypto/bcrypt"
)

// hashPool runs the bcrypt computations of the process. A bcrypt at cost
// 12 holds a CPU for a quarter of a second: a sign-up or login storm with
// one computation per request would keep every CPU busy, and the relay,
// the authz checks and every cheap request would wait for the schedulers'
// time slices between them.
//
// The pool has as many workers as the process has CPUs (by default), each
// on an OS thread of its own whose scheduling class is SCHED_IDLE (Linux;
// nice 19 where that is refused): the kernel gives a hash only CPU time
// that no other thread of its scheduling group (the machine, or the
// container's cgroup, or the session's autogroup) wants, and a thread
// that wakes up (a request, the relay, the database, Redis) takes the CPU
// from a hash at once. So a storm hashes on every core when nothing else
// needs them, and costs the rest only what the kernel's preemption costs.
// The other side: where the CPUs are kept busy by other work, hashes wait
// for spare CPU, and so do the runtime's stop-the-world pauses when a
// worker holding a P is not running (docs/performance.md).
//
// A Go thread that is busy in bcrypt holds one of the scheduler's Ps, so
// the Go scheduler would not run the other goroutines beside the hashes if
// the workers could take every P: while hashes run (and for idleLower
// after the last), GOMAXPROCS is raised to the CPUs plus the workers, and
// set back to the runtime's default when the pool is idle, unless the
// operator set GOMAXPROCS (then the workers leave at least one P free).
// Raised for good, the extra Ps would let the request goroutines run on
// more threads than there are CPUs, and the kernel would slice the CPUs
// between them: an authz check's p99 went from 1.9 to 13 ms on a CPU of
// its own (docs/performance.md). A GOMAXPROCS change stops the world for
// a moment, at most twice per burst of sign-ins.
// The requests that need a hash queue in arrival order. A worker runs the
// computation only: nothing else (database, throttle, sleep) is ever done
// in it.
type hashPool struct {
	jobs chan hashJob
	// class is how the workers' threads are scheduled (lowerThreadPriority).
	class string
	procs *procsGovernor // nil: GOMAXPROCS is left alone
}

// idleLower is how long GOMAXPROCS stays raised after the last hash.
const idleLower = 2 * time.Second

// procsGovernor raises GOMAXPROCS by extra while the pool hashes.
type procsGovernor struct {
	extra int
	// get returns GOMAXPROCS, set sets it, reset restores the runtime's
	// default (runtime.GOMAXPROCS, runtime.SetDefaultGOMAXPROCS; tests
	// count calls).
	get   func() int
	set   func(int)
	reset func()

	mu        sync.Mutex
	busy      int
	up        bool
	lastLeave time.Time
	timer     *time.Timer
}

func runtimeProcs(extra int) *procsGovernor {
	return &procsGovernor{extra: extra, get: func() int { return runtime.GOMAXPROCS(0) },
		set: func(n int) { runtime.GOMAXPROCS(n) }, reset: runtime.SetDefaultGOMAXPROCS}
}

// enter raises GOMAXPROCS, before a hash is handed to a worker.
func (g *procsGovernor) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.busy++
	if !g.up {
		g.set(g.get() + g.extra)
		g.up = true
	}
}

// leave notes the end of a hash; the last one arms the lowering.
func (g *procsGovernor) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.busy--
	if g.busy > 0 {
		return
	}
	g.lastLeave = time.Now()
	if g.timer == nil {
		g.timer = time.AfterFunc(idleLower, g.lower)
	} else {
		g.timer.Reset(idleLower)
	}
}

// lower restores the default GOMAXPROCS once the pool has been idle for
// idleLower.
func (g *procsGovernor) lower() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy > 0 || !g.up {
		return
	}
	if left := idleLower - time.Since(g.lastLeave); left > 0 {
		g.timer.Reset(left)
		return
	}
	g.reset()
	g.up = false
}

type hashJob struct {
	fn   func()
	done chan struct{}
}

// newHashPool starts n workers (n >= 1) on threads of the lowest priority
// the process may give. They live until close.
func newHashPool(n int) *hashPool { return newHashPoolWith(n, lowerThreadPriority) }

// newHashPoolWith starts n workers whose threads are set up with lower
// (tests pass a lower that is refused the scheduling class); it returns
// once they all run.
func newHashPoolWith(n int, lower func() string) *hashPool {
	n = max(1, n)
	p := &hashPool{jobs: make(chan hashJob)}
	ready := make(chan string, n)
	for range n {
		go p.work(lower, ready)
	}
	for range n {
		p.class = <-ready
	}
	return p
}

// work runs jobs until the pool is closed. The thread is never unlocked:
// it keeps its lower priority for good and ends with the goroutine.
func (p *hashPool) work(lower func() string, ready chan<- string) {
	runtime.LockOSThread()
	ready <- lower()
	for j := range p.jobs {
		j.fn()
		close(j.done)
	}
}

// close stops the workers (tests; the process's pool is never closed).
func (p *hashPool) close() { close(p.jobs) }

// HashingSetup is how the process hashes passwords, for the start log.
type HashingSetup struct {
	// Workers is the number of hashing threads.
	Workers int
	// Class is their scheduling: "SCHED_IDLE", "nice 19" (SCHED_IDLE
	// refused) or "normal" (not Linux).
	Class string
	// GOMAXPROCS is the scheduler's Ps while no hash runs, WhileHashing
	// while hashes run (more when the pool raises it: the operator did
	// not set GOMAXPROCS).
	GOMAXPROCS, WhileHashing int
}

var (
	hashOnce  sync.Once
	hashPoolP *hashPool
	hashSetup HashingSetup
)

// StartPasswordHashing starts the process's hashing pool with workers
// threads (<= 0: the default) and returns how it runs. Only the first
// call, or the first hash, starts it (the first hash starts it with the
// default); later calls return the pool as it is. barong serve calls it
// at start with BARONG_BCRYPT_WORKERS.
//
// When the environment does not set GOMAXPROCS, the default is one
// worker per CPU the runtime gave the process (its default GOMAXPROCS:
// the CPUs, or the container's CPU limit), and while hashes run
// GOMAXPROCS is raised to those CPUs plus the workers, so that the workers
// busy in bcrypt never take the Ps that the requests, the relay and the
// runtime need (between bursts the runtime's default is back, and follows
// the container's CPU limit). With GOMAXPROCS set by the operator it is
// left alone and the default is GOMAXPROCS-1 workers (at least one, at
// most the machine's CPUs), so that one P is never hashing.
func StartPasswordHashing(workers int) HashingSetup {
	hashOnce.Do(func() {
		pinned := os.Getenv("GOMAXPROCS") != "" // as the runtime reads it
		before := runtime.GOMAXPROCS(0)
		n, procs := hashPoolSize(workers, before, runtime.NumCPU(), pinned)
		hashPoolP = newHashPool(n)
		if procs != before {
			hashPoolP.procs = runtimeProcs(procs - before)
		}
		hashSetup = HashingSetup{Workers: n, Class: hashPoolP.class, GOMAXPROCS: before, WhileHashing: procs}
	})
	return hashSetup
}

// hashPoolSize returns the number of workers and the GOMAXPROCS to run
// them with, from the workers asked for (<= 0: the default), the current
// GOMAXPROCS, the machine's CPUs and whether the operator set GOMAXPROCS.
func hashPoolSize(workers, procs, cpus int, pinned bool) (n, gomaxprocs int) {
	if pinned {
		if workers <= 0 {
			workers = min(cpus, max(1, procs-1))
		}
		return workers, procs
	}
	if workers <= 0 {
		workers = procs
	}
	return workers, procs + workers
}

// hashes is the process's pool, started with the default on first use
// unless StartPasswordHashing started it.
func hashes() *hashPool {
	StartPasswordHashing(0)
	return hashPoolP
}

// run runs fn on a worker, waiting its turn; a request whose context ends
// before a worker takes it gives up its turn (its client is gone: the CPU
// goes to the ones still waiting). Once taken, fn runs to its end.
func (p *hashPool) run(ctx context.Context, fn func()) error {
	if p.procs != nil {
		p.procs.enter()
		defer p.procs.leave()
	}
	j := hashJob{fn: fn, done: make(chan struct{})}
	select {
	case p.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("wait for a password hashing worker: %w", ctx.Err())
	}
	<-j.done
	return nil
}

// hashPassword validates pw with the policy and returns its bcrypt digest;
// validation failures are 422 keys (and "" is returned).
func (s *core) hashPassword(ctx context.Context, v *barong.ValidationErrors, pw string) (string, error) {
	for _, k := range s.pw.Check(pw) {
		v.Add(k)
	}
	if len(*v) > 0 {
		return "", nil
	}
	var h []byte
	var err error
	if werr := hashes().run(ctx, func() { h, err = bcrypt.GenerateFromPassword([]byte(pw), s.cfg.BcryptCost) }); werr != nil {
		return "", werr
	}
	if err != nil {
		v.Add("password.too_long")
		return "", nil
	}
	return string(h), nil
}

// randomDigest hashes a random password, for accounts created without one.
func (s *core) randomDigest(ctx context.Context) (string, error) {
	var h []byte
	var err error
	if werr := hashes().run(ctx, func() { h, err = bcrypt.GenerateFromPassword([]byte(randHex(24)), s.cfg.BcryptCost) }); werr != nil {
		return "", werr
	}
	if err != nil {
		return "", fmt.Errorf("hash random password: %w", err)
	}
	return string(h), nil
}

// dummyDigests holds, per bcrypt cost, a digest compared against when no
// user matches, so that a login for an unknown e-mail costs the same time as
// one with a wrong password. Made on first use: computing it at package
// init cost every command (even `barong version`) 190 ms at cost 12.
var dummyDigests sync.Map // int -> []byte

func dummyDigest(cost int) []byte {
	if d, ok := dummyDigests.Load(cost); ok {
		return d.([]byte)
	}
	d, err := bcrypt.GenerateFromPassword([]byte("barong-go timing equaliser"), cost)
	if err != nil {
		d, _ = bcrypt.GenerateFromPassword([]byte("barong-go timing equaliser"), bcrypt.DefaultCost)
	}
	v, _ := dummyDigests.LoadOrStore(cost, d)
	return v.([]byte)
}

// passwordMatches compares pw to a bcrypt digest (Barong's $2a$ hashes
// verify unchanged) in a hashing slot, in the time of a comparison at the
// configured cost at least (comparePassword). The error is the context's,
// when it ends while waiting.
func (s *core) passwordMatches(ctx context.Context, digest, pw string) (bool, error) {
	var ok bool
	err := hashes().run(ctx, func() { ok = comparePassword(s.cfg.BcryptCost, digest, pw) })
	return ok, err
}

// compareHash is bcrypt's comparison (tests count the work it is given).
var compareHash = bcrypt.CompareHashAndPassword

// comparePassword reports whether pw matches digest, spending the time of
// a comparison at cost at least, so that a sign-in's time does not tell
// whether the e-mail has an account: with no digest (no such user) or one
// that is not a usable bcrypt hash it compares against a dummy digest of
// cost and answers false; a digest of a lower cost (imported through the
// management API or from another system) is padded with dummy comparisons
// at its cost and each cost up to cost-1, since 2^cost = 2^c + 2^c + … +
// 2^(cost-1). A digest of a higher cost takes its own, longer time.
func comparePassword(cost int, digest, pw string) bool {
	c, err := bcrypt.Cost([]byte(digest))
	if err != nil || c < bcrypt.MinCost || c > bcrypt.MaxCost {
		_ = compareHash(dummyDigest(cost), []byte(pw))
		return false
	}
	ok := compareHash([]byte(digest), []byte(pw)) == nil
	for k := c; k < cost; k++ {
		_ = compareHash(dummyDigest(k), []byte(pw))
	}
	return ok
}
