package app

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/captcha"
	"github.com/barong-go/barong/entity"
	"github.com/barong-go/barong/token"
)

// SignUpInput is POST /identity/users. Username is nil when not sent; a
// blank one is validated (too_short, invalid) as Barong does.
type SignUpInput struct {
	Email, Password, RefID, Data string
	Username                     *string
	Captcha                      captcha.Response
	// SetupToken, when set, claims the first superadmin (app/identity_setup.go).
	SetupToken string
}

// checkCaptcha verifies the response when endpoint is protected.
func (s *core) checkCaptcha(ctx context.Context, endpoint string, resp captcha.Response, c Client) error {
	if !s.cfg.CaptchaProtected[endpoint] || s.captcha == nil {
		return nil
	}
	err := s.captcha.Verify(ctx, resp, c.IP)
	var ce *captcha.Error
	if errors.As(err, &ce) {
		return barong.WithStatus(ce.Status, ce.Key)
	}
	return err
}

// SignUp registers a user and opens his session (reference §6.2.4). The
// user is a member unless in.SetupToken claims the first superadmin
// (app/identity_setup.go); Barong promoted whoever signed up first.
func (s *Identity) SignUp(ctx context.Context, in SignUpInput, c Client) (*UserInfo, *barong.Session, error) {
	if err := s.checkCaptcha(ctx, "user_create", in.Captcha, c); err != nil {
		return nil, nil, err
	}
	u := &barong.User{Email: in.Email, Data: in.Data}
	if in.Username != nil {
		u.Username = strings.ToLower(*in.Username)
	}
	if in.RefID != "" {
		if !strings.HasPrefix(in.RefID, strings.ToUpper(s.cfg.UIDPrefix)) {
			return nil, nil, barong.Invalid("identity.user.invalid_referral_format")
		}
		ref, err := s.store.UserByUID(ctx, in.RefID)
		if err != nil {
			if isNotFound(err) {
				return nil, nil, barong.Invalid("identity.user.referral_doesnt_exist")
			}
			return nil, nil, fmt.Errorf("load referrer: %w", err)
		}
		u.ReferralID = ref.ID
	}
	var v barong.ValidationErrors
	validateUserFields(&v, u, in.Username != nil)
	if err := s.checkTaken(ctx, &v, u); err != nil {
		return nil, nil, err
	}
	digest, err := s.hashPassword(ctx, &v, in.Password)
	if err != nil {
		return nil, nil, err
	}
	u.PasswordDigest = digest
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	orig := *u
	err = s.inTx(ctx, func(tx *txn) error {
		*u = orig // a retried attempt starts over
		if err := s.createUser(ctx, tx, u); err != nil {
			return err
		}
		if err := s.record(ctx, tx, u.ID, c, "account", "signup", barong.ResultSucceed, ""); err != nil {
			return err
		}
		if in.SetupToken == "" {
			return s.emitConfirmation(ctx, tx, u)
		}
		if err := s.claimSetup(ctx, tx, in.SetupToken); err != nil {
			return err
		}
		before := *u
		u.Role, u.State = barong.RoleSuperadmin, barong.StateActive
		if err := s.updateUser(ctx, tx, before, u); err != nil {
			return err
		}
		_, err := s.setLabel(ctx, tx, u, "email", "verified", barong.ScopePrivate, "")
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if in.SetupToken != "" {
		s.log.WarnContext(ctx, "setup token used: first superadmin created", "uid", u.UID, "ip", c.IP)
	}
	sess, err := s.openSession(ctx, u, c)
	if err != nil {
		return nil, nil, err
	}
	info, err := s.userInfo(ctx, u.UID)
	return info, sess, err
}

// checkTaken adds email.taken / username.taken before the insert, so that
// the common case answers with every key at once; the unique indexes still
// guard the race.
func (s *core) checkTaken(ctx context.Context, v *barong.ValidationErrors, u *barong.User) error {
	if u.Email != "" {
		if _, err := s.store.UserByEmail(ctx, u.Email); err == nil {
			v.Add("email.taken")
		} else if !isNotFound(err) {
			return fmt.Errorf("check email: %w", err)
		}
	}
	if u.Username != "" {
		if _, err := s.store.UserByUsername(ctx, u.Username); err == nil {
			v.Add("username.taken")
		} else if !isNotFound(err) {
			return fmt.Errorf("check username: %w", err)
		}
	}
	return nil
}

func (s *core) roleExists(ctx context.Context, q barong.PermissionQueries, role string) (bool, error) {
	ok, err := q.RoleExists(ctx, role)
	if err != nil {
		return false, fmt.Errorf("check role: %w", err)
	}
	return ok, nil
}

// emitConfirmation publishes system.user.email.confirmation.token.
func (s *core) emitConfirmation(ctx context.Context, tx *txn, u *barong.User) error {
	tok, err := s.tokens.IssueConfirmation(u.Email, u.UID, s.now(), s.cfg.JWTExpire)
	if err != nil {
		return fmt.Errorf("issue confirmation token: %w", err)
	}
	rec, err := s.userRecord(ctx, tx, u)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, systemEvent("system.user.email.confirmation.token",
		entity.UserTokenEvent{User: rec, Domain: s.cfg.Domain, Token: tok}))
}

// ResendConfirmation is POST /identity/users/email/generate_code: silent for
// unknown or active accounts (reference §6.2.7).
func (s *Identity) ResendConfirmation(ctx context.Context, email string, resp captcha.Response, c Client) error {
	if err := s.checkCaptcha(ctx, "email_confirmation", resp, c); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if isNotFound(err) || err == nil && u.State == barong.StateActive {
		s.confirmCost.wait(ctx) // answer as late as for a pending account
		return nil
	}
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	start := time.Now()
	err = s.inTx(ctx, func(tx *txn) error { return s.emitConfirmation(ctx, tx, u) })
	if err == nil {
		s.confirmCost.observe(time.Since(start))
	}
	return err
}

// oneTimeError maps a token verification failure to Barong's 422 key.
func oneTimeError(err error) error {
	var ve *token.VerifyError
	if errors.As(err, &ve) {
		return barong.Invalid(ve.Key())
	}
	return fmt.Errorf("verify token: %w", err)
}

// ConfirmEmail is POST /identity/users/email/confirm_code (reference §6.2.8).
func (s *Identity) ConfirmEmail(ctx context.Context, tok string, c Client) (*UserInfo, *barong.Session, error) {
	claims, err := s.tokens.VerifyOneTime(tok, "confirmation", s.now())
	if err != nil {
		return nil, nil, oneTimeError(err)
	}
	u, err := s.store.UserByEmail(ctx, claims.Email)
	if isNotFound(err) || (err == nil && u.State == barong.StateActive) {
		return nil, nil, barong.Invalid("identity.user.active_or_doesnt_exist")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load user: %w", err)
	}
	fresh, err := s.kv.SetNX(ctx, "jti:"+claims.JTI, "utilized", s.cfg.JWTExpire)
	if err != nil {
		return nil, nil, fmt.Errorf("mark token: %w", err)
	}
	if !fresh {
		return nil, nil, barong.Invalid("identity.user.utilized_token")
	}
	err = s.inTx(ctx, func(tx *txn) error {
		if _, err := s.setLabel(ctx, tx, u, "email", "verified", barong.ScopePrivate, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, u)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, systemEvent("system.user.email.confirmed", entity.UserDomainEvent{User: rec, Domain: s.cfg.Domain}))
	})
	if err != nil {
		_ = s.kv.Delete(ctx, "jti:"+claims.JTI)
		return nil, nil, err
	}
	sess, err := s.openSession(ctx, u, c)
	if err != nil {
		return nil, nil, err
	}
	info, err := s.userInfo(ctx, u.UID)
	return info, sess, err
}

