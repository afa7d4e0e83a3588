package api

// registerResourceProfiles adds the resource endpoints of this group.
func (s *Server) registerResourceProfiles() {}
