package api

import (
	"net/http"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

// Session management (barong-go addition, docs/sessions-and-passkeys.md):
// resource/sessions for the user's own sessions, admin/users/sessions for
// any user's (ability Session), management sessions/list and
// sessions/delete (scopes read_users and write_users).

// currentSessionID is the caller's session id: the authenticated cookie
// session, or behind a gateway (Bearer token) the cookie that came along;
// the app marks it only when it is one of the user's own sessions.
func (s *Server) currentSessionID(r *http.Request, c *caller) string {
	if c.Session != nil {
		return c.Session.ID
	}
	return s.sessionID(r)
}

// sessionEntity is a listed session: id (hash of the session id), login
// IP, its country (GeoIP name, null when unknown), user agent, whether it
// is the caller's session, creation and last use.
func (s *Server) sessionEntity(v *app.SessionView) entity.Session {
	country := ""
	if s.geo != nil {
		_, country, _, _ = s.geo.Lookup(v.UserIP)
	}
	return entity.NewSession(&v.Session, country, v.Current, v.LastSeen)
}

// writeSessions answers a page of sessions with the list headers.
func (s *Server) writeSessions(w http.ResponseWriter, vs []app.SessionView, pg barong.Page) {
	total := int64(len(vs))
	from := min(pg.Offset(), len(vs))
	to := min(from+pg.Limit, len(vs))
	writePage(w, pg, total, entities(vs[from:to], s.sessionEntity))
}

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.session")
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	vs, err := s.app.Sessions.List(r.Context(), barong.UserActor(c.User), s.currentSessionID(r, c))
	if err != nil {
		return err
	}
	s.writeSessions(w, vs, pg)
	return nil
}

func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if err := s.app.Sessions.Revoke(r.Context(), barong.UserActor(c.User), id, s.client(r)); err != nil {
		return err
	}
	if cur := s.currentSessionID(r, c); cur != "" && barong.SessionHash(cur) == id {
		s.clearSessionCookie(w, r)
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

func (s *Server) handleRevokeOtherSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := s.app.Sessions.RevokeOthers(r.Context(), barong.UserActor(c.User), s.currentSessionID(r, c), s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

func (s *Server) handleAdminSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "admin.user")
	if err != nil {
		return err
	}
	uid := p.Required("uid")
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	vs, err := s.app.Sessions.AdminList(r.Context(), barong.AdminActor(c.User), uid, s.currentSessionID(r, c))
	if err != nil {
		return err
	}
	s.writeSessions(w, vs, pg)
	return nil
}

func (s *Server) handleAdminRevokeSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "admin.user")
	if err != nil {
		return err
	}
	uid := p.Required("uid")
	id, _ := p.NotBlank("id")
	if err := p.Err(); err != nil {
		return err
	}
	if _, err := s.app.Sessions.AdminRevoke(r.Context(), barong.AdminActor(c.User), uid, id, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

// mgmtSessions is POST /management/sessions/list: 200 [Session].
func (m *management) mgmtSessions(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	if err := p.Err(); err != nil {
		return err
	}
	vs, err := m.s.app.Sessions.ManagementList(r.Context(), mgmtActor(r), uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, entities(vs, m.s.sessionEntity))
	return nil
}

// mgmtRevokeSessions is POST /management/sessions/delete: the session id
// of the user uid, or all his sessions without id; 200 with the revoked
// sessions.
func (m *management) mgmtRevokeSessions(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	id, _ := p.Optional("id")
	if err := p.Err(); err != nil {
		return err
	}
	vs, err := m.s.app.Sessions.ManagementRevoke(r.Context(), mgmtActor(r), uid, id, m.s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, entities(vs, m.s.sessionEntity))
	return nil
}
