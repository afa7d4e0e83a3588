package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Passkeys (WebAuthn, barong-go addition; docs/sessions-and-passkeys.md):
// a signed-in user registers discoverable credentials; anyone signs in
// with one alone (it must have verified its user: PIN or biometrics, so it
// is two factors by itself), or uses one instead of the TOTP code of a 2FA
// password login. Ceremony challenges live in the KV store for
// passkeyChallengeTTL and are accepted once.

// WebAuthnConfig is the relying party of passkeys.
type WebAuthnConfig struct {
	// RPID is the relying party id: the host of BARONG_DOMAIN.
	RPID string
	// RPName is the name authenticators show (BARONG_APP_NAME).
	RPName string
	// Origins are the origins whose ceremonies are accepted:
	// https://<RPID> (or BARONG_DOMAIN's own origin when it is a URL) and
	// BARONG_WEBAUTHN_ORIGINS.
	Origins []string
}

// NewWebAuthnConfig derives the relying party from BARONG_DOMAIN, which is
// a host ("example.com") or an origin ("https://example.com"),
// BARONG_APP_NAME and the extra origins.
func NewWebAuthnConfig(domain, appName string, extra []string) WebAuthnConfig {
	host := strings.ToLower(strings.TrimRight(domain, "/"))
	origin := "https://" + host
	if u, err := url.Parse(host); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
		host, origin = u.Hostname(), u.Scheme+"://"+u.Host
	} else if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	return WebAuthnConfig{RPID: host, RPName: appName, Origins: append([]string{origin}, extra...)}
}

// Limits of passkeys.
const (
	passkeyChallengeTTL = 5 * time.Minute
	maxPasskeys         = 10
	maxPasskeyName      = 64
	// maxCredentialIDLen is the longest credential id WebAuthn allows (bytes).
	maxCredentialIDLen = 1023
	// passkeyOptionsPerMinute bounds the sign-in challenges one client IP
	// asks for (each is kept in the KV store until it expires).
	passkeyOptionsPerMinute = 60
	defaultPasskeyName      = "Passkey"
	webauthnTopic           = "webauthn"
)

// Error keys of passkey sign-in (identity) and passkey management
// (resource).
const (
	KeyPasskeyInvalid   = "identity.session.invalid_passkey"
	KeyPasskeyFormat    = "identity.session.invalid_passkey_format"
	KeyPasskeyChallenge = "identity.session.passkey_challenge_expired"
	KeyPasskeyCloned    = "identity.session.passkey_cloned"

	KeyWebAuthnMissingOTP = "resource.webauthn.missing_otp_code"
	KeyWebAuthnInvalidOTP = "resource.webauthn.invalid_otp"
	// KeyWebAuthnMissingPassword and KeyWebAuthnInvalidPassword refuse
	// registration options without the password (2FA off).
	KeyWebAuthnMissingPassword = "resource.webauthn.missing_password"
	KeyWebAuthnInvalidPassword = "resource.webauthn.invalid_password"
	reasonPasswordInvalid      = "Password is invalid"
	KeyWebAuthnFormat          = "resource.webauthn.invalid_credential_format"
	KeyWebAuthnChallenge       = "resource.webauthn.challenge_expired"
	KeyWebAuthnInvalid         = "resource.webauthn.invalid_credential"
	KeyWebAuthnRegistered      = "resource.webauthn.already_registered"
	KeyWebAuthnLimit           = "resource.webauthn.limit_reached"
	KeyWebAuthnNameTooLong     = "resource.webauthn.name_too_long"
	KeyWebAuthnNotFound        = "resource.webauthn.not_found"
)

// Activity actions of passkeys: management (topic webauthn) and sign-in
// (topic session).
const (
	actionPasskeyRegister = "register passkey"
	actionPasskeyRename   = "rename passkey"
	actionPasskeyDelete   = "delete passkey"
	actionPasskeyLogin    = "login::webauthn"
)

// relyingParty is the WebAuthn relying party of the configuration.
func (s *core) relyingParty() (*webauthn.WebAuthn, error) {
	w := s.cfg.WebAuthn
	rp, err := webauthn.New(&webauthn.Config{RPID: w.RPID, RPDisplayName: w.RPName, RPOrigins: w.Origins,
		AttestationPreference: protocol.PreferNoAttestation})
	if err != nil {
		return nil, fmt.Errorf("webauthn relying party: %w", err)
	}
	return rp, nil
}

