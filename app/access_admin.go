package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
)

// Admin API error keys of permissions and restrictions (reference §8.1).
const (
	KeyPermissionInvalidVerb   = "admin.permissions.invalid_verb"
	KeyPermissionInvalidAction = "admin.permissions.invalid_action"
	KeyPermissionNoRole        = "admin.permission.role_doesnt_exist"
	KeyPermissionNotFound      = "admin.permission.doesnt_exist"
	KeyRestrictionNotFound     = "admin.restriction.doesnt_exist"
	maxPermissionField         = 255
	maxRestrictionValue        = 64
)

// PermissionVerbs and PermissionActions are the values the admin API
// accepts (case-insensitive) for a permission's verb and action.
var (
	PermissionVerbs   = []string{"GET", "POST", "DELETE", "PUT", "HEAD", "PATCH", "ALL"}
	PermissionActions = []string{"ACCEPT", "DROP", "AUDIT"}
)

// Levels is GET /admin/levels: a page of the levels by id and their
// number.
func (s *Access) Levels(ctx context.Context, actor barong.Actor, p barong.Page) ([]barong.Level, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelLevel); err != nil {
		return nil, 0, err
	}
	ls, err := s.store.Levels(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("load levels: %w", err)
	}
	page, total := pageOf(ls, p)
	return page, total, nil
}

// pageOf returns the page p of items and the number of all items.
func pageOf[T any](items []T, p barong.Page) ([]T, int64) {
	lo := min(p.Offset(), len(items))
	hi := min(lo+p.Limit, len(items))
	return items[lo:hi], int64(len(items))
}

// Permissions is GET /admin/permissions: a page of the permissions by
// id and their number.
func (s *Access) Permissions(ctx context.Context, actor barong.Actor, p barong.Page) ([]barong.Permission, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelPermission); err != nil {
		return nil, 0, err
	}
	ps, err := s.store.Permissions(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("load permissions: %w", err)
	}
	page, total := pageOf(ps, p)
	return page, total, nil
}

// PermissionInput holds the fields of a permission write; nil was not sent.
type PermissionInput struct {
	Role, Verb, Path, Action, Topic *string
}

// apply validates the sent fields and copies them, upper-cased where
// Barong upper-cases, into p. Barong validates verb and action on create
// only; barong-go validates them on update too, so no permission can hold
// a verb or action the engine never matches.
func (in PermissionInput) apply(p *barong.Permission) error {
	var v barong.ValidationErrors
	if in.Verb != nil {
		verb := strings.ToUpper(strings.TrimSpace(*in.Verb))
		if !slices.Contains(PermissionVerbs, verb) {
			v.Add(KeyPermissionInvalidVerb)
		}
		p.Verb = verb
	}
	if in.Action != nil {
		action := strings.ToUpper(strings.TrimSpace(*in.Action))
		if !slices.Contains(PermissionActions, action) {
			v.Add(KeyPermissionInvalidAction)
		}
		p.Action = action
	}
	for _, f := range []struct {
		attr string
		src  *string
		dst  *string
	}{{"role", in.Role, &p.Role}, {"path", in.Path, &p.Path}, {"topic", in.Topic, &p.Topic}} {
		if f.src == nil {
			continue
		}
		if utf8.RuneCountInString(*f.src) > maxPermissionField {
			v.Add(f.attr + ".too_long")
		}
		*f.dst = *f.src
	}
	return v.Err()
}

// CreatePermission is POST /admin/permissions: a permission for a
// role that already has one. Errors: 422 admin.permissions.invalid_verb,
// admin.permissions.invalid_action, admin.permission.role_doesnt_exist.
// The authz snapshot is reloaded after the commit (other processes reload
// within their refresh interval).
func (s *Access) CreatePermission(ctx context.Context, actor barong.Actor, in PermissionInput) (*barong.Permission, error) {
	if err := s.mayAdmin(ctx, actor, actCreate, modelPermission); err != nil {
		return nil, err
	}
	p := &barong.Permission{}
	if err := in.apply(p); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.checkPermissionRole(ctx, tx, p.Role); err != nil {
			return err
		}
		if err := tx.CreatePermission(ctx, p); err != nil {
			return fmt.Errorf("create permission: %w", err)
		}
		tx.after = append(tx.after, s.permissionsChanged)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *core) checkPermissionRole(ctx context.Context, q barong.PermissionQueries, role string) error {
	ok, err := s.roleExists(ctx, q, role)
	if err != nil {
		return err
	}
	if !ok {
		return barong.Invalid(KeyPermissionNoRole)
	}
	return nil
}

// UpdatePermission is PUT /admin/permissions: it changes the sent
// fields of permission id. Errors: 404 admin.permission.doesnt_exist; 422
// as AdminCreatePermission (a changed role must exist).
func (s *Access) UpdatePermission(ctx context.Context, actor barong.Actor, id int64, in PermissionInput) error {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelPermission); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		p, err := tx.PermissionByID(ctx, id)
		if isNotFound(err) {
			return barong.NotFound(KeyPermissionNotFound)
		}
		if err != nil {
			return fmt.Errorf("load permission: %w", err)
		}
		before := *p
		if err := in.apply(p); err != nil {
			return err
		}
		if p.Role != before.Role {
			if err := s.checkPermissionRole(ctx, tx, p.Role); err != nil {
				return err
			}
		}
		if err := tx.UpdatePermission(ctx, p); err != nil {
			return fmt.Errorf("update permission: %w", err)
		}
		tx.after = append(tx.after, s.permissionsChanged)
		return nil
	})
}

