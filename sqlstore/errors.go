package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/barong-go/barong"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// uniqueIndex names a unique index of the schema and the model attribute a
// violation of it reports. sqlite is the column list SQLite prints for an
// index on plain columns (expression indexes are reported by name).
type uniqueIndex struct {
	name   string
	sqlite string
	field  string
}

var uniqueIndexes = []uniqueIndex{
	{"idx_users_email", "", "email"},
	{"idx_users_uid", "users.uid", "uid"},
	{"idx_users_username", "users.username", "username"},
	{"idx_labels_user_key_scope", "labels.user_id, labels.key, labels.scope", "key"},
	{"idx_restrictions_scope_category_value", "restrictions.scope, restrictions.category, restrictions.value", "value"},
	{"idx_apikeys_kid", "apikeys.kid", "kid"},
	{"idx_service_accounts_uid", "service_accounts.uid", "uid"},
	{"idx_service_accounts_email", "", "email"},
	{"idx_data_storages_user_title", "", "title"},
	{"idx_otp_keys_user_id", "otp_keys.user_id", "user_id"},
	{"sessions_pkey", "sessions.id_hash", "id"},
}

// fieldOf maps an index name (or SQLite column list) to its attribute; an
// unknown index reports its own name.
func fieldOf(name string) string {
	for _, u := range uniqueIndexes {
		if name == u.name || (u.sqlite != "" && name == u.sqlite) {
			return u.field
		}
	}
	return name
}

// translate turns driver errors into the root package's errors: a unique
// violation becomes *barong.DuplicateError. It is the only place that looks
// at driver error codes.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if name, ok := uniqueViolation(err); ok {
		return fmt.Errorf("%w: %w", &barong.DuplicateError{Field: fieldOf(name)}, err)
	}
	return err
}

// uniqueViolation reports the index name of a unique violation.
func uniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "23505" {
			return pgErr.ConstraintName, true
		}
		return "", false
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		if myErr.Number != 1062 {
			return "", false
		}
		// MariaDB: "... for key 'idx_x'"; MySQL 8: "... for key 'table.idx_x'".
		msg := myErr.Message
		i := strings.LastIndex(msg, "for key '")
		if i < 0 {
			return "", true
		}
		key := strings.TrimSuffix(msg[i+len("for key '"):], "'")
		if j := strings.LastIndexByte(key, '.'); j >= 0 {
			key = key[j+1:]
		}
		if key == "PRIMARY" {
			key = "sessions_pkey"
		}
		return key, true
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		code := sqErr.Code()
		if code != sqlite3.SQLITE_CONSTRAINT_UNIQUE && code != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return "", false
		}
		// "UNIQUE constraint failed: users.uid" or "... failed: index 'idx_x'".
		msg := sqErr.Error()
		i := strings.LastIndex(msg, "constraint failed: ")
		if i < 0 {
			return "", true
		}
		what := msg[i+len("constraint failed: "):]
		if j := strings.Index(what, " ("); j >= 0 {
			what = what[:j]
		}
		if strings.HasPrefix(what, "index '") {
			what = strings.TrimSuffix(strings.TrimPrefix(what, "index '"), "'")
		}
		return what, true
	}
	return "", false
}

// retryable reports whether err ended the transaction's chances but a new
// attempt may succeed: a deadlock or a lock wait timeout (MySQL/MariaDB
// 1213, 1205), a serialization failure or a deadlock (PostgreSQL 40001,
// 40P01).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number == 1213 || myErr.Number == 1205
	}
	return false
}

// notFound maps sql.ErrNoRows to barong.ErrNotFound, with context.
func notFound(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, barong.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
