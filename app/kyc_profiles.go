package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

// Profile states (reference §3.2).
const (
	ProfileDrafted   = "drafted"
	ProfileSubmitted = "submitted"
	ProfileVerified  = "verified"
	ProfileRejected  = "rejected"
)

// ProfileInput holds the fields of POST and PUT /resource/profiles; a nil
// field was not sent (PUT keeps it), an empty one clears it. DOB is
// YYYY-MM-DD. Confirm submits the profile.
type ProfileInput struct {
	FirstName, LastName, DOB, Address, Postcode, City, Country, Metadata *string
	Confirm                                                              bool
}

// Profiles is GET /resource/profiles/me: the user's profiles by id; none
// is 404 resource.profile.not_exist (interface.md; Barong answers []).
func (s *KYC) Profiles(ctx context.Context, actor barong.Actor) ([]barong.Profile, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	ps, err := s.store.ProfilesByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	if len(ps) == 0 {
		return nil, barong.NotFound("resource.profile.not_exist")
	}
	return ps, nil
}

// CreateProfile is POST /resource/profiles (reference §6.3.3): a
// drafted profile, or submitted with Confirm. A drafted or submitted
// profile already there is 409 state.exists (interface.md); invalid fields
// are 422 with the keys of reference §3.5.
func (s *KYC) CreateProfile(ctx context.Context, actor barong.Actor, in ProfileInput) (*barong.Profile, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	p := &barong.Profile{UserID: u.ID, State: ProfileDrafted}
	if in.Confirm {
		p.State = ProfileSubmitted
	}
	in.apply(p)
	err := s.inTx(ctx, func(tx *txn) error {
		ps, err := tx.profilesLocked(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load profiles: %w", err)
		}
		for _, o := range ps {
			if o.State == ProfileDrafted || o.State == ProfileSubmitted {
				return barong.Conflict("state.exists")
			}
		}
		if err := s.validateProfile(p); err != nil {
			return err
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

// UpdateProfile is PUT /resource/profiles: it changes the sent fields of
// the user's drafted profile (none is 404
// resource.profile.doesnt_exist_or_not_editable) and submits it with
// Confirm.
func (s *KYC) UpdateProfile(ctx context.Context, actor barong.Actor, in ProfileInput) (*barong.Profile, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	var p *barong.Profile
	err := s.inTx(ctx, func(tx *txn) error {
		p = nil // a retried attempt starts over
		ps, err := tx.profilesLocked(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load profiles: %w", err)
		}
		for i := range ps {
			if ps[i].State == ProfileDrafted {
				p = &ps[i]
				break
			}
		}
		if p == nil {
			return barong.NotFound("resource.profile.doesnt_exist_or_not_editable")
		}
		before := *p
		in.apply(p)
		if in.Confirm {
			p.State = ProfileSubmitted
		}
		if err := s.validateProfile(p); err != nil {
			return err
		}
		if *p == before {
			return nil
		}
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

// apply copies the sent fields into p, squishing names, city and postcode
// as Barong does.
func (in ProfileInput) apply(p *barong.Profile) {
	set := func(dst *string, src *string, sq bool) {
		if src == nil {
			return
		}
		v := *src
		if sq {
			v = squish(v)
		}
		*dst = v
	}
	set(&p.FirstName, in.FirstName, true)
	set(&p.LastName, in.LastName, true)
	set(&p.DOB, in.DOB, false)
	set(&p.Address, in.Address, false)
	set(&p.Postcode, in.Postcode, true)
	set(&p.City, in.City, true)
	set(&p.Country, in.Country, false)
	set(&p.Metadata, in.Metadata, false)
}

// Barong's Profile formats (reference §3.5); Ruby's [[:word:]] is letters,
// marks, decimal digits and connector punctuation.
const wordClass = `\p{L}\p{M}\p{Nd}\p{Pc}`

var (
	profileNameRe     = regexp.MustCompile(`^[` + wordClass + `\s\-']+$`)
	profileCityRe     = regexp.MustCompile(`^[` + wordClass + `\s\-'–.~]+$`)
	profilePostcodeRe = regexp.MustCompile(`^[` + wordClass + `\s\-]+$`)
	profileAddressRe  = regexp.MustCompile(`^[` + wordClass + `\s\-–,.~;/:#"\\&')(]+$`)
)

// validateProfile checks p as Barong's Profile model does; blank fields are
// not checked.
func (s *core) validateProfile(p *barong.Profile) error {
	var v barong.ValidationErrors
	text := func(attr, val string, min int, re *regexp.Regexp) {
		if val == "" {
			return
		}
		n := utf8.RuneCountInString(val)
		if n < min {
			v.Add(attr + ".too_short")
		}
		if n > 255 {
			v.Add(attr + ".too_long")
		}
		if !re.MatchString(val) {
			v.Add(attr + ".invalid")
		}
	}
	text("first_name", p.FirstName, 1, profileNameRe)
	text("last_name", p.LastName, 1, profileNameRe)
	if p.DOB != "" {
		d, err := time.Parse(time.DateOnly, p.DOB)
		switch {
		case err != nil:
			v.Add("dob.invalid_format")
		case d.After(s.now().UTC()):
			v.Add("dob.invalid")
		}
	}
	text("address", p.Address, 1, profileAddressRe)
	text("postcode", p.Postcode, 2, profilePostcodeRe)
	text("city", p.City, 1, profileCityRe)
	if p.Country != "" && !validProfileCountry(p.Country) {
		v.Add("country.must have alpha2 or alpha3 format")
	}
	if p.Metadata != "" && !json.Valid([]byte(p.Metadata)) {
		v.Add("metadata.invalid_format")
	}
	if len(p.Metadata) > maxMetadataBytes {
		v.Add("metadata.too_long")
	}
	return v.Err()
}

// profileSaved runs the consequences of saving p (before is nil for a
// creation): model.profile.created or .updated, then the private label
// profile = state, which recomputes the user's state and level
// (reference §3.6, §10.7 local KYC).
func (s *core) profileSaved(ctx context.Context, tx *txn, u *barong.User, before, p *barong.Profile) error {
	cur, err := tx.UserByID(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	user, err := s.userRecord(ctx, tx, cur)
	if err != nil {
		return err
	}
	rec := s.profileRecord(user, p)
	ev := barong.Event{Name: "model.profile.created", Payload: entity.Payload{Record: rec.Compact()}}
	if before != nil {
		prev := s.profileRecord(user, before)
		changes := entity.ProfileChangesFrom(&prev, &rec)
		ev = barong.Event{Name: "model.profile.updated", Payload: entity.Payload{Record: rec.Compact(), Changes: changes}}
	}
	if err := tx.Emit(ctx, ev); err != nil {
		return err
	}
	_, err = s.setLabel(ctx, tx, cur, "profile", p.State, barong.ScopePrivate, "")
	return err
}

// profileRecord is the profile of model events (reference §9.3), without
// state; personal data is masked as in entities when MaskEventPII is set.
func (s *core) profileRecord(user entity.UserRecord, p *barong.Profile) entity.ProfileRecord {
	return entity.NewProfileRecord(p, user, s.cfg.MaskEventPII)
}

// maskProfileName keeps the first character and stars the rest, as the
// Profile entity masks last_name.
func maskProfileName(s string) string { return entity.MaskName(s) }

// maskProfileDOB stars everything after YYYY-MM-, as the Profile entity.
func maskProfileDOB(s string) string { return entity.MaskDOB(s) }
