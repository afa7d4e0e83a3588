package app

import (
	"context"

	barong "github.com/barong-go/barong"
)

// admitLogin is the tail every sign-in shares once its first factor (the
// password, or a passkey) checked out: the state checks, the second factor
// when u has 2FA on (secondFactor, nil when the first factor is already
// multi-factor, as a user-verified passkey is; the action gains "::2fa"),
// the throttle's success, the activity, system.session.create and a fresh
// session.
func (s *Service) admitLogin(ctx context.Context, u *barong.User, c Client, email, action string,
	secondFactor func(action string) error) (*UserInfo, *barong.Session, error) {
	if err := s.stateAllowsLogin(ctx, u, c); err != nil {
		return nil, nil, err
	}
	if u.OTP && secondFactor != nil {
		action += "::2fa"
		if err := secondFactor(action); err != nil {
			return nil, nil, err
		}
	}
	s.throttleSucceed(ctx, email)
	return s.completeLogin(ctx, u, c, action)
}

// The login throttle as sign-ins use it: check before the factors, count
// a failure, clear the account's count on success. email "" (a passkey
// sign-in before its user is known) means the client IP alone.

// throttleCheck reports whether the account or the IP used up its attempts.
func (s *Service) throttleCheck(ctx context.Context, email, ip string) (bool, error) {
	return s.throttled(ctx, email, ip)
}

// throttleFail counts a failed attempt.
func (s *Service) throttleFail(ctx context.Context, email, ip string) { s.countFailure(ctx, email, ip) }

// throttleSucceed clears the account's failed attempts.
func (s *Service) throttleSucceed(ctx context.Context, email string) {
	if s.cfg.Throttle.Enabled && email != "" {
		_ = s.kv.Delete(ctx, throttleAccountKey(email))
	}
}
