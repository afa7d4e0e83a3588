package app

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/phone"
	"golang.org/x/crypto/bcrypt"
)

// MsgUserExists answers an import of an e-mail that is taken.
const MsgUserExists = "User already exists by this email"

// mgmtProfileStates are the states a profile may be given.
var mgmtProfileStates = []string{ProfileDrafted, ProfileSubmitted, ProfileVerified, ProfileRejected}

// ImportUserInput is POST /management/users/import: a user of another
// system with his bcrypt password digest, an optional phone (stored as
// validated) and a profile. ProfileState "" is drafted.
type ImportUserInput struct {
	Email, PasswordDigest, ReferralUID, Phone string
	Profile                                   ProfileInput
	ProfileState                              string
}

// ManagementImport is POST /management/users/import (reference §8.2).
// The password digest is stored as given, so Barong's bcrypt hashes keep
// working; the e-mail is not checked against the sign-up format (imported
// accounts are taken as they are). A taken e-mail is 422 "User already
// exists by this email". Unlike Barong, which saved the user, then the
// phone, then the profile and kept the first when a later one failed, the
// user, phone and profile are written in one transaction, and a digest
// that is not bcrypt (password_digest.invalid), an unknown referral uid,
// an invalid phone (number.invalid) and invalid profile fields are refused
// before anything is written (*ModelError).
func (s *Users) ManagementImport(ctx context.Context, actor barong.Actor, in ImportUserInput) (*ManagementUser, error) {
	if err := s.mayManage(ctx, actor, "write_users"); err != nil {
		return nil, err
	}
	if _, err := s.store.UserByEmail(ctx, in.Email); err == nil {
		return nil, barong.Invalid(MsgUserExists)
	} else if !isNotFound(err) {
		return nil, fmt.Errorf("check email: %w", err)
	}
	u := &barong.User{Email: in.Email, PasswordDigest: in.PasswordDigest}
	var v barong.ValidationErrors
	// Barong inserts the user without validation; only what the columns
	// cannot hold is refused: an e-mail over 255 characters, a digest
	// that is no bcrypt hash (always 60 characters).
	if utf8.RuneCountInString(in.Email) > 255 {
		v.Add("email.too_long")
	}
	if _, err := bcrypt.Cost([]byte(in.PasswordDigest)); err != nil || len(in.PasswordDigest) != 60 {
		v.Add("password_digest.invalid")
	}
	if err := s.mgmtReferral(ctx, &v, u, in.ReferralUID); err != nil {
		return nil, err
	}
	var ph *barong.Phone
	if in.Phone != "" {
		number, country, err := phone.Normalize(in.Phone)
		if err != nil {
			v.Add("number.invalid")
		}
		ph = &barong.Phone{Number: number, Country: country}
	}
	p := s.mgmtNewProfile(&v, in.Profile, in.ProfileState)
	if err := mgmtModelErr(v); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.createUser(ctx, tx, u); err != nil {
			if e := barong.AsError(err); e != nil && len(e.Keys) == 1 && e.Keys[0] == "email.taken" {
				return barong.Invalid(MsgUserExists)
			}
			return mgmtAsModel(err)
		}
		if ph != nil {
			if err := s.mgmtCreateValidatedPhone(ctx, tx, u, ph); err != nil {
				return err
			}
		}
		return s.mgmtCreateProfile(ctx, tx, u, p)
	})
	if err != nil {
		return nil, err
	}
	return s.mgmtProfileViewOf(ctx, u.ID)
}

// mgmtNewProfile builds a profile of state (drafted when "") from in and adds
// its validation keys, state.inclusion for an unknown state.
func (s *core) mgmtNewProfile(v *barong.ValidationErrors, in ProfileInput, state string) *barong.Profile {
	if state == "" {
		state = ProfileDrafted
	}
	p := &barong.Profile{State: state}
	in.apply(p)
	if err := s.validateProfile(p); err != nil {
		if e := barong.AsError(err); e != nil {
			for _, k := range e.Keys {
				v.Add(k)
			}
		}
	}
	if !slices.Contains(mgmtProfileStates, state) {
		v.Add("state.inclusion")
	}
	return p
}

// mgmtCreateValidatedPhone adds ph (number and country set) to u, validated
// now, with a fresh code, as the management API does (no phone label).
func (s *core) mgmtCreateValidatedPhone(ctx context.Context, tx *txn, u *barong.User, ph *barong.Phone) error {
	code, err := phoneCode()
	if err != nil {
		return err
	}
	now := tx.Now()
	ph.UserID, ph.Code, ph.ValidatedAt = u.ID, code, &now
	if err := tx.CreatePhone(ctx, ph); err != nil {
		return fmt.Errorf("create phone: %w", err)
	}
	return nil
}