// passkeyUser is a user as the WebAuthn library sees him: the user handle
// and the credentials registered under it.
type passkeyUser struct {
	u      *barong.User
	handle []byte
	creds  []webauthn.Credential
	rows   []barong.WebAuthnCredential
}

func (p *passkeyUser) WebAuthnID() []byte                         { return p.handle }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.Email }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

var b64 = base64.RawURLEncoding

// loadPasskeyUser reads u's credentials with handle (base64url; "" for the
// handle of his first credential, or a new random one when he has none).
func (s *core) loadPasskeyUser(ctx context.Context, u *barong.User, handle string) (*passkeyUser, error) {
	rows, err := s.store.WebAuthnCredentialsByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load passkeys: %w", err)
	}
	if handle == "" && len(rows) > 0 {
		handle = rows[0].UserHandle
	}
	p := &passkeyUser{u: u, rows: rows}
	if handle == "" {
		p.handle = make([]byte, 32)
		if _, err := rand.Read(p.handle); err != nil {
			return nil, fmt.Errorf("user handle: %w", err)
		}
	} else if p.handle, err = b64.DecodeString(handle); err != nil {
		return nil, fmt.Errorf("stored user handle: %w", err)
	}
	for _, r := range rows {
		if r.UserHandle != b64.EncodeToString(p.handle) {
			continue
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(r.Record), &c); err != nil {
			return nil, fmt.Errorf("passkey record %d: %w", r.ID, err)
		}
		c.Authenticator.SignCount = r.SignCount
		p.creds = append(p.creds, c)
	}
	return p, nil
}

// challengeKey is the KV key of a ceremony's session data; kind is "reg"
// or "login".
func challengeKey(kind, challenge string) string { return "webauthn:" + kind + ":" + challenge }

// storeChallenge keeps a ceremony's session data (with the uid of the
// registering user) until it is used or expires.
func (s *core) storeChallenge(ctx context.Context, kind, uid string, sd *webauthn.SessionData) error {
	b, err := json.Marshal(challengeRecord{UID: uid, Session: *sd})
	if err != nil {
		return fmt.Errorf("encode challenge: %w", err)
	}
	if err := s.kv.Set(ctx, challengeKey(kind, sd.Challenge), string(b), passkeyChallengeTTL); err != nil {
		return fmt.Errorf("store challenge: %w", err)
	}
	return nil
}

type challengeRecord struct {
	UID     string               `json:"uid,omitempty"`
	Session webauthn.SessionData `json:"session"`
}

