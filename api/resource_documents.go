package api

// registerResourceDocuments adds the resource endpoints of this group.
func (s *Server) registerResourceDocuments() {}
