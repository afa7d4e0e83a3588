package app

import (
	"context"
	"fmt"
	"strings"

	barong "github.com/barong-go/barong"
)

// Service account constants (reference §3.3, §3.2).
const (
	serviceAccountUIDPrefix = "SI"
	serviceAccountDisabled  = "disabled"
	// MsgServiceAccountMissing answers an unknown uid on update (422).
	MsgServiceAccountMissing = "Service account doesnt exist"
)

// ServiceAccountView is a service account with its owner (nil when it has
// none) for Barong's ServiceAccounts entity.
type ServiceAccountView struct {
	barong.ServiceAccount
	Owner            *barong.User
	OwnerReferralUID string
}

// ServiceAccountInput is POST /management/service_accounts/create; ""
// and nil stand for parameters not sent.
type ServiceAccountInput struct {
	OwnerUID, UID, Email, Role, State string
	Level                             *int
}

// ManagementGet is POST /management/service_accounts/get: the
// account with uid, or else e-mail (exactly one is set). Unknown: 404.
func (s *ServiceAccounts) ManagementGet(ctx context.Context, actor barong.Actor, uid, email string) (*ServiceAccountView, error) {
	if err := s.mayManage(ctx, actor, "read_service_accounts"); err != nil {
		return nil, err
	}
	var sa *barong.ServiceAccount
	var err error
	if uid != "" {
		sa, err = s.store.ServiceAccountByUID(ctx, uid)
	} else {
		sa, err = s.store.ServiceAccountByEmail(ctx, email)
	}
	if err != nil {
		if isNotFound(err) {
			return nil, mgmtRecordNotFound()
		}
		return nil, fmt.Errorf("find service account: %w", err)
	}
	return s.mgmtServiceAccountView(ctx, sa)
}

