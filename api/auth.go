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
	ar := authz.Request{Path: p, Method: r.Method, IP: s.clientIP(r), UserAgent: r.UserAgent(), SessionID: s.sessionID(r)}
	if v, ok := r.Header["X-Csrf-Token"]; ok && len(v) > 0 {
		ar.CSRF, ar.HasCSRF = v[0], true
	}
	for h, dst := range map[string]**string{"X-Auth-Apikey": &ar.APIKey, "X-Auth-Nonce": &ar.Nonce, "X-Auth-Signature": &ar.Signature} {
		if v, ok := r.Header[h]; ok && len(v) > 0 {
			val := v[0]
			*dst = &val
		}
	}
	ar.Params = func() map[string]any { return auditParams(r) } // api/admin_audit.go
	return ar
}

// authenticated wraps a handler of family (resource or admin): a Bearer JWT
// issued by authz is verified as Peatio verifies it; a cookie or API-key
// call passes the same restrictions and permission table as the authz path
// api/v2/barong/<family>/<rest> (interface §4).
func (s *Server) authenticated(family string, h callerHandler) handlerFunc {
	return s.authenticatedAs(family, false, h)
}

// authenticatedByUID is authenticated for handlers that read the caller's
// records themselves and use only c.User.UID: the decision may come from
// the claims authz keeps in process memory (no database read), and a bearer JWT's user is
// not read; the handler's own read reports a user gone since.
func (s *Server) authenticatedByUID(family string, h callerHandler) handlerFunc {
	return s.authenticatedAs(family, true, h)
}

func (s *Server) authenticatedAs(family string, uidOnly bool, h callerHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.authenticate(r, family, uidOnly)
		if err != nil {
			return err
		}
		return h(w, r, c)
	}
}

func (s *Server) authenticate(r *http.Request, family string, uidOnly bool) (*caller, error) {
	rest := r.URL.Path
	if i := strings.Index(rest, "/"+family+"/"); i >= 0 {
		rest = rest[i+len(family)+2:]
	}
	ar := s.authRequest(r, "api/v2/barong/"+family+"/"+rest)
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
		if uidOnly {
			return &caller{User: &barong.User{UID: claims.UID}}, nil
		}
		u, err := s.app.Store().UserByUID(r.Context(), claims.UID)
		if err != nil {
			if errors.Is(err, barong.ErrNotFound) {
				return nil, barong.NotFound("record.not_found")
			}
			return nil, err
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

// authzPath is the gateway's path after /api/v2/auth/, without a trailing
// format extension (as Rails' glob route strips it).
func authzPath(urlPath string) string {
	p := strings.TrimPrefix(urlPath, "/api/v2/auth/")
	last := p[strings.LastIndexByte(p, '/')+1:]
	if i := strings.LastIndexByte(last, '.'); i > 0 {
		p = p[:len(p)-len(last)+i]
	}
	return p
}

// handleAuthz is the gateway check (interface §4): 200 with a bearer JWT,
// 200 without one for pass-listed paths, else Barong's status and key.
func (s *Server) handleAuthz(w http.ResponseWriter, r *http.Request) {
	ar := s.authRequest(r, authzPath(r.URL.Path))
	ar.TokenOnly = true // only the token is answered: cached claims do
	res, err := s.authz.Check(r.Context(), ar)
	if err != nil {
		s.writeAuthzError(w, r, err)
		return
	}
	if !res.Pass {
		w.Header().Set("Authorization", res.Bearer)
	}
	w.WriteHeader(http.StatusOK)
}
