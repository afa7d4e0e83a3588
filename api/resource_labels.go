package api

// registerResourceLabels adds the resource endpoints of this group.
func (s *Server) registerResourceLabels() {}
