package token

import (
	"encoding/json"
	"fmt"
	"time"
)

// Fixed claim values of every JWT Barong issues.
const (
	Issuer     = "barong"
	SubSession = "session"
)

// audience is the aud claim of every JWT Barong issues.
var audience = []string{"peatio", "barong"}

// AccessClaims is the subject part of the bearer JWT authz returns.
type AccessClaims struct {
	UID        string
	Username   *string // users only; nil is emitted as null
	Email      string
	Role       string
	Level      int
	State      string
	ReferralID *int64 // users only: numeric id of the referrer; nil is null
	// ServiceAccount omits username and referral_id from the token; on
	// verification it is set when both claims are absent.
	ServiceAccount bool

	// Set by VerifyAccess; ignored by IssueAccess.
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// accessUserWire and accessSAWire fix the claim order of Barong's token.
type accessUserWire struct {
	Iat        int64    `json:"iat"`
	Exp        int64    `json:"exp"`
	Sub        string   `json:"sub"`
	Iss        string   `json:"iss"`
	Aud        []string `json:"aud"`
	Jti        string   `json:"jti"`
	UID        string   `json:"uid"`
	Username   *string  `json:"username"`
	Email      string   `json:"email"`
	Role       string   `json:"role"`
	Level      int      `json:"level"`
	State      string   `json:"state"`
	ReferralID *int64   `json:"referral_id"`
}

type accessSAWire struct {
	Iat   int64    `json:"iat"`
	Exp   int64    `json:"exp"`
	Sub   string   `json:"sub"`
	Iss   string   `json:"iss"`
	Aud   []string `json:"aud"`
	Jti   string   `json:"jti"`
	UID   string   `json:"uid"`
	Email string   `json:"email"`
	Role  string   `json:"role"`
	Level int      `json:"level"`
	State string   `json:"state"`
}

// accessIn is what VerifyAccess decodes.
type accessIn struct {
	claimSet
	UID        string          `json:"uid"`
	Username   json.RawMessage `json:"username"`
	Email      string          `json:"email"`
	Role       string          `json:"role"`
	Level      int             `json:"level"`
	State      string          `json:"state"`
	ReferralID json.RawMessage `json:"referral_id"`
}

// IssueAccess signs the bearer JWT authz returns: header {"alg":"RS256"} (or
// {"alg":"EdDSA"}), claims iat, exp (iat + ttl, whole seconds), sub
// "session", iss "barong", aud ["peatio","barong"], jti (HexN(10)), uid,
// username, email, role, level, state, referral_id, in that order; service
// accounts carry no username and referral_id.
func (r *Keyring) IssueAccess(c AccessClaims, now time.Time, ttl time.Duration) (string, error) {
	k, err := r.signer()
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	life, err := ttlSeconds(ttl)
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	iat := now.Unix()
	var v any
	if c.ServiceAccount {
		v = accessSAWire{iat, iat + life, SubSession, Issuer, audience, HexN(10),
			c.UID, c.Email, c.Role, c.Level, c.State}
	} else {
		v = accessUserWire{iat, iat + life, SubSession, Issuer, audience, HexN(10),
			c.UID, c.Username, c.Email, c.Role, c.Level, c.State, c.ReferralID}
	}
	claims, err := marshalJSON(v)
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	tok, err := k.signCompact(claims)
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	return tok, nil
}

// VerifyAccess verifies a bearer JWT the way Peatio and Barong's resource
// API do: signature by a key of the ring under that key's algorithm only;
// exp required and not passed; nbf reached; iat, if present, a number not in
// the future; jti present; sub "session"; iss and aud only as the ring's
// AccessPolicy asks. Errors are *VerifyError (callers answer 401
// "jwt.decode_and_verify" whatever the word).
func (r *Keyring) VerifyAccess(tok string, now time.Time) (*AccessClaims, error) {
	raw, e := verifyCompact(r.vs, tok)
	if e != nil {
		return nil, e
	}
	var in accessIn
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, verr(WordEncoding, fmt.Errorf("claims: %w", err))
	}
	p := &r.policy
	checks := ClaimChecks{
		Issuer: p.Issuer, Audience: p.Audience, Subject: SubSession,
		IssuedAt: true, JTI: true, RequireExp: true,
		Leeway: p.Leeway, IssuedAtLeeway: p.IssuedAtLeeway,
		ExpirationLeeway: p.ExpirationLeeway, NotBeforeLeeway: p.NotBeforeLeeway,
	}
	if e := checks.check(&in.claimSet, now); e != nil {
		return nil, e
	}
	out := &AccessClaims{
		UID: in.UID, Email: in.Email, Role: in.Role, Level: in.Level, State: in.State,
		ServiceAccount: in.Username == nil && in.ReferralID == nil,
		JTI:            claimText(in.Jti),
		IssuedAt:       claimTime(in.Iat),
		ExpiresAt:      claimTime(in.Exp),
	}
	if s, ok := jsonString(in.Username); ok {
		out.Username = &s
	}
	if n, ok := jsonNumber(in.ReferralID); ok {
		id := int64(n)
		out.ReferralID = &id
	}
	return out, nil
}

// claimText returns a string claim's value, or the raw JSON of another type.
func claimText(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return s
	}
	return string(raw)
}

// claimTime converts a numeric claim to a UTC time, truncated to the second
// (zero when not a number).
func claimTime(raw json.RawMessage) time.Time {
	if n, ok := jsonNumber(raw); ok {
		return time.Unix(int64(n), 0).UTC()
	}
	return time.Time{}
}
