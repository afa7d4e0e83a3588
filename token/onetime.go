package token

import (
	"encoding/json"
	"fmt"
	"time"
)

// Subjects of the one-time tokens.
const (
	SubConfirmation = "confirmation"
	SubReset        = "reset"
)

// OneTimeClaims are the claims of an e-mail confirmation or password-reset
// token.
type OneTimeClaims struct {
	Subject    string // "confirmation" or "reset"
	JTI        string // the single-use marker key
	Email      string
	UID        string
	ResetToken string // reset tokens only
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

type oneTimeWire struct {
	Iat        int64    `json:"iat"`
	Exp        int64    `json:"exp"`
	Sub        string   `json:"sub"`
	Iss        string   `json:"iss"`
	Aud        []string `json:"aud"`
	Jti        string   `json:"jti"`
	Email      string   `json:"email"`
	UID        string   `json:"uid"`
	ResetToken string   `json:"reset_token,omitempty"`
}

type oneTimeIn struct {
	claimSet
	Email      string `json:"email"`
	UID        string `json:"uid"`
	ResetToken string `json:"reset_token"`
}

// IssueConfirmation signs an e-mail confirmation token: claims iat, exp
// (iat + ttl), sub "confirmation", iss "barong", aud ["peatio","barong"],
// jti (HexN(10)), email, uid, in that order.
func (r *Keyring) IssueConfirmation(email, uid string, now time.Time, ttl time.Duration) (string, error) {
	return r.issueOneTime(SubConfirmation, email, uid, "", now, ttl)
}

// IssueReset signs a password-reset token: as IssueConfirmation with sub
// "reset" and a trailing reset_token claim (the caller stores it as the
// latest valid one; a non-empty value is required).
func (r *Keyring) IssueReset(email, uid, resetToken string, now time.Time, ttl time.Duration) (string, error) {
	if resetToken == "" {
		return "", fmt.Errorf("issue reset token: empty reset_token")
	}
	return r.issueOneTime(SubReset, email, uid, resetToken, now, ttl)
}

func (r *Keyring) issueOneTime(sub, email, uid, resetToken string, now time.Time, ttl time.Duration) (string, error) {
	k, err := r.signer()
	if err != nil {
		return "", fmt.Errorf("issue %s token: %w", sub, err)
	}
	life, err := ttlSeconds(ttl)
	if err != nil {
		return "", fmt.Errorf("issue %s token: %w", sub, err)
	}
	iat := now.Unix()
	claims, err := marshalJSON(oneTimeWire{iat, iat + life, sub, Issuer, audience, HexN(10), email, uid, resetToken})
	if err != nil {
		return "", fmt.Errorf("issue %s token: %w", sub, err)
	}
	tok, err := k.signCompact(claims)
	if err != nil {
		return "", fmt.Errorf("issue %s token: %w", sub, err)
	}
	return tok, nil
}

// VerifyOneTime verifies a confirmation or reset token as Barong does:
// signature by a key of the ring under that key's algorithm; exp (required),
// nbf, iss "barong", iat (number, not in the future), jti present, aud
// containing "peatio" or "barong", sub == wantSub. Failures are *VerifyError
// whose Key() is Barong's "jwt.decode_and_verify.<word>"; see the Word*
// constants. A token of the other kind fails with the word of its own
// subject, e.g. "reset". It does not check single use: the caller marks the
// jti (and, for resets, compares reset_token with the latest stored one).
func (r *Keyring) VerifyOneTime(tok, wantSub string, now time.Time) (*OneTimeClaims, error) {
	if wantSub == "" {
		return nil, fmt.Errorf("verify one-time token: no expected subject")
	}
	raw, e := verifyCompact(r.vs, tok)
	if e != nil {
		return nil, e
	}
	var in oneTimeIn
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, verr(WordEncoding, fmt.Errorf("claims: %w", err))
	}
	checks := ClaimChecks{
		Issuer: Issuer, Audience: audience, Subject: wantSub,
		IssuedAt: true, JTI: true, RequireExp: true,
	}
	if e := checks.check(&in.claimSet, now); e != nil {
		return nil, e
	}
	return &OneTimeClaims{
		Subject:    wantSub,
		JTI:        claimText(in.Jti),
		Email:      in.Email,
		UID:        in.UID,
		ResetToken: in.ResetToken,
		IssuedAt:   claimTime(in.Iat),
		ExpiresAt:  claimTime(in.Exp),
	}, nil
}
