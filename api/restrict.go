package api

import (
	"net/http"

	"github.com/barong-go/barong/authz"
)

// restricted wraps the handler of a guardOpen route (the identity and
// public families): a direct call passes the same restrictions as its
// permission path pp does behind a gateway (reference §7.1 step
// 1), so maintenance, blacklists and blocklogin (on sessions) answer the
// same status and authz.restrict.<category> key with or without one. The
// whitelink path users/access stays exempt.
func (s *Server) restricted(pp permPath, h handlerFunc) handlerFunc {
	if s.authz == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		ar := authz.Request{Path: pp.of(r.URL.Path), Method: r.Method,
			IP: s.clientIP(r), UserAgent: authz.CleanUserAgent(r.UserAgent())}
		if err := s.authz.Restricted(ar); err != nil {
			s.logAuthzRefusal(r, ar, err)
			return err
		}
		return h(w, r)
	}
}
