package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/phone"
)

// Limits on phone verification (barong-go additions; Barong has none,
// reference §10.6): codes sent per user (POST /phones and /phones/send_code
// together) and verification attempts per user, within phoneWindow.
const (
	phoneSendLimit   = 5
	phoneVerifyLimit = 10
	phoneWindow      = 10 * time.Minute
)

// Phone error keys (reference §6.3.5).
const (
	keyPhoneInvalid     = "resource.phone.invalid_num"
	keyPhoneTaken       = "resource.phone.number_exist"
	keyPhoneExists      = "resource.phone.exists"
	keyPhoneMissing     = "resource.phone.doesnt_exist"
	keyPhoneBadCode     = "resource.phone.verification_invalid"
	keyPhoneTooMany     = "resource.phone.too_many_requests"
	keyPhoneUnexpected  = phone.KeyTwilioUnexpected
	phoneLabelKey       = "phone"
	phoneLabelValue     = "verified"
	phoneSendCounterKey = "phone_send:"
	phoneTryCounterKey  = "phone_verify:"
)

// phoneProvider is the configured provider, the mock when none was given.
func (s *core) phoneProvider() phone.Provider {
	if s.phone == nil {
		return phone.NewMock(s.log)
	}
	return s.phone
}

// Phones lists the user's phones by id.
func (s *KYC) Phones(ctx context.Context, actor barong.Actor) ([]barong.Phone, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	ps, err := s.store.PhonesByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load phones: %w", err)
	}
	return ps, nil
}

// lookupPhone normalises raw and loads the phones with that number: 400
// invalid_num for an invalid number, 400 number_exist when anyone has
// verified it. It returns the number, its country and the user's phone
// with it (nil when he has none).
func (s *core) lookupPhone(ctx context.Context, q barong.PhoneQueries, u *barong.User, raw string) (string, string, *barong.Phone, error) {
	number, country, err := phone.Normalize(raw)
	if err != nil {
		return "", "", nil, barong.BadRequest(keyPhoneInvalid)
	}
	ps, err := q.PhonesByNumber(ctx, number)
	if err != nil {
		return "", "", nil, fmt.Errorf("find phones: %w", err)
	}
	var own *barong.Phone
	for i := range ps {
		if ps[i].ValidatedAt != nil {
			return "", "", nil, barong.BadRequest(keyPhoneTaken)
		}
		if ps[i].UserID == u.ID && own == nil {
			own = &ps[i]
		}
	}
	return number, country, own, nil
}

// AddPhone adds an unverified number to the user and sends it a fresh
// 5-digit code (reference §6.3.5). The code is sent before the row is
// written, so a provider failure leaves nothing behind (Barong kept the
// phone, and the retry then failed with resource.phone.exists).
func (s *KYC) AddPhone(ctx context.Context, actor barong.Actor, raw, channel string) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	number, country, own, err := s.lookupPhone(ctx, s.store, u, raw)
	if err != nil {
		return err
	}
	if own != nil {
		return barong.BadRequest(keyPhoneExists)
	}
	if err := s.limitPhone(ctx, phoneSendCounterKey, u, phoneSendLimit); err != nil {
		return err
	}
	code, err := phoneCode()
	if err != nil {
		return err
	}
	if err := s.sendPhoneCode(ctx, number, channel, code); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		if _, _, own, err := s.lookupPhone(ctx, tx, u, number); err != nil {
			return err
		} else if own != nil {
			return barong.BadRequest(keyPhoneExists)
		}
		if err := tx.CreatePhone(ctx, &barong.Phone{UserID: u.ID, Country: country, Code: code, Number: number}); err != nil {
			return fmt.Errorf("create phone: %w", err)
		}
		return nil
	})
}

