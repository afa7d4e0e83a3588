package barongimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/barong-go/barong/sqlstore"
)

// source is the Barong database, read in one read-only transaction on one
// connection: a consistent snapshot of every table, and no statement of
// the import can write (PostgreSQL sessions are also opened with
// default_transaction_read_only).
type source struct {
	dialect string
	db      *sql.DB
	conn    *sql.Conn
	tx      *sql.Tx
	cols    map[string][]string // table -> columns, as found
}

func openSource(ctx context.Context, url string) (*source, error) {
	dialect, db, err := sqlstore.OpenSQL(ctx, url, true)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	s := &source{dialect: dialect, db: db, cols: map[string][]string{}}
	if s.conn, err = db.Conn(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("--from: %w", err)
	}
	if s.tx, err = s.conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}); err != nil {
		s.close()
		return nil, fmt.Errorf("--from: read-only transaction: %w", err)
	}
	for _, t := range append(tableNames(), "accounts") {
		c, err := sqlstore.TableColumns(ctx, s.tx, dialect, t)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("--from: %w", err)
		}
		if len(c) > 0 {
			s.cols[t] = c
		}
	}
	switch {
	case s.has("users", "password_digest") && s.has("users", "uid"):
	case s.cols["accounts"] != nil:
		s.close()
		return nil, errors.New("--from: this is a Barong 1.x database (table accounts): only Barong 2.x (2.3 and later) can be imported")
	default:
		s.close()
		return nil, errors.New("--from: not a Barong 2.x database (no users table with uid and password_digest)")
	}
	return s, nil
}

func (s *source) close() {
	if s.tx != nil {
		_ = s.tx.Rollback()
	}
	if s.conn != nil {
		_ = s.conn.Close()
	}
	_ = s.db.Close()
}

func (s *source) has(table, col string) bool {
	for _, c := range s.cols[table] {
		if c == col {
			return true
		}
	}
	return false
}

// ph is the n-th (1-based) placeholder.
func (s *source) ph(n int) string {
	if s.dialect == sqlstore.DialectPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func (s *source) count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := s.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+table+`"`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// row is one source row by column name; texts are strings, never []byte.
type row map[string]any

// page reads up to limit rows of table with id > after, by id, every column.
func (s *source) page(ctx context.Context, table string, after int64, limit int) ([]row, error) {
	cols := s.cols[table]
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	q := `SELECT ` + strings.Join(quoted, ", ") + ` FROM "` + table + `" WHERE id > ` + s.ph(1) +
		` ORDER BY id LIMIT ` + strconv.Itoa(limit)
	rows, err := s.tx.QueryContext(ctx, q, after)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		r := make(row, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			r[c] = vals[i]
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return out, nil
}

// existing returns which of ids are rows of table.
func (s *source) existing(ctx context.Context, table string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 || s.cols[table] == nil {
		return out, nil
	}
	args := make([]any, len(ids))
	phs := make([]string, len(ids))
	for i, id := range ids {
		args[i], phs[i] = id, s.ph(i+1)
	}
	rows, err := s.tx.QueryContext(ctx, `SELECT id FROM "`+table+`" WHERE id IN (`+strings.Join(phs, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		out[id] = true
	}
	return out, rows.Err()
}
