package sqlstore

import (
	"context"
	"fmt"

	"github.com/barong-go/barong"
)

const labelCols = `id, user_id, "key", value, scope, description, created_at, updated_at`

func scanLabel(s scanner) (barong.Label, error) {
	var l barong.Label
	err := s.Scan(&l.ID, &l.UserID, &l.Key, &l.Value, &l.Scope, str{&l.Description},
		timestamp{&l.CreatedAt}, timestamp{&l.UpdatedAt})
	return l, err
}

// LabelsByUser lists a user's labels by created_at, id.
func (q queries) LabelsByUser(ctx context.Context, userID int64) ([]barong.Label, error) {
	ls, err := list(ctx, q.r, scanLabel, "SELECT "+labelCols+" FROM labels WHERE user_id = ? ORDER BY created_at, id", userID)
	if err != nil {
		return nil, fmt.Errorf("labels of user %d: %w", userID, err)
	}
	return ls, nil
}

// LabelByKey finds a label of a user; scope "" matches any scope, lowest
// id first.
func (q queries) LabelByKey(ctx context.Context, userID int64, key, scope string) (*barong.Label, error) {
	var w where
	w.add("user_id = ?", userID)
	w.add(`"key" = ?`, key)
	if scope != "" {
		w.add("scope = ?", scope)
	}
	l, err := scanLabel(q.r.queryRow(ctx, "SELECT "+labelCols+" FROM labels"+w.String()+" ORDER BY id LIMIT 1", w.args...))
	if err != nil {
		return nil, notFound(err, "label %q of user %d", key, userID)
	}
	return &l, nil
}

// CreateLabel inserts l; an empty Scope is public.
func (q queries) CreateLabel(ctx context.Context, l *barong.Label) error {
	if l.Scope == "" {
		l.Scope = barong.ScopePublic
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO labels (user_id, "key", value, scope, description, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, l.UserID, l.Key, l.Value, l.Scope, nullStr(l.Description), now, now)
	if err != nil {
		return fmt.Errorf("create label: %w", err)
	}
	l.ID, l.CreatedAt, l.UpdatedAt = id, now, now
	return nil
}

// UpdateLabel writes key, value, scope and description of l.
func (q queries) UpdateLabel(ctx context.Context, l *barong.Label) error {
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE labels SET "key" = ?, value = ?, scope = ?, description = ?, updated_at = ?
		WHERE id = ?`, l.Key, l.Value, l.Scope, nullStr(l.Description), now, l.ID))
	if err := q.updated(ctx, n, err, "labels", l.ID); err != nil {
		return err
	}
	l.UpdatedAt = now
	return nil
}

// DeleteLabel deletes a label.
func (q queries) DeleteLabel(ctx context.Context, id int64) error {
	return q.deleteByID(ctx, "labels", id)
}

// Levels lists levels by id.
func (q queries) Levels(ctx context.Context) ([]barong.Level, error) {
	ls, err := list(ctx, q.r, func(s scanner) (barong.Level, error) {
		var l barong.Level
		err := s.Scan(&l.ID, &l.Key, str{&l.Value}, str{&l.Description})
		return l, err
	}, `SELECT id, "key", value, description FROM levels ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	return ls, nil
}

// CreateLevel inserts l. A zero ID takes the next id; a set ID (the level
// number) is kept.
func (q queries) CreateLevel(ctx context.Context, l *barong.Level) error {
	now := q.now()
	if l.ID == 0 {
		id, err := q.w.insert(ctx, `INSERT INTO levels ("key", value, description, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)`, l.Key, nullStr(l.Value), nullStr(l.Description), now, now)
		if err != nil {
			return fmt.Errorf("create level: %w", err)
		}
		l.ID = id
		return nil
	}
	if _, err := q.w.exec(ctx, `INSERT INTO levels (id, "key", value, description, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, l.ID, l.Key, nullStr(l.Value), nullStr(l.Description), now, now); err != nil {
		return fmt.Errorf("create level %d: %w", l.ID, err)
	}
	if q.w.d.name == DialectPostgres {
		// An explicit id does not advance the identity sequence.
		if _, err := q.w.exec(ctx, `SELECT setval(pg_get_serial_sequence('levels', 'id'), (SELECT MAX(id) FROM levels))`); err != nil {
			return fmt.Errorf("create level %d: %w", l.ID, err)
		}
	}
	return nil
}
