package app

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
)

// Admin API error keys of the user endpoints (reference §8.1, §10.4).
const (
	KeyAdminUserNotFound      = "admin.user.doesnt_exist"
	KeyAdminSuperadminChange  = "admin.user.superadmin_change"
	KeyAdminUpdateHimself     = "admin.user.update_himself"
	KeyAdminEnable2FA         = "admin.user.enable_2fa"
	KeyAdminUpdateEmail       = "superadmin.user.update_email"
	KeyAdminRoleNoChange      = "admin.user.role_no_change"
	KeyAdminStorageNotFound   = "admin.storage.doesnt_exist"
	keyAdminStateNoChange     = "admin.user.state_no_change"
	keyAdminOTPNoChange       = "admin.user.otp_no_change"
	keyAdminEmailNoChange     = "admin.user.email_no_change"
	keyRoleDoesntExist        = "role.doesnt_exist"
	maxAdminStateLen          = 255
	adminStorageRecordedValue = "recorded"
)

// UserOrderColumns are the user columns an admin list may be ordered by:
// every column of users except the password digest and the data blob.
var UserOrderColumns = []string{"id", "uid", "username", "email", "role", "level", "otp", "state", "referral_id",
	"created_at", "updated_at"}

// AdminUser is a user as the admin API shows it (never masked). Profiles
// is loaded for the extended and KYC views; KYC only for the KYC view
// (Barong's UserWithKYC).
type AdminUser struct {
	User        barong.User
	ReferralUID string
	Profiles    []barong.Profile
	KYC         *AdminKYC
}

// AdminKYC are the records of UserWithKYC besides the profiles.
type AdminKYC struct {
	Labels       []barong.Label
	Phones       []barong.Phone
	Documents    []DocumentView
	DataStorages []barong.DataStorage
	Comments     []barong.Comment
}

// userView selects what adminUsers loads with each user.
type userView int

const (
	viewUser     userView = iota // User
	viewProfiles                 // UserWithProfile
	viewKYC                      // UserWithKYC
)

// adminUsers loads the records of view for users with a fixed number of
// queries, whatever the number of users.
func (s *core) adminUsers(ctx context.Context, users []barong.User, view userView) ([]AdminUser, error) {
	refs, err := s.referralUIDs(ctx, users)
	if err != nil {
		return nil, err
	}
	out := make([]AdminUser, len(users))
	ids := make([]int64, len(users))
	for i := range users {
		out[i] = AdminUser{User: users[i], ReferralUID: refs[users[i].ReferralID], Profiles: []barong.Profile{}}
		ids[i] = users[i].ID
	}
	switch view {
	case viewProfiles:
		ps, err := s.store.ProfilesByUsers(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("load profiles: %w", err)
		}
		for i := range out {
			if p := ps[out[i].User.ID]; p != nil {
				out[i].Profiles = p
			}
		}
	case viewKYC:
		recs, err := s.store.KYCRecordsByUsers(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("load kyc records: %w", err)
		}
		for i := range out {
			r := recs[out[i].User.ID]
			docs := make([]DocumentView, len(r.Documents))
			for j := range r.Documents {
				docs[j] = DocumentView{Document: r.Documents[j], URL: s.documentURL(ctx, &r.Documents[j])}
			}
			out[i].Profiles = r.Profiles
			out[i].KYC = &AdminKYC{Labels: r.Labels, Phones: r.Phones, Documents: docs, DataStorages: r.DataStorages,
				Comments: r.Comments}
		}
	}
	return out, nil
}

// referralUIDs maps the referral ids of users to their referrers' UIDs
// (one query for the whole list).
func (s *core) referralUIDs(ctx context.Context, users []barong.User) (map[int64]string, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, u := range users {
		if u.ReferralID != 0 && !seen[u.ReferralID] {
			seen[u.ReferralID] = true
			ids = append(ids, u.ReferralID)
		}
	}
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	refs, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load referrers: %w", err)
	}
	for _, r := range refs {
		out[r.ID] = r.UID
	}
	return out, nil
}

// adminUser loads the KYC view of one user.
func (s *core) adminUser(ctx context.Context, u *barong.User) (*AdminUser, error) {
	us, err := s.adminUsers(ctx, []barong.User{*u}, viewKYC)
	if err != nil {
		return nil, err
	}
	return &us[0], nil
}

// AdminList is GET /admin/users (reference §8.1): a page of users
// matching f (f.Order.By one of UserOrderColumns) and their number; with
// extended, each with his profiles.
func (s *Users) AdminList(ctx context.Context, actor barong.Actor, f barong.UserFilter, extended bool) ([]AdminUser, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelUser); err != nil {
		return nil, 0, err
	}
	users, total, err := s.store.ListUsers(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	view := viewUser
	if extended {
		view = viewProfiles
	}
	out, err := s.adminUsers(ctx, users, view)
	return out, total, err
}

