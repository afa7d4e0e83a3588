package app

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	barong "github.com/barong-go/barong"
	"golang.org/x/crypto/bcrypt"
)

// hashPool runs the bcrypt computations of the process. A bcrypt at cost
// 12 holds a CPU for a quarter of a second: a sign-up or login storm with
// one computation per request would keep every CPU busy, and the relay,
// the authz checks and every cheap request would wait for the schedulers'
// time slices between them. The pool bounds the computations to
// GOMAXPROCS-1 at once (at least one), so that one P of the Go scheduler
// stays free for everything else; the requests that need a hash queue in
// arrival order. Its workers run on OS threads of their own with a lower
// priority (nice +10, Linux), so that the kernel also prefers the
// process's other threads, and the database and Redis it waits for, over
// a hash. A worker runs the computation only: nothing else (database,
// throttle, sleep) is ever done in it.
type hashPool struct {
	jobs chan hashJob
}

type hashJob struct {
	fn   func()
	done chan struct{}
}

// newHashPool starts n workers; n <= 0 means GOMAXPROCS-1, at least one.
// They live as long as the process.
func newHashPool(n int) *hashPool {
	if n <= 0 {
		n = max(1, runtime.GOMAXPROCS(0)-1)
	}
	p := &hashPool{jobs: make(chan hashJob)}
	for range n {
		go p.work()
	}
	return p
}

// work runs jobs until the pool is closed. The thread is never unlocked:
// it keeps its lower priority for good and ends with the goroutine.
func (p *hashPool) work() {
	runtime.LockOSThread()
	lowerThreadPriority()
	for j := range p.jobs {
		j.fn()
		close(j.done)
	}
}

// close stops the workers (tests; the process's pool is never closed).
func (p *hashPool) close() { close(p.jobs) }

// hashes is the process's pool, started on first use.
var hashes = sync.OnceValue(func() *hashPool { return newHashPool(0) })

// run runs fn on a worker, waiting its turn; a request whose context ends
// before a worker takes it gives up its turn (its client is gone: the CPU
// goes to the ones still waiting). Once taken, fn runs to its end.
func (p *hashPool) run(ctx context.Context, fn func()) error {
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
// verify unchanged) in a hashing slot. With no digest (no such user) it
// spends the time of a comparison at the configured cost and answers
// false. The error is the context's, when it ends while waiting.
func (s *core) passwordMatches(ctx context.Context, digest, pw string) (bool, error) {
	var ok bool
	err := hashes().run(ctx, func() {
		if digest == "" {
			_ = bcrypt.CompareHashAndPassword(dummyDigest(s.cfg.BcryptCost), []byte(pw))
			return
		}
		ok = bcrypt.CompareHashAndPassword([]byte(digest), []byte(pw)) == nil
	})
	return ok, err
}
