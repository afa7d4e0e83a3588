package api

import (
	"net/http"
)

// registerResourceUsers adds resource/users/* (reference §6.3.1).
func (s *Server) registerResourceUsers() {
	s.handleAuth("resource", "GET", "/users/me", "The current user", s.handleMe)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	info, err := s.app.UserInfo(r.Context(), c.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.fullInfoEntity(info, ""))
	return nil
}
