package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/seclog"
	"github.com/barong-go/barong/token"
)

// ManagementConfig configures the management API (reference §8.2, §8.3).
type ManagementConfig struct {
	// API is management_api.yml: the signers' keys (each with its pinned
	// algorithm), the claim options and the signers of each scope.
	API config.ManagementAPI
	// APIKeysUser and APIKeysSA open api_keys to user and service account
	// uids (BARONG_MGN_API_KEYS_USER, BARONG_MGN_API_KEYS_SA).
	APIKeysUser, APIKeysSA bool
	// Now is the clock of claim checks (nil: time.Now).
	Now func() time.Time
}

// Transport and verification messages (reference §8.3).
const (
	msgMgmtMethod       = "Only POST and PUT verbs are allowed."
	msgMgmtQuery        = "Query parameters are not allowed."
	msgMgmtContentType  = "Only JSON body is accepted."
	msgMgmtParse        = "Couldn't parse JWT."
	msgMgmtVerify       = "Failed to verify JWT."
	msgMgmtSignatures   = "Not enough signatures for the action."
	msgMgmtBodyTooLarge = "Request body is too large."
)

// mgmtHandler is an endpoint of the management family: p holds the
// verified payload's data.
type mgmtHandler func(w http.ResponseWriter, r *http.Request, p *mparams) error

// mgmtRoute is one method of a management path and the scope it needs.
type mgmtRoute struct {
	method, scope string
	h             mgmtHandler
}

// management serves the management family.
type management struct {
	s      *Server
	cfg    ManagementConfig
	checks token.ClaimChecks
	// checksErr is a jwt: option that cannot be applied; every request
	// then fails verification (logged).
	checksErr error
	paths     map[string][]mgmtRoute
	order     []string
}

// registerManagement adds the management family at both mounts. Every
// path takes any method, so that other verbs get Barong's 405 answer.
func (s *Server) registerManagement() {
	m := &management{s: s, cfg: s.cfg.Management, paths: map[string][]mgmtRoute{}}
	if m.cfg.Now == nil {
		m.cfg.Now = time.Now
	}
	m.checks, m.checksErr = claimChecks(m.cfg.API.JWT)
	m.routes()
	for _, path := range m.order {
		h := m.dispatch(m.paths[path])
		s.mux.HandleFunc("/api/v2/auth/management"+path, h)
		s.mux.HandleFunc("/api/v2/management"+path, h)
	}
	// Barong serves its management swagger unauthenticated.
	docs := s.wrap(s.handleOpenAPI)
	s.mux.HandleFunc("GET /api/v2/auth/management/swagger", docs)
	s.mux.HandleFunc("GET /api/v2/management/swagger", docs)
}

// routes lists the management endpoints (reference §8.2) with their scopes.
func (m *management) routes() {
	m.add("POST", "/timestamp", "tools", "Server time in seconds since the Unix epoch", m.timestamp)

	m.add("POST", "/users/get", "read_users", "A user with KYC records by uid, email or phone_num", m.getUser)
	m.add("POST", "/users/list", "read_users", "List users", m.listUsers)
	m.add("POST", "/users", "write_users", "Create a user", m.createUser)
	m.add("POST", "/users/update", "write_users", "Update a user's role or data", m.updateUser)
	m.add("POST", "/users/import", "write_users", "Import a user with a bcrypt password digest", m.importUser)
	m.add("POST", "/profiles", "write_users", "Create a profile for a user", m.createProfile)

	m.add("POST", "/phones/get", "read_phones", "A user's phones", m.phones)
	m.add("POST", "/phones", "write_phones", "Add a validated phone to a user", m.addPhone)
	m.add("POST", "/phones/delete", "write_phones", "Delete a user's phone", m.deletePhone)

	m.add("POST", "/labels/filter/users", "read_users", "Users having a label", m.labeledUsers)
	m.add("POST", "/labels/list", "read_labels", "A user's labels", m.labels)
	m.add("POST", "/labels", "write_labels", "Create a private label", m.createLabel)
	m.add("PUT", "/labels", "write_labels", "Update (or create) a private label", m.updateLabel)
	m.add("POST", "/labels/delete", "write_labels", "Delete a private label", m.deleteLabel)

	m.add("POST", "/otp/sign", "otp_sign", "Sign a JWS as barong after checking the user's TOTP code", m.signOTP)
	m.add("POST", "/documents", "write_documents", "Upload a base64 document for a user", m.createDocument)

	m.add("POST", "/service_accounts/get", "read_service_accounts", "A service account by uid or email", m.getServiceAccount)
	m.add("POST", "/service_accounts/list", "read_service_accounts", "List service accounts", m.listServiceAccounts)
	m.add("POST", "/service_accounts/create", "write_service_accounts", "Create a service account", m.createServiceAccount)
	m.add("POST", "/service_accounts/update", "write_service_accounts", "Change a service account's owner", m.updateServiceAccount)
	m.add("POST", "/service_accounts/delete", "write_service_accounts", "Disable a service account", m.deleteServiceAccount)

	m.add("POST", "/api_keys", "write_apikeys", "Create an API key for a user or service account", m.createAPIKey)
	m.add("POST", "/api_keys/update", "write_apikeys", "Update an API key", m.updateAPIKey)

	m.add("POST", "/sessions/list", "read_users", "A user's live sessions", m.mgmtSessions)
	m.add("POST", "/sessions/delete", "write_users", "Revoke a user's session id, or all his sessions without id (errors: user.doesnt_exist, management.session.doesnt_exist)", m.mgmtRevokeSessions)
}

