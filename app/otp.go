package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"

	barong "github.com/barong-go/barong"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Activity actions and reasons of the 2FA endpoints (topic otp, reference
// §6.3.6).
const (
	otpTopic = "otp"

	actionOTPQRCode  = "request QR code for 2FA"
	actionOTPEnable  = "enable 2FA"
	actionOTPDisable = "disable 2FA"
	actionOTPVerify  = "verify 2FA code"

	reasonOTPEnabled    = "2FA has been already enabled for this account"
	reasonOTPNotEnabled = "2FA has not been enabled for this account"
	reasonOTPInvalid    = "OTP code is invalid"
)

// Error keys of the 2FA endpoints.
const (
	KeyOTPAlreadyEnabled = "resource.otp.already_enabled"
	KeyOTPNotEnabled     = "resource.otp.not_enabled"
	KeyOTPInvalid        = "resource.otp.invalid"
)

// qrSize is the width and height of the QR code PNG, as Vault's qr_size.
const qrSize = 300

// errOTPCodeInvalid rolls back a transaction whose TOTP code was refused;
// the caller turns it into a failed activity and resource.otp.invalid.
var errOTPCodeInvalid = errors.New("totp code invalid")

// TOTPSetup is a freshly generated TOTP secret as the authenticator app
// takes it: the otpauth URL and a base64 PNG QR code of that URL.
type TOTPSetup struct {
	URL     string
	Barcode string
}

// GenerateQRCode creates (or replaces) u's TOTP secret: RFC 6238 with SHA1,
// 6 digits, 30 s and a 20-byte key, issuer BARONG_APP_NAME and the e-mail
// as label (reference §6.3.6, §10.3). The secret is stored encrypted.
// Errors: 400 resource.otp.already_enabled when 2FA is on.
func (s *OTP) GenerateQRCode(ctx context.Context, actor barong.Actor, c Client) (*TOTPSetup, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	if u.OTP {
		return nil, s.otpFailed(ctx, u, c, actionOTPQRCode, reasonOTPEnabled, barong.BadRequest(KeyOTPAlreadyEnabled))
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.AppName, AccountName: u.Email, Period: 30,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("generate totp key: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode qr code: %w", err)
	}
	err = s.inTx(ctx, func(tx *txn) error {
		if err := tx.SetTOTPSecret(ctx, u.ID, key.Secret()); err != nil {
			return fmt.Errorf("store totp secret: %w", err)
		}
		return s.record(ctx, tx, u.ID, c, otpTopic, actionOTPQRCode, barong.ResultSucceed, "")
	})
	if err != nil {
		return nil, err
	}
	return &TOTPSetup{URL: key.URL(), Barcode: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// Enable turns 2FA on with a code of the secret from GenerateQRCode:
// otp=true, private label otp=enabled, an activity, and after commit every
// other session of u is revoked; keepSession (the caller's session id, may
// be empty) survives. Errors: 400 resource.otp.already_enabled, 422
// resource.otp.invalid (also for a code already used).
func (s *OTP) Enable(ctx context.Context, actor barong.Actor, code, keepSession string, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	if u.OTP {
		return s.otpFailed(ctx, u, c, actionOTPEnable, reasonOTPEnabled, barong.BadRequest(KeyOTPAlreadyEnabled))
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.useOTPCode(ctx, tx, u, code); err != nil {
			return err
		}
		after := *u
		after.OTP = true
		if err := s.updateUser(ctx, tx, *u, &after); err != nil {
			return err
		}
		if _, err := s.setLabel(ctx, tx, &after, "otp", "enabled", barong.ScopePrivate, ""); err != nil {
			return err
		}
		if err := s.record(ctx, tx, u.ID, c, otpTopic, actionOTPEnable, barong.ResultSucceed, ""); err != nil {
			return err
		}
		uid := u.UID
		tx.after = append(tx.after, func(ctx context.Context) { s.revokeSessions(ctx, uid, keepSession) })
		return nil
	})
	return s.otpResult(ctx, u, c, actionOTPEnable, err)
}

// Disable turns 2FA off: otp=false, which deactivates the API keys of u
// and of his service accounts (reference §3.6), and removes the private otp
// label. Barong deletes that label raw; barong-go recomputes state and level
// afterwards, as for any private label (reference §12.4 item 10). Errors:
// 400 resource.otp.not_enabled, 422 resource.otp.invalid.
func (s *OTP) Disable(ctx context.Context, actor barong.Actor, code string, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	if !u.OTP {
		return s.otpFailed(ctx, u, c, actionOTPDisable, reasonOTPNotEnabled, barong.BadRequest(KeyOTPNotEnabled))
	}
	err := s.inTxTOTP(ctx, u, func(tx *txn) error {
		if err := s.useOTPCode(ctx, tx, u, code); err != nil {
			return err
		}
		after := *u
		after.OTP = false
		if err := s.updateUser(ctx, tx, *u, &after); err != nil {
			return err
		}
		l, err := tx.LabelByKey(ctx, u.ID, "otp", barong.ScopePrivate)
		switch {
		case err == nil:
			if err := s.deleteLabel(ctx, tx, &after, l, false); err != nil {
				return err
			}
		case !isNotFound(err):
			return fmt.Errorf("find otp label: %w", err)
		}
		return s.record(ctx, tx, u.ID, c, otpTopic, actionOTPDisable, barong.ResultSucceed, "")
	})
	return s.otpResult(ctx, u, c, actionOTPDisable, err)
}

// Verify checks a code of u's 2FA (no activity on success). Barong
// answers resource.otp.already_enabled when 2FA is off, a wrong key
// (reference §12.4 item 10); barong-go answers 400 resource.otp.not_enabled.
// Errors: 400 resource.otp.not_enabled, 422 resource.otp.invalid.
func (s *OTP) Verify(ctx context.Context, actor barong.Actor, code string, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	if !u.OTP {
		return s.otpFailed(ctx, u, c, actionOTPVerify, reasonOTPNotEnabled, barong.BadRequest(KeyOTPNotEnabled))
	}
	err := s.inTxTOTP(ctx, u, func(tx *txn) error { return s.useOTPCode(ctx, tx, u, code) })
	return s.otpResult(ctx, u, c, actionOTPVerify, err)
}

// useOTPCode accepts code once or returns errOTPCodeInvalid.
func (s *core) useOTPCode(ctx context.Context, tx *txn, u *barong.User, code string) error {
	ok, err := s.checkTOTP(ctx, tx, u, code)
	if err != nil {
		return err
	}
	if !ok {
		return errOTPCodeInvalid
	}
	return nil
}

// otpResult turns a refused code into the failed activity and 422
// resource.otp.invalid; other results pass through.
func (s *core) otpResult(ctx context.Context, u *barong.User, c Client, action string, err error) error {
	if errors.Is(err, errOTPCodeInvalid) {
		return s.otpFailed(ctx, u, c, action, reasonOTPInvalid, barong.Invalid(KeyOTPInvalid))
	}
	return err
}

// otpFailed records a failed 2FA activity and returns err.
func (s *core) otpFailed(ctx context.Context, u *barong.User, c Client, action, reason string, err error) error {
	s.recordAlone(ctx, u.ID, c, otpTopic, action, barong.ResultFailed, reason)
	return err
}
