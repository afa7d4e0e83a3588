package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
)

// APIKeyColumns are the columns an API-key list may be ordered by: the
// attributes of Barong's apikeys model except the encrypted secret.
var APIKeyColumns = []string{"id", "key_holder_account_id", "key_holder_account_type", "kid", "algorithm",
	"scope", "state", "created_at", "updated_at"}

// APIKeyInput holds the parameters of creating or updating an API key.
type APIKeyInput struct {
	// Algorithm is required on create; only HS256 is valid.
	Algorithm string
	// Scope is a comma-separated list; nil when not sent.
	Scope *string
	// State is any string (only "active" keys authenticate); nil when not
	// sent. Used on update.
	State *string
	// TOTPCode is the owner's current 2FA code.
	TOTPCode string
}

// Error-key prefixes of Barong's two otp_protected guards (reference
// §6.3.7, §6.3.9).
const (
	guardAPIKeys         = "resource.api_key"
	guardServiceAccounts = "resource.service_accounts"
)

// keyStateActive is the state of a usable API key.
const keyStateActive = "active"

// otpProtected is Barong's 2FA guard of key management: 400
// <prefix>.2fa_disabled when u has no 2FA, 422 <prefix>.missing_totp for a
// blank code, 422 <prefix>.invalid_totp for a wrong or already used one.
// A valid code is used up when q's transaction commits.
func (s *core) otpProtected(ctx context.Context, q barong.TOTPQueries, u *barong.User, code, prefix string) error {
	if !u.OTP {
		return barong.BadRequest(prefix + ".2fa_disabled")
	}
	if strings.TrimSpace(code) == "" {
		return barong.Invalid(prefix + ".missing_totp")
	}
	ok, err := s.checkTOTP(ctx, q, u, code)
	if err != nil {
		return err
	}
	if !ok {
		return barong.Invalid(prefix + ".invalid_totp")
	}
	return nil
}

// List lists a page of u's own API keys (without secrets) in order o,
// and their number (reference §6.3.7). o.By must be one of APIKeyColumns.
func (s *APIKeys) List(ctx context.Context, actor barong.Actor, o barong.Order, p barong.Page) ([]barong.APIKey, int64, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, 0, err
	}
	u := actor.User
	ks, n, err := s.store.APIKeysByHolder(ctx, barong.HolderUser, u.ID, o, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list api keys: %w", err)
	}
	return ks, n, nil
}

// Create creates an HS256 key for u after the 2FA guard: kid of 16
// and secret of 32 hex characters from crypto/rand, state active, the
// secret stored encrypted and returned in the key this once. Errors: the
// guard's keys; 422 kid.blank, algorithm.inclusion,
// key_holder_account.invalid (u not active).
func (s *APIKeys) Create(ctx context.Context, actor barong.Actor, in APIKeyInput) (*barong.APIKey, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	var k *barong.APIKey
	err := s.inTxTOTP(ctx, u, func(tx *txn) error {
		if err := s.otpProtected(ctx, tx, u, in.TOTPCode, guardAPIKeys); err != nil {
			return err
		}
		var err error
		k, err = s.createKey(ctx, tx, barong.HolderUser, u.ID, u.State, in)
		return err
	})
	return k, err
}

// Update changes the state and/or scope of u's key kid after the 2FA
// guard. Barong clears the scope when it is not sent; barong-go keeps it.
// Errors: the guard's keys; 404 record.not_found for a key that is not
// u's; 422 state.invalid (activating while u is not active),
// state.too_long.
func (s *APIKeys) Update(ctx context.Context, actor barong.Actor, kid string, in APIKeyInput) (*barong.APIKey, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	var k *barong.APIKey
	err := s.inTxTOTP(ctx, u, func(tx *txn) error {
		if err := s.otpProtected(ctx, tx, u, in.TOTPCode, guardAPIKeys); err != nil {
			return err
		}
		var err error
		if k, err = ownKey(ctx, tx, barong.HolderUser, u.ID, kid); err != nil {
			return err
		}
		return updateKey(ctx, tx, k, u.State, in)
	})
	return k, err
}