func resetKey(email string) string { return "reset_password:" + strings.ToLower(email) }

// RequestPasswordReset is POST /identity/users/password/generate_code:
// silent for unknown e-mails (reference §6.2.9, interface.md).
func (s *Identity) RequestPasswordReset(ctx context.Context, email string, resp captcha.Response, c Client) error {
	if err := s.checkCaptcha(ctx, "password_reset", resp, c); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if isNotFound(err) {
		s.resetCost.wait(ctx) // answer as late as for an account
		return nil
	}
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	start := time.Now()
	resetToken := randHex(10)
	tok, err := s.tokens.IssueReset(u.Email, u.UID, resetToken, s.now(), s.cfg.JWTExpire)
	if err != nil {
		return fmt.Errorf("issue reset token: %w", err)
	}
	err = s.inTx(ctx, func(tx *txn) error {
		if err := s.record(ctx, tx, u.ID, c, "password", "request password reset", barong.ResultSucceed, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, u)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, systemEvent("system.user.password.reset.token",
			entity.UserTokenEvent{User: rec, Domain: s.cfg.Domain, Token: tok}))
	})
	if err != nil {
		return err
	}
	// Only the latest requested token is valid.
	if err := s.kv.Set(ctx, resetKey(u.Email), resetToken, s.cfg.JWTExpire); err != nil {
		return err
	}
	s.resetCost.observe(time.Since(start))
	return nil
}

