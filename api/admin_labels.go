package api

import (
	"fmt"
	barong "github.com/barong-go/barong"
	"net/http"
	"strconv"

	"github.com/barong-go/barong/app"
)

// handleAdminLabelCounts renders the counts as Barong's hash keyed by the
// Ruby inspection of [key, value], e.g. {"[\"email\", \"verified\"]":12}.
func (s *Server) handleAdminLabelCounts(w http.ResponseWriter, r *http.Request, c *caller) error {
	cs, err := s.app.Labels.AdminCounts(r.Context(), barong.AdminActor(c.User))
	if err != nil {
		return err
	}
	o := make(members[int64], 0, len(cs))
	for _, lc := range cs {
		o = append(o, member[int64]{fmt.Sprintf("[%s, %s]", strconv.Quote(lc.Key), strconv.Quote(lc.Value)), lc.Count})
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) handleAdminUsersByLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	key, value := p.Required("key"), p.Required("value")
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	users, total, err := s.app.Labels.AdminUsers(r.Context(), barong.AdminActor(c.User), key, value, pg)
	if err != nil {
		return err
	}
	writePage(w, pg, total, adminUserList(users, false))
	return nil
}

// labelInput reads uid, key, value, an optional non-blank description and
// scope (required when scopeRequired).
func labelInput(p *params, scopeRequired, withValue bool) app.AdminLabelInput {
	in := app.AdminLabelInput{UID: p.Required("uid"), Key: p.Required("key")}
	if withValue {
		in.Value = p.Required("value")
	}
	if d := optString(p, "description"); d != nil {
		in.Description = *d
	}
	if scopeRequired {
		in.Scope = p.Required("scope")
	} else if sc := optString(p, "scope"); sc != nil {
		in.Scope = *sc
	}
	return in
}

func (s *Server) handleAdminCreateLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	in := labelInput(p, false, true)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Labels.AdminCreate(r.Context(), barong.AdminActor(c.User), in); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

// handleAdminUpdateLabel serves POST labels/update (withReplace: a missing
// label is created unless replace=false) and PUT labels.
func (s *Server) handleAdminUpdateLabel(withReplace bool) callerHandler {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		p, err := s.parse(w, r, adminUser)
		if err != nil {
			return err
		}
		in := labelInput(p, true, true)
		create := false
		if withReplace {
			create = p.Bool("replace", true, "admin.user.non_boolean_replace")
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := s.app.Labels.AdminUpdate(r.Context(), barong.AdminActor(c.User), in, create); err != nil {
			return err
		}
		writeStatus(w, http.StatusOK)
		return nil
	}
}

func (s *Server) handleAdminDeleteLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	in := labelInput(p, true, false)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Labels.AdminDelete(r.Context(), barong.AdminActor(c.User), in.UID, in.Key, in.Scope); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

func (s *Server) handleAdminCreateComment(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	uid, title, data := p.Required("uid"), p.Required("title"), p.Required("data")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := s.app.Users.AdminCreateComment(r.Context(), barong.AdminActor(c.User), uid, title, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, adminUserEntity(u, true))
	return nil
}

func (s *Server) handleAdminUpdateComment(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	id := idParam(p)
	title, data := optString(p, "title"), optString(p, "data")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := s.app.Users.AdminUpdateComment(r.Context(), barong.AdminActor(c.User), id, title, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminUserEntity(u, true))
	return nil
}

func (s *Server) handleAdminDeleteComment(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	id := idParam(p)
	if err := p.Err(); err != nil {
		return err
	}
	u, err := s.app.Users.AdminDeleteComment(r.Context(), barong.AdminActor(c.User), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminUserEntity(u, true))
	return nil
}