// takeChallenge returns the session data of the challenge a client
// answered and uses it up: a second take of the same challenge, here or in
// another process, finds nothing (the used marker is set with SetNX). ok
// is false for an unknown, expired or used challenge.
func (s *core) takeChallenge(ctx context.Context, kind, challenge string) (*challengeRecord, bool, error) {
	if challenge == "" || len(challenge) > 128 || strings.Trim(challenge, base64URLAlphabet) != "" {
		return nil, false, nil
	}
	key := challengeKey(kind, challenge)
	v, err := s.kv.Get(ctx, key)
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read challenge: %w", err)
	}
	first, err := s.kv.SetNX(ctx, "webauthn:used:"+challenge, "1", passkeyChallengeTTL)
	if err != nil {
		return nil, false, fmt.Errorf("use challenge: %w", err)
	}
	_ = s.kv.Delete(ctx, key)
	if !first {
		return nil, false, nil
	}
	var rec challengeRecord
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		return nil, false, fmt.Errorf("decode challenge: %w", err)
	}
	return &rec, true, nil
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// RegistrationOptions starts the registration of a passkey for u:
// the PublicKeyCredentialCreationOptions ({"publicKey":{...}}) for
// navigator.credentials.create, asking for a discoverable credential.
// With 2FA on, otpCode must be a valid TOTP code; with 2FA off, password
// must be the user's password: a passkey signs in alone and survives a
// password reset, so the session alone (a stolen cookie) must not add
// one. Errors: 400 resource.webauthn.missing_otp_code,
// resource.webauthn.missing_password; 422 resource.webauthn.invalid_otp,
// resource.webauthn.invalid_password, resource.webauthn.limit_reached;
// 429 totp.too_many_attempts, password.too_many_attempts.
func (s *Passkeys) RegistrationOptions(ctx context.Context, actor barong.Actor, otpCode, password string, c Client) (json.RawMessage, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	if !u.OTP {
		if strings.TrimSpace(password) == "" {
			return nil, barong.BadRequest(KeyWebAuthnMissingPassword)
		}
		ok, err := s.passwordLimited(ctx, u, password)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.recordAlone(ctx, u.ID, c, webauthnTopic, actionPasskeyRegister, barong.ResultFailed, reasonPasswordInvalid)
			return nil, barong.Invalid(KeyWebAuthnInvalidPassword)
		}
	}
	if u.OTP {
		if strings.TrimSpace(otpCode) == "" {
			return nil, barong.BadRequest(KeyWebAuthnMissingOTP)
		}
		err := s.totpLimited(ctx, u, func() error {
			ok, err := s.checkTOTP(ctx, s.store, u, otpCode)
			if err != nil {
				return err
			}
			if !ok {
				s.recordAlone(ctx, u.ID, c, webauthnTopic, actionPasskeyRegister, barong.ResultFailed, reasonOTPInvalid)
				return barong.Invalid(KeyWebAuthnInvalidOTP)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	pu, err := s.loadPasskeyUser(ctx, u, "")
	if err != nil {
		return nil, err
	}
	if len(pu.rows) >= maxPasskeys {
		return nil, barong.Invalid(KeyWebAuthnLimit)
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(pu.rows))
	for _, r := range pu.rows {
		if id, err := b64.DecodeString(r.CredentialID); err == nil {
			exclude = append(exclude, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: id})
		}
	}
	creation, sd, err := rp.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationPreferred}),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	if err := s.storeChallenge(ctx, "reg", u.UID, sd); err != nil {
		return nil, err
	}
	return marshalOptions(creation)
}

func marshalOptions(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode webauthn options: %w", err)
	}
	return b, nil
}

// Register finishes a registration: credential is the JSON of the
// PublicKeyCredential navigator.credentials.create returned, answering a
// challenge of PasskeyRegistrationOptions for u. The attestation (none or
// packed, with its signature) and the client data (type, challenge,
// origin, RP id hash) are verified; the credential is stored under name.
// Errors: 422 resource.webauthn.invalid_credential_format,
// resource.webauthn.challenge_expired, resource.webauthn.invalid_credential,
// resource.webauthn.already_registered, resource.webauthn.limit_reached,
// resource.webauthn.name_too_long.
func (s *Passkeys) Register(ctx context.Context, actor barong.Actor, credential []byte, name string, c Client) (*barong.WebAuthnCredential, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	name, err := passkeyName(name)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil || len(parsed.RawID) == 0 || len(parsed.RawID) > maxCredentialIDLen {
		return nil, barong.Invalid(KeyWebAuthnFormat)
	}
	fail := func(reason, key string) error {
		s.recordAlone(ctx, u.ID, c, webauthnTopic, actionPasskeyRegister, barong.ResultFailed, reason)
		return barong.Invalid(key)
	}
	rec, ok, err := s.takeChallenge(ctx, "reg", parsed.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, err
	}
	if !ok || rec.UID != u.UID {
		return nil, fail("Passkey challenge expired or used", KeyWebAuthnChallenge)
	}
	pu, err := s.loadPasskeyUser(ctx, u, b64.EncodeToString(rec.Session.UserID))
	if err != nil {
		return nil, err
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	cred, err := rp.CreateCredential(pu, rec.Session, parsed)
	if err != nil {
		s.logRefusal(ctx, "passkey registration refused", err)
		return nil, fail("Passkey attestation is invalid", KeyWebAuthnInvalid)
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return nil, fmt.Errorf("encode passkey: %w", err)
	}
	row := &barong.WebAuthnCredential{UserID: u.ID, CredentialID: b64.EncodeToString(cred.ID),
		UserHandle: b64.EncodeToString(pu.handle), Name: name, Record: string(record), SignCount: cred.Authenticator.SignCount}
	err = s.store.InTx(ctx, func(tx barong.Tx) error {
		// Under the user's row lock: two ceremonies finishing at once
		// would both count nine and store eleven.
		if _, err := tx.LockUser(ctx, u.ID); err != nil {
			return fmt.Errorf("lock user %d: %w", u.ID, err)
		}
		rows, err := tx.WebAuthnCredentialsByUser(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("count passkeys: %w", err)
		}
		if len(rows) >= maxPasskeys {
			return barong.Invalid(KeyWebAuthnLimit)
		}
		if err := tx.CreateWebAuthnCredential(ctx, row); err != nil {
			if errors.Is(err, barong.ErrDuplicate) {
				return barong.Invalid(KeyWebAuthnRegistered)
			}
			return err
		}
		return s.recordData(ctx, tx, u.ID, c, webauthnTopic, actionPasskeyRegister, passkeyData{ID: row.ID, Name: &name})
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// passkeyData is the data of a passkey activity: the passkey's id and, but
// for a deletion, its name.
type passkeyData struct {
	ID   int64   `json:"passkey_id"`
	Name *string `json:"name,omitempty"`
}

// recordData writes a succeeded activity with data (JSON object) in tx.
func (s *core) recordData(ctx context.Context, tx barong.Tx, userID int64, c Client, topic, action string, data any) error {
	a := &barong.Activity{UserID: userID, Category: barong.CategoryUser, UserIP: c.IP, UserIPCountry: c.Country,
		UserAgent: c.UserAgent, Topic: topic, Action: action, Result: barong.ResultSucceed, Data: jsonString(data)}
	if err := tx.CreateActivity(ctx, a); err != nil {
		return fmt.Errorf("record activity %s/%s: %w", topic, action, err)
	}
	return nil
}

// logRefusal logs why the library refused a ceremony (never the data).
func (s *core) logRefusal(ctx context.Context, msg string, err error) {
	attrs := []any{slog.String("error", err.Error())}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("type", pe.Type), slog.String("info", pe.DevInfo))
	}
	s.log.InfoContext(ctx, msg, attrs...)
}

// passkeyName checks a passkey's name: trimmed, at most 64 characters,
// "Passkey" when blank.
func passkeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return defaultPasskeyName, nil
	}
	if utf8.RuneCountInString(name) > maxPasskeyName || !utf8.ValidString(name) {
		return "", barong.Invalid(KeyWebAuthnNameTooLong)
	}
	return name, nil
}

