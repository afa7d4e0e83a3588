package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect names returned by (*DB).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
	DialectMySQL    = "mysql"
)

// sqliteTime is how SQLite stores timestamps: UTC, whole seconds, sortable.
const sqliteTime = "2006-01-02 15:04:05"

// dialect holds the few real differences between the three databases. All
// other SQL is written once with ? placeholders.
type dialect struct {
	name string
}

// rebind rewrites ? placeholders to $1, $2, ... for Postgres. Question marks
// inside single-quoted literals and double-quoted identifiers are kept.
func (d *dialect) rebind(q string) string {
	if d.name != DialectPostgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// args converts arguments for the driver: times become whole-second UTC
// (text on SQLite).
func (d *dialect) args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = d.timeValue(v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = d.timeValue(*v)
			}
		}
	}
	return args
}

func (d *dialect) timeValue(t time.Time) any {
	t = t.UTC().Truncate(time.Second)
	if d.name == DialectSQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// forUpdate is the row-lock suffix of a SELECT; SQLite has one writer and
// no row locks.
func (d *dialect) forUpdate() string {
	if d.name == DialectSQLite {
		return ""
	}
	return " FOR UPDATE"
}

// lockRow is the suffix of a SELECT by primary key that locks the row for
// the rest of the transaction. PostgreSQL's FOR NO KEY UPDATE (the lock an
// UPDATE of non-key columns takes) does not block the KEY SHARE locks of
// foreign-key checks, so other transactions may still insert child rows.
func (d *dialect) lockRow() string {
	if d.name == DialectPostgres {
		return " FOR NO KEY UPDATE"
	}
	return d.forUpdate()
}

// ciEqual compares col case-insensitively with one ? argument. MySQL's
// *_ci collations already do, and lower(col) would stop it using the index;
// Postgres and SQLite have unique indexes on lower(col).
func (d *dialect) ciEqual(col string) string {
	if d.name == DialectMySQL {
		return col + " = ?"
	}
	return "lower(" + col + ") = lower(?)"
}

// insert runs an INSERT and returns the new row's id: RETURNING on
// Postgres, LastInsertId elsewhere.
func (d *dialect) insert(ctx context.Context, c conn, q string, args ...any) (int64, error) {
	if d.name == DialectPostgres {
		if err := c.failed(); err != nil {
			return 0, err
		}
		var id int64
		counted(ctx)
		err := c.q.QueryRowContext(ctx, d.rebind(q+" RETURNING id"), d.args(args)...).Scan(&id)
		c.note(err)
		return id, translate(err)
	}
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("last insert id: %w", err)
	}
	return id, nil
}

// upsert is the conflict clause of an INSERT that, when the row with the
// unique key already exists, sets cols to the inserted values.
func (d *dialect) upsert(key string, cols ...string) string {
	sets := make([]string, len(cols))
	for i, c := range cols {
		if d.name == DialectMySQL {
			sets[i] = c + " = VALUES(" + c + ")"
		} else {
			sets[i] = c + " = excluded." + c
		}
	}
	if d.name == DialectMySQL {
		return " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
	}
	return " ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(sets, ", ")
}

// kvSetNX stores a key unless an unexpired row holds it, in one atomic
// statement, and reports whether it stored.
func (d *dialect) kvSetNX(ctx context.Context, c conn, key, value string, exp *time.Time, now time.Time) (bool, error) {
	const ins = `INSERT INTO kv ("key", value, expires_at) VALUES (?, ?, ?) `
	if d.name == DialectMySQL {
		// Assignments run left to right: expires_at is still the old
		// value when value is decided. Affected rows: 1 inserted, 2
		// replaced, 0 kept.
		res, err := c.exec(ctx, ins+`ON DUPLICATE KEY UPDATE
			value = IF(expires_at IS NOT NULL AND expires_at <= ?, VALUES(value), value),
			expires_at = IF(expires_at IS NOT NULL AND expires_at <= ?, VALUES(expires_at), expires_at)`,
			key, value, exp, now, now)
		return affected(res, err)
	}
	res, err := c.exec(ctx, ins+`ON CONFLICT ("key") DO UPDATE
		SET value = excluded.value, expires_at = excluded.expires_at
		WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?`, key, value, exp, now)
	return affected(res, err)
}

// kvIncrSQL adds one to a counter, restarting an expired one at 1 with a
// new expiry. Arguments: key, expires_at, now, now.
func (d *dialect) kvIncrSQL() string {
	const ins = `INSERT INTO kv ("key", value, expires_at) VALUES (?, '1', ?) `
	if d.name == DialectMySQL {
		return ins + `ON DUPLICATE KEY UPDATE
			value = IF(expires_at IS NOT NULL AND expires_at <= ?, '1', CAST(CAST(value AS SIGNED) + 1 AS CHAR)),
			expires_at = IF(expires_at IS NOT NULL AND expires_at <= ?, VALUES(expires_at), expires_at)`
	}
	return ins + `ON CONFLICT ("key") DO UPDATE SET
		value = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= ? THEN '1'
			ELSE CAST(CAST(kv.value AS BIGINT) + 1 AS TEXT) END,
		expires_at = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= ? THEN excluded.expires_at
			ELSE kv.expires_at END`
}

// kvDecrSQL takes one from a live, positive counter. Arguments: key, now.
func (d *dialect) kvDecrSQL() string {
	num, text := "BIGINT", "TEXT"
	if d.name == DialectMySQL {
		num, text = "SIGNED", "CHAR"
	}
	return `UPDATE kv SET value = CAST(CAST(value AS ` + num + `) - 1 AS ` + text + `)
		WHERE "key" = ? AND (expires_at IS NULL OR expires_at > ?) AND CAST(value AS ` + num + `) > 0`
}

// lockSQL returns the statements that take and release the migration lock
// on one connection; SQLite needs none (one writer, busy timeout).
func (d *dialect) lockSQL() (lock, unlock string) {
	switch d.name {
	case DialectPostgres:
		// Advisory locks are scoped to the current database.
		return "SELECT pg_advisory_lock(7270121063548719317)", "SELECT pg_advisory_unlock(7270121063548719317)"
	case DialectMySQL:
		// Named locks are server-wide: include the database name.
		return "SELECT GET_LOCK(CONCAT('barong_migrate_', DATABASE()), 600)",
			"SELECT RELEASE_LOCK(CONCAT('barong_migrate_', DATABASE()))"
	}
	return "", ""
}
