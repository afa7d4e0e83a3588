package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
)

// Admin API error keys of labels and comments (reference §8.1).
const (
	KeyAdminLabelNotFound     = "admin.label.doesnt_exist"
	KeyAdminCommentTitleLong  = "admin.comments.title_too_long"
	KeyAdminCommentDataLong   = "admin.comments.data_too_long"
	keyRecordNotFound         = "record.not_found"
	maxCommentTitle           = 64
	maxCommentData            = 65535
	maxLabelDescriptionLength = 255
)

// AdminCounts is GET /admin/users/labels/list: the number of private
// labels per key and value.
func (s *Labels) AdminCounts(ctx context.Context, actor barong.Actor) ([]barong.LabelCount, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelUser); err != nil {
		return nil, err
	}
	cs, err := s.store.LabelCounts(ctx, barong.LabelCountFilter{Scope: barong.ScopePrivate})
	if err != nil {
		return nil, fmt.Errorf("count labels: %w", err)
	}
	return cs, nil
}

// AdminUsers is GET /admin/users/labels: a page of the users with a
// label (of any scope) key = value, each listed once, and their number.
func (s *Labels) AdminUsers(ctx context.Context, actor barong.Actor, key, value string, p barong.Page) ([]AdminUser, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelUser); err != nil {
		return nil, 0, err
	}
	users, total, err := s.store.ListUsers(ctx, barong.UserFilter{LabelKey: key, LabelValue: value, Page: p})
	if err != nil {
		return nil, 0, fmt.Errorf("list users by label: %w", err)
	}
	out, err := s.adminUsers(ctx, users, viewUser)
	return out, total, err
}

// AdminLabelInput is a label an admin writes on the user UID. Description
// "" keeps the current one.
type AdminLabelInput struct {
	UID, Key, Value, Scope, Description string
}

// normalize lower-cases and squishes key and value as the Label model does.
func (in *AdminLabelInput) normalize() {
	in.Key = squish(strings.ToLower(in.Key))
	in.Value = squish(strings.ToLower(in.Value))
}

func checkDescription(desc string) error {
	if utf8.RuneCountInString(desc) > maxLabelDescriptionLength {
		return barong.Invalid("description.too_long")
	}
	return nil
}

// AdminCreate is POST /admin/users/labels: a new label (scope public
// when not given). Private labels recompute state and level. Errors: 404
// admin.user.doesnt_exist; 422 admin.user.superadmin_change,
// admin.user.update_himself (Barong let an admin label himself), key.taken and
// the Label model's keys (key.invalid, value.too_short, scope.inclusion ...).
func (s *Labels) AdminCreate(ctx context.Context, actor barong.Actor, in AdminLabelInput) error {
	if err := s.mayAdmin(ctx, actor, actCreate, modelLabel); err != nil {
		return err
	}
	admin := actor.User
	in.normalize()
	if in.Scope == "" {
		in.Scope = barong.ScopePublic
	}
	if err := checkDescription(in.Description); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		u, err := s.otherTarget(ctx, tx, admin, in.UID, KeyAdminSuperadminChange)
		if err != nil {
			return err
		}
		if _, err := tx.LabelByKey(ctx, u.ID, in.Key, in.Scope); err == nil {
			return barong.Invalid("key.taken")
		} else if !isNotFound(err) {
			return fmt.Errorf("find label: %w", err)
		}
		_, err = s.setLabel(ctx, tx, u, in.Key, in.Value, in.Scope, in.Description)
		return err
	})
}

// AdminUpdate is POST /admin/users/labels/update (create when missing
// and createMissing) and PUT /admin/users/labels (createMissing false): it
// sets the value, and the description when one is given, of the user's
// label key in scope. Barong's POST update clears the description when none
// is sent (reference §12.4 item 12); barong-go keeps it. Errors: 404
// admin.user.doesnt_exist, admin.label.doesnt_exist; 422
// admin.user.superadmin_change, admin.user.update_himself and the Label
// model's keys.
func (s *Labels) AdminUpdate(ctx context.Context, actor barong.Actor, in AdminLabelInput, createMissing bool) error {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelLabel); err != nil {
		return err
	}
	admin := actor.User
	in.normalize()
	if err := checkDescription(in.Description); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		u, err := s.otherTarget(ctx, tx, admin, in.UID, KeyAdminSuperadminChange)
		if err != nil {
			return err
		}
		if _, err := tx.LabelByKey(ctx, u.ID, in.Key, in.Scope); isNotFound(err) && !createMissing {
			return barong.NotFound(KeyAdminLabelNotFound)
		} else if err != nil && !isNotFound(err) {
			return fmt.Errorf("find label: %w", err)
		}
		_, err = s.setLabel(ctx, tx, u, in.Key, in.Value, in.Scope, in.Description)
		return err
	})
}

// AdminDelete is DELETE /admin/users/labels: it deletes the user's
// label key in scope, recomputing state and level for a private one. Barong
// emits no event for it. Errors: 404 admin.user.doesnt_exist,
// admin.label.doesnt_exist; 422 admin.user.superadmin_change,
// admin.user.update_himself.
func (s *Labels) AdminDelete(ctx context.Context, actor barong.Actor, uid, key, scope string) error {
	if err := s.mayAdmin(ctx, actor, actDestroy, modelLabel); err != nil {
		return err
	}
	admin := actor.User
	key = squish(strings.ToLower(key))
	return s.inTx(ctx, func(tx *txn) error {
		u, err := s.otherTarget(ctx, tx, admin, uid, KeyAdminSuperadminChange)
		if err != nil {
			return err
		}
		l, err := tx.LabelByKey(ctx, u.ID, key, scope)
		if isNotFound(err) {
			return barong.NotFound(KeyAdminLabelNotFound)
		}
		if err != nil {
			return fmt.Errorf("find label: %w", err)
		}
		return s.deleteLabel(ctx, tx, u, l, false)
	})
}

// checkComment applies the comment limits: 422
// admin.comments.title_too_long (over 64 characters),
// admin.comments.data_too_long (over 65535 bytes).
func checkComment(title, data *string) error {
	var v barong.ValidationErrors
	if title != nil && utf8.RuneCountInString(*title) > maxCommentTitle {
		v.Add(KeyAdminCommentTitleLong)
	}
	if data != nil && len(*data) > maxCommentData { // bytes: the column is a MariaDB TEXT
		v.Add(KeyAdminCommentDataLong)
	}
	return v.Err()
}

func commentNotFound(err error) error {
	if isNotFound(err) {
		return barong.NotFound(keyRecordNotFound)
	}
	return fmt.Errorf("load comment: %w", err)
}

// adminUserByID loads the KYC view of the user id.
func (s *core) adminUserByID(ctx context.Context, id int64) (*AdminUser, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, barong.NotFound(KeyAdminUserNotFound)
		}
		return nil, fmt.Errorf("load user: %w", err)
	}
	return s.adminUser(ctx, u)
}
