package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/captcha"
)

// LoginInput is POST /identity/sessions.
type LoginInput struct {
	Email, Password, OTPCode string
	Captcha                  captcha.Response
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
func (s *Service) Login(ctx context.Context, in LoginInput, c Client) (*UserInfo, *barong.Session, error) {
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
	v, err := s.throttle.Check(ctx, a)
	s.recordThrottle(ctx, u, c, v)
	if err != nil {
		return nil, nil, err
	}
	fail := func(reason string) {
		if u != nil {
			s.recordAlone(ctx, u.ID, c, "session", "login", barong.ResultFailed, reason)
		}
		v, err := s.throttle.Fail(ctx, a)
		if err != nil {
			s.log.ErrorContext(ctx, "count failed login", slog.Any("error", err))
		}
		s.recordThrottle(ctx, u, c, v)
	}
	if u == nil {
		passwordMatches("", in.Password, s.cfg.BcryptCost)
		fail("")
		return nil, nil, barong.Unauthorized("identity.session.invalid_params")
	}
	if !passwordMatches(u.PasswordDigest, in.Password, s.cfg.BcryptCost) {
		fail("Invalid Email or Password")
		return nil, nil, barong.Unauthorized("identity.session.invalid_params")
	}
	succeed := func() {
		if err := s.throttle.Succeed(ctx, a); err != nil {
			s.log.ErrorContext(ctx, "clear login throttle", slog.Any("error", err))
		}
	}
	if err := s.stateAllowsLogin(ctx, u, c); err != nil {
		succeed() // the right password: this client is not guessing
		return nil, nil, err
	}
	action := "login"
	if u.OTP {
		action = "login::2fa"
		if strings.TrimSpace(in.OTPCode) == "" {
			return nil, nil, barong.Unauthorized("identity.session.missing_otp")
		}
		ok, err := s.checkTOTP(ctx, s.store, u, in.OTPCode)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			fail("OTP code is invalid")
			return nil, nil, barong.Forbidden("identity.session.invalid_otp")
		}
	}
	succeed()
	return s.completeLogin(ctx, u, c, action)
}

// recordThrottle records a throttle decision about an attempt at u's
// account as a failed session activity (the throttle logs it too).
func (s *Service) recordThrottle(ctx context.Context, u *barong.User, c Client, v Verdict) {
	if u == nil || v.Scope == "" {
		return
	}
	secs := int64((v.RetryAfter + time.Second - 1) / time.Second)
	reason := fmt.Sprintf("Too many login attempts (%s): next attempt in %d s", v.Scope, secs)
	if v.Refused {
		reason = fmt.Sprintf("Too many login attempts (%s): refused, retry in %d s", v.Scope, secs)
	}
	s.recordAlone(ctx, u.ID, c, "session", "login", barong.ResultFailed, reason)
}

// DeviceCookie is the device cookie to give a client that just signed in
// as uid, renewing current when it is one of uid's (empty when device
// cookies are off), and its lifetime.
func (s *Service) DeviceCookie(uid, current string) (string, time.Duration) {
	return s.throttle.IssueDevice(uid, current)
}

// Throttle is the sign-in throttle, for other ways of signing in.
func (s *Service) Throttle() *Throttle { return s.throttle }

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
