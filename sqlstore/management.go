package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/barong-go/barong"
)

// ListLabeledUsers returns a page of the users having a label with key
// f.LabelKey (value and scope narrowed only when f.LabelValue and
// f.LabelScope are set) and the number of all matches; the other fields
// of f filter as in ListUsers. A user with several matching labels is
// listed once.
func (q queries) ListLabeledUsers(ctx context.Context, f barong.UserFilter) ([]barong.User, int64, error) {
	if f.LabelKey == "" {
		return nil, 0, errors.New("list labeled users: no label key")
	}
	cond, args := `"key" = ?`, []any{f.LabelKey}
	if f.LabelValue != "" {
		cond += " AND value = ?"
		args = append(args, f.LabelValue)
	}
	if f.LabelScope != "" {
		cond += " AND scope = ?"
		args = append(args, f.LabelScope)
	}
	w := q.userFilterWhere(f)
	w.add("id IN (SELECT user_id FROM labels WHERE "+cond+")", args...)
	order, err := orderBy(f.Order, userOrderCols)
	if err != nil {
		return nil, 0, fmt.Errorf("list labeled users: %w", err)
	}
	total, err := count(ctx, q.r, "SELECT COUNT(*) FROM users"+w.String(), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("count labeled users: %w", err)
	}
	limit, largs := page(f.Page)
	users, err := list(ctx, q.r, scanUser, "SELECT "+userCols+" FROM users"+w.String()+order+limit,
		append(w.args, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list labeled users: %w", err)
	}
	return users, total, nil
}

// userFilterWhere is the WHERE clause of the user columns of f (the label
// fields aside): the conditions ListUsers applies.
func (q queries) userFilterWhere(f barong.UserFilter) *where {
	w := &where{}
	if f.UID != "" {
		w.add("uid = ?", f.UID)
	}
	if f.Email != "" {
		w.add(q.r.d.ciEqual("email"), f.Email)
	}
	if f.Username != "" {
		w.add("username = ?", f.Username)
	}
	if f.Role != "" {
		w.add("role = ?", f.Role)
	}
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Level != nil {
		w.add("level = ?", *f.Level)
	}
	if f.Country != "" {
		w.add("id IN (SELECT user_id FROM profiles WHERE country = ?)", f.Country)
	}
	col := "created_at"
	if f.RangeField == "updated_at" || f.RangeField == "updated" {
		col = "updated_at"
	}
	if !f.From.IsZero() {
		w.add(col+" >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add(col+" <= ?", f.To)
	}
	return w
}
