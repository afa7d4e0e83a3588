package sqlstore

import (
	"context"
	"fmt"

	"github.com/barong-go/barong"
)

const dataStorageCols = `id, user_id, title, data, created_at, updated_at`

func scanDataStorage(s scanner) (barong.DataStorage, error) {
	var d barong.DataStorage
	err := s.Scan(&d.ID, &d.UserID, &d.Title, &d.Data, timestamp{&d.CreatedAt}, timestamp{&d.UpdatedAt})
	return d, err
}

// DataStoragesByUser lists a user's data storages by id.
func (q queries) DataStoragesByUser(ctx context.Context, userID int64) ([]barong.DataStorage, error) {
	ds, err := list(ctx, q.r, scanDataStorage, "SELECT "+dataStorageCols+" FROM data_storages WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("data storages of user %d: %w", userID, err)
	}
	return ds, nil
}

// CreateDataStorage inserts d; a title already used by the user (in any
// letter case) is a DuplicateError{Field: "title"}.
func (q queries) CreateDataStorage(ctx context.Context, d *barong.DataStorage) error {
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO data_storages (user_id, title, data, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)`, d.UserID, d.Title, d.Data, now, now)
	if err != nil {
		return fmt.Errorf("create data storage: %w", err)
	}
	d.ID, d.CreatedAt, d.UpdatedAt = id, now, now
	return nil
}

// DeleteDataStorage deletes a data storage.
func (q queries) DeleteDataStorage(ctx context.Context, id int64) error {
	return q.deleteByID(ctx, "data_storages", id)
}

const commentCols = `id, user_id, author_uid, title, data, created_at, updated_at`

func scanComment(s scanner) (barong.Comment, error) {
	var c barong.Comment
	err := s.Scan(&c.ID, &c.UserID, &c.AuthorUID, &c.Title, &c.Data, timestamp{&c.CreatedAt}, timestamp{&c.UpdatedAt})
	return c, err
}

// CommentsByUser lists the comments on a user by id.
func (q queries) CommentsByUser(ctx context.Context, userID int64) ([]barong.Comment, error) {
	cs, err := list(ctx, q.r, scanComment, "SELECT "+commentCols+" FROM comments WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("comments of user %d: %w", userID, err)
	}
	return cs, nil
}

// CommentByID finds a comment.
func (q queries) CommentByID(ctx context.Context, id int64) (*barong.Comment, error) {
	c, err := scanComment(q.r.queryRow(ctx, "SELECT "+commentCols+" FROM comments WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "comment %d", id)
	}
	return &c, nil
}

// CreateComment inserts c.
func (q queries) CreateComment(ctx context.Context, c *barong.Comment) error {
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO comments (user_id, author_uid, title, data, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.UserID, c.AuthorUID, c.Title, c.Data, now, now)
	if err != nil {
		return fmt.Errorf("create comment: %w", err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	return nil
}

// UpdateComment writes every column of c.
func (q queries) UpdateComment(ctx context.Context, c *barong.Comment) error {
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE comments SET user_id = ?, author_uid = ?, title = ?, data = ?, updated_at = ?
		WHERE id = ?`, c.UserID, c.AuthorUID, c.Title, c.Data, now, c.ID))
	if err := q.updated(ctx, n, err, "comments", c.ID); err != nil {
		return err
	}
	c.UpdatedAt = now
	return nil
}

// DeleteComment deletes a comment.
func (q queries) DeleteComment(ctx context.Context, id int64) error {
	return q.deleteByID(ctx, "comments", id)
}

const activityCols = `id, user_id, target_uid, category, user_ip, user_ip_country, user_agent, topic, action, result,
	data, created_at`

func scanActivity(s scanner) (barong.Activity, error) {
	var a barong.Activity
	err := s.Scan(&a.ID, &a.UserID, str{&a.TargetUID}, &a.Category, &a.UserIP, str{&a.UserIPCountry}, &a.UserAgent,
		&a.Topic, &a.Action, &a.Result, str{&a.Data}, timestamp{&a.CreatedAt})
	return a, err
}

// CreateActivity inserts a (activities are never updated).
func (q queries) CreateActivity(ctx context.Context, a *barong.Activity) error {
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO activities (user_id, target_uid, category, user_ip, user_ip_country,
		user_agent, topic, action, result, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.UserID, nullStr(a.TargetUID), a.Category, a.UserIP, nullStr(a.UserIPCountry), a.UserAgent, a.Topic,
		a.Action, a.Result, nullStr(a.Data), now)
	if err != nil {
		return fmt.Errorf("create activity: %w", err)
	}
	a.ID, a.CreatedAt = id, now
	return nil
}

// activityWhere is the WHERE clause of the activities matching f.
func activityWhere(f barong.ActivityFilter) where {
	var w where
	if f.UserID != 0 {
		w.add("user_id = ?", f.UserID)
	}
	for _, c := range []struct{ col, v string }{
		{"category", f.Category}, {"topic", f.Topic}, {"action", f.Action}, {"result", f.Result},
		{"target_uid", f.TargetUID},
	} {
		if c.v != "" {
			w.add(c.col+" = ?", c.v)
		}
	}
	if !f.From.IsZero() {
		w.add("created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", f.To)
	}
	return w
}

// ListActivities returns a page of activities matching f, newest (highest
// id) first, and the number of all matches.
func (q queries) ListActivities(ctx context.Context, f barong.ActivityFilter) ([]barong.Activity, int64, error) {
	w := activityWhere(f)
	total, err := count(ctx, q.r, "SELECT COUNT(*) FROM activities"+w.String(), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("count activities: %w", err)
	}
	limit, largs := page(f.Page)
	as, err := list(ctx, q.r, scanActivity, "SELECT "+activityCols+" FROM activities"+w.String()+" ORDER BY id DESC"+limit,
		append(w.args, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	return as, total, nil
}
