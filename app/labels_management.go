package app

import (
	"context"
	"fmt"
	"strings"

	barong "github.com/barong-go/barong"
)

// MsgLabelNotFound answers PUT /management/labels for a missing label
// when replace is false (404).
const MsgLabelNotFound = "label doesnt exist"

// ManagementList is POST /management/labels/list: every label of the
// user uid, public and private, by creation. Unknown uid: 404.
func (s *Labels) ManagementList(ctx context.Context, actor barong.Actor, uid string) ([]barong.Label, error) {
	if err := s.mayManage(ctx, actor, "read_labels"); err != nil {
		return nil, err
	}
	u, err := mgmtUserOr(ctx, s.store, uid, mgmtRecordNotFound())
	if err != nil {
		return nil, err
	}
	ls, err := s.store.LabelsByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	return ls, nil
}

// ManagementCreate is POST /management/labels: a private label of the
// user uid (key and value lower-cased and squished), which recomputes his
// state and level. Unknown uid: 404; invalid or taken key, invalid value:
// *ModelError (key.taken, key.invalid, value.too_short ...).
func (s *Labels) ManagementCreate(ctx context.Context, actor barong.Actor, uid, key, value, description string) (*barong.Label, error) {
	if err := s.mayManage(ctx, actor, "write_labels"); err != nil {
		return nil, err
	}
	key, value = squish(strings.ToLower(key)), squish(strings.ToLower(value))
	var l *barong.Label
	err := s.inTx(ctx, func(tx *txn) error {
		u, err := mgmtUserOr(ctx, tx, uid, mgmtRecordNotFound())
		if err != nil {
			return err
		}
		var v barong.ValidationErrors
		checkLabelPart(&v, "key", key)
		if _, err := tx.LabelByKey(ctx, u.ID, key, barong.ScopePrivate); err == nil {
			v.Add("key.taken")
		} else if !isNotFound(err) {
			return fmt.Errorf("find label: %w", err)
		}
		checkLabelPart(&v, "value", value)
		if err := mgmtModelErr(v); err != nil {
			return err
		}
		l, err = s.setLabel(ctx, tx, u, key, value, barong.ScopePrivate, description)
		return mgmtAsModel(err)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ManagementUpdate is PUT /management/labels: it sets the value (and
// the description, when not "") of the user's private label key. A
// missing label is created when replace, else 404 label doesnt exist.
// Unknown uid: 404; invalid values: *ModelError.
func (s *Labels) ManagementUpdate(ctx context.Context, actor barong.Actor, uid, key, value, description string, replace bool) (*barong.Label, error) {
	if err := s.mayManage(ctx, actor, "write_labels"); err != nil {
		return nil, err
	}
	key, value = squish(strings.ToLower(key)), squish(strings.ToLower(value))
	var l *barong.Label
	err := s.inTx(ctx, func(tx *txn) error {
		u, err := mgmtUserOr(ctx, tx, uid, mgmtRecordNotFound())
		if err != nil {
			return err
		}
		var v barong.ValidationErrors
		switch _, err := tx.LabelByKey(ctx, u.ID, key, barong.ScopePrivate); {
		case isNotFound(err):
			if !replace {
				return barong.NotFound(MsgLabelNotFound)
			}
			checkLabelPart(&v, "key", key)
		case err != nil:
			return fmt.Errorf("find label: %w", err)
		}
		checkLabelPart(&v, "value", value)
		if err := mgmtModelErr(v); err != nil {
			return err
		}
		l, err = s.setLabel(ctx, tx, u, key, value, barong.ScopePrivate, description)
		return mgmtAsModel(err)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ManagementDelete is POST /management/labels/delete: it deletes the
// user's private label key and recomputes his state and level. Unknown uid
// or label: 404.
func (s *Labels) ManagementDelete(ctx context.Context, actor barong.Actor, uid, key string) error {
	if err := s.mayManage(ctx, actor, "write_labels"); err != nil {
		return err
	}
	key = squish(strings.ToLower(key))
	return s.inTx(ctx, func(tx *txn) error {
		u, err := mgmtUserOr(ctx, tx, uid, mgmtRecordNotFound())
		if err != nil {
			return err
		}
		l, err := tx.LabelByKey(ctx, u.ID, key, barong.ScopePrivate)
		if err != nil {
			if isNotFound(err) {
				return mgmtRecordNotFound()
			}
			return fmt.Errorf("find label: %w", err)
		}
		return s.deleteLabel(ctx, tx, u, l, false)
	})
}

// ManagementUsers is POST /management/labels/filter/users: a page
// of the users having a label f.LabelKey (value and scope when set), with
// their profiles when extended, and the number of all matches.
func (s *Labels) ManagementUsers(ctx context.Context, actor barong.Actor, f barong.UserFilter, extended bool) ([]ManagementUser, int64, error) {
	if err := s.mayManage(ctx, actor, "read_users"); err != nil {
		return nil, 0, err
	}
	users, total, err := s.store.ListLabeledUsers(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list labeled users: %w", err)
	}
	out, err := s.mgmtUsersPage(ctx, users, extended)
	return out, total, err
}
