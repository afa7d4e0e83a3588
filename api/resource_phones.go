package api

// registerResourcePhones adds the resource endpoints of this group.
func (s *Server) registerResourcePhones() {}
