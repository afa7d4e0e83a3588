package app

import (
	"context"
	"fmt"

	barong "github.com/barong-go/barong"
)

// ManagementCreateProfile is POST /management/profiles: a profile of the
// user uid in state ("" = drafted), validated as on the resource API;
// another drafted or submitted profile is state.exists unless the new one
// is verified or rejected (Barong's rule). The private profile label
// follows the state. Unknown uid: 422 user.doesnt_exist; validation
// failures are *ModelError.
func (s *KYC) ManagementCreateProfile(ctx context.Context, actor barong.Actor, uid string, in ProfileInput, state string) (*ManagementUser, error) {
	if err := s.mayManage(ctx, actor, "write_users"); err != nil {
		return nil, err
	}
	var u *barong.User
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if u, err = mgmtUserOr(ctx, tx, uid, mgmtUserMissing()); err != nil {
			return err
		}
		var v barong.ValidationErrors
		p := s.mgmtNewProfile(&v, in, state)
		if p.State == ProfileDrafted || p.State == ProfileSubmitted {
			ps, err := tx.profilesLocked(ctx, u.ID)
			if err != nil {
				return fmt.Errorf("load profiles: %w", err)
			}
			for _, o := range ps {
				if o.State == ProfileDrafted || o.State == ProfileSubmitted {
					v.Add("state.exists")
				}
			}
		}
		if err := mgmtModelErr(v); err != nil {
			return err
		}
		return s.mgmtCreateProfile(ctx, tx, u, p)
	})
	if err != nil {
		return nil, err
	}
	return s.mgmtProfileViewOf(ctx, u.ID)
}

// mgmtCreateProfile writes p as u's new profile, its label and event, in
// tx (the management API's profile creation and user import).
func (s *core) mgmtCreateProfile(ctx context.Context, tx *txn, u *barong.User, p *barong.Profile) error {
	p.UserID = u.ID
	if err := tx.CreateProfile(ctx, p); err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	return s.profileSaved(ctx, tx, u, nil, p)
}

// mgmtProfileViewOf is the management view of user id as committed.
func (s *core) mgmtProfileViewOf(ctx context.Context, id int64) (*ManagementUser, error) {
	cur, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return s.mgmtProfileView(ctx, cur)
}
