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
		p.UserID = u.ID
		if err := tx.CreateProfile(ctx, p); err != nil {
			return fmt.Errorf("create profile: %w", err)
		}
		return s.profileSaved(ctx, tx, u, nil, p)
	})
	if err != nil {
		return nil, err
	}
	cur, err := s.store.UserByID(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return s.mgmtProfileView(ctx, cur)
}