// ResetPassword is POST /identity/users/password/confirm_code (reference
// §6.2.10): it sets the password, marks the token used and revokes every
// session of the user.
func (s *Identity) ResetPassword(ctx context.Context, tok, pw, confirm string, c Client) error {
	if pw != confirm {
		return barong.Invalid("identity.user.passwords_doesnt_match")
	}
	claims, err := s.tokens.VerifyOneTime(tok, "reset", s.now())
	if err != nil {
		return oneTimeError(err)
	}
	latest, err := s.kv.Get(ctx, resetKey(claims.Email))
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("load reset marker: %w", err)
	}
	if latest == "" || !hmac.Equal([]byte(latest), []byte(claims.ResetToken)) {
		return barong.Invalid("identity.user.utilized_token")
	}
	if used, err := s.kv.Get(ctx, "jti:"+claims.JTI); err == nil && used != "" {
		return barong.Invalid("identity.user.utilized_token")
	}
	u, err := s.store.UserByEmail(ctx, claims.Email)
	if err != nil {
		if isNotFound(err) {
			return barong.NotFound("record.not_found")
		}
		return fmt.Errorf("load user: %w", err)
	}
	var v barong.ValidationErrors
	digest, err := s.hashPassword(ctx, &v, pw)
	if err != nil {
		return err
	}
	if len(v) > 0 {
		s.recordAlone(ctx, u.ID, c, "password", "password reset", barong.ResultFailed, strings.Join(v, ", "))
		return v.Err()
	}
	fresh, err := s.kv.SetNX(ctx, "jti:"+claims.JTI, "utilized", s.cfg.JWTExpire)
	if err != nil {
		return fmt.Errorf("mark token: %w", err)
	}
	if !fresh {
		return barong.Invalid("identity.user.utilized_token")
	}
	orig := *u
	err = s.inTx(ctx, func(tx *txn) error {
		*u = orig // a retried attempt starts over
		before := *u
		u.PasswordDigest = digest
		if err := s.updateUser(ctx, tx, before, u); err != nil {
			return err
		}
		if err := s.record(ctx, tx, u.ID, c, "password", "password reset", barong.ResultSucceed, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, u)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, systemEvent("system.user.password.reset", entity.UserDomainEvent{User: rec, Domain: s.cfg.Domain}))
	})
	if err != nil {
		_ = s.kv.Delete(ctx, "jti:"+claims.JTI)
		return err
	}
	_ = s.kv.Delete(ctx, resetKey(u.Email))
	s.revokeSessions(ctx, u.UID, "")
	return nil
}
