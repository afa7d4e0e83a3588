package app

import (
	"context"
	"fmt"

	barong "github.com/barong-go/barong"
)

// KeyServiceAccountNotFound answers a service account that does not exist
// or is not the caller's (404).
const KeyServiceAccountNotFound = "resource.service_account.doesnt_exist"

// List lists a page of u's service accounts by id and their
// number (reference §6.3.9).
func (s *ServiceAccounts) List(ctx context.Context, actor barong.Actor, p barong.Page) ([]barong.ServiceAccount, int64, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, 0, err
	}
	u := actor.User
	sas, n, err := s.store.ServiceAccountsByOwner(ctx, u.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list service accounts: %w", err)
	}
	return sas, n, nil
}

// APIKeys lists a page of the keys (without secrets) of u's
// service account saUID in order o. Errors: 404
// resource.service_account.doesnt_exist.
func (s *ServiceAccounts) APIKeys(ctx context.Context, actor barong.Actor, saUID string, o barong.Order, p barong.Page) ([]barong.APIKey, int64, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, 0, err
	}
	u := actor.User
	sa, err := ownServiceAccount(ctx, s.store, u, saUID)
	if err != nil {
		return nil, 0, err
	}
	ks, n, err := s.store.APIKeysByHolder(ctx, barong.HolderServiceAccount, sa.ID, o, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list service account api keys: %w", err)
	}
	return ks, n, nil
}

// CreateAPIKey creates a key for u's service account saUID,
// guarded by u's 2FA, as CreateAPIKey does for u; the account must be
// active. Errors: 404 resource.service_account.doesnt_exist (checked before
// the guard); the guard's resource.service_accounts.* keys; 422 kid.blank,
// algorithm.inclusion, key_holder_account.invalid.
func (s *ServiceAccounts) CreateAPIKey(ctx context.Context, actor barong.Actor, saUID string, in APIKeyInput) (*barong.APIKey, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	var k *barong.APIKey
	err := s.inTxTOTP(ctx, u, func(tx *txn) error {
		sa, err := ownServiceAccount(ctx, tx, u, saUID)
		if err != nil {
			return err
		}
		if err := s.otpProtected(ctx, tx, u, in.TOTPCode, guardServiceAccounts); err != nil {
			return err
		}
		k, err = s.createKey(ctx, tx, barong.HolderServiceAccount, sa.ID, sa.State, in)
		return err
	})
	return k, err
}

// UpdateAPIKey changes the state and/or scope of the key kid
// of u's service account saUID (an omitted scope is kept). Errors: 404
// resource.service_account.doesnt_exist; the guard's keys; 404
// record.not_found; 422 state.invalid, state.too_long.
func (s *ServiceAccounts) UpdateAPIKey(ctx context.Context, actor barong.Actor, saUID, kid string, in APIKeyInput) (*barong.APIKey, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	var k *barong.APIKey
	err := s.inTxTOTP(ctx, u, func(tx *txn) error {
		sa, err := ownServiceAccount(ctx, tx, u, saUID)
		if err != nil {
			return err
		}
		if err := s.otpProtected(ctx, tx, u, in.TOTPCode, guardServiceAccounts); err != nil {
			return err
		}
		if k, err = ownKey(ctx, tx, barong.HolderServiceAccount, sa.ID, kid); err != nil {
			return err
		}
		return updateKey(ctx, tx, k, sa.State, in)
	})
	return k, err
}

// DeleteAPIKey deletes the key kid of u's service account
// saUID. Errors: 404 resource.service_account.doesnt_exist; the guard's
// keys; 404 record.not_found.
func (s *ServiceAccounts) DeleteAPIKey(ctx context.Context, actor barong.Actor, saUID, kid, totpCode string) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	return s.inTxTOTP(ctx, u, func(tx *txn) error {
		sa, err := ownServiceAccount(ctx, tx, u, saUID)
		if err != nil {
			return err
		}
		if err := s.otpProtected(ctx, tx, u, totpCode, guardServiceAccounts); err != nil {
			return err
		}
		k, err := ownKey(ctx, tx, barong.HolderServiceAccount, sa.ID, kid)
		if err != nil {
			return err
		}
		if err := tx.DeleteAPIKey(ctx, k.ID); err != nil {
			return fmt.Errorf("delete service account api key: %w", err)
		}
		return nil
	})
}

// ownServiceAccount finds u's service account by uid; another owner's is
// 404 as a missing one.
func ownServiceAccount(ctx context.Context, q barong.ServiceAccountQueries, u *barong.User, uid string) (*barong.ServiceAccount, error) {
	sa, err := q.ServiceAccountByUID(ctx, uid)
	if err != nil {
		if isNotFound(err) {
			return nil, barong.NotFound(KeyServiceAccountNotFound)
		}
		return nil, fmt.Errorf("find service account: %w", err)
	}
	if sa.OwnerID != u.ID {
		return nil, barong.NotFound(KeyServiceAccountNotFound)
	}
	return sa, nil
}