// AdminPendingDocuments is GET /admin/users/documents/pending: the users
// whose private document label is pending or replaced, oldest label change
// first, narrowed by f; with extended, in the KYC view.
func (s *Users) AdminPendingDocuments(ctx context.Context, actor barong.Actor, f barong.UserFilter, extended bool) ([]AdminUser, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelUser); err != nil {
		return nil, 0, err
	}
	users, total, err := s.store.PendingDocumentUsers(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list pending documents: %w", err)
	}
	view := viewUser
	if extended {
		view = viewKYC
	}
	out, err := s.adminUsers(ctx, users, view)
	return out, total, err
}

// AdminGet is GET /admin/users/:uid: the KYC view of the user; 404
// admin.user.doesnt_exist.
func (s *Users) AdminGet(ctx context.Context, actor barong.Actor, uid string) (*AdminUser, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelUser); err != nil {
		return nil, err
	}
	u, err := s.findTarget(ctx, s.store, uid)
	if err != nil {
		return nil, err
	}
	return s.adminUser(ctx, u)
}

// findTarget loads the user uid; unknown is 404 admin.user.doesnt_exist.
func (s *core) findTarget(ctx context.Context, q barong.UserQueries, uid string) (*barong.User, error) {
	u, err := q.UserByUID(ctx, uid)
	if err != nil {
		if isNotFound(err) {
			return nil, barong.NotFound(KeyAdminUserNotFound)
		}
		return nil, fmt.Errorf("load user %s: %w", uid, err)
	}
	return u, nil
}

// modifiableTarget loads the user uid for a change by admin: unknown is 404
// admin.user.doesnt_exist; a user whose role has abilities that admin's
// lacks (a superadmin for anyone but a superadmin, reference §10.4; an
// admin for support) is 422 superKey.
func (s *core) modifiableTarget(ctx context.Context, q barong.UserQueries, admin *barong.User, uid, superKey string) (*barong.User, error) {
	u, err := s.findTarget(ctx, q, uid)
	if err != nil {
		return nil, err
	}
	if !s.covers(admin.Role, u.Role) {
		return nil, barong.Invalid(superKey)
	}
	return u, nil
}

// otherTarget is modifiableTarget for a change an admin may not make on
// himself: 422 admin.user.update_himself, as Barong answers for his state
// and role, also for his private labels (his level) and his profile.
func (s *core) otherTarget(ctx context.Context, q barong.UserQueries, admin *barong.User, uid, superKey string) (*barong.User, error) {
	u, err := s.modifiableTarget(ctx, q, admin, uid, superKey)
	if err != nil {
		return nil, err
	}
	if u.ID == admin.ID {
		return nil, barong.Invalid(KeyAdminUpdateHimself)
	}
	return u, nil
}

// AdminUserUpdate is POST /admin/users/update and PUT /admin/users: the
// target and exactly one new value (the HTTP layer enforces "one of").
type AdminUserUpdate struct {
	UID   string
	State *string
	OTP   *bool
	Email *string
}

// AdminUpdate changes the state, 2FA or e-mail of a user (reference
// §8.1). Errors: 404 admin.user.doesnt_exist; 422
// admin.user.superadmin_change, admin.user.update_himself,
// superadmin.user.update_email (e-mails are changed by superadmins only),
// admin.user.enable_2fa (admins may only turn 2FA off),
// admin.user.<state|otp|email>_no_change, state.too_long, email.invalid,
// email.taken. Turning 2FA off deactivates the user's API keys and removes
// his private otp label, recomputing state and level (Barong deletes the
// label raw, reference §12.4 item 10); a state in which the user cannot
// sign in revokes his sessions.
func (s *Users) AdminUpdate(ctx context.Context, actor barong.Actor, in AdminUserUpdate) error {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelUser); err != nil {
		return err
	}
	admin := actor.User
	return s.inTx(ctx, func(tx *txn) error {
		u, err := s.modifiableTarget(ctx, tx, admin, in.UID, KeyAdminSuperadminChange)
		if err != nil {
			return err
		}
		if u.ID == admin.ID {
			return barong.Invalid(KeyAdminUpdateHimself)
		}
		if in.Email != nil && admin.Role != barong.RoleSuperadmin {
			return barong.Invalid(KeyAdminUpdateEmail)
		}
		before := *u
		switch {
		case in.OTP != nil:
			if *in.OTP {
				return barong.Invalid(KeyAdminEnable2FA)
			}
			if !u.OTP {
				return barong.Invalid(keyAdminOTPNoChange)
			}
			u.OTP = false
		case in.State != nil:
			if u.State == *in.State {
				return barong.Invalid(keyAdminStateNoChange)
			}
			if utf8.RuneCountInString(*in.State) > maxAdminStateLen {
				return barong.Invalid("state.too_long")
			}
			u.State = *in.State
		case in.Email != nil:
			if u.Email == *in.Email {
				return barong.Invalid(keyAdminEmailNoChange)
			}
			if err := s.checkNewEmail(ctx, tx, u, *in.Email); err != nil {
				return err
			}
			u.Email = *in.Email
		default:
			return nil
		}
		if err := s.updateUser(ctx, tx, before, u); err != nil {
			return err
		}
		if in.State != nil {
			return s.pinAdminState(ctx, tx, u)
		}
		if in.OTP == nil {
			return nil
		}
		l, err := tx.LabelByKey(ctx, u.ID, "otp", barong.ScopePrivate)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find otp label: %w", err)
		}
		return s.deleteLabel(ctx, tx, u, l, false)
	})
}

