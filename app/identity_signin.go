package app

import (
	"context"
	"fmt"
	"log/slog"
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

// failAttempt counts the failed attempt a, recording reason for u.
func (s *core) failAttempt(ctx context.Context, u *barong.User, c Client, a Attempt, action, reason string) {
	if u != nil {
		s.recordAlone(ctx, u.ID, c, "session", action, barong.ResultFailed, reason)
	}
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
	if u == nil || v.Scope == "" {
		return
	}
	secs := int64((v.RetryAfter + time.Second - 1) / time.Second)
	reason := fmt.Sprintf("Too many login attempts (%s): next attempt in %d s", v.Scope, secs)
	if v.Refused {
		reason = fmt.Sprintf("Too many login attempts (%s): refused, retry in %d s", v.Scope, secs)
	}
	s.recordAlone(ctx, u.ID, c, "session", action, barong.ResultFailed, reason)
}
