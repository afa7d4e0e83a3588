package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// migrations holds one folder per dialect with the same file names.
//
//go:embed migrations
var migrations embed.FS

// migrationTable records the applied migrations.
const migrationTable = "schema_migrations"

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
// processes starting together migrate one after the other.
func (db *DB) Migrate(ctx context.Context) error {
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

// migrations returns the goose provider of the embedded migrations; locked
// adds the database lock that Migrate holds. goose logs through the
// store's logger.
func (db *DB) migrations(locked bool) (*goose.Provider, error) {
	fsys, err := Migrations(db.d.name)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithTableName(migrationTable), goose.WithSlog(db.log)}
	if lock, unlock := db.d.lockSQL(); lock != "" && locked {
		opts = append(opts, goose.WithSessionLocker(sessionLocker{lock: lock, unlock: unlock}))
	}
	p, err := goose.NewProvider(gooseDialects[db.d.name], db.write, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

// Pending reports whether some embedded migration is not applied yet
// (readiness: a process that started with BARONG_AUTO_MIGRATE=false
// before `barong migrate` ran is not ready).
func (db *DB) Pending(ctx context.Context) (bool, error) {
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
