package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barong-go/barong"
)

// querier is what queries run on: a pool (*sql.DB) or a transaction (*sql.Tx).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs SQL written with ? placeholders on a querier: it rebinds the
// placeholders, converts the arguments and translates errors. On SQLite it
// runs prepared statements from stmts (tx, when set, is the transaction
// they are bound to).
type conn struct {
	q     querier
	d     *dialect
	stmts *stmtCache
	tx    *sql.Tx
	// missed collects, in a transaction, the queries not yet prepared: the
	// transaction holds SQLite's only writer connection, so they are
	// prepared on the pool after it ends (see DB.InTx).
	missed *[]string
	// conflict keeps, in a transaction, the first error that makes it
	// worth retrying (deadlock, serialization failure, lock wait timeout),
	// so that DB.InTx retries even when the caller turned it into another
	// error or ignored it. Once set, the conn sends nothing more: MySQL
	// has rolled the whole transaction back after a deadlock, and further
	// statements on the connection would be committed one by one.
	conflict *error
}

// note records err on the transaction when it calls for a retry.
func (c conn) note(err error) {
	if err != nil && c.conflict != nil && *c.conflict == nil && retryable(err) {
		*c.conflict = err
	}
}

// failed returns the conflict that ended the transaction, if any.
func (c conn) failed() error {
	if c.conflict != nil && *c.conflict != nil {
		return fmt.Errorf("transaction aborted by an earlier conflict: %w", *c.conflict)
	}
	return nil
}

// stmtCache keeps the prepared statements of a pool, by rebound query. It
// is used on SQLite only, whose driver otherwise compiles every statement
// on every call (the users/me statement: 67 µs unprepared, 9.5 µs
// prepared); pgx caches statements per connection itself and MySQL
// queries are interpolated. A statement is prepared at its
// stmtCacheAfter-th run, so that one-off queries (admin filters) do not
// take room, and at most stmtCacheMax are kept: each costs about 14 KB of
// SQLite memory on every connection that runs it.
type stmtCache struct {
	db   *sql.DB
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
	runs map[string]int // runs of queries not yet prepared
}

const (
	stmtCacheMax   = 128
	stmtCacheAfter = 3
	stmtRunsMax    = 1024 // queries counted before the counts start over
)

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, runs: map[string]int{}}
}

// get returns the prepared statement of q, preparing it once q has run
// often enough; nil when it is not (yet) prepared, cannot be, or the cache
// is full (the caller then runs q unprepared and reports the error the
// database gives).
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[q]
	full := len(c.m) >= stmtCacheMax
	c.mu.RUnlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	c.mu.Lock()
	if len(c.runs) >= stmtRunsMax {
		clear(c.runs)
	}
	c.runs[q]++
	due := c.runs[q] >= stmtCacheAfter
	c.mu.Unlock()
	if !due {
		return nil
	}
	// Prepared without the lock: preparing waits for a pool connection,
	// which a holder of another connection may need the lock to release.
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.runs, q)
	if prev, ok := c.m[q]; ok {
		_ = st.Close()
		return prev
	}
	if len(c.m) >= stmtCacheMax {
		_ = st.Close()
		return nil
	}
	c.m[q] = st
	return st
}

// lookup returns the prepared statement of q or nil, never preparing.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[q]
}

// close closes every statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// stmt returns the prepared statement of the rebound query rq for this
// conn, bound to its transaction if any, or nil.
func (c conn) stmt(ctx context.Context, rq string) *sql.Stmt {
	if c.stmts == nil {
		return nil
	}
	if c.tx == nil {
		return c.stmts.get(ctx, rq)
	}
	st := c.stmts.lookup(rq)
	if st == nil {
		if c.missed != nil && len(*c.missed) < 64 {
			*c.missed = append(*c.missed, rq)
		}
		return nil
	}
	return c.tx.StmtContext(ctx, st)
}

// statementCounter is the context key of CountStatements.
type statementCounter struct{}

// CountStatements returns a context under which every SQL statement a DB
// sends is counted in n (tests and benchmarks use it to check how many
// round trips a request makes).
func CountStatements(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, statementCounter{}, n)
}

