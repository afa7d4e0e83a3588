package app

import (
	"context"
	"fmt"
	"strings"

	barong "github.com/barong-go/barong"
)

// Messages of POST /management/api_keys (all 422).
const (
	msgKeysDisabled    = "disabled_management_endpoint"
	msgKeyUserMissing  = "user_doesnt_exist"
	msgKeySAMissing    = "service_account_doesnt_exist"
	msgKeyUIDPrefix    = "uid_prefix_doesnt_exist"
	msgKeyDoesntExists = "api_key_doesnt_exist"
)

// ManagementKeyInput is POST /management/api_keys and .../update. UID is a
// user (BARONG_UID_PREFIX) or service account (SI) uid; AllowUsers and
// AllowServiceAccounts are BARONG_MGN_API_KEYS_USER and _SA. KID names
// the key on update.
type ManagementKeyInput struct {
	UID, KID                         string
	Key                              APIKeyInput
	AllowUsers, AllowServiceAccounts bool
}

// keyHolder is the owner of API keys a management request names.
type keyHolder struct {
	kind  string
	id    int64
	state string
}

// mgmtKeyHolder routes uid by its prefix (reference §8.2): a user uid
// needs AllowUsers, a service account uid AllowServiceAccounts (else 422
// disabled_management_endpoint); unknown holders are 422
// user_doesnt_exist / service_account_doesnt_exist, other prefixes
// uid_prefix_doesnt_exist.
func (s *core) mgmtKeyHolder(ctx context.Context, q interface {
	barong.ServiceAccountQueries
	barong.UserQueries
}, in ManagementKeyInput) (*keyHolder, error) {
	switch {
	case strings.HasPrefix(in.UID, strings.ToUpper(s.cfg.UIDPrefix)):
		if !in.AllowUsers {
			return nil, barong.Invalid(msgKeysDisabled)
		}
		u, err := mgmtUserOr(ctx, q, in.UID, barong.Invalid(msgKeyUserMissing))
		if err != nil {
			return nil, err
		}
		return &keyHolder{kind: barong.HolderUser, id: u.ID, state: u.State}, nil
	case strings.HasPrefix(in.UID, serviceAccountUIDPrefix):
		if !in.AllowServiceAccounts {
			return nil, barong.Invalid(msgKeysDisabled)
		}
		sa, err := q.ServiceAccountByUID(ctx, in.UID)
		if err != nil {
			if isNotFound(err) {
				return nil, barong.Invalid(msgKeySAMissing)
			}
			return nil, fmt.Errorf("find service account: %w", err)
		}
		return &keyHolder{kind: barong.HolderServiceAccount, id: sa.ID, state: sa.State}, nil
	}
	return nil, barong.Invalid(msgKeyUIDPrefix)
}

// ManagementCreate is POST /management/api_keys: an HS256 key for
// the user or service account in.UID, without a 2FA check, returned with
// its secret. Routing errors as mgmtKeyHolder; validation failures are
// *ModelError (kid.blank, algorithm.inclusion, key_holder_account.invalid
// when the holder is not active).
func (s *APIKeys) ManagementCreate(ctx context.Context, actor barong.Actor, in ManagementKeyInput) (*barong.APIKey, error) {
	if err := s.mayManage(ctx, actor, "write_apikeys"); err != nil {
		return nil, err
	}
	var k *barong.APIKey
	err := s.inTx(ctx, func(tx *txn) error {
		h, err := s.mgmtKeyHolder(ctx, tx, in)
		if err != nil {
			return err
		}
		k, err = s.createKey(ctx, tx, h.kind, h.id, h.state, in.Key)
		return mgmtAsModel(err)
	})
	return k, err
}

// ManagementUpdate is POST /management/api_keys/update: it sets the
// state and/or scopes of the holder's key in.KID (an omitted scope is
// kept, where Barong cleared it). Routing errors as mgmtKeyHolder; a key
// of another holder or none is 422 api_key_doesnt_exist; validation
// failures are *ModelError (state.invalid, state.too_long).
func (s *APIKeys) ManagementUpdate(ctx context.Context, actor barong.Actor, in ManagementKeyInput) (*barong.APIKey, error) {
	if err := s.mayManage(ctx, actor, "write_apikeys"); err != nil {
		return nil, err
	}
	var k *barong.APIKey
	err := s.inTx(ctx, func(tx *txn) error {
		h, err := s.mgmtKeyHolder(ctx, tx, in)
		if err != nil {
			return err
		}
		if k, err = ownKey(ctx, tx, h.kind, h.id, in.KID); err != nil {
			if e := barong.AsError(err); e != nil && e.Kind == barong.KindNotFound {
				return barong.Invalid(msgKeyDoesntExists)
			}
			return err
		}
		return mgmtAsModel(updateKey(ctx, tx, k, h.state, in.Key))
	})
	return k, err
}
