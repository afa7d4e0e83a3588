package app

import (
	"context"
	"fmt"
	"slices"

	barong "github.com/barong-go/barong"
)

// Admin API error keys of profiles (reference §8.1).
const (
	KeyAdminProfileNotEditable  = "admin.profiles.doesnt_exist_or_not_editable"
	KeyAdminProfileSuperadmin   = "admin.profiles.superadmin_change"
	KeyAdminProfileSecondAdmin  = "admin.profiles.second_admin_approval"
	KeyAdminProfileInvalidState = "admin.profile.invalid_state"
	keyProfileStateExists       = "state.exists"
)

// ProfileStates are the states of a profile (reference §3.2).
var ProfileStates = []string{ProfileDrafted, ProfileSubmitted, ProfileVerified, ProfileRejected}

// AdminProfiles is GET /admin/profiles: a page of every profile by id
// (never masked) and their number.
func (s *KYC) AdminProfiles(ctx context.Context, actor barong.Actor, p barong.Page) ([]barong.Profile, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelProfile); err != nil {
		return nil, 0, err
	}
	ps, n, err := s.store.ListProfiles(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list profiles: %w", err)
	}
	return ps, n, nil
}

// AdminCreateProfile is POST /admin/profiles: a submitted profile of the
// user uid whose author is admin, with the sent fields; it sets the
// private profile label. Barong checks no ability here and answers 500 for
// an unknown uid (reference §8.1 Note); barong-go's HTTP layer requires
// the create-Profile ability and this answers 404. Errors: 404
// admin.user.doesnt_exist; 422 admin.profiles.superadmin_change and the
// Profile model's keys; 409 state.exists when the user has a drafted or
// submitted profile (interface.md).
func (s *KYC) AdminCreateProfile(ctx context.Context, actor barong.Actor, uid string, in ProfileInput) (*barong.Profile, error) {
	if err := s.mayAdmin(ctx, actor, actCreate, modelProfile); err != nil {
		return nil, err
	}
	admin := actor.User
	p := &barong.Profile{State: ProfileSubmitted, Author: admin.UID}
	in.apply(p)
	err := s.inTx(ctx, func(tx *txn) error {
		u, err := s.modifiableTarget(ctx, tx, admin, uid, KeyAdminProfileSuperadmin)
		if err != nil {
			return err
		}
		p.UserID = u.ID
		if err := s.validateProfile(p); err != nil {
			return err
		}
		ps, err := tx.profilesLocked(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load profiles: %w", err)
		}
		for _, o := range ps {
			if o.State == ProfileDrafted || o.State == ProfileSubmitted {
				return barong.Conflict(keyProfileStateExists)
			}
		}
		if err := tx.CreateProfile(ctx, p); err != nil {
			return fmt.Errorf("create profile: %w", err)
		}
		return s.profileSaved(ctx, tx, u, nil, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// AdminVerifyProfile is PUT /admin/profiles: it sets the state of the
// user's submitted profile, which updates the private profile label (state
// and level recomputed) and emits model.profile.updated. With
// BARONG_PROFILE_DOUBLE_VERIFICATION the admin who authored the profile may
// not verify it himself unless his role is in profile_verification_roles.
// Barong answers 500 for an unknown state (reference §8.1 Note); barong-go
// 422 admin.profile.invalid_state. Errors: 404 admin.user.doesnt_exist,
// admin.profiles.doesnt_exist_or_not_editable; 422
// admin.profiles.superadmin_change, admin.user.update_himself (his own
// profile: Barong let an admin verify himself),
// admin.profiles.second_admin_approval.
func (s *KYC) AdminVerifyProfile(ctx context.Context, actor barong.Actor, uid, state string) (*barong.Profile, error) {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelProfile); err != nil {
		return nil, err
	}
	admin := actor.User
	if !slices.Contains(ProfileStates, state) {
		return nil, barong.Invalid(KeyAdminProfileInvalidState)
	}
	var p *barong.Profile
	err := s.inTx(ctx, func(tx *txn) error {
		p = nil // a retried attempt starts over
		u, err := s.findTarget(ctx, tx, uid)
		if err != nil {
			return err
		}
		ps, err := tx.profilesLocked(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load profiles: %w", err)
		}
		for i := range ps {
			if ps[i].State == ProfileSubmitted {
				p = &ps[i]
				break
			}
		}
		if p == nil {
			return barong.NotFound(KeyAdminProfileNotEditable)
		}
		if !s.covers(admin.Role, u.Role) {
			return barong.Invalid(KeyAdminProfileSuperadmin)
		}
		if u.ID == admin.ID {
			return barong.Invalid(KeyAdminUpdateHimself)
		}
		if s.cfg.ProfileDoubleVerification && p.Author == admin.UID &&
			!slices.Contains(s.cfg.ProfileVerificationRoles, admin.Role) {
			return barong.Invalid(KeyAdminProfileSecondAdmin)
		}
		if p.State == state {
			return nil
		}
		before := *p
		p.State = state
		if err := tx.UpdateProfile(ctx, p); err != nil {
			return fmt.Errorf("update profile: %w", err)
		}
		return s.profileSaved(ctx, tx, u, &before, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