// PasskeyView is a registered passkey as listed.
type PasskeyView struct {
	barong.WebAuthnCredential
	AAGUID         string
	Transports     []string
	BackupEligible bool
	BackedUp       bool
}

// List lists u's passkeys by id.
func (s *Passkeys) List(ctx context.Context, actor barong.Actor) ([]PasskeyView, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	rows, err := s.store.WebAuthnCredentialsByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load passkeys: %w", err)
	}
	out := make([]PasskeyView, len(rows))
	for i, r := range rows {
		v := PasskeyView{WebAuthnCredential: r, Transports: []string{}}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(r.Record), &c); err == nil {
			v.BackupEligible, v.BackedUp = c.Flags.BackupEligible, c.Flags.BackupState
			for _, t := range c.Transport {
				v.Transports = append(v.Transports, string(t))
			}
			if len(c.Authenticator.AAGUID) == 16 {
				a := c.Authenticator.AAGUID
				v.AAGUID = fmt.Sprintf("%x-%x-%x-%x-%x", a[0:4], a[4:6], a[6:8], a[8:10], a[10:16])
			}
		}
		out[i] = v
	}
	return out, nil
}

// Rename renames u's passkey id. Errors: 404
// resource.webauthn.not_found; 422 resource.webauthn.name_too_long.
func (s *Passkeys) Rename(ctx context.Context, actor barong.Actor, id int64, name string, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	name, err := passkeyName(name)
	if err != nil {
		return err
	}
	return s.passkeyChange(ctx, u, id, actionPasskeyRename, passkeyData{ID: id, Name: &name}, c,
		func(tx barong.Tx) error { return tx.RenameWebAuthnCredential(ctx, u.ID, id, name) })
}

// Delete deletes u's passkey id. Errors: 404 resource.webauthn.not_found.
func (s *Passkeys) Delete(ctx context.Context, actor barong.Actor, id int64, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	return s.passkeyChange(ctx, u, id, actionPasskeyDelete, passkeyData{ID: id}, c,
		func(tx barong.Tx) error { return tx.DeleteWebAuthnCredential(ctx, u.ID, id) })
}

