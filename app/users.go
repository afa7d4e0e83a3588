package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

// emailRe is Barong's strict e-mail rule (reference §3.5): a local part of
// letters, digits and -+_!"'#$%^&*{}/=?`|~ with single dots, at most 64
// characters; domain labels of letters, digits and hyphens; alphabetic TLD.
var emailRe = regexp.MustCompile("^[a-zA-Z0-9\\-+_!\"'#$%^&*{}/=?`|~]+(\\.[a-zA-Z0-9\\-+_!\"'#$%^&*{}/=?`|~]+)*@([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z]+$")

var usernameRe = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

// ValidEmail applies Barong's e-mail rule (for the api's logs).
func ValidEmail(email string) bool { return validEmail(email) }

// validEmail applies Barong's e-mail rule.
func validEmail(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 1 || at > 64 || len(email) > 255 {
		return false
	}
	return emailRe.MatchString(email)
}

// validateUserFields checks e-mail, username (when usernameSent, even
// blank) and data as Barong's User model does, adding keys in validation
// order.
func validateUserFields(v *barong.ValidationErrors, u *barong.User, usernameSent bool) {
	if u.Email == "" {
		v.Add("email.blank")
	} else if !validEmail(u.Email) {
		v.Add("email.invalid")
	}
	validateUsername(v, u.Username, usernameSent || u.Username != "")
	validateData(v, u.Data, 1024)
}

func validateUsername(v *barong.ValidationErrors, name string, sent bool) {
	if !sent {
		return
	}
	n := utf8.RuneCountInString(name)
	if n < 4 {
		v.Add("username.too_short")
	}
	if n > 12 {
		v.Add("username.too_long")
	}
	if !usernameRe.MatchString(name) {
		v.Add("username.invalid")
	}
}

func validateData(v *barong.ValidationErrors, data string, max int) {
	if data == "" {
		return
	}
	if utf8.RuneCountInString(data) > max {
		v.Add("data.too_long")
	}
	if !json.Valid([]byte(data)) {
		v.Add("data.invalid_format")
	}
}

// newUID generates a UID unused by users and service accounts.
func (s *core) newUID(ctx context.Context, q barong.UserQueries, prefix string) (string, error) {
	for i := 0; i < 10; i++ {
		uid := barong.GenerateUID(prefix)
		taken, err := q.UIDTaken(ctx, uid)
		if err != nil {
			return "", fmt.Errorf("check uid: %w", err)
		}
		if !taken {
			return uid, nil
		}
	}
	return "", fmt.Errorf("no free uid after 10 tries")
}

// createUser inserts u (validated by the caller) and emits model.user.created.
func (s *core) createUser(ctx context.Context, tx *txn, u *barong.User) error {
	if u.UID == "" {
		uid, err := s.newUID(ctx, tx, s.cfg.UIDPrefix)
		if err != nil {
			return err
		}
		u.UID = uid
	}
	if u.Role == "" {
		u.Role = barong.RoleMember
	}
	if u.State == "" {
		u.State = barong.StatePending
	}
	if err := tx.CreateUser(ctx, u); err != nil {
		return duplicateToInvalid(err)
	}
	rec, err := s.userRecord(ctx, tx, u)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, barong.Event{Name: "model.user.created", Payload: entity.Payload{Record: rec.Compact()}})
}

// duplicateToInvalid turns a unique violation into Barong's <field>.taken.
func duplicateToInvalid(err error) error {
	if d, ok := err.(*barong.DuplicateError); ok {
		return barong.Invalid(d.Field + ".taken")
	}
	var d *barong.DuplicateError
	if asDup(err, &d) {
		return barong.Invalid(d.Field + ".taken")
	}
	return err
}

