package api

// registerResourceOtp adds the resource endpoints of this group.
func (s *Server) registerResourceOtp() {}
