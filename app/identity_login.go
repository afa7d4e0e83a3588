package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/captcha"
	"github.com/barong-go/barong/entity"
)

// LoginInput is POST /identity/sessions. With 2FA on, a passkey
// assertion (Passkey) may stand in for the TOTP code.
type LoginInput struct {
	Email, Password, OTPCode string
	Captcha                  captcha.Response
	Passkey                  *PasskeyAssertion
	// Device is the client's device cookie (DeviceCookie), "" for none.
	Device string
}

// KeyLoginThrottled is barong-go's error key for a throttled login (429).
const KeyLoginThrottled = "identity.session.too_many_attempts"

// Login checks credentials and opens a session (reference §6.2.1). Unlike
// Barong it checks the password before revealing the account state, and
// it throttles attempts (app/throttle.go) without ever locking an owner
// out: per account from each IP or known device, per IP, and per account
// from unknown devices.
func (s *Identity) Login(ctx context.Context, in LoginInput, c Client) (*UserInfo, *barong.Session, error) {
	if err := s.checkCaptcha(ctx, "session_create", in.Captcha, c); err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByEmail(ctx, in.Email)
	if err != nil && !isNotFound(err) {
		return nil, nil, fmt.Errorf("load user: %w", err)
	}
	a := Attempt{Account: in.Email, IP: c.IP}
	if u != nil {
		a.Device = s.throttle.Device(in.Device, u.UID)
	}
	if err := s.checkAttempt(ctx, u, c, a, "login"); err != nil {
		return nil, nil, err
	}
	var digest string
	if u != nil {
		digest = u.PasswordDigest
	}
	ok, err := s.passwordMatches(ctx, digest, in.Password)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		s.failAttempt(ctx, nil, c, a, "login", "")
		return nil, nil, barong.Unauthorized("identity.session.invalid_params")
	}
	if !ok {
		s.failAttempt(ctx, u, c, a, "login", "Invalid Email or Password")
		return nil, nil, barong.Unauthorized("identity.session.invalid_params")
	}
	return s.admitLogin(ctx, u, c, a, "login", func(action string) error {
		return s.loginSecondFactor(ctx, u, c, a, in, action)
	})
}

// loginSecondFactor checks the TOTP code of a 2FA login, or without one
// the passkey assertion that stands in for it.
func (s *core) loginSecondFactor(ctx context.Context, u *barong.User, c Client, a Attempt, in LoginInput, action string) error {
	if strings.TrimSpace(in.OTPCode) == "" {
		if in.Passkey != nil {
			return s.passkeySecondFactor(ctx, u, c, a, in.Passkey, action)
		}
		return barong.Unauthorized("identity.session.missing_otp")
	}
	ok, err := s.checkTOTP(ctx, s.store, u, in.OTPCode)
	if err != nil {
		return err
	}
	if !ok {
		s.failAttempt(ctx, u, c, a, action, "OTP code is invalid")
		return barong.Forbidden("identity.session.invalid_otp")
	}
	return nil
}

// DeviceCookie is the device cookie to give a client that just signed in
// as uid, renewing current when it is one of uid's (empty when device
// cookies are off), and its lifetime.
func (s *Identity) DeviceCookie(uid, current string) (string, time.Duration) {
	return s.throttle.IssueDevice(uid, current)
}

// Throttle is the sign-in throttle, for other ways of signing in.
func (s *Identity) Throttle() *Throttle { return s.throttle }

// stateAllowsLogin refuses banned, deleted and other non-active accounts.
func (s *core) stateAllowsLogin(ctx context.Context, u *barong.User, c Client) error {
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
func (s *core) completeLogin(ctx context.Context, u *barong.User, c Client, action string) (*UserInfo, *barong.Session, error) {
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.record(ctx, tx, u.ID, c, "session", action, barong.ResultSucceed, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, u)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, systemEvent("system.session.create",
			entity.SessionCreateEvent{User: rec, UserIP: c.IP, UserAgent: c.UserAgent}))
	})
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.openSession(ctx, u, c)
	if err != nil {
		return nil, nil, err
	}
	info, err := s.userInfo(ctx, u.UID)
	return info, sess, err
}