// timestamp is POST /management/timestamp.
func (m *management) timestamp(w http.ResponseWriter, r *http.Request, p *mparams) error {
	writeJSON(w, http.StatusOK, map[string]int64{"timestamp": m.cfg.Now().Unix()})
	return nil
}

// add registers one endpoint.
func (m *management) add(method, path, scope, summary string, h mgmtHandler) {
	m.s.routes = append(m.s.routes, route{"management", method, path, summary})
	if _, ok := m.paths[path]; !ok {
		m.order = append(m.order, path)
	}
	m.paths[path] = append(m.paths[path], mgmtRoute{method: method, scope: scope, h: h})
}

// dispatch checks the method, verifies the request against the route's
// scope and runs its handler.
func (m *management) dispatch(routes []mgmtRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		i := slices.IndexFunc(routes, func(rt mgmtRoute) bool { return rt.method == r.Method })
		if i < 0 {
			var allow []string
			for _, rt := range routes {
				allow = append(allow, rt.method)
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			msg := msgMgmtMethod
			if r.Method == http.MethodPost || r.Method == http.MethodPut {
				msg = "405 Not Allowed"
			}
			m.writeError(w, r, mgmtFail(http.StatusMethodNotAllowed, msg))
			return
		}
		data, signers, err := m.verifySigners(w, r, routes[i].scope)
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), actorKey{}, barong.ManagementActor(signers)))
			err = routes[i].h(w, r, newMParams(data))
		}
		if err != nil {
			m.writeError(w, r, err)
		}
	}
}

// actorKey carries the management actor (the verified signers) from
// dispatch to the handler.
type actorKey struct{}

// mgmtActor is the management actor of a verified request: the signers
// whose signatures were verified.
func mgmtActor(r *http.Request) barong.Actor {
	a, _ := r.Context().Value(actorKey{}).(barong.Actor)
	return a
}

// maxBody bounds a management body: a base64 document inside a base64url
// payload takes about twice the upload limit.
func (m *management) maxBody() int64 { return 2*m.s.cfg.MaxUploadBytes + maxBodyBytes }

// verify applies the transport checks and the JWT multisig verification
// of reference §8.3 and returns the payload's data. Differences from
// Barong, on purpose: the algorithm of each signer is the one configured
// for its key (never the header's), signatures are verified over the
// received payload bytes, a jti is required and each jti is accepted once
// (a replay answers 401 Failed to verify JWT.).
func (m *management) verify(w http.ResponseWriter, r *http.Request, scope string) (map[string]any, error) {
	data, _, err := m.verifySigners(w, r, scope)
	return data, err
}