// Delete deletes u's key kid after the 2FA guard. Errors: the
// guard's keys; 404 record.not_found.
func (s *APIKeys) Delete(ctx context.Context, actor barong.Actor, kid, totpCode string) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	return s.inTxTOTP(ctx, u, func(tx *txn) error {
		if err := s.otpProtected(ctx, tx, u, totpCode, guardAPIKeys); err != nil {
			return err
		}
		k, err := ownKey(ctx, tx, barong.HolderUser, u.ID, kid)
		if err != nil {
			return err
		}
		if err := tx.DeleteAPIKey(ctx, k.ID); err != nil {
			return fmt.Errorf("delete api key: %w", err)
		}
		return nil
	})
}

// createKey validates and inserts a key of the holder, as Barong's APIKey
// model does: a kid is generated only for HS* algorithms (else kid.blank),
// only HS256 is accepted, and the holder must be active.
func (s *core) createKey(ctx context.Context, tx *txn, holderType string, holderID int64, holderState string, in APIKeyInput) (*barong.APIKey, error) {
	k := &barong.APIKey{HolderID: holderID, HolderType: holderType, Algorithm: in.Algorithm,
		Scope: []string{}, State: keyStateActive, Secret: randHex(16)}
	if in.Scope != nil {
		k.Scope = splitScope(*in.Scope)
	}
	var v barong.ValidationErrors
	if strings.HasPrefix(in.Algorithm, "HS") {
		k.KID = randHex(8)
	} else {
		v.Add("kid.blank")
	}
	if in.Algorithm != "HS256" {
		v.Add("algorithm.inclusion")
	}
	if scopeTooLong(k.Scope) {
		v.Add("scope.too_long")
	}
	if holderState != barong.StateActive {
		v.Add("key_holder_account.invalid")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := tx.CreateAPIKey(ctx, k); err != nil {
		return nil, duplicateToInvalid(err)
	}
	return k, nil
}

// ownKey finds the key kid of the holder; a key of anyone else is 404
// record.not_found, as a missing one.
func ownKey(ctx context.Context, q barong.APIKeyQueries, holderType string, holderID int64, kid string) (*barong.APIKey, error) {
	k, err := q.APIKeyByKID(ctx, kid)
	if err != nil {
		if isNotFound(err) {
			return nil, barong.NotFound("record.not_found")
		}
		return nil, fmt.Errorf("find api key: %w", err)
	}
	if k.HolderType != holderType || k.HolderID != holderID {
		return nil, barong.NotFound("record.not_found")
	}
	return k, nil
}

// updateKey applies the sent state and scope to k and saves it. The state
// column holds 255 characters; "active" needs an active holder.
func updateKey(ctx context.Context, tx *txn, k *barong.APIKey, holderState string, in APIKeyInput) error {
	var v barong.ValidationErrors
	if in.State != nil {
		if utf8.RuneCountInString(*in.State) > 255 {
			v.Add("state.too_long")
		}
		if *in.State == keyStateActive && holderState != barong.StateActive {
			v.Add("state.invalid")
		}
		k.State = *in.State
	}
	if in.Scope != nil {
		k.Scope = splitScope(*in.Scope)
		if scopeTooLong(k.Scope) {
			v.Add("scope.too_long")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := tx.UpdateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("update api key: %w", err)
	}
	return nil
}

// maxScopeBytes is what the scope column (a MariaDB TEXT) holds.
const maxScopeBytes = 65535

// scopeTooLong reports whether scope, stored as its JSON array, would not
// fit the column.
func scopeTooLong(scope []string) bool {
	b, err := json.Marshal(scope)
	return err != nil || len(b) > maxScopeBytes
}

// splitScope splits a comma-separated scope, trimming blanks and dropping
// empty entries.
func splitScope(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// AdminList is GET /admin/api_keys: a page of the user's API keys
// (without secrets) in order o and their number; 404
// admin.user.doesnt_exist.
func (s *APIKeys) AdminList(ctx context.Context, actor barong.Actor, uid string, o barong.Order, p barong.Page) ([]barong.APIKey, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelAPIKey); err != nil {
		return nil, 0, err
	}
	u, err := s.findTarget(ctx, s.store, uid)
	if err != nil {
		return nil, 0, err
	}
	ks, n, err := s.store.APIKeysByHolder(ctx, barong.HolderUser, u.ID, o, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list api keys: %w", err)
	}
	return ks, n, nil
}
