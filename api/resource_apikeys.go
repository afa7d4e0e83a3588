package api

// registerResourceApiKeys adds the resource endpoints of this group.
func (s *Server) registerResourceApiKeys() {}
