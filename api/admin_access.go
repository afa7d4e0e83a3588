package api

import (
	barong "github.com/barong-go/barong"
	"net/http"
	"slices"
	"time"

	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

const adminPermission, adminRestriction = "admin.permission", "admin.restriction"

func (s *Server) handleAdminPermissions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminPermission)
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	ps, total, err := s.app.Access.Permissions(r.Context(), barong.AdminActor(c.User), pg)
	if err != nil {
		return err
	}
	out := entities(ps, permissionEntity)
	writePage(w, pg, total, out)
	return nil
}

func (s *Server) handleAdminCreatePermission(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminPermission)
	if err != nil {
		return err
	}
	role, verb, path, action := p.Required("role"), p.Required("verb"), p.Required("path"), p.Required("action")
	in := app.PermissionInput{Role: &role, Verb: &verb, Path: &path, Action: &action, Topic: optString(p, "topic")}
	if err := p.Err(); err != nil {
		return err
	}
	if _, err := s.app.Access.CreatePermission(r.Context(), barong.AdminActor(c.User), in); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleAdminUpdatePermission(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminPermission)
	if err != nil {
		return err
	}
	id := idParam(p)
	in := app.PermissionInput{Role: optString(p, "role"), Verb: optString(p, "verb"), Path: optString(p, "path"),
		Action: optString(p, "action"), Topic: optString(p, "topic")}
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Access.UpdatePermission(r.Context(), barong.AdminActor(c.User), id, in); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleAdminDeletePermission(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminPermission)
	if err != nil {
		return err
	}
	id := idParam(p)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Access.DeletePermission(r.Context(), barong.AdminActor(c.User), id); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleAdminRestrictions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminRestriction)
	if err != nil {
		return err
	}
	var q app.RestrictionQuery
	if v := enumParam(p, "scope", "admin.restriction.invalid_scope", app.RestrictionScopes); v != nil {
		q.Scope = *v
	}
	if v := enumParam(p, "category", "admin.restriction.invalid_category", app.RestrictionCategories); v != nil {
		q.Category = *v
	}
	if v := enumParam(p, "range", "admin.restriction.invalid_range", []string{"created", "updated"}); v != nil {
		q.Updated = *v == "updated"
	}
	q.From = epochParam(p, "from", "admin.restriction.non_integer_from")
	q.To = epochParam(p, "to", "admin.restriction.non_integer_to")
	q.Page = p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	rs, total, err := s.app.Access.Restrictions(r.Context(), barong.AdminActor(c.User), q)
	if err != nil {
		return err
	}
	out := entities(rs, restrictionEntity)
	writePage(w, q.Page, total, out)
	return nil
}

// restrictionInput reads the restriction fields; required ones on create.
func restrictionInput(p *params, create bool) app.RestrictionInput {
	var in app.RestrictionInput
	if create {
		for _, f := range []struct {
			name string
			dst  **string
		}{{"scope", &in.Scope}, {"value", &in.Value}, {"category", &in.Category}} {
			v := p.Required(f.name)
			*f.dst = &v
		}
	} else {
		in.Scope, in.Value, in.Category = optString(p, "scope"), optString(p, "value"), optString(p, "category")
	}
	in.State = optString(p, "state")
	for _, e := range []struct {
		v      *string
		key    string
		values []string
	}{
		{in.Scope, "admin.restriction.invalid_scope", app.RestrictionScopes},
		{in.Category, "admin.restriction.invalid_category", app.RestrictionCategories},
		{in.State, "admin.restriction.invalid_state", app.RestrictionStates},
	} {
		if e.v != nil && *e.v != "" && !slices.Contains(e.values, *e.v) {
			p.Invalid(e.key)
		}
	}
	if n, ok := p.Int32("code", p.key("non_integer", "code")); ok {
		code := int(n)
		in.Code = &code
	}
	return in
}

func (s *Server) handleAdminCreateRestriction(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminRestriction)
	if err != nil {
		return err
	}
	in := restrictionInput(p, true)
	if err := p.Err(); err != nil {
		return err
	}
	if _, err := s.app.Access.CreateRestriction(r.Context(), barong.AdminActor(c.User), in); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleAdminUpdateRestriction(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminRestriction)
	if err != nil {
		return err
	}
	id := idParam(p)
	in := restrictionInput(p, false)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Access.UpdateRestriction(r.Context(), barong.AdminActor(c.User), id, in); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleAdminDeleteRestriction(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminRestriction)
	if err != nil {
		return err
	}
	id := idParam(p)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Access.DeleteRestriction(r.Context(), barong.AdminActor(c.User), id); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

// handleAdminWhitelink is POST /admin/restrictions/whitelink: expire_time
// 1..30 (default 1; else invalid_expire) days or hours (range day|hour,
// default day; else invalid_range) → 201 {"whitelink_token":"<64 hex>"}.
func (s *Server) handleAdminWhitelink(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminRestriction)
	if err != nil {
		return err
	}
	n := int64(1)
	if v, ok := p.Int("expire_time", "invalid_expire"); ok {
		if v < 1 || v > 30 {
			p.Invalid("invalid_expire")
		}
		n = v
	}
	unit := 24 * time.Hour
	if v := enumParam(p, "range", "invalid_range", []string{"day", "hour"}); v != nil && *v == "hour" {
		unit = time.Hour
	}
	if err := p.Err(); err != nil {
		return err
	}
	tok, err := s.app.Access.Whitelink(r.Context(), barong.AdminActor(c.User), time.Duration(n)*unit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Token string `json:"whitelink_token"`
	}{tok})
	return nil
}

// handleAdminLevels is GET /admin/levels. Barong answers every level; as
// every list here it takes page and limit (interface §8).
func (s *Server) handleAdminLevels(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "admin.level")
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	ls, total, err := s.app.Access.Levels(r.Context(), barong.AdminActor(c.User), pg)
	if err != nil {
		return err
	}
	out := entities(ls, entity.NewLevel)
	writePage(w, pg, total, out)
	return nil
}
