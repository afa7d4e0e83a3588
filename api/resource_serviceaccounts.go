package api

// registerResourceServiceAccounts adds the resource endpoints of this group.
func (s *Server) registerResourceServiceAccounts() {}
