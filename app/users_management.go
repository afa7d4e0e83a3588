package app

import (
	"context"
	"fmt"

	barong "github.com/barong-go/barong"
)

// ManagementGet is POST /management/users/get (reference §8.2): the user
// with exactly one of uid, email (any letter case) or phoneNum, with every
// KYC record. A phone number is looked up exactly as given, so it must be
// the normalised digits; when several users added it, the one who
// verified it wins, else the first. Unknown: 404 Record is not found.
func (s *Users) ManagementGet(ctx context.Context, actor barong.Actor, uid, email, phoneNum string) (*ManagementUser, error) {
	if err := s.mayManage(ctx, actor, "read_users"); err != nil {
		return nil, err
	}
	var u *barong.User
	var err error
	switch {
	case phoneNum != "":
		u, err = s.mgmtUserByPhone(ctx, phoneNum)
	case email != "":
		u, err = s.store.UserByEmail(ctx, email)
	default:
		u, err = s.store.UserByUID(ctx, uid)
	}
	if err != nil {
		if isNotFound(err) {
			return nil, mgmtRecordNotFound()
		}
		return nil, fmt.Errorf("find user: %w", err)
	}
	return s.mgmtKycView(ctx, u)
}

// mgmtUserByPhone finds the owner of number, preferring a verified phone.
func (s *core) mgmtUserByPhone(ctx context.Context, number string) (*barong.User, error) {
	ps, err := s.store.PhonesByNumber(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("find phone: %w", err)
	}
	if len(ps) == 0 {
		return nil, barong.ErrNotFound
	}
	pick := ps[0]
	for _, p := range ps {
		if p.ValidatedAt != nil {
			pick = p
			break
		}
	}
	return s.store.UserByID(ctx, pick.UserID)
}

// ManagementList is POST /management/users/list: a page of users matching
// f (range and time bounds) by id, with their profiles when extended, and
// the number of all matches.
func (s *Users) ManagementList(ctx context.Context, actor barong.Actor, f barong.UserFilter, extended bool) ([]ManagementUser, int64, error) {
	if err := s.mayManage(ctx, actor, "read_users"); err != nil {
		return nil, 0, err
	}
	users, total, err := s.store.ListUsers(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	out, err := s.mgmtUsersPage(ctx, users, extended)
	return out, total, err
}

// ManagementCreate is POST /management/users: a pending member with a
// password checked by the policy, validated as on sign-up (e-mail format
// and uniqueness, password; an unknown referral uid is
// referral_id.doesnt_exist where Barong failed with a 500). No
// confirmation e-mail and no session; model.user.created is emitted.
// Validation failures are *ModelError.
func (s *Users) ManagementCreate(ctx context.Context, actor barong.Actor, email, password, referralUID string) (*ManagementUser, error) {
	if err := s.mayManage(ctx, actor, "write_users"); err != nil {
		return nil, err
	}
	u := &barong.User{Email: email}
	var v barong.ValidationErrors
	validateUserFields(&v, u, false)
	if err := s.checkTaken(ctx, &v, u); err != nil {
		return nil, err
	}
	var err error
	if u.PasswordDigest, err = s.hashPassword(ctx, &v, password); err != nil {
		return nil, err
	}
	if err := s.mgmtReferral(ctx, &v, u, referralUID); err != nil {
		return nil, err
	}
	if err := mgmtModelErr(v); err != nil {
		return nil, err
	}
	if err := s.inTx(ctx, func(tx *txn) error { return s.createUser(ctx, tx, u) }); err != nil {
		return nil, mgmtAsModel(err)
	}
	return s.mgmtProfileView(ctx, u)
}

// mgmtReferral sets u's referrer from a uid ("" = none), adding
// referral_id.doesnt_exist for an unknown one.
func (s *core) mgmtReferral(ctx context.Context, v *barong.ValidationErrors, u *barong.User, uid string) error {
	if uid == "" {
		return nil
	}
	ref, err := s.store.UserByUID(ctx, uid)
	switch {
	case err == nil:
		u.ReferralID = ref.ID
	case isNotFound(err):
		v.Add("referral_id.doesnt_exist")
	default:
		return fmt.Errorf("load referrer: %w", err)
	}
	return nil
}

// ManagementUpdate is POST /management/users/update: it sets the role
// (which must exist in the permissions) and/or the data (JSON, at most
// 1024 characters) of the user uid; nil leaves a field. Unknown uid: 422
// user.doesnt_exist; validation failures are *ModelError. A change emits
// model.user.updated.
func (s *Users) ManagementUpdate(ctx context.Context, actor barong.Actor, uid string, role, data *string) (*ManagementUser, error) {
	if err := s.mayManage(ctx, actor, "write_users"); err != nil {
		return nil, err
	}
	var u *barong.User
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if u, err = mgmtUserOr(ctx, tx, uid, mgmtUserMissing()); err != nil {
			return err
		}
		before := *u
		var v barong.ValidationErrors
		if role != nil {
			ok, err := s.roleExists(ctx, tx, *role)
			if err != nil {
				return err
			}
			if !ok {
				v.Add("role.doesnt_exist")
			}
			u.Role = *role
		}
		if data != nil {
			validateData(&v, *data, 1024)
			u.Data = *data
		}
		if err := mgmtModelErr(v); err != nil {
			return err
		}
		if before == *u {
			return nil
		}
		return mgmtAsModel(s.updateUser(ctx, tx, before, u))
	})
	if err != nil {
		return nil, err
	}
	return s.mgmtProfileView(ctx, u)
}
