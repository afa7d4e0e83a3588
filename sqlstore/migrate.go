package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// migrations holds one folder per dialect with the same file names.
//
//go:embed migrations
var migrations embed.FS

// migrationTable records the applied migrations. It has barong-go's own
// name: "schema_migrations", which barong-go used before, is also Rails'
// table, so a Barong database could not be told apart (adoptMigrationTable
// renames barong-go's old table).
const migrationTable = "barong_go_migrations"

// legacyMigrationTable is the name barong-go's goose table had before; a
// table of that name with Rails' "version" column (and no goose
// "version_id") is Barong's own and is never touched.
const legacyMigrationTable = "schema_migrations"

var gooseDialects = map[string]database.Dialect{
	DialectSQLite:   database.DialectSQLite3,
	DialectPostgres: database.DialectPostgres,
	DialectMySQL:    database.DialectMySQL,
}

// Migrations returns the embedded migration files of a dialect.
func Migrations(dialect string) (fs.FS, error) {
	if _, ok := gooseDialects[dialect]; !ok {
		return nil, fmt.Errorf("unknown dialect %q", dialect)
	}
	sub, err := fs.Sub(migrations, "migrations/"+dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", dialect, err)
	}
	return sub, nil
}

// Migrate applies the pending migrations; with none pending it changes
// nothing. On Postgres and MySQL it holds a database lock while it runs, so
// processes starting together migrate one after the other. Migrations are
// numbered by the issue that added them and reach main in any order, so a
// database may lack a migration older than its newest one (00011 and 00012
// after 00014): such a migration is applied too, not refused.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.adoptMigrationTable(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := db.migrations(true)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		db.log.Info("migration applied", "dialect", db.d.name, "version", r.Source.Version,
			"file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// sessionLocker takes a database lock on the connection goose migrates on:
// pg_advisory_lock on Postgres, GET_LOCK on MySQL. Both wait for the holder
// rather than polling.
type sessionLocker struct {
	lock, unlock string
}

func (l sessionLocker) SessionLock(ctx context.Context, c *sql.Conn) error {
	// GET_LOCK answers 1 when taken and 0 on timeout; pg_advisory_lock
	// answers void (an empty value).
	var got any
	if err := c.QueryRowContext(ctx, l.lock).Scan(&got); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	switch v := got.(type) {
	case int64:
		if v != 1 {
			return errors.New("take migration lock: timed out")
		}
	case []byte:
		if string(v) != "1" && len(v) > 0 {
			return errors.New("take migration lock: timed out")
		}
	}
	return nil
}

func (l sessionLocker) SessionUnlock(ctx context.Context, c *sql.Conn) error {
	var ignored any
	if err := c.QueryRowContext(ctx, l.unlock).Scan(&ignored); err != nil {
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}

// adoptMigrationTable prepares the migration table before goose runs, under
// the migration lock: a goose table still named schema_migrations (columns
// version_id, is_applied) is renamed to migrationTable, so an existing
// barong-go database keeps its history; otherwise the table is created. A
// Rails schema_migrations (column version only) is left as it is; when
// Barong's users table sits next to it, the database is Barong's own and
// Migrate refuses it with the way out.
func (db *DB) adoptMigrationTable(ctx context.Context) error {
	c, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	defer c.Close()
	if lock, unlock := db.d.lockSQL(); lock != "" {
		l := sessionLocker{lock: lock, unlock: unlock}
		if err := l.SessionLock(ctx, c); err != nil {
			return err
		}
		defer func() { _ = l.SessionUnlock(context.WithoutCancel(ctx), c) }()
	}
	ours, err := TableColumns(ctx, c, db.d.name, migrationTable)
	if err != nil || len(ours) > 0 {
		return err
	}
	legacy, err := TableColumns(ctx, c, db.d.name, legacyMigrationTable)
	if err != nil {
		return err
	}
	if len(legacy) == 0 {
		return db.createMigrationTable(ctx, c)
	}
	if slices.Contains(legacy, "version_id") {
		q := "ALTER TABLE " + legacyMigrationTable + " RENAME TO " + migrationTable
		if db.d.name == DialectMySQL {
			q = "RENAME TABLE " + legacyMigrationTable + " TO " + migrationTable
		}
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rename %s to %s: %w", legacyMigrationTable, migrationTable, err)
		}
		db.log.Info("migration table renamed", "from", legacyMigrationTable, "to", migrationTable)
		return nil
	}
	users, err := TableColumns(ctx, c, db.d.name, "users")
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return errors.New("this database holds Barong's own (Rails) tables: barong-go needs a database of its own; " +
			"create an empty one for BARONG_DATABASE_URL and copy Barong's data into it with `barong import --from <Barong database URL>`")
	}
	return db.createMigrationTable(ctx, c)
}

// createMigrationTable creates goose's table with its zero version while
// the migration lock is held. Left to goose, a process that checks for
// pending migrations (goose does that without the lock) could find the
// table of another one created but not yet filled, as MySQL commits a
// CREATE TABLE at once.
func (db *DB) createMigrationTable(ctx context.Context, c *sql.Conn) error {
	store, err := database.NewStore(gooseDialects[db.d.name], migrationTable)
	if err != nil {
		return err
	}
	if err := store.CreateVersionTable(ctx, c); err != nil {
		return fmt.Errorf("create %s: %w", migrationTable, err)
	}
	if err := store.Insert(ctx, c, database.InsertRequest{Version: 0}); err != nil {
		return fmt.Errorf("create %s: %w", migrationTable, err)
	}
	return nil
}

// queryer is a connection, pool or transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// TableColumns lists the columns of table in the current database (the
// current schema on PostgreSQL) in their order; none when the table does
// not exist. dialect is one of the Dialect* names.
func TableColumns(ctx context.Context, q queryer, dialect, table string) ([]string, error) {
	var query string
	switch dialect {
	case DialectSQLite:
		query = "SELECT name FROM pragma_table_info(?) ORDER BY cid"
	case DialectPostgres:
		query = `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	case DialectMySQL:
		query = `SELECT column_name FROM information_schema.columns
			WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`
	default:
		return nil, fmt.Errorf("unknown dialect %q", dialect)
	}
	rows, err := q.QueryContext(ctx, query, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		cols = append(cols, strings.ToLower(c))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	return cols, nil
}

// migrations returns the goose provider of the embedded migrations; locked
// adds the database lock that Migrate holds. goose logs through the
// store's logger.
func (db *DB) migrations(locked bool) (*goose.Provider, error) {
	fsys, err := Migrations(db.d.name)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithTableName(migrationTable),
		goose.WithAllowOutofOrder(true), goose.WithSlog(db.log)}
	if lock, unlock := db.d.lockSQL(); lock != "" && locked {
		opts = append(opts, goose.WithSessionLocker(sessionLocker{lock: lock, unlock: unlock}))
	}
	p, err := goose.NewProvider(gooseDialects[db.d.name], db.write, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

// Pending reports whether some embedded migration is not applied yet,
// also one below the newest applied (readiness: a process that started
// with BARONG_AUTO_MIGRATE=false before `barong migrate` ran is not
// ready). A database without migrationTable (new, or barong-go's before
// the table was renamed) has every migration pending; Pending creates and
// renames nothing.
func (db *DB) Pending(ctx context.Context) (bool, error) {
	cols, err := TableColumns(ctx, db.write, db.d.name, migrationTable)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	if len(cols) == 0 {
		return true, nil
	}
	p, err := db.migrations(false)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	return pending, nil
}
