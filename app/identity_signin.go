package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	barong "github.com/barong-go/barong"
)

// admitLogin is the tail every sign-in shares once its first factor (the
// password, or a passkey) checked out: the state checks, the second factor
// when u has 2FA on (secondFactor, nil when the first factor is already
// multi-factor, as a user-verified passkey is; the action gains "::2fa"),
// the throttle's success for a, the activity, system.session.create and a
// fresh session.
func (s *core) admitLogin(ctx context.Context, u *barong.User, c Client, a Attempt, action string,
	secondFactor func(action string) error) (*UserInfo, *barong.Session, error) {
	if err := s.stateAllowsLogin(ctx, u, c); err != nil {
		s.succeedAttempt(ctx, a) // the right first factor: this client is not guessing
		return nil, nil, err
	}
	if u.OTP && secondFactor != nil {
		action += "::2fa"
		if err := secondFactor(action); err != nil {
			return nil, nil, err
		}
	}
	s.succeedAttempt(ctx, a)
	return s.completeLogin(ctx, u, c, action)
}

// The sign-in throttle (app/throttle.go) as every sign-in uses it: the
// attempt is checked before the factors, a wrong factor is a failure, a
// right one clears the client's counts. Each decision about an attempt at
// a known user (u) is also his failed session activity under the
// sign-in's action.

// checkAttempt starts the attempt a (429 with Retry-After when it must
// wait).
func (s *core) checkAttempt(ctx context.Context, u *barong.User, c Client, a Attempt, action string) error {
	v, err := s.throttle.Check(ctx, a)
	s.recordThrottle(ctx, u, c, action, v)
	return err
}

// failAttempt counts the failed attempt a, recording reason for u. An
// attempt at no known user records nothing but waits as long as recording
// takes (failRecord), so that its answer comes as late as a known user's.
func (s *core) failAttempt(ctx context.Context, u *barong.User, c Client, a Attempt, action, reason string) {
	s.recordFailure(ctx, u, c, action, reason)
	v, err := s.throttle.Fail(ctx, a)
	if err != nil {
		s.log.ErrorContext(ctx, "count failed sign-in", slog.Any("error", err))
	}
	s.recordThrottle(ctx, u, c, action, v)
}

// succeedAttempt clears the counts of the client that made a.
func (s *core) succeedAttempt(ctx context.Context, a Attempt) {
	if err := s.throttle.Succeed(ctx, a); err != nil {
		s.log.ErrorContext(ctx, "clear sign-in throttle", slog.Any("error", err))
	}
}

// recordThrottle records a throttle decision about an attempt at u's
// account as a failed session activity (the throttle logs it too).
func (s *core) recordThrottle(ctx context.Context, u *barong.User, c Client, action string, v Verdict) {
	if v.Scope == "" {
		return
	}
	secs := int64((v.RetryAfter + time.Second - 1) / time.Second)
	reason := fmt.Sprintf("Too many login attempts (%s): next attempt in %d s", v.Scope, secs)
	if v.Refused {
		reason = fmt.Sprintf("Too many login attempts (%s): refused, retry in %d s", v.Scope, secs)
	}
	s.recordFailure(ctx, u, c, action, reason)
}

// recordFailure records a failed session activity of u; with no u (an
// unknown e-mail) it waits the time such a record takes instead.
func (s *core) recordFailure(ctx context.Context, u *barong.User, c Client, action, reason string) {
	if u == nil {
		s.failRecord.wait(ctx)
		return
	}
	start := time.Now()
	s.recordAlone(ctx, u.ID, c, "session", action, barong.ResultFailed, reason)
	s.failRecord.observe(time.Since(start))
}

// recordCost is the recent time a failed sign-in's activity takes to
// record (a transaction with one insert, a commit that reaches the disk):
// a sign-in at an unknown e-mail, which records nothing, waits as long,
// so that its answer's time does not tell that the e-mail has no account
// (the password comparison already costs the same, passwordMatches).
type recordCost struct {
	avg   atomic.Int64 // nanoseconds, moving average (1/8 weight per sample)
	sleep func(ctx context.Context, d time.Duration)
}

// maxRecordWait bounds the wait: a stalled database does not hold
// sign-ins at unknown e-mails longer than this.
const maxRecordWait = time.Second

func (r *recordCost) observe(d time.Duration) {
	if r == nil {
		return
	}
	d = min(d, maxRecordWait)
	for {
		old := r.avg.Load()
		v := int64(d)
		if old != 0 {
			v = old + (int64(d)-old)/8
		}
		if r.avg.CompareAndSwap(old, v) {
			return
		}
	}
}

func (r *recordCost) wait(ctx context.Context) {
	if r == nil {
		return
	}
	if d := time.Duration(r.avg.Load()); d > 0 {
		r.sleep(ctx, d)
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
