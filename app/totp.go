package app

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpOpts are RFC 6238 with Vault's defaults: SHA1, 6 digits, 30 s.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// checkTOTP reports whether code is valid for u now, one step of skew either
// way, and marks its time step used so the same code is accepted once.
func (s *Service) checkTOTP(ctx context.Context, q barong.Queries, u *barong.User, code string) (bool, error) {
	if len(code) != 6 {
		return false, nil
	}
	secret, err := q.TOTPSecret(ctx, u.ID)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
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
