package api

import (
	"encoding/json"
	barong "github.com/barong-go/barong"
	"net/http"
	"strings"
	"time"

	"github.com/barong-go/barong/app"
)

func (s *Server) handleMyProfiles(w http.ResponseWriter, r *http.Request, c *caller) error {
	ps, err := s.app.KYC.Profiles(r.Context(), barong.UserActor(c.User))
	if err != nil {
		return err
	}
	out := entitiesWith(ps, profileEntity, s.cfg.Masking)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleCreateProfile(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.profile")
	if err != nil {
		return err
	}
	in := profileParams(p)
	if err := p.Err(); err != nil {
		return err
	}
	prof, err := s.app.KYC.CreateProfile(r.Context(), barong.UserActor(c.User), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, profileEntity(prof, s.cfg.Masking))
	return nil
}

func (s *Server) handleUpdateProfile(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.profile")
	if err != nil {
		return err
	}
	in := profileParams(p)
	if err := p.Err(); err != nil {
		return err
	}
	prof, err := s.app.KYC.UpdateProfile(r.Context(), barong.UserActor(c.User), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, profileEntity(prof, s.cfg.Masking))
	return nil
}

// profileParams reads the optional profile fields; a value of the wrong
// type, a dob that is no date or a confirm that is no boolean add the bare
// key invalid (Grape's coercion error). metadata may also be sent as a JSON
// object, stored as its JSON text.
func profileParams(p *params) app.ProfileInput {
	opt := func(name string) *string {
		if !p.Has(name) {
			return nil
		}
		v := p.String(name)
		return &v
	}
	in := app.ProfileInput{FirstName: opt("first_name"), LastName: opt("last_name"), Address: opt("address"),
		Postcode: opt("postcode"), City: opt("city"), Country: opt("country")}
	if v, ok := p.raw("metadata"); ok {
		if m, isObj := v.(map[string]any); isObj {
			b, _ := json.Marshal(m)
			s := string(b)
			in.Metadata = &s
		} else {
			in.Metadata = opt("metadata")
		}
	}
	if p.Has("dob") {
		d, ok := parseProfileDate(p.String("dob"))
		if !ok {
			p.Invalid(p.key("invalid", "dob"))
		}
		in.DOB = &d
	}
	in.Confirm = p.Bool("confirm", false, p.key("non_boolean", "confirm"))
	return in
}

// profileDateLayouts are the date forms accepted for dob.
var profileDateLayouts = []string{time.DateOnly, "2006/01/02", "20060102", "02.01.2006", time.RFC3339}

// parseProfileDate returns s as YYYY-MM-DD; blank is "" (no date).
func parseProfileDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	for _, l := range profileDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}