// ManagementList is POST /management/service_accounts/list: a
// page of the accounts of the owner with ownerUID, or else ownerEmail, by
// id, and their number; every account when neither is given or the owner
// is unknown (Barong's rule).
func (s *ServiceAccounts) ManagementList(ctx context.Context, actor barong.Actor, ownerUID, ownerEmail string, p barong.Page) ([]ServiceAccountView, int64, error) {
	if err := s.mayManage(ctx, actor, "read_service_accounts"); err != nil {
		return nil, 0, err
	}
	var ownerID int64
	if ownerUID != "" || ownerEmail != "" {
		owner, err := s.store.UserByUID(ctx, ownerUID)
		if isNotFound(err) && ownerEmail != "" {
			owner, err = s.store.UserByEmail(ctx, ownerEmail)
		}
		switch {
		case err == nil:
			ownerID = owner.ID
		case !isNotFound(err):
			return nil, 0, fmt.Errorf("find owner: %w", err)
		}
	}
	sas, total, err := s.store.ServiceAccountsByOwner(ctx, ownerID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list service accounts: %w", err)
	}
	out := make([]ServiceAccountView, 0, len(sas))
	for i := range sas {
		v, err := s.mgmtServiceAccountView(ctx, &sas[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *v)
	}
	return out, total, nil
}

// ManagementCreate is POST /management/service_accounts/create
// (reference §3.5): uid defaults to SI + 10 hex characters, the e-mail to
// the owner's with +<uid> before the @; with an owner, state and level are
// the owner's, else the given ones (pending, 0 by default). Validation
// failures (*ModelError): role.doesnt_exist, email_or_uid.not_uniq (a user
// has that e-mail or uid), email.blank (no e-mail and no owner, where
// Barong failed with a 500), email.invalid, email.taken, uid.taken.
func (s *ServiceAccounts) ManagementCreate(ctx context.Context, actor barong.Actor, in ServiceAccountInput) (*ServiceAccountView, error) {
	if err := s.mayManage(ctx, actor, "write_service_accounts"); err != nil {
		return nil, err
	}
	sa := &barong.ServiceAccount{UID: in.UID, Email: in.Email, Role: in.Role, State: in.State}
	if sa.State == "" {
		sa.State = barong.StatePending
	}
	if in.Level != nil {
		sa.Level = *in.Level
	}
	orig := *sa
	err := s.inTx(ctx, func(tx *txn) error {
		*sa = orig // a retried attempt starts over
		var owner *barong.User
		if in.OwnerUID != "" {
			o, err := tx.UserByUID(ctx, in.OwnerUID)
			switch {
			case err == nil:
				owner = o
				sa.OwnerID, sa.State, sa.Level = o.ID, o.State, o.Level
			case !isNotFound(err):
				return fmt.Errorf("find owner: %w", err)
			}
		}
		if sa.UID == "" {
			uid, err := s.newUID(ctx, tx, serviceAccountUIDPrefix)
			if err != nil {
				return err
			}
			sa.UID = uid
		}
		if sa.Email == "" && owner != nil {
			if name, domain, ok := strings.Cut(owner.Email, "@"); ok {
				sa.Email = name + "+" + sa.UID + "@" + domain
			}
		}
		if err := s.mgmtValidateServiceAccount(ctx, tx, sa); err != nil {
			return err
		}
		if err := tx.CreateServiceAccount(ctx, sa); err != nil {
			return mgmtAsModel(duplicateToInvalid(err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.mgmtServiceAccountView(ctx, sa)
}

// mgmtValidateServiceAccount applies Barong's ServiceAccount validations in
// their order.
func (s *core) mgmtValidateServiceAccount(ctx context.Context, q interface {
	barong.PermissionQueries
	barong.ServiceAccountQueries
	barong.UserQueries
}, sa *barong.ServiceAccount) error {
	var v barong.ValidationErrors
	ok, err := s.roleExists(ctx, q, sa.Role)
	if err != nil {
		return err
	}
	if !ok {
		v.Add("role.doesnt_exist")
	}
	if sa.Email != "" {
		if _, err := q.UserByEmail(ctx, sa.Email); err == nil {
			v.Add("email_or_uid.not_uniq")
		} else if !isNotFound(err) {
			return fmt.Errorf("check email: %w", err)
		}
	}
	if _, err := q.UserByUID(ctx, sa.UID); err == nil {
		v.Add("email_or_uid.not_uniq")
	} else if !isNotFound(err) {
		return fmt.Errorf("check uid: %w", err)
	}
	switch {
	case sa.Email == "":
		v.Add("email.blank")
	case !validEmail(sa.Email):
		v.Add("email.invalid")
	}
	if sa.Email != "" {
		if _, err := q.ServiceAccountByEmail(ctx, sa.Email); err == nil {
			v.Add("email.taken")
		} else if !isNotFound(err) {
			return fmt.Errorf("check email: %w", err)
		}
	}
	if _, err := q.ServiceAccountByUID(ctx, sa.UID); err == nil {
		v.Add("uid.taken")
	} else if !isNotFound(err) {
		return fmt.Errorf("check uid: %w", err)
	}
	return mgmtModelErr(v)
}

// ManagementUpdate is POST /management/service_accounts/update:
// it moves the account uid to the owner ownerUID, taking his state and
// level (reference §3.5); an unknown or empty owner changes nothing.
// Unknown uid: 422 Service account doesnt exist.
func (s *ServiceAccounts) ManagementUpdate(ctx context.Context, actor barong.Actor, uid, ownerUID string) (*ServiceAccountView, error) {
	if err := s.mayManage(ctx, actor, "write_service_accounts"); err != nil {
		return nil, err
	}
	var sa *barong.ServiceAccount
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if sa, err = tx.ServiceAccountByUID(ctx, uid); err != nil {
			if isNotFound(err) {
				return barong.Invalid(MsgServiceAccountMissing)
			}
			return fmt.Errorf("find service account: %w", err)
		}
		if ownerUID == "" {
			return nil
		}
		owner, err := tx.UserByUID(ctx, ownerUID)
		if err != nil {
			if isNotFound(err) {
				return nil
			}
			return fmt.Errorf("find owner: %w", err)
		}
		sa.OwnerID, sa.State, sa.Level = owner.ID, owner.State, owner.Level
		if err := tx.UpdateServiceAccount(ctx, sa); err != nil {
			return fmt.Errorf("update service account: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.mgmtServiceAccountView(ctx, sa)
}

// ManagementDelete is POST /management/service_accounts/delete:
// the account uid becomes disabled and its active API keys inactive
// (reference §3.6). Unknown uid: 404.
func (s *ServiceAccounts) ManagementDelete(ctx context.Context, actor barong.Actor, uid string) (*ServiceAccountView, error) {
	if err := s.mayManage(ctx, actor, "write_service_accounts"); err != nil {
		return nil, err
	}
	var sa *barong.ServiceAccount
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if sa, err = tx.ServiceAccountByUID(ctx, uid); err != nil {
			if isNotFound(err) {
				return mgmtRecordNotFound()
			}
			return fmt.Errorf("find service account: %w", err)
		}
		if sa.State == serviceAccountDisabled {
			return nil
		}
		sa.State = serviceAccountDisabled
		if err := tx.UpdateServiceAccount(ctx, sa); err != nil {
			return fmt.Errorf("update service account: %w", err)
		}
		if err := tx.DeactivateAPIKeys(ctx, barong.HolderServiceAccount, []int64{sa.ID}); err != nil {
			return fmt.Errorf("deactivate service account keys: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.mgmtServiceAccountView(ctx, sa)
}

// mgmtServiceAccountView loads the owner of sa.
func (s *core) mgmtServiceAccountView(ctx context.Context, sa *barong.ServiceAccount) (*ServiceAccountView, error) {
	v := &ServiceAccountView{ServiceAccount: *sa}
	if sa.OwnerID == 0 {
		return v, nil
	}
	owner, err := s.store.UserByID(ctx, sa.OwnerID)
	if err != nil {
		if isNotFound(err) {
			return v, nil
		}
		return nil, fmt.Errorf("load owner: %w", err)
	}
	v.Owner = owner
	if v.OwnerReferralUID, err = s.referralUID(ctx, s.store, owner); err != nil {
		return nil, err
	}
	return v, nil
}