// DeletePermission is DELETE /admin/permissions; 404
// admin.permission.doesnt_exist.
func (s *Access) DeletePermission(ctx context.Context, actor barong.Actor, id int64) error {
	if err := s.mayAdmin(ctx, actor, actDestroy, modelPermission); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		if err := tx.DeletePermission(ctx, id); err != nil {
			if isNotFound(err) {
				return barong.NotFound(KeyPermissionNotFound)
			}
			return fmt.Errorf("delete permission: %w", err)
		}
		tx.after = append(tx.after, s.permissionsChanged)
		return nil
	})
}

func (s *core) permissionsChanged(ctx context.Context) {
	if s.svc.OnPermissionsChanged != nil {
		s.svc.OnPermissionsChanged(ctx)
	}
}

// RestrictionQuery filters GET /admin/restrictions: "" matches any scope or
// category; From and To (zero = unbounded, both inclusive) bound
// created_at, or updated_at when Updated.
type RestrictionQuery struct {
	Scope, Category string
	Updated         bool
	From, To        time.Time
	Page            barong.Page
}

// Restrictions is GET /admin/restrictions: a page of the matching
// restrictions by id and their number.
func (s *Access) Restrictions(ctx context.Context, actor barong.Actor, q RestrictionQuery) ([]barong.Restriction, int64, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelRestriction); err != nil {
		return nil, 0, err
	}
	rs, err := s.store.Restrictions(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("load restrictions: %w", err)
	}
	out := rs[:0]
	for _, r := range rs {
		at := r.CreatedAt
		if q.Updated {
			at = r.UpdatedAt
		}
		if (q.Scope != "" && r.Scope != q.Scope) || (q.Category != "" && r.Category != q.Category) ||
			(!q.From.IsZero() && at.Before(q.From)) || (!q.To.IsZero() && at.After(q.To)) {
			continue
		}
		out = append(out, r)
	}
	page, total := pageOf(out, q.Page)
	return page, total, nil
}

// RestrictionInput holds the fields of a restriction write; nil was not
// sent.
type RestrictionInput struct {
	Scope, Value, Category, State *string
	Code                          *int
}

func (in RestrictionInput) apply(r *barong.Restriction) error {
	for _, f := range []struct{ src, dst *string }{
		{in.Scope, &r.Scope}, {in.Value, &r.Value}, {in.Category, &r.Category}, {in.State, &r.State},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.Code != nil {
		r.Code = *in.Code
	}
	if utf8.RuneCountInString(r.Value) > maxRestrictionValue {
		return barong.Invalid("value.too_long")
	}
	return prepareRestriction(r)
}

// CreateRestriction is POST /admin/restrictions. Errors: 422
// value.taken, value.invalid, value.too_long and the other keys of the
// Restriction model. Barong deletes every session of every user when an
// enabled blocklogin restriction is saved (reference §3.5 Note, §12.4 item
// 8); barong-go does not: a blocklogin restriction refuses new logins from
// the places it matches (authz, on the sessions path), while sessions are
// bound to their login network (/16, /96) and expire when idle, so users
// elsewhere, and the admin who made the change, stay signed in. A
// blacklist restriction cuts a place off at once, on every request.
func (s *Access) CreateRestriction(ctx context.Context, actor barong.Actor, in RestrictionInput) (*barong.Restriction, error) {
	if err := s.mayAdmin(ctx, actor, actCreate, modelRestriction); err != nil {
		return nil, err
	}
	r := &barong.Restriction{}
	if err := in.apply(r); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if err := tx.CreateRestriction(ctx, r); err != nil {
			return duplicateToInvalid(err)
		}
		tx.after = append(tx.after, s.restrictionsChanged)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRestriction is PUT /admin/restrictions: it changes the sent
// fields of restriction id. Errors: 404 admin.restriction.doesnt_exist;
// 422 as AdminCreateRestriction.
func (s *Access) UpdateRestriction(ctx context.Context, actor barong.Actor, id int64, in RestrictionInput) error {
	if err := s.mayAdmin(ctx, actor, actUpdate, modelRestriction); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		r, err := tx.RestrictionByID(ctx, id)
		if isNotFound(err) {
			return barong.NotFound(KeyRestrictionNotFound)
		}
		if err != nil {
			return fmt.Errorf("load restriction: %w", err)
		}
		if err := in.apply(r); err != nil {
			return err
		}
		if err := tx.UpdateRestriction(ctx, r); err != nil {
			return duplicateToInvalid(err)
		}
		tx.after = append(tx.after, s.restrictionsChanged)
		return nil
	})
}

// DeleteRestriction is DELETE /admin/restrictions; 404
// admin.restriction.doesnt_exist.
func (s *Access) DeleteRestriction(ctx context.Context, actor barong.Actor, id int64) error {
	if err := s.mayAdmin(ctx, actor, actDestroy, modelRestriction); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		if err := tx.DeleteRestriction(ctx, id); err != nil {
			if isNotFound(err) {
				return barong.NotFound(KeyRestrictionNotFound)
			}
			return fmt.Errorf("delete restriction: %w", err)
		}
		tx.after = append(tx.after, s.restrictionsChanged)
		return nil
	})
}

// Whitelink is POST /admin/restrictions/whitelink: a token of 64 hex
// characters (SHA-256 of 10 random bytes) valid for ttl, which POST
// /identity/users/access exchanges once for a whitelist restriction of the
// caller's IP.
func (s *Access) Whitelink(ctx context.Context, actor barong.Actor, ttl time.Duration) (string, error) {
	if err := s.mayAdmin(ctx, actor, actCreate, modelRestriction); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(randHex(10)))
	tok := hex.EncodeToString(sum[:])
	if err := s.kv.Set(ctx, "whitelink:"+tok, "active", ttl); err != nil {
		return "", fmt.Errorf("store whitelink token: %w", err)
	}
	return tok, nil
}
