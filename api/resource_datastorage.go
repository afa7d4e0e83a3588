package api

// registerResourceDataStorage adds the resource endpoints of this group.
func (s *Server) registerResourceDataStorage() {}
