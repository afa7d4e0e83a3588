package app

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

var labelRe = regexp.MustCompile(`^[a-z0-9_-]+$`)

// normalizeLabel lower-cases and squishes key and value, then validates them
// as Barong's Label model does (reference §3.5).
func normalizeLabel(v *barong.ValidationErrors, l *barong.Label) {
	l.Key = squish(strings.ToLower(l.Key))
	l.Value = squish(strings.ToLower(l.Value))
	checkLabelPart(v, "key", l.Key)
	checkLabelPart(v, "value", l.Value)
	if utf8.RuneCountInString(l.Description) > maxLabelDescriptionLength { // the column's size
		v.Add("description.too_long")
	}
	if l.Scope != barong.ScopePublic && l.Scope != barong.ScopePrivate {
		v.Add("scope.inclusion")
	}
}

func checkLabelPart(v *barong.ValidationErrors, attr, s string) {
	switch {
	case s == "":
		v.Add(attr + ".blank")
	case len(s) < 3:
		v.Add(attr + ".too_short")
	case len(s) > 255:
		v.Add(attr + ".too_long")
	}
	if s != "" && !labelRe.MatchString(s) {
		v.Add(attr + ".invalid")
	}
}

func squish(s string) string { return strings.Join(strings.Fields(s), " ") }

// setLabel creates the label (or updates its value when one with the same
// key and scope exists), emits the model events, and recomputes the user's
// state and level when the label is private (reference §3.4).
//
// The user's row is locked first and *u reloaded from it: concurrent label
// changes of one user are serialised, and each recomputation sees the
// labels of the others.
func (s *core) setLabel(ctx context.Context, tx *txn, u *barong.User, key, value, scope, description string) (*barong.Label, error) {
	l := &barong.Label{UserID: u.ID, Key: key, Value: value, Scope: scope, Description: description}
	var v barong.ValidationErrors
	normalizeLabel(&v, l)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := tx.lockUser(ctx, u); err != nil {
		return nil, err
	}
	cur, err := tx.LabelByKey(ctx, u.ID, l.Key, l.Scope)
	switch {
	case err == nil:
		before := *cur
		cur.Value = l.Value
		if description != "" {
			cur.Description = description
		}
		if before.Value == cur.Value && before.Description == cur.Description {
			return cur, nil
		}
		if err := tx.UpdateLabel(ctx, cur); err != nil {
			return nil, fmt.Errorf("update label: %w", err)
		}
		l = cur
		changes := &entity.LabelChanges{}
		if before.Value != cur.Value {
			changes.Value = &before.Value
		}
		if before.Description != "" && before.Description != cur.Description {
			changes.Description = &before.Description
		}
		if err := s.emitLabel(ctx, tx, u, l, "model.label.updated", changes); err != nil {
			return nil, err
		}
	case isNotFound(err):
		if err := tx.CreateLabel(ctx, l); err != nil {
			return nil, duplicateToInvalid(err)
		}
		if err := s.emitLabel(ctx, tx, u, l, "model.label.created", nil); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("find label: %w", err)
	}
	if l.Scope == barong.ScopePrivate {
		if err := s.recompute(ctx, tx, u); err != nil {
			return nil, err
		}
		if err := s.emitDocumentVerdict(ctx, tx, u, l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// deleteLabel removes l and recomputes when it was private, unless raw,
// under the user's row lock (as setLabel).
func (s *core) deleteLabel(ctx context.Context, tx *txn, u *barong.User, l *barong.Label, raw bool) error {
	if err := tx.lockUser(ctx, u); err != nil {
		return err
	}
	if err := tx.DeleteLabel(ctx, l.ID); err != nil {
		return fmt.Errorf("delete label: %w", err)
	}
	if l.Scope == barong.ScopePrivate && !raw {
		return s.recompute(ctx, tx, u)
	}
	return nil
}

// recompute applies the labels → state, then level, rules to u, saving each
// change as its own update, as Barong does (two model.user.updated events).
// The caller holds u's row lock (setLabel, deleteLabel).
func (s *core) recompute(ctx context.Context, tx *txn, u *barong.User) error {
	labels, err := tx.LabelsByUser(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("load labels: %w", err)
	}
	if st := s.cfg.Rules.ComputeState(labels); st != u.State {
		before := *u
		u.State = st
		if err := s.updateUser(ctx, tx, before, u); err != nil {
			return err
		}
	}
	levels, err := tx.Levels(ctx)
	if err != nil {
		return fmt.Errorf("load levels: %w", err)
	}
	if lv := barong.ComputeLevel(labels, levels); lv != u.Level {
		before := *u
		u.Level = lv
		if err := s.updateUser(ctx, tx, before, u); err != nil {
			return err
		}
	}
	return nil
}

// labelRecord is the label representation of events.
func (s *core) labelRecord(ctx context.Context, tx barong.UserQueries, u *barong.User, l *barong.Label) (entity.LabelRecord, error) {
	user, err := s.userRecord(ctx, tx, u)
	if err != nil {
		return entity.LabelRecord{}, err
	}
	return entity.NewLabelRecord(l, user), nil
}

func (s *core) emitLabel(ctx context.Context, tx *txn, u *barong.User, l *barong.Label, name string, changes *entity.LabelChanges) error {
	rec, err := s.labelRecord(ctx, tx, u, l)
	if err != nil {
		return err
	}
	payload := entity.Payload{Record: rec.Compact()}
	if changes != nil {
		payload.Changes = changes
	}
	return tx.Emit(ctx, barong.Event{Name: name, Payload: payload})
}

// emitDocumentVerdict emits system.document.verified/rejected when the
// private document label takes those values; the record is the label
// representation with its nulls (reference §9.4).
func (s *core) emitDocumentVerdict(ctx context.Context, tx *txn, u *barong.User, l *barong.Label) error {
	if l.Key != "document" || (l.Value != "verified" && l.Value != "rejected") {
		return nil
	}
	rec, err := s.labelRecord(ctx, tx, u, l)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, systemEvent("system.document."+l.Value, rec))
}

// systemEvent is a system event as Barong 2.7 emits it (reference §9.2,
// §9.4): its members under "record", then "name". Consumers written for
// Barong 2.7 (its mailer, applogic) read record.user, record.token.
func systemEvent(name string, rec any) barong.Event {
	return barong.Event{Name: name, Payload: entity.Payload{Record: rec}}
}
