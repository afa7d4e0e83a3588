package sqlstore

import (
	"context"
	"fmt"

	"github.com/barong-go/barong"
)

const userCols = `id, uid, username, email, password_digest, role, data, level, otp, state, referral_id, created_at, updated_at`

// userOrderCols are the columns ListUsers may sort by.
var userOrderCols = []string{"id", "uid", "username", "email", "role", "level", "otp", "state", "referral_id", "created_at", "updated_at"}

func scanUser(s scanner) (barong.User, error) {
	var u barong.User
	err := s.Scan(userDest(&u)...)
	return u, err
}

// userDest is what a row of userCols scans into.
func userDest(u *barong.User) []any {
	return []any{&u.ID, &u.UID, str{&u.Username}, &u.Email, &u.PasswordDigest, &u.Role, str{&u.Data},
		&u.Level, &u.OTP, &u.State, integer{&u.ReferralID}, timestamp{&u.CreatedAt}, timestamp{&u.UpdatedAt}}
}

func (q queries) userBy(ctx context.Context, cond string, arg any) (*barong.User, error) {
	u, err := scanUser(q.r.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE "+cond, arg))
	if err != nil {
		return nil, notFound(err, "user %v", arg)
	}
	return &u, nil
}

// UserByID finds a user by id.
func (q queries) UserByID(ctx context.Context, id int64) (*barong.User, error) {
	return q.userBy(ctx, "id = ?", id)
}

// UserByUID finds a user by uid.
func (q queries) UserByUID(ctx context.Context, uid string) (*barong.User, error) {
	return q.userBy(ctx, "uid = ?", uid)
}

// UserByEmail finds a user by e-mail, case-insensitively.
func (q queries) UserByEmail(ctx context.Context, email string) (*barong.User, error) {
	return q.userBy(ctx, q.r.d.ciEqual("email"), email)
}

// UserByUsername finds a user by username.
func (q queries) UserByUsername(ctx context.Context, username string) (*barong.User, error) {
	return q.userBy(ctx, "username = ?", username)
}

// CountUsers counts all users.
func (q queries) CountUsers(ctx context.Context) (int64, error) {
	n, err := count(ctx, q.r, "SELECT COUNT(*) FROM users")
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateUser inserts u; an empty Role or State gets Barong's default
// (member, pending).
func (q queries) CreateUser(ctx context.Context, u *barong.User) error {
	if u.Role == "" {
		u.Role = barong.RoleMember
	}
	if u.State == "" {
		u.State = barong.StatePending
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO users (uid, username, email, password_digest, role, data, level, otp, state,
		referral_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.UID, nullStr(u.Username), u.Email, u.PasswordDigest, u.Role, nullStr(u.Data), u.Level, u.OTP, u.State,
		nullInt(u.ReferralID), now, now)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// UpdateUser writes every column of u.
func (q queries) UpdateUser(ctx context.Context, u *barong.User) error {
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE users SET uid = ?, username = ?, email = ?, password_digest = ?, role = ?,
		data = ?, level = ?, otp = ?, state = ?, referral_id = ?, updated_at = ? WHERE id = ?`,
		u.UID, nullStr(u.Username), u.Email, u.PasswordDigest, u.Role, nullStr(u.Data), u.Level, u.OTP, u.State,
		nullInt(u.ReferralID), now, u.ID))
	if err := q.updated(ctx, n, err, "users", u.ID); err != nil {
		return err
	}
	u.UpdatedAt = now
	q.report(ctx, barong.Change{Kind: barong.ChangedUser, Key: u.UID})
	return nil
}

// UIDTaken reports whether a user or a service account has uid.
func (q queries) UIDTaken(ctx context.Context, uid string) (bool, error) {
	ok, err := exists(ctx, q.r, `SELECT 1 FROM users WHERE uid = ?
		UNION ALL SELECT 1 FROM service_accounts WHERE uid = ? LIMIT 1`, uid, uid)
	if err != nil {
		return false, fmt.Errorf("uid taken: %w", err)
	}
	return ok, nil
}

// ListUsers returns a page of users matching f and the number of all
// matches. Email matches case-insensitively; Country is a profile's
// country; the label filter matches a label of any scope unless LabelScope
// is set; From and To bound RangeField (created_at or updated_at), both
// inclusive. The default order is by id.
func (q queries) ListUsers(ctx context.Context, f barong.UserFilter) ([]barong.User, int64, error) {
	w := q.userFilterWhere(f) // sqlstore/management.go
	if f.LabelKey != "" || f.LabelValue != "" {
		cond, args := `"key" = ? AND value = ?`, []any{f.LabelKey, f.LabelValue}
		if f.LabelScope != "" {
			cond += " AND scope = ?"
			args = append(args, f.LabelScope)
		}
		w.add("id IN (SELECT user_id FROM labels WHERE "+cond+")", args...)
	}
	order, err := orderBy(f.Order, userOrderCols)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	total, err := count(ctx, q.r, "SELECT COUNT(*) FROM users"+w.String(), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	users, err := q.userPage(ctx, *w, order, f.Order, f.Page) // sqlstore/admin.go
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}
