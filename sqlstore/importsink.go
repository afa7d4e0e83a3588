package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/barong-go/barong"
)

// This file is the target side of `barong import` (package barongimport):
// rows copied from a Barong database keep their ids, and each is recorded
// in barong_import_rows with a digest of its source values, so that a later
// run copies only what changed and removes only what it had copied.

// ImportRow is one row to write: Values in the order of its batch's
// Columns (the first is the id).
type ImportRow struct {
	Values []any
	// Digest of the source row, recorded in barong_import_rows ("" for a
	// table without a ledger).
	Digest string
	// Exists tells an UPDATE (the id is in the table) from an INSERT.
	Exists bool
	// VaultTOTPKey, for users, names the key in Vault's TOTP engine that
	// keeps checking the user's 2FA codes until re-enrolment.
	VaultTOTPKey string
}

// ImportBatch is one transaction of an import.
type ImportBatch struct {
	Table   string
	Columns []string
	Rows    []ImportRow
	// Delete lists ids to delete from Table (and from the ledger).
	Delete []int64
	// Ledger records the rows in barong_import_rows.
	Ledger bool
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// quoteIdent quotes a column name (Barong's "key" is reserved on MySQL;
// the connections run with ANSI_QUOTES there).
func quoteIdent(name string) (string, error) {
	if !identifier.MatchString(name) {
		return "", fmt.Errorf("import: bad identifier %q", name)
	}
	return `"` + name + `"`, nil
}

// importedPrincipals are the tables whose records authz caches in process
// memory, with the column that names a record in a barong.Change.
var importedPrincipals = map[string]struct {
	col  string
	kind barong.ChangeKind
}{
	"users":            {"uid", barong.ChangedUser},
	"service_accounts": {"uid", barong.ChangedServiceAccount},
	"apikeys":          {"kid", barong.ChangedAPIKey},
}

// WriteImport writes b in one transaction: deletions, inserts (several rows
// per statement), updates by id, ledger entries and Vault TOTP keys. The
// users, service accounts and API keys it updates or deletes are reported
// (changes.go) once it committed, as they were before the write: an import
// into the database of running servers drops what their caches hold of
// them. Inserted rows are new to every cache.
func (db *DB) WriteImport(ctx context.Context, b ImportBatch) error {
	table, err := quoteIdent(b.Table)
	if err != nil {
		return err
	}
	if len(b.Columns) == 0 || b.Columns[0] != "id" {
		return fmt.Errorf("import %s: the first column must be id", b.Table)
	}
	cols := make([]string, len(b.Columns))
	for i, c := range b.Columns {
		if cols[i], err = quoteIdent(c); err != nil {
			return err
		}
	}
	var changes []barong.Change
	err = db.transact(ctx, func(sqlTx *sql.Tx) error {
		c := conn{q: sqlTx, d: db.d, tx: sqlTx}
		var err error
		if changes, err = importChanges(ctx, c, b, table); err != nil {
			return err
		}
		for _, ids := range chunks(b.Delete) {
			args := anys(ids)
			if _, err := c.exec(ctx, "DELETE FROM "+table+" WHERE id IN ("+placeholders(len(ids))+")", args...); err != nil {
				return fmt.Errorf("import %s: delete: %w", b.Table, err)
			}
			if _, err := c.exec(ctx, "DELETE FROM barong_import_rows WHERE tbl = ? AND id IN ("+placeholders(len(ids))+")",
				append([]any{b.Table}, args...)...); err != nil {
				return fmt.Errorf("import %s: forget deleted rows: %w", b.Table, err)
			}
		}
		var inserts []ImportRow
		for _, r := range b.Rows {
			if len(r.Values) != len(cols) {
				return fmt.Errorf("import %s: %d values for %d columns", b.Table, len(r.Values), len(cols))
			}
			if !r.Exists {
				inserts = append(inserts, r)
				continue
			}
			sets := make([]string, len(cols)-1)
			for i, col := range cols[1:] {
				sets[i] = col + " = ?"
			}
			args := append(append([]any{}, r.Values[1:]...), r.Values[0])
			if _, err := c.exec(ctx, "UPDATE "+table+" SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...); err != nil {
				return fmt.Errorf("import %s: update id %v: %w", b.Table, r.Values[0], err)
			}
		}
		values := make([][]any, len(inserts))
		for i, r := range inserts {
			values[i] = r.Values
		}
		if err := insertMany(ctx, c, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ", "", values); err != nil {
			return fmt.Errorf("import %s: insert: %w", b.Table, err)
		}
		// barong_import_rows and vault_totp_keys have no unique key but
		// their primary key, so MySQL's ON DUPLICATE KEY means the same.
		now := db.clock()
		var ledger, totp [][]any
		for _, r := range b.Rows {
			if b.Ledger {
				ledger = append(ledger, []any{b.Table, r.Values[0], r.Digest})
			}
			if r.VaultTOTPKey != "" {
				totp = append(totp, []any{r.Values[0], r.VaultTOTPKey, now})
			}
		}
		if err := insertMany(ctx, c, `INSERT INTO barong_import_rows (tbl, id, src_digest) VALUES `,
			db.d.upsert("tbl, id", "src_digest"), ledger); err != nil {
			return fmt.Errorf("import %s: ledger: %w", b.Table, err)
		}
		if err := insertMany(ctx, c, `INSERT INTO vault_totp_keys (user_id, key_name, created_at) VALUES `,
			db.d.upsert("user_id", "key_name"), totp); err != nil {
			return fmt.Errorf("import %s: vault totp keys: %w", b.Table, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.reportChanges(ctx, changes...)
	return nil
}

// importChanges reads, in the import's transaction before it writes, the
// changes of the records of b that authz may cache: those b updates or
// deletes, named as they are before the write.
func importChanges(ctx context.Context, c conn, b ImportBatch, table string) ([]barong.Change, error) {
	p, ok := importedPrincipals[b.Table]
	if !ok {
		return nil, nil
	}
	ids := anys(b.Delete)
	for _, r := range b.Rows {
		if r.Exists {
			ids = append(ids, r.Values[0])
		}
	}
	keys, err := listIn(ctx, c, func(s scanner) (string, error) {
		var k string
		return k, s.Scan(&k)
	}, "SELECT "+p.col+" FROM "+table, "id", ids, "")
	if err != nil {
		return nil, fmt.Errorf("import %s: records to report: %w", b.Table, err)
	}
	changes := make([]barong.Change, len(keys))
	for i, k := range keys {
		changes[i] = barong.Change{Kind: p.kind, Key: k}
	}
	return changes, nil
}

// insertMany runs head VALUES (...), (...) tail for rows, several rows
// per statement.
func insertMany(ctx context.Context, c conn, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	tuple := "(" + placeholders(len(rows[0])) + ")"
	for _, part := range chunksOf(rows, max(1, 2000/len(rows[0]))) {
		tuples := make([]string, len(part))
		var args []any
		for i, r := range part {
			tuples[i] = tuple
			args = append(args, r...)
		}
		if _, err := c.exec(ctx, head+strings.Join(tuples, ", ")+tail, args...); err != nil {
			return err
		}
	}
	return nil
}

// ImportLedger returns the digests recorded for table's rows with after <
// id <= upTo (no upper bound when upTo < 0).
func (db *DB) ImportLedger(ctx context.Context, table string, after, upTo int64) (map[int64]string, error) {
	q, args := "SELECT id, src_digest FROM barong_import_rows WHERE tbl = ? AND id > ?", []any{table, after}
	if upTo >= 0 {
		q, args = q+" AND id <= ?", append(args, upTo)
	}
	rows, err := db.w.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("import ledger of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			return nil, fmt.Errorf("import ledger of %s: %w", table, err)
		}
		out[id] = d
	}
	return out, rows.Err()
}

// ImportPresent returns the ids of table with after < id <= upTo (no upper
// bound when upTo < 0) and each row's created_at.
func (db *DB) ImportPresent(ctx context.Context, table string, after, upTo int64) (map[int64]time.Time, error) {
	t, err := quoteIdent(table)
	if err != nil {
		return nil, err
	}
	q, args := "SELECT id, created_at FROM "+t+" WHERE id > ?", []any{after}
	if upTo >= 0 {
		q, args = q+" AND id <= ?", append(args, upTo)
	}
	rows, err := db.w.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rows of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, timestamp{&at}); err != nil {
			return nil, fmt.Errorf("rows of %s: %w", table, err)
		}
		out[id] = at
	}
	return out, rows.Err()
}

// FinishImport moves the id sequence of each table past both its largest
// id and next[table]-1 (Barong's largest id), so that rows barong-go
// creates never take an id that a later import of Barong's rows (one that
// failed this time, say) needs.
func (db *DB) FinishImport(ctx context.Context, next map[string]int64) error {
	for table, n := range next {
		t, err := quoteIdent(table)
		if err != nil {
			return err
		}
		switch db.d.name {
		case DialectPostgres:
			_, err = db.w.exec(ctx, "SELECT setval(pg_get_serial_sequence(?, 'id'), GREATEST(COALESCE((SELECT MAX(id) FROM "+t+"), 0) + 1, ?), false)",
				table, n)
		case DialectMySQL:
			// Never lowered below MAX(id)+1 by MySQL.
			_, err = db.w.exec(ctx, "ALTER TABLE "+t+" AUTO_INCREMENT = "+strconv.FormatInt(n, 10))
		case DialectSQLite:
			_, err = db.w.exec(ctx, "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", n-1, table)
		}
		if err != nil {
			return fmt.Errorf("id sequence of %s: %w", table, err)
		}
	}
	return nil
}

// EncryptValue encrypts a value as the store keeps personal data and
// secrets ("" stays "").
func (db *DB) EncryptValue(plain string) (string, error) { return db.encrypt(plain) }

// IndexValue is the salted CRC32 search index of a phone or document number.
func (db *DB) IndexValue(plain string) int64 { return db.index(plain) }