// verifySigners is verify, returning also the signers whose signatures
// were verified.
func (m *management) verifySigners(w http.ResponseWriter, r *http.Request, scope string) (map[string]any, []string, error) {
	if r.URL.RawQuery != "" {
		return nil, nil, mgmtFail(http.StatusBadRequest, msgMgmtQuery)
	}
	if r.Header.Get("Content-Type") != "application/json" {
		return nil, nil, mgmtFail(http.StatusBadRequest, msgMgmtContentType)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, m.maxBody()))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, mgmtFail(http.StatusRequestEntityTooLarge, msgMgmtBodyTooLarge)
		}
		return nil, nil, mgmtFail(http.StatusBadRequest, msgMgmtParse)
	}
	if !json.Valid(body) {
		return nil, nil, mgmtFail(http.StatusBadRequest, msgMgmtParse)
	}
	payload, signers, err := m.verifySignatures(r, scope, body)
	if err != nil {
		return nil, nil, err
	}
	claims, err := m.useJTI(r, payload)
	if err != nil {
		return nil, nil, err
	}
	switch d := claims["data"].(type) {
	case nil:
		return map[string]any{}, signers, nil
	case map[string]any:
		return d, signers, nil
	}
	return nil, nil, mgmtFail(http.StatusBadRequest, msgMgmtParse)
}

// verifySignatures verifies body with the keys of the scope's permitted
// signers, then the claims, then that every mandatory signer signed. It
// returns the payload and the signers whose signatures it verified.
func (m *management) verifySignatures(r *http.Request, scope string, body []byte) ([]byte, []string, error) {
	sc, ok := m.cfg.API.Scopes[scope]
	if !ok {
		return nil, nil, m.refuse(r, scope, "scope not configured", nil)
	}
	if m.checksErr != nil {
		return nil, nil, m.refuse(r, scope, "jwt options", m.checksErr)
	}
	keys := make([]token.VerifyKey, 0, len(sc.PermittedSigners))
	for _, id := range sc.PermittedSigners {
		if k, ok := m.cfg.API.Keychain[id]; ok {
			keys = append(keys, token.VerifyKey{KID: id, Algorithm: k.Algorithm, Public: k.PublicKey})
		}
	}
	if len(keys) == 0 {
		return nil, nil, m.refuse(r, scope, "no permitted signer in the keychain", nil)
	}
	payload, signers, err := token.VerifyGeneral(body, keys)
	if err != nil {
		return nil, nil, m.refuse(r, scope, "signature", err)
	}
	if err := m.checks.Validate(payload, m.cfg.Now()); err != nil {
		return nil, nil, m.refuse(r, scope, "claims", err)
	}
	for _, id := range sc.MandatorySigners {
		if !slices.Contains(signers, id) {
			seclog.Log(r.Context(), m.s.log, seclog.ManagementRefused, slog.String("path", r.URL.Path),
				slog.String("scope", scope), slog.String("reason", "mandatory signer missing"), slog.String("signer", id))
			return nil, nil, mgmtFail(http.StatusUnauthorized, msgMgmtSignatures)
		}
	}
	return payload, signers, nil
}

// refuse logs why a management request failed verification (never the
// token) and returns Barong's 401.
func (m *management) refuse(r *http.Request, scope, reason string, err error) error {
	attrs := []slog.Attr{slog.String("path", r.URL.Path), slog.String("scope", scope), slog.String("reason", reason)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	seclog.Log(r.Context(), m.s.log, seclog.ManagementRefused, attrs...)
	return mgmtFail(http.StatusUnauthorized, msgMgmtVerify)
}

// useJTI decodes the verified claims and marks their jti used until the
// token expires (for ever when it has no exp); a jti seen before is a
// replay.
func (m *management) useJTI(r *http.Request, payload []byte) (map[string]any, error) {
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return nil, m.refuse(r, "", "claims", err)
	}
	jti, _ := asString(claims["jti"])
	var ttl time.Duration
	if n, ok := claims["exp"].(json.Number); ok {
		if exp, err := n.Float64(); err == nil {
			ttl = time.Unix(int64(exp), 0).Sub(m.cfg.Now()) + m.expLeeway() + time.Second
			if ttl < time.Second {
				ttl = time.Second
			}
		}
	}
	fresh, err := m.s.app.Identity.UseManagementJTI(r.Context(), jti, ttl)
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, m.refuse(r, "", "jti replayed", nil)
	}
	return claims, nil
}

// expLeeway is how long after exp a token is still accepted.
func (m *management) expLeeway() time.Duration {
	if m.checks.ExpirationLeeway != 0 {
		return m.checks.ExpirationLeeway
	}
	return m.checks.Leeway
}
