package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
)

// caller is the authenticated user of a resource or admin request.
type caller struct {
	User *barong.User
	// Session is the cookie session, nil for API-key and bearer callers.
	Session *barong.Session
}

// callerHandler is a handler of the resource and admin families.
type callerHandler func(w http.ResponseWriter, r *http.Request, c *caller) error

// authRequest builds the authz request of r for authz path p.
func (s *Server) authRequest(r *http.Request, p string) authz.Request {
	ar := authz.Request{Path: p, Method: r.Method, IP: s.clientIP(r), UserAgent: authz.CleanUserAgent(r.UserAgent()), SessionID: s.sessionID(r)}
	if v, ok := r.Header["X-Csrf-Token"]; ok && len(v) > 0 {
		ar.CSRF, ar.HasCSRF = v[0], true
	}
	ar.APIKey, ar.Nonce, ar.Signature = firstHeader(r, "X-Auth-Apikey"), firstHeader(r, "X-Auth-Nonce"), firstHeader(r, "X-Auth-Signature")
	ar.Params = func() map[string]any { return auditParams(r) } // api/admin_audit.go
	return ar
}

// firstHeader points at the first value of the canonical header name, nil
// when it was not sent (the slice element itself: no copy, no map).
func firstHeader(r *http.Request, name string) *string {
	if v := r.Header[name]; len(v) > 0 {
		return &v[0]
	}
	return nil
}

// authenticatedAs runs h for the caller of a guardUser (uidOnly:
// guardUserUID) route: a Bearer JWT issued by authz is verified as Peatio
// verifies it; a cookie or API-key call passes the same restrictions and
// permission table as the route's permission path pp (interface §4). With
// uidOnly, the decision may come from the claims authz keeps in process
// memory (no database read) and a bearer JWT's user is not read: the
// handler reads the caller's records itself and uses only c.User.UID
// (its own read reports a user gone since).
func (s *Server) authenticatedAs(pp permPath, uidOnly bool, h callerHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.authenticate(r, pp, uidOnly)
		if err != nil {
			return err // logged by authenticate
		}
		return h(w, r, c)
	}
}

func (s *Server) authenticate(r *http.Request, pp permPath, uidOnly bool) (*caller, error) {
	ar := s.authRequest(r, pp.of(r.URL.Path))
	c, err := s.authenticateAs(r, ar, uidOnly)
	if err != nil {
		s.logAuthzRefusal(r, ar, err)
	}
	return c, err
}

func (s *Server) authenticateAs(r *http.Request, ar authz.Request, uidOnly bool) (*caller, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		// Behind a gateway authz already decided; a direct call with a token
		// still meets the restrictions (maintenance, blacklists).
		if err := s.authz.Restricted(ar); err != nil {
			return nil, err
		}
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, barong.Unauthorized("jwt.decode_and_verify")
		}
		claims, err := s.keys.VerifyAccess(strings.TrimSpace(tok), time.Now())
		if err != nil {
			return nil, barong.Unauthorized("jwt.decode_and_verify")
		}
		// The token may be up to BARONG_JWT_EXPIRE_TIME old: the user's
		// state and the permission table are checked as of now.
		ar.TokenOnly = uidOnly
		u, err := s.authz.Bearer(r.Context(), ar, claims.UID)
		if err != nil {
			if errors.Is(err, barong.ErrNotFound) {
				return nil, barong.NotFound("record.not_found")
			}
			return nil, err
		}
		if uidOnly {
			return &caller{User: &barong.User{UID: u.UID}}, nil
		}
		return &caller{User: u}, nil
	}
	ar.TokenOnly = uidOnly
	res, err := s.authz.Check(r.Context(), ar)
	if err != nil {
		return nil, err
	}
	if res.User == nil {
		// A pass rule or a service-account key: no user to act for.
		return nil, barong.Unauthorized("authz.invalid_session")
	}
	return &caller{User: res.User, Session: res.Session}, nil
}

// authzPrefix is the mount of the gateway check: /api/v2/auth/<path>.
const authzPrefix = "/api/v2/auth"

// authzTarget reports whether r is a gateway check: a request under
// /api/v2/auth/ whose first raw segment is not an API family. Checks are
// answered before the router, which would redirect (307) an unclean path
// instead of refusing it.
func authzTarget(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), authzPrefix+"/")
	if !ok {
		return false
	}
	for _, fam := range apiFamilies {
		if strings.HasPrefix(rest, fam+"/") {
			return false
		}
	}
	return true
}

// handleAuthz is the gateway check (interface §4): 200 with a bearer JWT,
// 200 without one for pass-listed paths, else Barong's status and key. The
// path is the request target after /api/v2/auth as the client sent it,
// checked by authz.TargetPath (400 authz.invalid_path when unclean).
func (s *Server) handleAuthz(w http.ResponseWriter, r *http.Request) {
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") { // absolute form: http://host/path
		target = r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
	}
	p, _, err := authz.TargetPath(strings.TrimPrefix(target, authzPrefix))
	if err != nil {
		// The path as sent, without its query (which may carry tokens).
		raw, _, _ := strings.Cut(strings.TrimPrefix(target, authzPrefix+"/"), "?")
		s.logAuthzRefusal(r, s.authRequest(r, raw), err)
		s.writeAuthzError(w, r, err)
		return
	}
	ar := s.authRequest(r, p)
	ar.TokenOnly = true // only the token is answered: cached claims do
	res, err := s.authz.Check(r.Context(), ar)
	if err != nil {
		s.logAuthzRefusal(r, ar, err)
		s.writeAuthzError(w, r, err)
		return
	}
	if !res.Pass {
		w.Header().Set("Authorization", res.Bearer)
	}
	w.WriteHeader(http.StatusOK)
}
