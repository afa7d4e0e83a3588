package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/barong-go/barong"
)

const permissionCols = `id, action, role, verb, path, topic, created_at, updated_at`

func scanPermission(s scanner) (barong.Permission, error) {
	var p barong.Permission
	err := s.Scan(&p.ID, &p.Action, &p.Role, &p.Verb, &p.Path, str{&p.Topic}, timestamp{&p.CreatedAt}, timestamp{&p.UpdatedAt})
	return p, err
}

// RulesVersion reads the fingerprint of the permissions and restrictions
// tables in one statement.
func (q queries) RulesVersion(ctx context.Context) (barong.RulesVersion, error) {
	var v barong.RulesVersion
	var p, r *time.Time
	err := q.r.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM permissions), (SELECT COALESCE(MAX(id), 0) FROM permissions),
		(SELECT MAX(updated_at) FROM permissions), (SELECT COUNT(*) FROM restrictions),
		(SELECT COALESCE(MAX(id), 0) FROM restrictions), (SELECT MAX(updated_at) FROM restrictions)`).
		Scan(integer{&v.Permissions}, integer{&v.MaxPermissionID}, nullTime{&p}, integer{&v.Restrictions},
			integer{&v.MaxRestrictionID}, nullTime{&r})
	if err != nil {
		return v, fmt.Errorf("rules version: %w", err)
	}
	for _, t := range []*time.Time{p, r} {
		if t != nil && t.After(v.LatestUpdate) {
			v.LatestUpdate = t.UTC()
		}
	}
	return v, nil
}

// Permissions lists every permission by id.
func (q queries) Permissions(ctx context.Context) ([]barong.Permission, error) {
	ps, err := list(ctx, q.r, scanPermission, "SELECT "+permissionCols+" FROM permissions ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("permissions: %w", err)
	}
	return ps, nil
}

// PermissionByID finds a permission.
func (q queries) PermissionByID(ctx context.Context, id int64) (*barong.Permission, error) {
	p, err := scanPermission(q.r.queryRow(ctx, "SELECT "+permissionCols+" FROM permissions WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "permission %d", id)
	}
	return &p, nil
}

// CreatePermission inserts p as given (callers upper-case action and verb).
func (q queries) CreatePermission(ctx context.Context, p *barong.Permission) error {
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO permissions (action, role, verb, path, topic, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.Action, p.Role, p.Verb, p.Path, nullStr(p.Topic), now, now)
	if err != nil {
		return fmt.Errorf("create permission: %w", err)
	}
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	return nil
}

// UpdatePermission writes every column of p.
func (q queries) UpdatePermission(ctx context.Context, p *barong.Permission) error {
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE permissions SET action = ?, role = ?, verb = ?, path = ?, topic = ?,
		updated_at = ? WHERE id = ?`, p.Action, p.Role, p.Verb, p.Path, nullStr(p.Topic), now, p.ID))
	if err := q.updated(ctx, n, err, "permissions", p.ID); err != nil {
		return err
	}
	p.UpdatedAt = now
	return nil
}

// DeletePermission deletes a permission.
func (q queries) DeletePermission(ctx context.Context, id int64) error {
	return q.deleteByID(ctx, "permissions", id)
}

// RoleExists reports whether any permission names role.
func (q queries) RoleExists(ctx context.Context, role string) (bool, error) {
	ok, err := exists(ctx, q.r, "SELECT 1 FROM permissions WHERE role = ? LIMIT 1", role)
	if err != nil {
		return false, fmt.Errorf("role exists: %w", err)
	}
	return ok, nil
}

const restrictionCols = `id, category, scope, value, code, state, created_at, updated_at`

func scanRestriction(s scanner) (barong.Restriction, error) {
	var r barong.Restriction
	var code int64
	err := s.Scan(&r.ID, &r.Category, &r.Scope, &r.Value, integer{&code}, &r.State, timestamp{&r.CreatedAt}, timestamp{&r.UpdatedAt})
	r.Code = int(code)
	return r, err
}

// Restrictions lists every restriction by id.
func (q queries) Restrictions(ctx context.Context) ([]barong.Restriction, error) {
	rs, err := list(ctx, q.r, scanRestriction, "SELECT "+restrictionCols+" FROM restrictions ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("restrictions: %w", err)
	}
	return rs, nil
}

// RestrictionByID finds a restriction.
func (q queries) RestrictionByID(ctx context.Context, id int64) (*barong.Restriction, error) {
	r, err := scanRestriction(q.r.queryRow(ctx, "SELECT "+restrictionCols+" FROM restrictions WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "restriction %d", id)
	}
	return &r, nil
}

// CreateRestriction inserts r; an empty State is enabled.
func (q queries) CreateRestriction(ctx context.Context, r *barong.Restriction) error {
	if r.State == "" {
		r.State = "enabled"
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO restrictions (category, scope, value, code, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.Category, r.Scope, r.Value, nullInt(int64(r.Code)), r.State, now, now)
	if err != nil {
		return fmt.Errorf("create restriction: %w", err)
	}
	r.ID, r.CreatedAt, r.UpdatedAt = id, now, now
	return nil
}

// UpdateRestriction writes every column of r.
func (q queries) UpdateRestriction(ctx context.Context, r *barong.Restriction) error {
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE restrictions SET category = ?, scope = ?, value = ?, code = ?, state = ?,
		updated_at = ? WHERE id = ?`, r.Category, r.Scope, r.Value, nullInt(int64(r.Code)), r.State, now, r.ID))
	if err := q.updated(ctx, n, err, "restrictions", r.ID); err != nil {
		return err
	}
	r.UpdatedAt = now
	return nil
}

// DeleteRestriction deletes a restriction.
func (q queries) DeleteRestriction(ctx context.Context, id int64) error {
	return q.deleteByID(ctx, "restrictions", id)
}
