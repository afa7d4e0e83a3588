package api

import (
	"net/http"
	"strings"

	"github.com/barong-go/barong/authz"
)

// restrictedFamilies are the families whose direct calls pass authz step 1
// (restrictions) here; resource and admin calls pass the whole decision in
// authenticate.
var restrictedFamilies = map[string]bool{"identity": true, "public": true}

// restricted wraps a handler of the identity or public family: a direct
// call passes the same restrictions as its authz path
// api/v2/barong/<family>/<rest> does behind a gateway (reference §7.1 step
// 1), so maintenance, blacklists and blocklogin (on sessions) answer the
// same status and authz.restrict.<category> key with or without one. The
// whitelink path users/access stays exempt.
func (s *Server) restricted(family string, h handlerFunc) handlerFunc {
	if s.authz == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		ar := authz.Request{Path: familyAuthzPath(family, r.URL.Path), Method: r.Method,
			IP: s.clientIP(r), UserAgent: r.UserAgent()}
		if err := s.authz.Restricted(ar); err != nil {
			s.logAuthzRefusal(r, ar, err)
			return err
		}
		return h(w, r)
	}
}

// familyAuthzPath is the authz path of a request to family at either mount:
// /api/v2/auth/identity/sessions and /api/v2/identity/sessions both give
// api/v2/barong/identity/sessions.
func familyAuthzPath(family, urlPath string) string {
	rest, ok := strings.CutPrefix(urlPath, "/api/v2/auth/"+family+"/")
	if !ok {
		rest, ok = strings.CutPrefix(urlPath, "/api/v2/"+family+"/")
	}
	if !ok {
		rest = ""
	}
	return "api/v2/barong/" + family + "/" + rest
}
