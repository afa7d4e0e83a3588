package app

import (
	"context"
	"errors"
	"fmt"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/token"
)

// Messages of POST /management/otp/sign (reference §8.2).
const (
	MsgOTPNotEnabled = "Account has not enabled 2FA"
	MsgOTPInvalid    = "OTP code is invalid"
	// barongSignerKID is the signer id of Barong's own signature.
	barongSignerKID = "barong"
)

// ManagementSign is POST /management/otp/sign: after checking the TOTP
// code of the active user uid (a code is accepted once), it re-signs jws,
// a JWS in general serialization, with key under kid "barong": any
// previous "barong" signature is replaced, the others are kept. Errors:
// 404 Record is not found (no such active user); 422 Account has not
// enabled 2FA, OTP code is invalid, JWT is invalid by the reason "...".
// Unlike Barong, the JWS is checked before the code, so a malformed one
// does not use up the user's code; the signature uses the JWT key's own
// algorithm (RS256 for an RSA key, EdDSA for Ed25519). A payload with the
// subject of barong's own tokens (session, confirmation, reset) is refused:
// Barong's signature over it was such a token, a superadmin session for
// any active user with 2FA.
func (s *OTP) ManagementSign(ctx context.Context, actor barong.Actor, uid, code string, jws []byte, key *token.Key) ([]byte, error) {
	if err := s.mayManage(ctx, actor, "otp_sign"); err != nil {
		return nil, err
	}
	j, err := token.ParseGeneral(jws)
	if err != nil {
		return nil, mgmtInvalidJWT(err)
	}
	// The signature would turn a payload shaped as a session, e-mail
	// confirmation or password-reset token into that token.
	if sub, ok := j.ReservedSubject(); ok {
		return nil, mgmtInvalidJWT(fmt.Errorf("sub %s is reserved for barong's own tokens", sub))
	}
	u, err := s.store.UserByUID(ctx, uid)
	if err != nil {
		if isNotFound(err) {
			return nil, mgmtRecordNotFound()
		}
		return nil, fmt.Errorf("load user: %w", err)
	}
	if u.State != barong.StateActive {
		return nil, mgmtRecordNotFound()
	}
	if !u.OTP {
		return nil, barong.Invalid(MsgOTPNotEnabled)
	}
	err = s.totpLimited(ctx, u, func() error {
		ok, err := s.checkTOTP(ctx, s.store, u, code)
		if err != nil {
			return err
		}
		if !ok {
			return barong.Invalid(MsgOTPInvalid)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := j.Sign(barongSignerKID, key); err != nil {
		return nil, mgmtInvalidJWT(err)
	}
	out, err := j.Marshal()
	if err != nil {
		return nil, mgmtInvalidJWT(err)
	}
	return out, nil
}

// mgmtInvalidJWT is Barong's 422 for a JWS it cannot sign.
func mgmtInvalidJWT(err error) error {
	reason := err.Error()
	var ve *token.VerifyError
	if errors.As(err, &ve) {
		reason = ve.Msg
	}
	return &barong.Error{Kind: barong.KindInvalid, Keys: []string{`JWT is invalid by the reason "` + reason + `"`}, Cause: err}
}