// passkeyChange runs change on u's passkey id with its activity; a passkey
// that is not u's is 404 resource.webauthn.not_found.
func (s *core) passkeyChange(ctx context.Context, u *barong.User, id int64, action string, data any, c Client,
	change func(tx barong.Tx) error) error {
	err := s.store.InTx(ctx, func(tx barong.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		return s.recordData(ctx, tx, u.ID, c, webauthnTopic, action, data)
	})
	if isNotFound(err) {
		return barong.NotFound(KeyWebAuthnNotFound)
	}
	return err
}

// LoginOptions starts a passkey sign-in: the
// PublicKeyCredentialRequestOptions ({"publicKey":{...}}) for
// navigator.credentials.get, without allowCredentials (discoverable
// credentials; nothing tells whether an account exists). Errors: 429
// identity.session.too_many_attempts for a client IP that asked too often
// or failed too many sign-ins.
func (s *Passkeys) LoginOptions(ctx context.Context, c Client) (json.RawMessage, error) {
	if s.cfg.Throttle.Enabled {
		n, err := s.kv.Incr(ctx, "webauthn_options:ip:"+c.IP, time.Minute)
		if err != nil {
			return nil, fmt.Errorf("count passkey challenges: %w", err)
		}
		if n > passkeyOptionsPerMinute {
			seclog.Log(ctx, s.log, seclog.LoginThrottled, slog.String("decision", DecisionRefused),
				slog.String("scope", "passkey_options_ip"), slog.String("ip", c.IP), slog.Int64("retry_after_s", 60))
			return nil, ErrThrottled(time.Minute)
		}
	}
	if _, err := s.throttle.Check(ctx, Attempt{IP: c.IP}); err != nil {
		return nil, err
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	assertion, sd, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	if err := s.storeChallenge(ctx, "login", "", sd); err != nil {
		return nil, err
	}
	return marshalOptions(assertion)
}

// PasskeyAssertion is a parsed PublicKeyCredential answering a sign-in
// challenge.
type PasskeyAssertion struct {
	parsed *protocol.ParsedCredentialAssertionData
}

// ParsePasskeyAssertion parses the JSON of the PublicKeyCredential that
// navigator.credentials.get returned. Its signature is checked later,
// against the stored challenge and credential.
func ParsePasskeyAssertion(credential []byte) (*PasskeyAssertion, error) {
	p, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, err
	}
	if len(p.RawID) == 0 || len(p.RawID) > maxCredentialIDLen {
		return nil, errors.New("credential id out of bounds")
	}
	return &PasskeyAssertion{parsed: p}, nil
}

// passkeyRefusal is a refused assertion: the error key kind, the reason
// recorded, and the user when the credential named one.
type passkeyRefusal struct {
	kind   string // "challenge", "invalid" or "cloned"
	reason string
	user   *barong.User
}

func (r *passkeyRefusal) Error() string { return "passkey refused: " + r.reason }

