package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/captcha"
)

// slowStore takes delay for every transaction (the commit of a failed
// sign-in's activity) and writes nothing.
type slowStore struct {
	barong.Store
	delay time.Duration
	txs   int
}

func (s *slowStore) InTx(context.Context, func(barong.Tx) error) error {
	s.txs++
	time.Sleep(s.delay)
	return nil
}

// TestFailedSignInRecordTime: a wrong password for a known user records a
// failed session activity (a transaction that reaches the disk) before
// the answer; a sign-in at an unknown e-mail records nothing. Its answer
// must still come as late, or the time tells that the e-mail has no
// account: it waits the recent time of such a record, also when the
// throttle delays or refuses it (which records an activity for a known
// user too).
func TestFailedSignInRecordTime(t *testing.T) {
	store := &slowStore{delay: 30 * time.Millisecond}
	var waited []time.Duration
	s := &core{store: store, log: slog.New(slog.DiscardHandler),
		throttle:   NewThrottle(ThrottleConfig{}, nil, nil, nil),
		failRecord: &recordCost{sleep: func(_ context.Context, d time.Duration) { waited = append(waited, d) }}}
	ctx := context.Background()
	a := Attempt{Account: "x@example.com", IP: "10.0.0.1"}

	s.failAttempt(ctx, nil, Client{}, a, "login", "") // nothing recorded yet: nothing known to mirror
	if len(waited) != 0 {
		t.Fatalf("waited %v before any record", waited)
	}
	s.failAttempt(ctx, &barong.User{ID: 1}, Client{}, a, "login", "Invalid Email or Password")
	if store.txs != 1 || len(waited) != 0 {
		t.Fatalf("known user: %d transactions, waited %v", store.txs, waited)
	}
	s.failAttempt(ctx, nil, Client{}, a, "login", "")
	if store.txs != 1 || len(waited) != 1 || waited[0] < store.delay || waited[0] > maxRecordWait {
		t.Fatalf("unknown e-mail: %d transactions, waited %v, want about %v", store.txs, waited, store.delay)
	}
	s.recordThrottle(ctx, nil, Client{}, "login", Verdict{Scope: ScopeAccountIP, RetryAfter: time.Minute})
	if store.txs != 1 || len(waited) != 2 || waited[1] < store.delay {
		t.Fatalf("throttled unknown e-mail: %d transactions, waited %v", store.txs, waited)
	}
	s.recordThrottle(ctx, nil, Client{}, "login", Verdict{})
	if len(waited) != 2 {
		t.Fatalf("an attempt the throttle let through waited: %v", waited)
	}
}

// usersByEmail answers UserByEmail from a map.
type usersByEmail struct {
	barong.Store
	users map[string]*barong.User
}

func (s usersByEmail) UserByEmail(_ context.Context, email string) (*barong.User, error) {
	if u, ok := s.users[email]; ok {
		return u, nil
	}
	return nil, barong.ErrNotFound
}

// TestUnknownEmailTokenRequestsTime: a password reset or a new
// confirmation e-mail requested for an unknown e-mail (or, for the
// confirmation, an active account, which gets none) answers 201 like one
// for an account, and as late: it waits the recent time of the work done
// for an account (a token signed, a transaction with the event, the
// marker stored).
func TestUnknownEmailTokenRequestsTime(t *testing.T) {
	var waited []time.Duration
	sleep := func(_ context.Context, d time.Duration) { waited = append(waited, d) }
	c := &core{store: usersByEmail{users: map[string]*barong.User{"on@example.com": {ID: 1, State: barong.StateActive}}},
		log: slog.New(slog.DiscardHandler), resetCost: &recordCost{sleep: sleep}, confirmCost: &recordCost{sleep: sleep}}
	c.resetCost.observe(40 * time.Millisecond)
	c.confirmCost.observe(25 * time.Millisecond)
	id := &Identity{c}
	ctx := context.Background()
	if err := id.RequestPasswordReset(ctx, "nobody@example.com", captcha.Response{}, Client{}); err != nil {
		t.Fatal(err)
	}
	if err := id.ResendConfirmation(ctx, "nobody@example.com", captcha.Response{}, Client{}); err != nil {
		t.Fatal(err)
	}
	if err := id.ResendConfirmation(ctx, "on@example.com", captcha.Response{}, Client{}); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 3 || waited[0] != 40*time.Millisecond || waited[1] != 25*time.Millisecond || waited[2] != 25*time.Millisecond {
		t.Fatalf("waited %v, want [40ms 25ms 25ms]", waited)
	}
}