// SendPhoneCode sends the stored code of one of the user's unverified
// numbers again: 404 doesnt_exist when the number is not his.
func (s *KYC) SendPhoneCode(ctx context.Context, actor barong.Actor, raw, channel string) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	number, _, own, err := s.lookupPhone(ctx, s.store, u, raw)
	if err != nil {
		return err
	}
	if own == nil {
		return barong.NotFound(keyPhoneMissing)
	}
	if err := s.limitPhone(ctx, phoneSendCounterKey, u, phoneSendLimit); err != nil {
		return err
	}
	if own.Code == "" { // rows imported without a code get one
		if own.Code, err = phoneCode(); err != nil {
			return err
		}
		if err := s.inTx(ctx, func(tx *txn) error { return tx.UpdatePhone(ctx, own) }); err != nil {
			return fmt.Errorf("store phone code: %w", err)
		}
	}
	return s.sendPhoneCode(ctx, number, channel, own.Code)
}

// VerifyPhone checks code for one of the user's numbers; when right, the
// phone is validated and the private label phone=verified set (level and
// state recomputed). Answers: 400 invalid_num / number_exist, 404
// doesnt_exist / verification_invalid.
func (s *KYC) VerifyPhone(ctx context.Context, actor barong.Actor, raw, code string) (*UserInfo, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	number, _, own, err := s.lookupPhone(ctx, s.store, u, raw)
	if err != nil {
		return nil, err
	}
	if own == nil {
		return nil, barong.NotFound(keyPhoneMissing)
	}
	if err := s.limitPhone(ctx, phoneTryCounterKey, u, phoneVerifyLimit); err != nil {
		return nil, err
	}
	ok, err := s.phoneProvider().Verify(ctx, number, code, own.Code)
	if err != nil {
		return nil, s.phoneError(ctx, err)
	}
	if !ok {
		return nil, barong.NotFound(keyPhoneBadCode)
	}
	var cur *barong.User
	err = s.inTx(ctx, func(tx *txn) error {
		_, _, p, err := s.lookupPhone(ctx, tx, u, number)
		if err != nil {
			return err
		}
		if p == nil {
			return barong.NotFound(keyPhoneMissing)
		}
		now := tx.Now()
		p.ValidatedAt = &now
		if err := tx.UpdatePhone(ctx, p); err != nil {
			return fmt.Errorf("validate phone: %w", err)
		}
		if cur, err = tx.UserByID(ctx, u.ID); err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		_, err = s.setLabel(ctx, tx, cur, phoneLabelKey, phoneLabelValue, barong.ScopePrivate, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.userInfo(ctx, cur.UID)
}

// sendPhoneCode sends code through the provider, mapping its failures.
func (s *core) sendPhoneCode(ctx context.Context, number, channel, code string) error {
	if err := s.phoneProvider().Send(ctx, number, channel, code); err != nil {
		return s.phoneError(ctx, err)
	}
	return nil
}

// phoneError turns a provider failure into a 422 with its key: Twilio's
// known codes keep Barong's keys, anything else (including an unreachable
// Twilio) is resource.phone.twilio_unexpected, never a 500.
func (s *core) phoneError(ctx context.Context, err error) error {
	var pe *phone.Error
	key := keyPhoneUnexpected
	if errors.As(err, &pe) {
		key = pe.Key
	}
	s.log.WarnContext(ctx, "phone provider failed", slog.String("key", key), slog.Any("error", err))
	return &barong.Error{Kind: barong.KindInvalid, Keys: []string{key}, Cause: err}
}

// limitPhone counts one use of a limited phone action by u within
// phoneWindow and answers 429 resource.phone.too_many_requests above max.
func (s *core) limitPhone(ctx context.Context, prefix string, u *barong.User, max int64) error {
	if s.kv == nil {
		return nil
	}
	n, err := s.kv.Incr(ctx, prefix+u.UID, phoneWindow)
	if err != nil {
		return fmt.Errorf("count phone requests: %w", err)
	}
	if n > max {
		return barong.TooMany(keyPhoneTooMany)
	}
	return nil
}

// phoneCode is a random 5-digit code (reference §3.3).
func phoneCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100000))
	if err != nil {
		return "", fmt.Errorf("phone code: %w", err)
	}
	return fmt.Sprintf("%05d", n.Int64()), nil
}