// adminPinValue is the value of the trigger labels pinAdminState creates.
const adminPinValue = "admin"

// pinAdminState makes a state an admin set survive the next labels → state
// recomputation, which in Barong overwrites it (reference §3.4 Note: an
// admin's ban is undone by the user's next phone confirmation). A state that
// a state trigger gives (banned, deleted, locked by default) gets, unless
// the user has a private label with one of that trigger's keys already,
// the trigger's first key as a private label with value "admin" (ban=admin),
// created without recomputation so that the state stays as set. Any other
// state removes the "admin" trigger labels of the other states, so that
// lifting a ban is not undone by the ban's own label. Trigger labels set by
// anything else stay: an admin lifts them with the labels API.
func (s *core) pinAdminState(ctx context.Context, tx *txn, u *barong.User) error {
	triggers := map[string][]string{} // label key -> the states it triggers
	pinKey := ""                      // the label that pins u.State
	for _, t := range s.cfg.Rules.StateTriggers {
		for _, k := range t.Keys {
			triggers[k] = append(triggers[k], t.State)
		}
		if t.State == u.State && pinKey == "" && len(t.Keys) > 0 {
			pinKey = t.Keys[0]
		}
	}
	labels, err := tx.LabelsByUser(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("labels of user: %w", err)
	}
	pinned := false
	for i := range labels {
		l := &labels[i]
		states, ok := triggers[l.Key]
		switch {
		case !ok || l.Scope != barong.ScopePrivate:
		case slices.Contains(states, u.State):
			pinned = true
		case l.Value == adminPinValue:
			// Raw (no recomputation): the state stays as set.
			if err := s.deleteLabel(ctx, tx, u, l, true); err != nil {
				return err
			}
		}
	}
	if pinned || pinKey == "" {
		return nil
	}
	l := &barong.Label{UserID: u.ID, Key: pinKey, Value: adminPinValue, Scope: barong.ScopePrivate,
		Description: "State set by an admin"}
	if err := tx.CreateLabel(ctx, l); err != nil {
		return fmt.Errorf("pin state %s: %w", u.State, err)
	}
	return s.emitLabel(ctx, tx, u, l, "model.label.created", nil)
}

// checkNewEmail validates an e-mail given to u: email.invalid, email.taken
// (by another user, in any letter case).
func (s *core) checkNewEmail(ctx context.Context, q barong.UserQueries, u *barong.User, email string) error {
	if !validEmail(email) {
		return barong.Invalid("email.invalid")
	}
	other, err := q.UserByEmail(ctx, email)
	switch {
	case err == nil && other.ID != u.ID:
		return barong.Invalid("email.taken")
	case err != nil && !isNotFound(err):
		return fmt.Errorf("check email: %w", err)
	}
	return nil
}

// AdminSetRole is POST /admin/users/role (reference §8.1). Errors: 404
// admin.user.doesnt_exist; 422 admin.user.superadmin_change (also when
// the role has abilities the admin's lacks, the superadmin role for a
// non-superadmin included, which Barong allowed),
// admin.user.update_himself, admin.user.role_no_change, role.doesnt_exist.
func (s *Users) AdminSetRole(ctx context.Context, actor barong.Actor, uid, role string) error {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelUser); err != nil {
		return err
	}
	admin := actor.User
	return s.inTx(ctx, func(tx *txn) error {
		u, err := s.modifiableTarget(ctx, tx, admin, uid, KeyAdminSuperadminChange)
		if err != nil {
			return err
		}
		if u.ID == admin.ID {
			return barong.Invalid(KeyAdminUpdateHimself)
		}
		if u.Role == role {
			return barong.Invalid(KeyAdminRoleNoChange)
		}
		if !s.covers(admin.Role, role) {
			return barong.Invalid(KeyAdminSuperadminChange)
		}
		ok, err := s.roleExists(ctx, tx, role)
		if err != nil {
			return err
		}
		if !ok {
			return barong.Invalid(keyRoleDoesntExist)
		}
		before := *u
		u.Role = role
		return s.updateUser(ctx, tx, before, u)
	})
}
