package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

// Passkeys (barong-go addition, docs/sessions-and-passkeys.md):
// resource/webauthn/credentials registers and manages the current user's
// passkeys; identity/sessions/webauthn signs in with one. Each ceremony
// starts with an .../options call whose answer is the publicKey options
// of navigator.credentials.create or .get, and ends with the
// PublicKeyCredential the browser returned, sent as the credential
// parameter (a JSON object, or a string holding one).

// credentialParam reads the PublicKeyCredential JSON in name: an object,
// or a string holding one. A missing or blank one adds the missing_/empty_
// keys when required; any other type adds formatKey (422).
func credentialParam(p *params, name, formatKey string, required bool) []byte {
	v, ok := p.raw(name)
	if !ok {
		if required {
			p.missing = append(p.missing, p.key("missing", name), p.key("empty", name))
		}
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			p.Invalid(formatKey)
			return nil
		}
		return b
	case string:
		if strings.TrimSpace(x) == "" {
			p.missing = append(p.missing, p.key("empty", name))
			return nil
		}
		return []byte(x)
	}
	p.Invalid(formatKey)
	return nil
}

// passkeyAssertionParam reads and parses the sign-in credential
// (identity.session.invalid_passkey_format when it does not parse).
func passkeyAssertionParam(p *params, required bool) *app.PasskeyAssertion {
	raw := credentialParam(p, "credential", app.KeyPasskeyFormat, required)
	if raw == nil {
		return nil
	}
	a, err := app.ParsePasskeyAssertion(raw)
	if err != nil {
		p.Invalid(app.KeyPasskeyFormat)
		return nil
	}
	return a
}

// writeOptions answers WebAuthn ceremony options as they are.
func writeOptions(w http.ResponseWriter, opts json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(opts)
}

func (s *Server) handlePasskeyRegistrationOptions(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.webauthn")
	if err != nil {
		return err
	}
	code, password := p.String("otp_code"), p.String("password")
	if err := p.Err(); err != nil {
		return err
	}
	opts, err := s.app.Passkeys.RegistrationOptions(r.Context(), barong.UserActor(c.User), code, password, s.client(r))
	if err != nil {
		return err
	}
	writeOptions(w, opts)
	return nil
}

// passkeyEntity is a registered passkey: id (for rename and delete), name,
// the WebAuthn credential id (base64url), the authenticator's AAGUID,
// transports, backup eligibility and state, creation and last use.
func passkeyEntity(v *app.PasskeyView) entity.Passkey {
	return entity.NewPasskey(&v.WebAuthnCredential, v.AAGUID, v.Transports, v.BackupEligible, v.BackedUp)
}

// writePasskey answers the passkey id of u.
func (s *Server) writePasskey(w http.ResponseWriter, r *http.Request, u *barong.User, id int64, status int) error {
	vs, err := s.app.Passkeys.List(r.Context(), barong.UserActor(u))
	if err != nil {
		return err
	}
	for i := range vs {
		if vs[i].ID == id {
			writeJSON(w, status, passkeyEntity(&vs[i]))
			return nil
		}
	}
	return barong.NotFound(app.KeyWebAuthnNotFound)
}

func (s *Server) handleRegisterPasskey(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.webauthn")
	if err != nil {
		return err
	}
	raw := credentialParam(p, "credential", app.KeyWebAuthnFormat, true)
	name := p.String("name")
	if err := p.Err(); err != nil {
		return err
	}
	row, err := s.app.Passkeys.Register(r.Context(), barong.UserActor(c.User), raw, name, s.client(r))
	if err != nil {
		return err
	}
	return s.writePasskey(w, r, c.User, row.ID, http.StatusCreated)
}

func (s *Server) handlePasskeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	vs, err := s.app.Passkeys.List(r.Context(), barong.UserActor(c.User))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, entities(vs, passkeyEntity))
	return nil
}

// passkeyID is the {id} of a passkey path; anything but a positive
// integer is a passkey that does not exist.
func passkeyID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, barong.NotFound(app.KeyWebAuthnNotFound)
	}
	return id, nil
}

func (s *Server) handleRenamePasskey(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := passkeyID(r)
	if err != nil {
		return err
	}
	p, err := s.parse(w, r, "resource.webauthn")
	if err != nil {
		return err
	}
	name := p.Required("name")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.Passkeys.Rename(r.Context(), barong.UserActor(c.User), id, name, s.client(r)); err != nil {
		return err
	}
	return s.writePasskey(w, r, c.User, id, http.StatusOK)
}

func (s *Server) handleDeletePasskey(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := passkeyID(r)
	if err != nil {
		return err
	}
	if err := s.app.Passkeys.Delete(r.Context(), barong.UserActor(c.User), id, s.client(r)); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

func (s *Server) handlePasskeyLoginOptions(w http.ResponseWriter, r *http.Request) error {
	opts, err := s.app.Passkeys.LoginOptions(r.Context(), s.client(r))
	if err != nil {
		return err
	}
	writeOptions(w, opts)
	return nil
}

func (s *Server) handlePasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parse(w, r, "identity.session")
	if err != nil {
		return err
	}
	a := passkeyAssertionParam(p, true)
	if err := p.Err(); err != nil {
		return err
	}
	c := s.client(r)
	info, sess, err := s.app.Passkeys.Login(r.Context(), a, cookieValue(r, DeviceCookieName), c)
	if err != nil {
		s.logLoginFailure(r, "passkey", "", c, err)
		return err
	}
	s.setSessionCookie(w, r, sess)
	s.setDeviceCookie(w, r, sess.UID)
	writeJSON(w, http.StatusCreated, s.fullInfoEntity(info, sess.CSRFToken))
	return nil
}
