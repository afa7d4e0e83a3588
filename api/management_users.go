package api

import (
	"net/http"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// getUser is POST /management/users/get: 201 UserWithKYC.
func (m *management) getUser(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, _ := p.Optional("uid")
	email, _ := p.Optional("email")
	phone, _ := p.Optional("phone_num")
	p.ExactlyOne("uid", "email", "phone_num")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := m.s.app.Users.ManagementGet(r.Context(), mgmtActor(r), uid, email, phone)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, mgmtKYCEntity(u))
	return nil
}

// mgmtUserFilter reads extended, range, from, to and the page of the user
// lists. Barong's users/list names a bad range "Non positive page"; both
// lists say "Invalid range" here.
func mgmtUserFilter(p *params) (barong.UserFilter, bool) {
	extended := p.Bool("extended", false, "Non boolean extended value")
	f := barong.UserFilter{RangeField: "created_at"}
	if rg, ok := p.Optional("range"); ok {
		switch rg {
		case "created":
		case "updated":
			f.RangeField = "updated_at"
		default:
			p.fail("range", "Invalid range")
		}
	}
	f.From, f.To = p.Time("from"), p.Time("to")
	f.Page = p.Page()
	return f, extended
}

// listUsers is POST /management/users/list: 200 paginated [User] or
// [UserWithProfile].
func (m *management) listUsers(w http.ResponseWriter, r *http.Request, p *params) error {
	f, extended := mgmtUserFilter(p)
	if err := p.Err(); err != nil {
		return err
	}
	users, total, err := m.s.app.Users.ManagementList(r.Context(), mgmtActor(r), f, extended)
	if err != nil {
		return err
	}
	writeMgmtUsers(w, users, total, f.Page, extended)
	return nil
}

// createUser is POST /management/users: 201 UserWithProfile; validation
// failures 422 {"error":[full messages]}.
func (m *management) createUser(w http.ResponseWriter, r *http.Request, p *params) error {
	email, password := p.Required("email"), p.Required("password")
	ref, _ := p.Optional("referral_uid")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := m.s.app.Users.ManagementCreate(r.Context(), mgmtActor(r), email, password, ref)
	if err != nil {
		return modelFull(err)
	}
	writeJSON(w, http.StatusCreated, mgmtUserEntity(u, true))
	return nil
}

// updateUser is POST /management/users/update: 201 UserWithProfile.
func (m *management) updateUser(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	role, data := p.OptionalPtr("role"), p.OptionalPtr("data")
	p.AtLeastOne("role", "data")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := m.s.app.Users.ManagementUpdate(r.Context(), mgmtActor(r), uid, role, data)
	if err != nil {
		return modelFull(err)
	}
	writeJSON(w, http.StatusCreated, mgmtUserEntity(u, true))
	return nil
}

// profileFields reads the optional profile fields (blank is "is empty",
// dob must be a date).
func profileFields(p *params) app.ProfileInput {
	var in app.ProfileInput
	in.FirstName, in.LastName = p.OptionalPtr("first_name"), p.OptionalPtr("last_name")
	if d, ok := p.Date("dob", "is invalid", false); ok {
		in.DOB = &d
	}
	in.Address, in.Postcode = p.OptionalPtr("address"), p.OptionalPtr("postcode")
	in.City, in.Country = p.OptionalPtr("city"), p.OptionalPtr("country")
	return in
}

// importUser is POST /management/users/import: 201 UserWithProfile.
func (m *management) importUser(w http.ResponseWriter, r *http.Request, p *params) error {
	in := app.ImportUserInput{Email: p.Required("email"), PasswordDigest: p.Required("password_digest")}
	in.ReferralUID, _ = p.Optional("referral_uid")
	in.Phone, _ = p.Optional("phone")
	in.Profile = profileFields(p)
	in.ProfileState, _ = p.Optional("state")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := m.s.app.Users.ManagementImport(r.Context(), mgmtActor(r), in)
	if err != nil {
		return modelFull(err)
	}
	writeJSON(w, http.StatusCreated, mgmtUserEntity(u, true))
	return nil
}

// createProfile is POST /management/profiles: 201 UserWithProfile.
func (m *management) createProfile(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	in := profileFields(p)
	state, _ := p.Optional("state")
	in.Metadata = p.OptionalPtr("metadata")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := m.s.app.KYC.ManagementCreateProfile(r.Context(), mgmtActor(r), uid, in, state)
	if err != nil {
		return modelFull(err)
	}
	writeJSON(w, http.StatusCreated, mgmtUserEntity(u, true))
	return nil
}

// labeledUsers is POST /management/labels/filter/users: 200 paginated
// [User] or [UserWithProfile].
func (m *management) labeledUsers(w http.ResponseWriter, r *http.Request, p *params) error {
	key := p.Required("key")
	value, _ := p.Optional("value")
	scope, _ := p.Optional("scope")
	f, extended := mgmtUserFilter(p)
	f.LabelKey, f.LabelValue, f.LabelScope = key, value, scope
	if err := p.Err(); err != nil {
		return err
	}
	users, total, err := m.s.app.Labels.ManagementUsers(r.Context(), mgmtActor(r), f, extended)
	if err != nil {
		return err
	}
	writeMgmtUsers(w, users, total, f.Page, extended)
	return nil
}
