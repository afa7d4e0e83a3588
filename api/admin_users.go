package api

import (
	"net/http"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

const adminUser = "admin.user"

// userFilter reads the filters of the user lists (reference §8.1).
func userFilter(p *params) barong.UserFilter {
	f := barong.UserFilter{UID: p.String("uid"), Email: p.String("email"), Role: p.String("role"),
		Country: p.String("country"), State: p.String("state"), RangeField: "created_at"}
	if n, ok := p.Int32("level", "admin.user.non_integer_level"); ok {
		lv := int(n)
		f.Level = &lv
	}
	if p.Has("range") {
		switch p.String("range") {
		case "created":
		case "updated":
			f.RangeField = "updated_at"
		default:
			p.Invalid("admin.user.invalid_range")
		}
	}
	f.From = epochParam(p, "from", "admin.user.non_integer_from")
	f.To = epochParam(p, "to", "admin.user.non_integer_to")
	f.Page = p.Page()
	return f
}

func (s *Server) handleAdminUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	extended := p.Bool("extended", false, "admin.user.non_boolean_extended")
	f := userFilter(p)
	f.Order = orderParam(p, "user.ordering", app.UserOrderColumns)
	if err := p.Err(); err != nil {
		return err
	}
	users, total, err := s.app.Users.AdminList(r.Context(), barong.AdminActor(c.User), f, extended)
	if err != nil {
		return err
	}
	writePage(w, f.Page, total, adminUserList(users, extended))
	return nil
}

func (s *Server) handleAdminUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.app.Users.AdminGet(r.Context(), barong.AdminActor(c.User), r.PathValue("uid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminUserEntity(u, true))
	return nil
}

// handleAdminUpdateUser serves both user updates: exactly one of fields
// must be sent (else 422 admin.user.one_of_<fields joined by _>).
func (s *Server) handleAdminUpdateUser(fields ...string) callerHandler {
	oneOf := "admin.user.one_of_" + strings.Join(fields, "_")
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		p, err := s.parse(w, r, adminUser)
		if err != nil {
			return err
		}
		in := app.AdminUserUpdate{UID: p.Required("uid")}
		sent := 0
		for _, f := range fields {
			if p.Has(f) {
				sent++
			}
		}
		if sent != 1 {
			p.Invalid(oneOf)
		}
		in.State = optString(p, "state")
		if len(fields) == 3 {
			in.Email = optString(p, "email")
		}
		if p.Has("otp") {
			v := p.Bool("otp", false, "admin.user.non_boolean_otp")
			in.OTP = &v
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := s.app.Users.AdminUpdate(r.Context(), barong.AdminActor(c.User), in); err != nil {
			return err
		}
		writeStatus(w, http.StatusOK)
		return nil
	}
}

func (s *Server) handleAdminRole(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	uid, role := p.Required("uid"), p.Required("role")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Users.AdminSetRole(r.Context(), barong.AdminActor(c.User), uid, role); err != nil {
		return err
	}
	writeStatus(w, http.StatusOK)
	return nil
}

// handleAdminPending is GET /admin/users/documents/pending; first_name and
// last_name are accepted and ignored, as by Barong.
func (s *Server) handleAdminPending(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	extended := p.Bool("extended", false, "admin.user.non_boolean_extended")
	f := userFilter(p)
	if err := p.Err(); err != nil {
		return err
	}
	users, total, err := s.app.Users.AdminPendingDocuments(r.Context(), barong.AdminActor(c.User), f, extended)
	if err != nil {
		return err
	}
	writePage(w, f.Page, total, adminUserList(users, extended))
	return nil
}

func (s *Server) handleAdminDeleteStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, adminUser)
	if err != nil {
		return err
	}
	uid, title := p.Required("uid"), p.Required("title")
	if err := p.Err(); err != nil {
		return err
	}
	u, err := s.app.DataStorage.AdminDelete(r.Context(), barong.AdminActor(c.User), uid, title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminUserEntity(u, true))
	return nil
}

func (s *Server) handleAdminAPIKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "admin.apikey")
	if err != nil {
		return err
	}
	uid := p.Required("uid")
	o := orderParam(p, "api_keys.ordering", app.APIKeyColumns)
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	keys, total, err := s.app.APIKeys.AdminList(r.Context(), barong.AdminActor(c.User), uid, o, pg)
	if err != nil {
		return err
	}
	out := entitiesWith(keys, apiKeyEntity, false)
	writePage(w, pg, total, out)
	return nil
}
