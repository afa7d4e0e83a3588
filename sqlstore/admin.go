package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/barong-go/barong"
)

// The reads of the admin API (reference §8.1): lists over all users,
// bulk loaders that keep extended lists at a fixed number of queries, and
// the counts of the metrics endpoint.

// chunkSize caps the ids of one IN (...) list.
const chunkSize = 500

// prefixed returns cols (a comma-separated column list) with each column
// qualified by alias.
func prefixed(cols, alias string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

var userColsU = prefixed(userCols, "u")

// userWhere adds the conditions of f on the users table aliased u: the
// same filters as ListUsers.
func (q queries) userWhere(w *where, f barong.UserFilter) {
	for _, c := range []struct{ col, v string }{
		{"u.uid", f.UID}, {"u.username", f.Username}, {"u.role", f.Role}, {"u.state", f.State},
	} {
		if c.v != "" {
			w.add(c.col+" = ?", c.v)
		}
	}
	if f.Email != "" {
		w.add(q.r.d.ciEqual("u.email"), f.Email)
	}
	if f.Level != nil {
		w.add("u.level = ?", *f.Level)
	}
	if f.Country != "" {
		w.add("u.id IN (SELECT user_id FROM profiles WHERE country = ?)", f.Country)
	}
	col := "u.created_at"
	if f.RangeField == "updated_at" || f.RangeField == "updated" {
		col = "u.updated_at"
	}
	if !f.From.IsZero() {
		w.add(col+" >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add(col+" <= ?", f.To)
	}
}

// userPage reads the page p of the users matching w, in order (the ORDER
// BY clause of o). A page past the first is read as a deferred join: the
// page's ids are found first, from the filter's (col, id) indexes without
// touching the table (an index-only scan on Postgres), and only those 100
// rows are read, instead of reading and skipping every row before the page.
func (q queries) userPage(ctx context.Context, w where, order string, o barong.Order, p barong.Page) ([]barong.User, error) {
	limit, largs := page(p)
	args := append(append([]any{}, w.args...), largs...)
	if p.Offset() <= 0 {
		return list(ctx, q.r, scanUser, "SELECT "+userCols+" FROM users"+w.String()+order+limit, args...)
	}
	col, dir := o.By, " ASC"
	if col == "" {
		col = "id"
	}
	if o.Desc {
		dir = " DESC"
	}
	outer := " ORDER BY u." + col + dir
	if col != "id" {
		outer += ", u.id" + dir
	}
	return list(ctx, q.r, scanUser, "SELECT "+userColsU+" FROM (SELECT id FROM users"+w.String()+order+limit+
		") p JOIN users u ON u.id = p.id"+outer, args...)
}

// PendingDocumentUsers lists the users whose private document label is
// pending or replaced, by the label's updated_at (then id), and counts them.
func (q queries) PendingDocumentUsers(ctx context.Context, f barong.UserFilter) ([]barong.User, int64, error) {
	var w where
	w.add(`l."key" = 'document' AND l.scope = 'private' AND l.value IN ('pending', 'replaced')`)
	q.userWhere(&w, f)
	from := " FROM users u JOIN labels l ON l.user_id = u.id"
	countFrom := from
	if len(w.conds) == 1 {
		// No user filter: count the labels alone (an index-only scan).
		countFrom = " FROM labels l"
	}
	total, err := count(ctx, q.r, "SELECT COUNT(*)"+countFrom+w.String(), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("count pending documents: %w", err)
	}
	limit, largs := page(f.Page)
	users, err := list(ctx, q.r, scanUser, "SELECT "+userColsU+from+w.String()+" ORDER BY l.updated_at, l.id"+limit,
		append(w.args, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list pending documents: %w", err)
	}
	return users, total, nil
}

// chunks splits ids into IN-list sized pieces.
func chunks[T any](ids []T) [][]T { return chunksOf(ids, chunkSize) }

// chunksOf splits s into pieces of at most n.
func chunksOf[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// listIn runs "SELECT ... WHERE col IN (?, ...)" + tail for every chunk of
// ids and concatenates the rows.
func listIn[T, ID any](ctx context.Context, c conn, scan func(scanner) (T, error), head, col string, ids []ID, tail string) ([]T, error) {
	out := []T{}
	for _, part := range chunks(ids) {
		rows, err := list(ctx, c, scan, head+" WHERE "+col+" IN ("+placeholders(len(part))+")"+tail, anys(part)...)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// UsersByIDs loads the users with the given ids.
func (q queries) UsersByIDs(ctx context.Context, ids []int64) ([]barong.User, error) {
	us, err := listIn(ctx, q.r, scanUser, "SELECT "+userCols+" FROM users", "id", ids, "")
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	return us, nil
}

// UsersByUIDs loads the users with the given uids.
func (q queries) UsersByUIDs(ctx context.Context, uids []string) ([]barong.User, error) {
	us, err := listIn(ctx, q.r, scanUser, "SELECT "+userCols+" FROM users", "uid", uids, "")
	if err != nil {
		return nil, fmt.Errorf("users by uids: %w", err)
	}
	return us, nil
}

// ListProfiles returns a page of all profiles by id and their number.
func (q queries) ListProfiles(ctx context.Context, p barong.Page) ([]barong.Profile, int64, error) {
	total, err := count(ctx, q.r, "SELECT COUNT(*) FROM profiles")
	if err != nil {
		return nil, 0, fmt.Errorf("count profiles: %w", err)
	}
	limit, largs := page(p)
	ps, err := list(ctx, q.r, q.scanProfile, "SELECT "+profileCols+" FROM profiles ORDER BY id"+limit, largs...)
	if err != nil {
		return nil, 0, fmt.Errorf("list profiles: %w", err)
	}
	return ps, total, nil
}

// ProfilesByUsers loads the profiles of many users by id, grouped by user.
func (q queries) ProfilesByUsers(ctx context.Context, userIDs []int64) (map[int64][]barong.Profile, error) {
	ps, err := listIn(ctx, q.r, q.scanProfile, "SELECT "+profileCols+" FROM profiles", "user_id", userIDs, " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("profiles by users: %w", err)
	}
	out := make(map[int64][]barong.Profile, len(userIDs))
	for _, p := range ps {
		out[p.UserID] = append(out[p.UserID], p)
	}
	return out, nil
}

// KYCRecordsByUsers loads labels, phones, profiles, documents, data
// storages and comments of many users with one query per table.
func (q queries) KYCRecordsByUsers(ctx context.Context, userIDs []int64) (map[int64]*barong.KYCRecords, error) {
	out := make(map[int64]*barong.KYCRecords, len(userIDs))
	for _, id := range userIDs {
		out[id] = &barong.KYCRecords{Labels: []barong.Label{}, Phones: []barong.Phone{}, Profiles: []barong.Profile{},
			Documents: []barong.Document{}, DataStorages: []barong.DataStorage{}, Comments: []barong.Comment{}}
	}
	rec := func(id int64) *barong.KYCRecords {
		r := out[id]
		if r == nil {
			r = &barong.KYCRecords{}
			out[id] = r
		}
		return r
	}
	labels, err := listIn(ctx, q.r, scanLabel, "SELECT "+labelCols+" FROM labels", "user_id", userIDs, " ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("labels by users: %w", err)
	}
	for _, l := range labels {
		rec(l.UserID).Labels = append(rec(l.UserID).Labels, l)
	}
	phones, err := listIn(ctx, q.r, q.scanPhone, "SELECT "+phoneCols+" FROM phones", "user_id", userIDs, " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("phones by users: %w", err)
	}
	for _, p := range phones {
		rec(p.UserID).Phones = append(rec(p.UserID).Phones, p)
	}
	profiles, err := q.ProfilesByUsers(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	for id, ps := range profiles {
		rec(id).Profiles = ps
	}
	docs, err := listIn(ctx, q.r, q.scanDocument, "SELECT "+documentCols+" FROM documents", "user_id", userIDs, " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("documents by users: %w", err)
	}
	for _, d := range docs {
		rec(d.UserID).Documents = append(rec(d.UserID).Documents, d)
	}
	storages, err := listIn(ctx, q.r, scanDataStorage, "SELECT "+dataStorageCols+" FROM data_storages", "user_id", userIDs, " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("data storages by users: %w", err)
	}
	for _, d := range storages {
		rec(d.UserID).DataStorages = append(rec(d.UserID).DataStorages, d)
	}
	comments, err := listIn(ctx, q.r, scanComment, "SELECT "+commentCols+" FROM comments", "user_id", userIDs, " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("comments by users: %w", err)
	}
	for _, c := range comments {
		rec(c.UserID).Comments = append(rec(c.UserID).Comments, c)
	}
	return out, nil
}

// LabelCounts counts labels by key and value.
func (q queries) LabelCounts(ctx context.Context, f barong.LabelCountFilter) ([]barong.LabelCount, error) {
	var w where
	for _, c := range []struct{ col, v string }{{"scope", f.Scope}, {`"key"`, f.Key}, {"value", f.Value}} {
		if c.v != "" {
			w.add(c.col+" = ?", c.v)
		}
	}
	if !f.From.IsZero() {
		w.add("updated_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add("updated_at <= ?", f.To)
	}
	cs, err := list(ctx, q.r, func(s scanner) (barong.LabelCount, error) {
		var c barong.LabelCount
		err := s.Scan(&c.Key, &c.Value, &c.Count)
		return c, err
	}, `SELECT "key", value, COUNT(*) FROM labels`+w.String()+` GROUP BY "key", value ORDER BY "key", value`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("count labels: %w", err)
	}
	return cs, nil
}

// dayOf is the SQL expression of the UTC day (YYYY-MM-DD) of a timestamp
// column: SQLite stores UTC text, Postgres TIMESTAMPTZ, MySQL DATETIME in
// UTC (the connection's time zone is +00:00).
func (d *dialect) dayOf(col string) string {
	switch d.name {
	case DialectPostgres:
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	case DialectMySQL:
		return "DATE_FORMAT(" + col + ", '%Y-%m-%d')"
	}
	return "substr(" + col + ", 1, 10)"
}

// CountActivitiesByDay counts the activities matching f per UTC day.
func (q queries) CountActivitiesByDay(ctx context.Context, f barong.ActivityFilter) ([]barong.DayCount, error) {
	w := activityWhere(f)
	day := q.r.d.dayOf("created_at")
	cs, err := list(ctx, q.r, func(s scanner) (barong.DayCount, error) {
		var c barong.DayCount
		err := s.Scan(&c.Day, &c.Count)
		return c, err
	}, "SELECT "+day+", COUNT(*) FROM activities"+w.String()+" GROUP BY "+day+" ORDER BY "+day, w.args...)
	if err != nil {
		return nil, fmt.Errorf("count activities by day: %w", err)
	}
	return cs, nil
}
