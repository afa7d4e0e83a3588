package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// vaultTOTPMount is where Barong's Vault TOTP engine is mounted.
const vaultTOTPMount = "totp"

// vaultTOTPTimeout bounds a code check in Vault (it may run inside a
// transaction).
const vaultTOTPTimeout = 5 * time.Second

// KeyTOTPError is Barong's answer when its TOTP server cannot check a code
// (reference §10.3: Vault unreachable).
const KeyTOTPError = "totp.error"

// totpOpts are RFC 6238 with Vault's defaults: SHA1, 6 digits, 30 s.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// The 2FA codes a signed-in user's calls (API keys, service-account keys,
// 2FA off and verify, passkey registration, account deletion) and the
// management otp/sign send are limited per user: a code is six digits, so
// without a limit a stolen session guessed one (three are valid at a time)
// within minutes at a thousand requests a second. Sign-in has its own
// throttle (throttle.go).
const (
	// KeyTOTPTooMany answers a user past the limit (429).
	KeyTOTPTooMany = "totp.too_many_attempts"
	// maxTOTPFailures wrong codes per user in totpFailWindow.
	maxTOTPFailures = 10
	totpFailWindow  = 15 * time.Minute
	totpFailPrefix  = "totp_failures:"
)

// totpLimited runs fn, which checks a 2FA code of u, as one attempt of
// u's: counted when it starts (parallel guesses meet the limit as
// sequential ones do), given back unless fn refused the code as wrong;
// past maxTOTPFailures in the window, 429 totp.too_many_attempts before
// fn runs. Not inside a transaction: the database KV would wait on it.
func (s *core) totpLimited(ctx context.Context, u *barong.User, fn func() error) error {
	if !u.OTP {
		return fn()
	}
	return s.limitedAttempt(ctx, totpFailPrefix+u.UID, u.UID, "2fa attempts", KeyTOTPTooMany, func() (bool, error) {
		err := fn()
		return wrongTOTP(err), err
	})
}

// inTxTOTP runs fn, which checks a 2FA code of u, in a transaction, as
// one attempt of totpLimited (counted outside the transaction).
func (s *core) inTxTOTP(ctx context.Context, u *barong.User, fn func(tx *txn) error) error {
	return s.totpLimited(ctx, u, func() error { return s.inTx(ctx, fn) })
}

// limitedAttempt runs check as one of at most maxTOTPFailures failed
// attempts in totpFailWindow under key: counted when it starts, given
// back unless check reports a failure; past the limit, 429 tooMany
// before check runs (recorded as a security line with reason).
func (s *core) limitedAttempt(ctx context.Context, key, uid, reason, tooMany string, check func() (failed bool, err error)) error {
	if s.kv == nil {
		_, err := check()
		return err
	}
	n, err := s.kv.Incr(ctx, key, totpFailWindow)
	if err != nil {
		return fmt.Errorf("count %s: %w", reason, err)
	}
	if n > maxTOTPFailures {
		_ = s.kv.Decr(ctx, key) // refused unchecked: not a failure
		seclog.Log(ctx, s.log, seclog.AuthzRefused, slog.String("uid", uid), slog.String("reason", reason),
			slog.Any("errors", []string{tooMany}))
		return barong.TooMany(tooMany)
	}
	failed, err := check()
	if !failed {
		if derr := s.kv.Decr(ctx, key); derr != nil {
			s.log.WarnContext(ctx, "give back an attempt", "reason", reason, "error", derr)
		}
	}
	return err
}

// The passwords a signed-in user's calls send again (password change,
// account deletion) are limited as 2FA codes are: a stolen session could
// otherwise try a password list at bcrypt's pace for as long as it lives.
const (
	// KeyPasswordTooMany answers a user past the limit (429).
	KeyPasswordTooMany = "password.too_many_attempts"
	passwordFailPrefix = "password_failures:"
)

// passwordLimited reports whether pw is u's password, as one attempt of
// at most maxTOTPFailures wrong ones in totpFailWindow (limitedAttempt).
func (s *core) passwordLimited(ctx context.Context, u *barong.User, pw string) (bool, error) {
	var ok bool
	err := s.limitedAttempt(ctx, passwordFailPrefix+u.UID, u.UID, "password attempts", KeyPasswordTooMany, func() (bool, error) {
		var err error
		ok, err = s.passwordMatches(ctx, u.PasswordDigest, pw)
		return err == nil && !ok, err
	})
	return ok, err
}

// wrongTOTP reports whether err refuses a 2FA code as wrong (or used).
func wrongTOTP(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errOTPCodeInvalid) {
		return true
	}
	var be *barong.Error
	if !errors.As(err, &be) {
		return false
	}
	for _, k := range be.Keys {
		if strings.HasSuffix(k, ".invalid_totp") || strings.HasSuffix(k, ".invalid_otp") || k == KeyOTPInvalid || k == MsgOTPInvalid {
			return true
		}
	}
	return false
}

// checkTOTP reports whether code is valid for u now, one step of skew either
// way, and marks its time step used so the same code is accepted once.
func (s *core) checkTOTP(ctx context.Context, q barong.TOTPQueries, u *barong.User, code string) (bool, error) {
	if len(code) != 6 {
		return false, nil
	}
	secret, err := q.TOTPSecret(ctx, u.ID)
	if isNotFound(err) {
		return s.checkVaultTOTP(ctx, q, u, code)
	}
	if err != nil {
		return false, fmt.Errorf("load totp secret: %w", err)
	}
	now := s.now()
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return false, fmt.Errorf("totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			ok, err := q.UseTOTPStep(ctx, u.ID, t.Unix()/30)
			if err != nil {
				return false, fmt.Errorf("use totp step: %w", err)
			}
			return ok, nil
		}
	}
	return false, nil
}

// checkVaultTOTP checks code in Vault's TOTP engine for a user imported
// from Barong who kept the 2FA secret there (vault_totp_keys); a user with
// neither secret has no valid code. Without Vault, or when Vault fails, the
// problem is logged and the user gets 422 totp.error, as Barong answered
// when its Vault was unreachable: never a silent "invalid code".
func (s *core) checkVaultTOTP(ctx context.Context, q barong.TOTPQueries, u *barong.User, code string) (bool, error) {
	name, err := q.VaultTOTPKey(ctx, u.ID)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load vault totp key: %w", err)
	}
	if s.vault == nil {
		s.log.ErrorContext(ctx, "2FA code of a user imported from Barong cannot be checked: the secret is in Vault's TOTP engine "+
			"and Vault is not configured (set BARONG_VAULT_ADDRESS and BARONG_VAULT_TOKEN)", "uid", u.UID, "vault_key", name)
		return false, barong.Invalid(KeyTOTPError)
	}
	vctx, cancel := context.WithTimeout(ctx, vaultTOTPTimeout)
	defer cancel()
	ok, err := s.vault.ValidateTOTP(vctx, vaultTOTPMount, name, code)
	if err != nil {
		s.log.ErrorContext(ctx, "2FA code of a user imported from Barong cannot be checked: Vault's TOTP engine failed",
			"uid", u.UID, "vault_key", name, "error", err)
		e := barong.Invalid(KeyTOTPError)
		e.Cause = err
		return false, e
	}
	return ok, nil
}
