package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	barong "github.com/barong-go/barong"
)

// List is GET /resource/labels (reference §6.3.2): every label of the
// user, public and private, by creation time (newest first when desc).
func (s *Labels) List(ctx context.Context, actor barong.Actor, desc bool) ([]barong.Label, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	ls, err := s.store.LabelsByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if desc {
		slices.Reverse(ls)
	}
	return ls, nil
}

// Get is GET /resource/labels/:key: the user's first label with key,
// of any scope; none is 404 record.not_found. Keys are stored lower-cased
// and matched in any letter case, as Barong on MySQL does.
func (s *Labels) Get(ctx context.Context, actor barong.Actor, key string) (*barong.Label, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	l, err := s.store.LabelByKey(ctx, u.ID, strings.ToLower(key), "")
	if err != nil {
		if isNotFound(err) {
			return nil, barong.NotFound("record.not_found")
		}
		return nil, fmt.Errorf("find label: %w", err)
	}
	return l, nil
}

// Create is POST /resource/labels: a public label, key and value
// lower-cased and squished, validated as Barong's Label model (422
// key.taken, key.invalid, value.too_short ...). Public labels never change
// the user's state or level.
func (s *Labels) Create(ctx context.Context, actor barong.Actor, key, value string) (*barong.Label, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	key, value = squish(strings.ToLower(key)), squish(strings.ToLower(value))
	var l *barong.Label
	err := s.inTx(ctx, func(tx *txn) error {
		var v barong.ValidationErrors
		checkLabelPart(&v, "key", key)
		if _, err := tx.LabelByKey(ctx, u.ID, key, barong.ScopePublic); err == nil {
			v.Add("key.taken")
		} else if !isNotFound(err) {
			return fmt.Errorf("find label: %w", err)
		}
		checkLabelPart(&v, "value", value)
		if err := v.Err(); err != nil {
			return err
		}
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		l, err = s.setLabel(ctx, tx, cur, key, value, barong.ScopePublic, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Update is PATCH /resource/labels/:key: it sets the value of
// the user's public label key. No such label is 404 record.not_found; a
// private one only is 400 resource.labels.private. Barong echoes an invalid
// value without saving it (reference Note); barong-go answers the
// validation error (422 value.invalid, value.too_short ...).
func (s *Labels) Update(ctx context.Context, actor barong.Actor, key, value string) (*barong.Label, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	value = squish(strings.ToLower(value))
	var l *barong.Label
	err := s.inTx(ctx, func(tx *txn) error {
		cur, err := publicLabel(ctx, tx, u.ID, key)
		if err != nil {
			return err
		}
		var v barong.ValidationErrors
		checkLabelPart(&v, "value", value)
		if err := v.Err(); err != nil {
			return err
		}
		user, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		l, err = s.setLabel(ctx, tx, user, cur.Key, value, barong.ScopePublic, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Delete is DELETE /resource/labels/:key, with the errors of
// UpdatePublicLabel. Barong emits no event for a deletion.
func (s *Labels) Delete(ctx context.Context, actor barong.Actor, key string) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	return s.inTx(ctx, func(tx *txn) error {
		l, err := publicLabel(ctx, tx, u.ID, key)
		if err != nil {
			return err
		}
		return s.deleteLabel(ctx, tx, u, l, false)
	})
}

// publicLabel finds the user's public label key. Barong takes the first
// label with the key whatever its scope, so a public label shadowed by an
// older private one of the same key could never be changed (reference
// Note); barong-go looks for the public one first. The key matches in any
// letter case.
func publicLabel(ctx context.Context, q barong.LabelQueries, userID int64, key string) (*barong.Label, error) {
	key = strings.ToLower(key)
	l, err := q.LabelByKey(ctx, userID, key, barong.ScopePublic)
	if err == nil {
		return l, nil
	}
	if !isNotFound(err) {
		return nil, fmt.Errorf("find label: %w", err)
	}
	if _, err := q.LabelByKey(ctx, userID, key, ""); err == nil {
		return nil, barong.BadRequest("resource.labels.private")
	} else if !isNotFound(err) {
		return nil, fmt.Errorf("find label: %w", err)
	}
	return nil, barong.NotFound("record.not_found")
}
