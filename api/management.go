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
type mgmtHandler func(w http.ResponseWriter, r *http.Request, p *params) error

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
}

// newManagement serves the management family of s (its routes are rows
// of the route table).
func newManagement(s *Server) *management {
	m := &management{s: s, cfg: s.cfg.Management}
	if m.cfg.Now == nil {
		m.cfg.Now = time.Now
	}
	m.checks, m.checksErr = claimChecks(m.cfg.API.JWT)
	return m
}

// timestamp is POST /management/timestamp.
func (m *management) timestamp(w http.ResponseWriter, r *http.Request, p *params) error {
	writeJSON(w, http.StatusOK, map[string]int64{"timestamp": m.cfg.Now().Unix()})
	return nil
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
