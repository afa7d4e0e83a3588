package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

// reservedStorageTitles are the titles a data storage may never have, as
// they are the keys of the KYC labels (reference §3.5).
var reservedStorageTitles = []string{"document", "label", "profile", "phone", "user"}

// Create is POST /resource/data_storage (reference §6.3.8):
// it stores data (JSON, at most 5120 characters) under title, which must be
// one of barong.yml user_storage_titles (title.inclusion), not a reserved
// word (title.exclusion) and not already used by the user in any letter
// case (title.taken). It then sets the private label <title> = recorded,
// silently skipped when the title is no valid label key.
func (s *DataStorage) Create(ctx context.Context, actor barong.Actor, title, data string) (*barong.DataStorage, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	d := &barong.DataStorage{UserID: u.ID, Title: title, Data: data}
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.validateDataStorage(ctx, tx, d); err != nil {
			return err
		}
		if err := tx.CreateDataStorage(ctx, d); err != nil {
			return duplicateToInvalid(err)
		}
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		user, err := s.userRecord(ctx, tx, cur)
		if err != nil {
			return err
		}
		rec := entity.NewDataStorageRecord(d, user)
		if err := tx.Emit(ctx, barong.Event{Name: "model.data_storage.created", Payload: entity.Payload{Record: rec}}); err != nil {
			return err
		}
		return s.recordedLabel(ctx, tx, cur, title)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// validateDataStorage checks d as Barong's DataStorage model does. The
// reserved titles are compared in any letter case: label keys are
// lower-cased, so "Profile" would otherwise reach the profile label.
func (s *core) validateDataStorage(ctx context.Context, q barong.DataStorageQueries, d *barong.DataStorage) error {
	var v barong.ValidationErrors
	if utf8.RuneCountInString(d.Title) > 64 {
		v.Add("title.too_long")
	}
	if !slices.Contains(s.cfg.UserStorageTitles, d.Title) {
		v.Add("title.inclusion")
	}
	if slices.Contains(reservedStorageTitles, strings.ToLower(d.Title)) {
		v.Add("title.exclusion")
	}
	existing, err := q.DataStoragesByUser(ctx, d.UserID)
	if err != nil {
		return fmt.Errorf("load data storages: %w", err)
	}
	for _, e := range existing {
		if strings.EqualFold(e.Title, d.Title) {
			v.Add("title.taken")
		}
	}
	if !json.Valid([]byte(d.Data)) {
		v.Add("data.invalid_format")
	}
	if utf8.RuneCountInString(d.Data) > 5120 {
		v.Add("data.too_long")
	}
	return v.Err()
}

// recordedLabel sets the private label <title> = recorded unless the title
// is no valid label key. Barong only creates the label, so an existing
// private label of that key (say email = verified) is left as it is.
func (s *core) recordedLabel(ctx context.Context, tx *txn, u *barong.User, title string) error {
	l := &barong.Label{Key: title, Value: "recorded", Scope: barong.ScopePrivate}
	var v barong.ValidationErrors
	normalizeLabel(&v, l)
	if len(v) > 0 {
		return nil
	}
	if _, err := tx.LabelByKey(ctx, u.ID, l.Key, barong.ScopePrivate); err == nil {
		return nil
	} else if !isNotFound(err) {
		return fmt.Errorf("find label: %w", err)
	}
	_, err := s.setLabel(ctx, tx, u, l.Key, l.Value, l.Scope, "")
	return err
}

// AdminDelete is DELETE /admin/users/data_storage: it deletes
// the user's data storage titled title (any letter case) and, unlike
// Barong (reference §12.4 item 12), also the private label
// <title> = recorded its creation set, recomputing state and level. It
// returns the user's KYC view. Errors: 404 admin.user.doesnt_exist,
// admin.storage.doesnt_exist; 422 admin.user.superadmin_change.
func (s *DataStorage) AdminDelete(ctx context.Context, actor barong.Actor, uid, title string) (*AdminUser, error) {
	if err := s.mayAdmin(ctx, actor, actDestroy, modelUser); err != nil {
		return nil, err
	}
	admin := actor.User
	var u *barong.User
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if u, err = s.modifiableTarget(ctx, tx, admin, uid, KeyAdminSuperadminChange); err != nil {
			return err
		}
		ds, err := tx.DataStoragesByUser(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load data storages: %w", err)
		}
		var found *barong.DataStorage
		for i := range ds {
			if strings.EqualFold(ds[i].Title, title) {
				found = &ds[i]
				break
			}
		}
		if found == nil {
			return barong.NotFound(KeyAdminStorageNotFound)
		}
		if err := tx.DeleteDataStorage(ctx, found.ID); err != nil {
			return fmt.Errorf("delete data storage: %w", err)
		}
		key := squish(strings.ToLower(found.Title))
		l, err := tx.LabelByKey(ctx, u.ID, key, barong.ScopePrivate)
		if isNotFound(err) || (err == nil && l.Value != adminStorageRecordedValue) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find %s label: %w", key, err)
		}
		return s.deleteLabel(ctx, tx, u, l, false)
	})
	if err != nil {
		return nil, err
	}
	return s.adminUser(ctx, u)
}
