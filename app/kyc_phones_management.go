package app

import (
	"context"
	"fmt"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/phone"
)

// Messages of the management phone endpoints (reference §8.2).
const (
	msgMgmtPhoneInvalid = "management.phone.invalid_num"
	msgMgmtPhoneTaken   = "management.phone.number_exist"
	msgMgmtPhoneExists  = "management.phone.exists"
	msgMgmtPhoneMissing = "management.phone.doesnt_exists"
)

// ManagementPhones is POST /management/phones/get: the phones of the user
// uid by id. Unknown uid: 422 user.doesnt_exist.
func (s *KYC) ManagementPhones(ctx context.Context, actor barong.Actor, uid string) ([]barong.Phone, error) {
	if err := s.mayManage(ctx, actor, "read_phones"); err != nil {
		return nil, err
	}
	u, err := mgmtUserOr(ctx, s.store, uid, mgmtUserMissing())
	if err != nil {
		return nil, err
	}
	ps, err := s.store.PhonesByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load phones: %w", err)
	}
	return ps, nil
}

// ManagementAddPhone is POST /management/phones: it adds raw, normalised,
// to the user uid as already validated (no phone label is set, as in
// Barong). Errors: 422 user.doesnt_exist; 400 management.phone.invalid_num,
// management.phone.number_exist (anyone, the user included, verified it),
// management.phone.exists (the user has it unverified).
func (s *KYC) ManagementAddPhone(ctx context.Context, actor barong.Actor, uid, raw string) (*barong.Phone, error) {
	if err := s.mayManage(ctx, actor, "write_phones"); err != nil {
		return nil, err
	}
	var ph *barong.Phone
	err := s.inTx(ctx, func(tx *txn) error {
		u, err := mgmtUserOr(ctx, tx, uid, mgmtUserMissing())
		if err != nil {
			return err
		}
		number, country, err := phone.Normalize(raw)
		if err != nil {
			return barong.BadRequest(msgMgmtPhoneInvalid)
		}
		ps, err := tx.PhonesByNumber(ctx, number)
		if err != nil {
			return fmt.Errorf("find phones: %w", err)
		}
		for _, p := range ps {
			if p.ValidatedAt != nil {
				return barong.BadRequest(msgMgmtPhoneTaken)
			}
		}
		for _, p := range ps {
			if p.UserID == u.ID {
				return barong.BadRequest(msgMgmtPhoneExists)
			}
		}
		ph = &barong.Phone{Number: number, Country: country}
		return s.mgmtCreateValidatedPhone(ctx, tx, u, ph)
	})
	if err != nil {
		return nil, err
	}
	return ph, nil
}

// ManagementDeletePhone is POST /management/phones/delete: it deletes the
// user's phone with raw (normalised) and returns it. Errors: 422
// user.doesnt_exist, management.phone.doesnt_exists (also for a number
// that is not valid). The phone label is left as it is, as in Barong.
func (s *KYC) ManagementDeletePhone(ctx context.Context, actor barong.Actor, uid, raw string) (*barong.Phone, error) {
	if err := s.mayManage(ctx, actor, "write_phones"); err != nil {
		return nil, err
	}
	var ph *barong.Phone
	err := s.inTx(ctx, func(tx *txn) error {
		ph = nil // a retried attempt starts over
		u, err := mgmtUserOr(ctx, tx, uid, mgmtUserMissing())
		if err != nil {
			return err
		}
		number, _, err := phone.Normalize(raw)
		if err != nil {
			return barong.Invalid(msgMgmtPhoneMissing)
		}
		ps, err := tx.PhonesByNumber(ctx, number)
		if err != nil {
			return fmt.Errorf("find phones: %w", err)
		}
		for i := range ps {
			if ps[i].UserID == u.ID {
				ph = &ps[i]
				break
			}
		}
		if ph == nil {
			return barong.Invalid(msgMgmtPhoneMissing)
		}
		if err := tx.DeletePhone(ctx, ph.ID); err != nil {
			return fmt.Errorf("delete phone: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ph, nil
}
