package app

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	barong "github.com/barong-go/barong"
	"golang.org/x/crypto/bcrypt"
)

// hashSlots bounds the bcrypt computations that run at once. A bcrypt at
// cost 12 holds a CPU for a quarter of a second: a sign-up or login storm
// with one computation per request would keep every CPU of the process
// busy, and the relay, the authz checks and every cheap request would wait
// for the scheduler's time slices between them. With at most GOMAXPROCS-1
// computations (at least one) one CPU stays free for everything else, and
// the other requests that need a hash queue in arrival order. A slot is
// held for the computation only: nothing else (database, throttle, sleep)
// runs in it.
type hashSlots chan struct{}

// newHashSlots makes n slots; n <= 0 means GOMAXPROCS-1, at least one.
func newHashSlots(n int) hashSlots {
	if n <= 0 {
		n = max(1, runtime.GOMAXPROCS(0)-1)
	}
	return make(hashSlots, n)
}

// run runs fn in a slot, waiting its turn; a request whose context ends
// while waiting gives up its turn (its client is gone: the CPU goes to
// the ones still waiting).
func (h hashSlots) run(ctx context.Context, fn func()) error {
	select {
	case h <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for a password hashing slot: %w", ctx.Err())
	}
	defer func() { <-h }()
	fn()
	return nil
}

// hashPassword validates pw with the policy and returns its bcrypt digest;
// validation failures are 422 keys (and "" is returned).
func (s *Service) hashPassword(ctx context.Context, v *barong.ValidationErrors, pw string) (string, error) {
	for _, k := range s.pw.Check(pw) {
		v.Add(k)
	}
	if len(*v) > 0 {
		return "", nil
	}
	var h []byte
	var err error
	if werr := s.hash.run(ctx, func() { h, err = bcrypt.GenerateFromPassword([]byte(pw), s.cfg.BcryptCost) }); werr != nil {
		return "", werr
	}
	if err != nil {
		v.Add("password.too_long")
		return "", nil
	}
	return string(h), nil
}

// randomDigest hashes a random password, for accounts created without one.
func (s *Service) randomDigest(ctx context.Context) (string, error) {
	var h []byte
	var err error
	if werr := s.hash.run(ctx, func() { h, err = bcrypt.GenerateFromPassword([]byte(randHex(24)), s.cfg.BcryptCost) }); werr != nil {
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
func (s *Service) passwordMatches(ctx context.Context, digest, pw string) (bool, error) {
	var ok bool
	err := s.hash.run(ctx, func() {
		if digest == "" {
			_ = bcrypt.CompareHashAndPassword(dummyDigest(s.cfg.BcryptCost), []byte(pw))
			return
		}
		ok = bcrypt.CompareHashAndPassword([]byte(digest), []byte(pw)) == nil
	})
	return ok, err
}