// verifyAssertion checks a: its challenge (used up first, whatever the
// outcome), the credential it names (its owner must be want when want is
// set; owner is called with the owner before any signature is checked and
// may refuse), the signature, type, origin and RP id hash of the client
// data and authenticator data, user verification when requireUV, and the
// signature counter, which must advance (atomically, across processes)
// unless the authenticator keeps none. Refusals are *passkeyRefusal.
func (s *core) verifyAssertion(ctx context.Context, a *PasskeyAssertion, want *barong.User, requireUV bool,
	owner func(*barong.User) error) (*barong.User, error) {
	p := a.parsed
	rec, ok, err := s.takeChallenge(ctx, "login", p.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &passkeyRefusal{kind: "challenge", reason: "Passkey challenge expired or used", user: want}
	}
	row, err := s.store.WebAuthnCredentialByCredentialID(ctx, b64.EncodeToString(p.RawID))
	if isNotFound(err) {
		return nil, &passkeyRefusal{kind: "invalid", reason: "Passkey is unknown", user: want}
	}
	if err != nil {
		return nil, fmt.Errorf("load passkey: %w", err)
	}
	if want != nil && row.UserID != want.ID {
		return nil, &passkeyRefusal{kind: "invalid", reason: "Passkey belongs to another account", user: want}
	}
	u := want
	if u == nil {
		if u, err = s.store.UserByID(ctx, row.UserID); err != nil {
			if isNotFound(err) {
				return nil, &passkeyRefusal{kind: "invalid", reason: "Passkey is unknown"}
			}
			return nil, fmt.Errorf("load passkey owner: %w", err)
		}
	}
	if owner != nil {
		if err := owner(u); err != nil {
			return nil, err
		}
	}
	pu, err := s.loadPasskeyUser(ctx, u, row.UserHandle)
	if err != nil {
		return nil, err
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	_, cred, err := rp.ValidatePasskeyLogin(func(rawID, handle []byte) (webauthn.User, error) {
		if !bytes.Equal(handle, pu.handle) {
			return nil, errors.New("user handle does not match the credential")
		}
		return pu, nil
	}, rec.Session, p)
	if err != nil {
		s.logRefusal(ctx, "passkey assertion refused", err)
		return nil, &passkeyRefusal{kind: "invalid", reason: "Passkey is invalid", user: u}
	}
	if requireUV && !p.Response.AuthenticatorData.Flags.HasUserVerified() {
		return nil, &passkeyRefusal{kind: "invalid", reason: "Passkey did not verify the user", user: u}
	}
	if cred.Authenticator.CloneWarning {
		return nil, &passkeyRefusal{kind: "cloned", reason: "Passkey signature counter did not increase", user: u}
	}
	used, err := s.store.UseWebAuthnCredential(ctx, row.ID, cred.Authenticator.SignCount)
	if err != nil {
		return nil, err
	}
	if !used {
		return nil, &passkeyRefusal{kind: "cloned", reason: "Passkey signature counter did not increase", user: u}
	}
	return u, nil
}

// Login signs in with a passkey alone (POST
// /identity/sessions/webauthn): the assertion must verify its user, and
// then the sign-in is a password sign-in's: throttle (the client IP alone
// until the credential names its user, then the attempt at his account
// with device, the client's device cookie), state checks, activity
// (login::webauthn), system.session.create, a fresh session. A
// user-verified passkey is two factors, so 2FA asks for no TOTP code.
// Errors: 401 identity.session.invalid_passkey,
// identity.session.passkey_challenge_expired,
// identity.session.passkey_cloned and the password sign-in's state keys;
// 429 identity.session.too_many_attempts.
func (s *Passkeys) Login(ctx context.Context, pa *PasskeyAssertion, device string, c Client) (*UserInfo, *barong.Session, error) {
	a := Attempt{IP: c.IP}
	if _, err := s.throttle.Check(ctx, a); err != nil {
		return nil, nil, err
	}
	u, err := s.verifyAssertion(ctx, pa, nil, true, func(u *barong.User) error {
		a = Attempt{Account: u.Email, IP: c.IP, Device: s.throttle.Device(device, u.UID)}
		return s.checkAttempt(ctx, u, c, a, actionPasskeyLogin)
	})
	if err != nil {
		return nil, nil, s.passkeyFailed(ctx, err, c, a, actionPasskeyLogin, barong.Unauthorized)
	}
	return s.admitLogin(ctx, u, c, a, actionPasskeyLogin, nil)
}

// passkeySecondFactor checks a passkey standing in for the TOTP code of a
// 2FA password login of u (the login's throttle attempt a); user
// verification is not required (the password is the other factor).
// Errors: 403 identity.session.invalid_passkey,
// identity.session.passkey_cloned; 401
// identity.session.passkey_challenge_expired.
func (s *core) passkeySecondFactor(ctx context.Context, u *barong.User, c Client, a Attempt, pa *PasskeyAssertion, action string) error {
	if _, err := s.verifyAssertion(ctx, pa, u, false, nil); err != nil {
		return s.passkeyFailed(ctx, err, c, a, action, barong.Forbidden)
	}
	return nil
}

// passkeyFailed turns a refusal into its failed activity (when its user is
// known), a failure of the throttle attempt a and the error key; status
// builds the invalid and cloned answers. Other errors pass.
func (s *core) passkeyFailed(ctx context.Context, err error, c Client, a Attempt, action string, status func(...string) *barong.Error) error {
	var r *passkeyRefusal
	if !errors.As(err, &r) {
		return err
	}
	s.failAttempt(ctx, r.user, c, a, action, r.reason)
	switch r.kind {
	case "challenge":
		return barong.Unauthorized(KeyPasskeyChallenge)
	case "cloned":
		return status(KeyPasskeyCloned)
	}
	return status(KeyPasskeyInvalid)
}