func counted(ctx context.Context) {
	if n, ok := ctx.Value(statementCounter{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

func (c conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := c.failed(); err != nil {
		return nil, err
	}
	counted(ctx)
	rq := c.d.rebind(q)
	var res sql.Result
	var err error
	if st := c.stmt(ctx, rq); st != nil {
		res, err = st.ExecContext(ctx, c.d.args(args)...)
	} else {
		res, err = c.q.ExecContext(ctx, rq, c.d.args(args)...)
	}
	c.note(err)
	return res, translate(err)
}

func (c conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := c.failed(); err != nil {
		return nil, err
	}
	counted(ctx)
	rq := c.d.rebind(q)
	var rows *sql.Rows
	var err error
	if st := c.stmt(ctx, rq); st != nil {
		rows, err = st.QueryContext(ctx, c.d.args(args)...)
	} else {
		rows, err = c.q.QueryContext(ctx, rq, c.d.args(args)...)
	}
	c.note(err)
	return rows, translate(err)
}

// row is a *sql.Row whose Scan error is noted on its conn, or the error of
// a query that was not sent.
type row struct {
	*sql.Row
	c   conn
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	err := r.Row.Scan(dest...)
	r.c.note(err)
	return err
}

func (r row) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Row.Err()
}

func (c conn) queryRow(ctx context.Context, q string, args ...any) row {
	if err := c.failed(); err != nil {
		return row{err: err}
	}
	counted(ctx)
	rq := c.d.rebind(q)
	if st := c.stmt(ctx, rq); st != nil {
		return row{Row: st.QueryRowContext(ctx, c.d.args(args)...), c: c}
	}
	return row{Row: c.q.QueryRowContext(ctx, rq, c.d.args(args)...), c: c}
}

func (c conn) insert(ctx context.Context, q string, args ...any) (int64, error) {
	return c.d.insert(ctx, c, q, args...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// list runs a query and scans every row with scan. It never returns a nil
// slice, so an empty list renders as [].
func list[T any](ctx context.Context, c conn, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		c.note(err)
		return nil, err
	}
	return out, nil
}

// count runs a SELECT COUNT(*) query.
func count(ctx context.Context, c conn, q string, args ...any) (int64, error) {
	var n int64
	if err := c.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, err
	}
	return n, nil
}

// exists reports whether a query returns a row.
func exists(ctx context.Context, c conn, q string, args ...any) (bool, error) {
	var one int
	err := c.queryRow(ctx, q, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// affected reports whether a statement changed at least one row.
func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rows affected: %w", err)
	}
	return n > 0, nil
}

// page returns the LIMIT/OFFSET clause of p; a zero Limit means all rows.
func page(p barong.Page) (string, []any) {
	if p.Limit <= 0 {
		return "", nil
	}
	off := p.Offset()
	if off < 0 {
		off = 0
	}
	return " LIMIT ? OFFSET ?", []any{p.Limit, off}
}

// orderBy returns the ORDER BY clause for o after checking the column
// against allowed (never interpolating caller input); ties break by id.
func orderBy(o barong.Order, allowed []string) (string, error) {
	col := o.By
	if col == "" {
		col = "id"
	}
	ok := false
	for _, a := range allowed {
		if a == col {
			ok = true
			break
		}
	}
	if !ok {
		return "", fmt.Errorf("cannot order by %q", o.By)
	}
	dir := " ASC"
	if o.Desc {
		dir = " DESC"
	}
	if col == "id" {
		return " ORDER BY id" + dir, nil
	}
	return " ORDER BY " + col + dir + ", id" + dir, nil
}

// where collects AND-ed conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// nullStr stores "" as NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullInt stores 0 as NULL.
func nullInt(i int64) any {
	if i == 0 {
		return nil
	}
	return i
}

// str scans a nullable text column; NULL becomes "".
type str struct{ p *string }

func (s str) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.p = ""
	case string:
		*s.p = v
	case []byte:
		*s.p = string(v)
	default:
		return fmt.Errorf("scan %T into string", src)
	}
	return nil
}

// date scans a nullable DATE (or SQLite text) column as YYYY-MM-DD.
type date struct{ p *string }

func (d date) Scan(src any) error {
	if t, ok := src.(time.Time); ok {
		*d.p = t.Format(time.DateOnly)
		return nil
	}
	return str(d).Scan(src)
}

// integer scans a nullable integer column; NULL becomes 0.
type integer struct{ p *int64 }

func (n integer) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.p = 0
	case int64:
		*n.p = v
	case int32:
		*n.p = int64(v)
	case []byte, string:
		i, err := strconv.ParseInt(strOf(v), 10, 64)
		if err != nil {
			return fmt.Errorf("scan integer: %w", err)
		}
		*n.p = i
	default:
		return fmt.Errorf("scan %T into int64", src)
	}
	return nil
}

func strOf(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}

// timestamp scans a timestamp column into UTC; SQLite stores text.
type timestamp struct{ p *time.Time }

func (t timestamp) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*t.p = v.UTC()
		return nil
	case string, []byte:
		s := strOf(v)
		for _, layout := range []string{sqliteTime, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
			if p, err := time.Parse(layout, s); err == nil {
				*t.p = p.UTC()
				return nil
			}
		}
		return fmt.Errorf("scan timestamp %q: unknown format", s)
	}
	return fmt.Errorf("scan %T into time", src)
}

// nullTime scans a nullable timestamp column; NULL becomes nil.
type nullTime struct{ p **time.Time }

func (t nullTime) Scan(src any) error {
	if src == nil {
		*t.p = nil
		return nil
	}
	var v time.Time
	if err := (timestamp{&v}).Scan(src); err != nil {
		return err
	}
	*t.p = &v
	return nil
}