// updateUser saves the change from before to after, emits
// model.user.updated with Barong's changes, and applies the side effects of
// reference §3.6: API keys deactivated when 2FA is turned off or the state
// leaves active; sessions revoked when the user may no longer sign in.
// The change is applied to the user's row as read under its lock, so a
// concurrent change of other fields (a level from labels, a role from an
// admin) is kept rather than overwritten with a stale copy; *after becomes
// the saved row.
func (s *core) updateUser(ctx context.Context, tx *txn, before barong.User, after *barong.User) error {
	locked, err := tx.LockUser(ctx, after.ID)
	if err != nil {
		return fmt.Errorf("lock user %d: %w", after.ID, err)
	}
	changed := *locked
	applyUserChange(&changed, before, *after)
	before, *after = *locked, changed
	if err := tx.UpdateUser(ctx, after); err != nil {
		return duplicateToInvalid(err)
	}
	prev, err := s.userRecord(ctx, tx, &before)
	if err != nil {
		return err
	}
	cur, err := s.userRecord(ctx, tx, after)
	if err != nil {
		return err
	}
	changes := entity.UserChangesFrom(&prev, &cur)
	if !changes.Empty() || before.PasswordDigest != after.PasswordDigest || before.Data != after.Data {
		ev := barong.Event{Name: "model.user.updated", Payload: entity.Payload{Record: cur.Compact(), Changes: changes}}
		if err := tx.Emit(ctx, ev); err != nil {
			return err
		}
	}
	if (before.OTP && !after.OTP) || (before.State != after.State && after.State != barong.StateActive) {
		if err := s.deactivateKeys(ctx, tx, after); err != nil {
			return err
		}
	}
	if before.CanSignIn() && !after.CanSignIn() {
		uid := after.UID
		tx.after = append(tx.after, func(ctx context.Context) { s.revokeSessions(ctx, uid, "") })
	}
	return nil
}

// applyUserChange sets on u the fields that differ between before and after.
func applyUserChange(u *barong.User, before, after barong.User) {
	for _, f := range []struct{ dst, b, a *string }{
		{&u.Username, &before.Username, &after.Username}, {&u.Email, &before.Email, &after.Email},
		{&u.PasswordDigest, &before.PasswordDigest, &after.PasswordDigest}, {&u.Role, &before.Role, &after.Role},
		{&u.Data, &before.Data, &after.Data}, {&u.State, &before.State, &after.State},
	} {
		if *f.a != *f.b {
			*f.dst = *f.a
		}
	}
	if after.Level != before.Level {
		u.Level = after.Level
	}
	if after.OTP != before.OTP {
		u.OTP = after.OTP
	}
	if after.ReferralID != before.ReferralID {
		u.ReferralID = after.ReferralID
	}
}

// deactivateKeys turns off the active API keys of u and of his service
// accounts, and moves the accounts to u's state when u is not active.
func (s *core) deactivateKeys(ctx context.Context, tx *txn, u *barong.User) error {
	if err := tx.DeactivateAPIKeys(ctx, barong.HolderUser, []int64{u.ID}); err != nil {
		return fmt.Errorf("deactivate user keys: %w", err)
	}
	sas, _, err := tx.ServiceAccountsByOwner(ctx, u.ID, barong.Page{Page: 1, Limit: 1 << 30})
	if err != nil {
		return fmt.Errorf("list service accounts: %w", err)
	}
	ids := make([]int64, 0, len(sas))
	for i := range sas {
		ids = append(ids, sas[i].ID)
		if u.State != barong.StateActive && sas[i].State != u.State {
			sas[i].State = u.State
			if err := tx.UpdateServiceAccount(ctx, &sas[i]); err != nil {
				return fmt.Errorf("update service account: %w", err)
			}
		}
	}
	if len(ids) > 0 {
		if err := tx.DeactivateAPIKeys(ctx, barong.HolderServiceAccount, ids); err != nil {
			return fmt.Errorf("deactivate service account keys: %w", err)
		}
	}
	return nil
}

// revokeSessions deletes every session of uid except exceptID.
func (s *core) revokeSessions(ctx context.Context, uid, exceptID string) {
	if err := s.sessions.DeleteUserSessions(ctx, uid, exceptID); err != nil {
		s.log.ErrorContext(ctx, "revoke sessions", "uid", uid, "error", err)
	}
}

// userRecord is the user object of events (reference §9.2), nulls kept.
func (s *core) userRecord(ctx context.Context, q barong.UserQueries, u *barong.User) (entity.UserRecord, error) {
	ref, err := s.referralUID(ctx, q, u)
	if err != nil {
		return entity.UserRecord{}, err
	}
	return entity.NewUserRecord(u, ref), nil
}

// referralUID resolves the referrer's UID ("" when none).
func (s *core) referralUID(ctx context.Context, q barong.UserQueries, u *barong.User) (string, error) {
	if u.ReferralID == 0 {
		return "", nil
	}
	ref, err := q.UserByID(ctx, u.ReferralID)
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("load referrer: %w", err)
	}
	return ref.UID, nil
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
