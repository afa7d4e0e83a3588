package app

import (
	"context"
	"fmt"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/captcha"
)

// LoginInput is POST /identity/sessions. With 2FA on, a passkey
// assertion (Passkey) may stand in for the TOTP code.
type LoginInput struct {
	Email, Password, OTPCode string
	Captcha                  captcha.Response
	Passkey                  *PasskeyAssertion
}

// KeyLoginThrottled is barong-go's error key for a throttled login (429).
const KeyLoginThrottled = "identity.session.too_many_attempts"

func throttleAccountKey(email string) string { return "login_fail:acct:" + strings.ToLower(email) }
func throttleIPKey(ip string) string         { return "login_fail:ip:" + ip }

// throttled reports whether the account or the client IP has used up its
// failed attempts in the current window.
func (s *Service) throttled(ctx context.Context, email, ip string) (bool, error) {
	t := s.cfg.Throttle
	if !t.Enabled {
		return false, nil
	}
	for _, k := range []struct {
		key string
		max int
	}{{throttleAccountKey(email), t.MaxPerAccount}, {throttleIPKey(ip), t.MaxPerIP}} {
		if k.max <= 0 || k.key == throttleAccountKey("") { // no account yet: the IP alone
			continue
		}
		v, err := s.kv.Get(ctx, k.key)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("read throttle: %w", err)
		}
		var n int
		fmt.Sscan(v, &n)
		if n >= k.max {
			return true, nil
		}
	}
	return false, nil
}

// countFailure adds a failed attempt for the account and the IP.
func (s *Service) countFailure(ctx context.Context, email, ip string) {
	if !s.cfg.Throttle.Enabled {
		return
	}
	for _, k := range []string{throttleAccountKey(email), throttleIPKey(ip)} {
		if k == throttleAccountKey("") { // no account yet: the IP alone
			continue
		}
		if _, err := s.kv.Incr(ctx, k, s.cfg.Throttle.Window); err != nil {
			s.log.ErrorContext(ctx, "count failed login", "error", err)
		}
	}
}

// Login checks credentials and opens a session (reference §6.2.1). Unlike
// Barong it checks the password before revealing the account state, and it
// throttles failed attempts per account and per client IP.
func (s *Service) Login(ctx context.Context, in LoginInput, c Client) (*UserInfo, *barong.Session, error) {
	if err := s.checkCaptcha(ctx, "session_create", in.Captcha, c); err != nil {
		return nil, nil, err
	}
	throttled, err := s.throttled(ctx, in.Email, c.IP)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByEmail(ctx, in.Email)
	if err != nil && !isNotFound(err) {
		return nil, nil, fmt.Errorf("load user: %w", err)
	}
	if throttled {
		if u != nil {
			s.recordAlone(ctx, u.ID, c, "session", "login", barong.ResultFailed, "Too many failed login attempts")
		}
		return nil, nil, barong.TooMany(KeyLoginThrottled)
	}
	if u == nil {
		passwordMatches("", in.Password, s.cfg.BcryptCost)
		s.countFailure(ctx, in.Email, c.IP)
		return nil, nil, barong.Unauthorized("identity.session.invalid_params")
	}
	if !passwordMatches(u.PasswordDigest, in.Password, s.cfg.BcryptCost) {
		s.countFailure(ctx, in.Email, c.IP)
		s.recordAlone(ctx, u.ID, c, "session", "login", barong.ResultFailed, "Invalid Email or Password")
		return nil, nil, barong.Unauthorized("identity.session.invalid_params")
	}
	return s.admitLogin(ctx, u, c, in.Email, "login", func(action string) error {
		return s.loginSecondFactor(ctx, u, c, in, action)
	})
}

// loginSecondFactor checks the TOTP code of a 2FA login, or without one
// the passkey assertion that stands in for it.
func (s *Service) loginSecondFactor(ctx context.Context, u *barong.User, c Client, in LoginInput, action string) error {
	if strings.TrimSpace(in.OTPCode) == "" {
		if in.Passkey != nil {
			return s.passkeySecondFactor(ctx, u, c, in.Passkey, action)
		}
		return barong.Unauthorized("identity.session.missing_otp")
	}
	ok, err := s.checkTOTP(ctx, s.store, u, in.OTPCode)
	if err != nil {
		return err
	}
	if !ok {
		s.throttleFail(ctx, in.Email, c.IP)
		s.recordAlone(ctx, u.ID, c, "session", action, barong.ResultFailed, "OTP code is invalid")
		return barong.Forbidden("identity.session.invalid_otp")
	}
	return nil
}

// stateAllowsLogin refuses banned, deleted and other non-active accounts.
func (s *Service) stateAllowsLogin(ctx context.Context, u *barong.User, c Client) error {
	var key, reason string
	switch {
	case u.State == barong.StateBanned:
		key, reason = "identity.session.banned", "Your account is banned"
	case u.State == barong.StateDeleted:
		key, reason = "identity.session.deleted", "Your account is deleted"
	case !u.CanSignIn():
		key, reason = "identity.session.not_active", "Your account is not active"
	default:
		return nil
	}
	s.recordAlone(ctx, u.ID, c, "session", "login", barong.ResultFailed, reason)
	return barong.Unauthorized(key)
}

// completeLogin records the success, emits system.session.create and opens
// a fresh session.
func (s *Service) completeLogin(ctx context.Context, u *barong.User, c Client, action string) (*UserInfo, *barong.Session, error) {
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.record(ctx, tx, u.ID, c, "session", action, barong.ResultSucceed, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, u)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, barong.Event{Name: "system.session.create",
			Payload: obj{{"user", rec}, {"user_ip", c.IP}, {"user_agent", c.UserAgent}}})
	})
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.openSession(ctx, u, c)
	if err != nil {
		return nil, nil, err
	}
	info, err := s.UserInfo(ctx, u)
	return info, sess, err
}
