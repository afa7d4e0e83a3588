package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

// UpdateData is PUT /resource/users/me (reference §6.3.1): it replaces
// the user's data, a JSON text of at most 1024 characters, and returns the
// full view of the user.
func (s *Users) UpdateData(ctx context.Context, actor barong.Actor, data string) (*UserInfo, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	var v barong.ValidationErrors
	validateData(&v, data, 1024)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var after *barong.User
	err := s.inTx(ctx, func(tx *txn) error {
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		before := *cur
		cur.Data = data
		after = cur
		if before.Data == data {
			return nil
		}
		return s.updateUser(ctx, tx, before, cur)
	})
	if err != nil {
		return nil, err
	}
	return s.userInfo(ctx, after.UID)
}

// DeleteAccountInput is DELETE /resource/users/me. OTPSent tells whether
// otp_code was sent at all.
type DeleteAccountInput struct {
	Password string
	OTPCode  string
	OTPSent  bool
}

// Delete is DELETE /resource/users/me (reference §6.3.1): after
// the password (and the TOTP code when 2FA is on) it sets the private label
// delete=by_user, whose state trigger makes the user deleted (API keys
// deactivated, sessions revoked), and emits system.user.account.deleted.
func (s *Users) Delete(ctx context.Context, actor barong.Actor, in DeleteAccountInput) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	if ok, err := s.passwordLimited(ctx, u, in.Password); err != nil {
		return err
	} else if !ok {
		return barong.Invalid("resource.user.invalid_password")
	}
	if u.OTP {
		switch {
		case !in.OTPSent:
			return barong.Invalid("resource.user.missing_otp_code")
		case strings.TrimSpace(in.OTPCode) == "":
			return barong.Invalid("resource.user.empty_otp_code")
		}
		err := s.totpLimited(ctx, u, func() error {
			ok, err := s.checkTOTP(ctx, s.store, u, in.OTPCode)
			if err != nil {
				return err
			}
			if !ok {
				return barong.Invalid("resource.user.invalid_otp")
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *txn) error {
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if _, err := s.setLabel(ctx, tx, cur, "delete", "by_user", barong.ScopePrivate, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, cur)
		if err != nil {
			return err
		}
		return tx.Emit(ctx, systemEvent("system.user.account.deleted", entity.UserEvent{User: rec}))
	})
}

// ChangePasswordInput is PUT /resource/users/password.
type ChangePasswordInput struct {
	Old, New, Confirm string
}

// ChangePassword is PUT /resource/users/password (reference §6.3.1). On
// success it records the activity, emits system.user.password.change and
// revokes every other session of the user (interface §5): keepSession is
// the caller's session id, "" when the caller used an API key or a bearer
// JWT (then every session is revoked).
func (s *Users) ChangePassword(ctx context.Context, actor barong.Actor, keepSession string, in ChangePasswordInput, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	fail := func(reason string, err error) error {
		s.recordAlone(ctx, u.ID, c, "password", "password change", barong.ResultFailed, reason)
		return err
	}
	if in.New != in.Confirm {
		return fail("New passwords don't match", barong.Invalid("resource.password.doesnt_match"))
	}
	if ok, err := s.passwordLimited(ctx, u, in.Old); err != nil {
		return err
	} else if !ok {
		return fail("Previous password is not correct", barong.BadRequest("resource.password.prev_pass_not_correct"))
	}
	if in.Old == in.New {
		return fail("New password cant be the same, as old one", barong.BadRequest("resource.password.no_change_provided"))
	}
	var v barong.ValidationErrors
	digest, err := s.hashPassword(ctx, &v, in.New)
	if err != nil {
		return err
	}
	if len(v) > 0 {
		return fail(strings.Join(v, ", "), v.Err())
	}
	uid := u.UID
	return s.inTx(ctx, func(tx *txn) error {
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		before := *cur
		cur.PasswordDigest = digest
		if err := s.updateUser(ctx, tx, before, cur); err != nil {
			return err
		}
		if err := s.record(ctx, tx, cur.ID, c, "password", "password change", barong.ResultSucceed, ""); err != nil {
			return err
		}
		rec, err := s.userRecord(ctx, tx, cur)
		if err != nil {
			return err
		}
		tx.after = append(tx.after, func(ctx context.Context) { s.revokeSessions(ctx, uid, keepSession) })
		return tx.Emit(ctx, systemEvent("system.user.password.change", entity.UserDomainEvent{User: rec, Domain: s.cfg.Domain}))
	})
}

// ActivityTopics are the topics of GET /resource/users/activity/:topic.
var ActivityTopics = []string{"all", "session", "otp", "password", "account", "webauthn"}

// ActivityQuery selects the caller's activities: Topic is one of
// ActivityTopics, zero times are unbounded, Result "" matches any.
type ActivityQuery struct {
	Topic    string
	Result   string
	From, To time.Time
	Page     barong.Page
}

// Own is GET /resource/users/activity/:topic (reference §6.3.1):
// a page of the user's activities, newest first, and the number of all
// matches; none at all is 422 resource.user.no_activity. Barong also lists
// admin-category records whose actor is the user (reference Note); they
// are audit records for administrators, so only the user category is shown.
func (s *Activities) Own(ctx context.Context, actor barong.Actor, q ActivityQuery) ([]barong.Activity, int64, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, 0, err
	}
	u := actor.User
	if !slices.Contains(ActivityTopics, q.Topic) {
		return nil, 0, barong.Invalid("resource.user.wrong_topic")
	}
	f := barong.ActivityFilter{UserID: u.ID, Category: barong.CategoryUser, Result: q.Result, From: q.From, To: q.To, Page: q.Page}
	if q.Topic != "all" {
		f.Topic = q.Topic
	}
	acts, total, err := s.store.ListActivities(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	if total == 0 {
		return nil, 0, barong.Invalid("resource.user.no_activity")
	}
	return acts, total, nil
}
