package sqlstore

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/barong-go/barong"
)

func TestMigrationFoldersMatch(t *testing.T) {
	t.Parallel()
	var want []string
	for i, d := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		fsys, err := Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(n, ".sql") || !strings.Contains(string(b), "-- +goose Up") || !strings.Contains(string(b), "-- +goose Down") {
				t.Errorf("%s/%s is not a goose SQL migration with Up and Down", d, n)
			}
		}
		if i == 0 {
			want = names
		} else if !slices.Equal(names, want) {
			t.Errorf("%s migrations %v, sqlite has %v", d, names, want)
		}
	}
	if len(want) == 0 {
		t.Fatal("no migrations")
	}
	if _, err := Migrations("oracle"); err == nil {
		t.Fatal("unknown dialect accepted")
	}
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		before := rawInt(t, db, "SELECT COUNT(*) FROM "+migrationTable)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if after := rawInt(t, db, "SELECT COUNT(*) FROM "+migrationTable); after != before {
			t.Fatalf("second Migrate changed %s: %d -> %d rows", migrationTable, before, after)
		}
	})
}

// TestMigrateConcurrently starts two "processes" on an empty database at
// once: the lock makes one wait for the other.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			u := freshServerDB(t, dialect)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make([]error, 3)
			dbs := make([]*DB, 3)
			for i := range dbs {
				db, err := Open(ctx, u, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				dbs[i] = db
			}
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = db.Migrate(ctx)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n, err := dbs[0].CountUsers(ctx); err != nil || n != 0 {
				t.Fatalf("migrated database: %d users, %v", n, err)
			}
		})
	}
}

// freshDB opens an empty, unmigrated database of dialect for one test.
func freshDB(t *testing.T, dialect string) *DB {
	t.Helper()
	u := "sqlite:" + filepath.Join(t.TempDir(), "fresh.db")
	if dialect != DialectSQLite {
		u = freshServerDB(t, dialect)
	}
	db, err := Open(context.Background(), u, Options{Cipher: testCipher(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tableCols(t *testing.T, db *DB, table string) []string {
	t.Helper()
	cols, err := TableColumns(context.Background(), db.write, db.d.name, table)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func exec(t *testing.T, db *DB, q string) {
	t.Helper()
	if _, err := db.write.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestMigrateAdoptsLegacyTable: a database migrated when barong-go's goose
// table was still called schema_migrations keeps its history under the new
// name and migrates on without re-running anything.
func TestMigrateAdoptsLegacyTable(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := freshDB(t, dialect)
			ctx := context.Background()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if cols := tableCols(t, db, legacyMigrationTable); len(cols) != 0 {
				t.Fatalf("a fresh database has %s %v", legacyMigrationTable, cols)
			}
			applied := rawInt(t, db, "SELECT COUNT(*) FROM "+migrationTable)
			// Back to the old name, as a database of an earlier barong-go.
			q := "ALTER TABLE " + migrationTable + " RENAME TO " + legacyMigrationTable
			exec(t, db, q)
			// Readiness sees every migration pending and renames nothing.
			if pending, err := db.Pending(ctx); err != nil || !pending {
				t.Fatalf("Pending with the old table: %v %v", pending, err)
			}
			if cols := tableCols(t, db, migrationTable); len(cols) != 0 {
				t.Fatalf("Pending created %s", migrationTable)
			}
			if err := db.CreateUser(ctx, &barong.User{UID: "IDLEGACY001", Email: "legacy@example.com", PasswordDigest: "x", Role: "member", State: "active"}); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate a database with the old table name: %v", err)
			}
			if cols := tableCols(t, db, legacyMigrationTable); len(cols) != 0 {
				t.Fatalf("%s still there: %v", legacyMigrationTable, cols)
			}
			if n := rawInt(t, db, "SELECT COUNT(*) FROM "+migrationTable); n != applied {
				t.Fatalf("%s has %d rows, had %d", migrationTable, n, applied)
			}
			if pending, err := db.Pending(ctx); err != nil || pending {
				t.Fatalf("Pending after the rename: %v %v", pending, err)
			}
			if _, err := db.UserByUID(ctx, "IDLEGACY001"); err != nil {
				t.Fatalf("user lost: %v", err)
			}
		})
	}
}

// TestMigrateLeavesRailsTable: Rails' schema_migrations (one column,
// version) in the same database is never touched; a Barong database (Rails'
// table next to Barong's users) is refused with the way out.
func TestMigrateLeavesRailsTable(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := freshDB(t, dialect)
			exec(t, db, "CREATE TABLE schema_migrations (version VARCHAR(255) NOT NULL PRIMARY KEY)")
			exec(t, db, "INSERT INTO schema_migrations (version) VALUES ('20210407094208')")
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if cols := tableCols(t, db, legacyMigrationTable); !slices.Equal(cols, []string{"version"}) {
				t.Fatalf("Rails' table changed: columns %v", cols)
			}
			if n := rawInt(t, db, "SELECT COUNT(*) FROM schema_migrations WHERE version = '20210407094208'"); n != 1 {
				t.Fatalf("Rails' row gone")
			}
			if n := rawInt(t, db, "SELECT COUNT(*) FROM "+migrationTable); n == 0 {
				t.Fatal("no migrations recorded")
			}

			barongDB := freshDB(t, dialect)
			exec(t, barongDB, "CREATE TABLE schema_migrations (version VARCHAR(255) NOT NULL PRIMARY KEY)")
			exec(t, barongDB, "CREATE TABLE users (id BIGINT PRIMARY KEY, uid VARCHAR(255))")
			err := barongDB.Migrate(ctx)
			if err == nil || !strings.Contains(err.Error(), "barong import --from") {
				t.Fatalf("migrate of a Barong database: %v", err)
			}
			if cols := tableCols(t, barongDB, migrationTable); len(cols) != 0 {
				t.Fatalf("%s created in Barong's database", migrationTable)
			}
		})
	}
}

// TestMigrateOutOfOrder: a database migrated by a build that had 00014
// but not 00011 and 00012 (migrations are numbered by issue and merged in
// any order) gets the missing ones applied, its data kept.
func TestMigrateOutOfOrder(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := freshDB(t, dialect)
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			// As that build left it: no tables of 00011 and 00012, not recorded.
			for _, table := range []string{"vault_totp_keys", "barong_import_rows", "setup_tokens", "key_fingerprints"} {
				exec(t, db, "DROP TABLE "+table)
			}
			exec(t, db, "DELETE FROM "+migrationTable+" WHERE version_id IN (11, 12)")
			if pending, err := db.Pending(ctx); err != nil || !pending {
				t.Fatalf("Pending with 00011 and 00012 missing below 00014: %v %v", pending, err)
			}
			if err := db.CreateUser(ctx, &barong.User{UID: "IDOUTOFORD01", Email: "ooo@example.com", PasswordDigest: "x", Role: "member", State: "active"}); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate with 00011 and 00012 missing below 00014: %v", err)
			}
			for _, table := range []string{"vault_totp_keys", "barong_import_rows", "setup_tokens", "key_fingerprints"} {
				if len(tableCols(t, db, table)) == 0 {
					t.Fatalf("%s not created", table)
				}
			}
			if n := rawInt(t, db, "SELECT COUNT(*) FROM "+migrationTable+" WHERE version_id IN (11, 12, 14)"); n != 3 {
				t.Fatalf("%d of 00011, 00012, 00014 recorded", n)
			}
			if pending, err := db.Pending(ctx); err != nil || pending {
				t.Fatalf("Pending after the migration: %v %v", pending, err)
			}
			if _, err := db.UserByUID(ctx, "IDOUTOFORD01"); err != nil {
				t.Fatalf("user lost: %v", err)
			}
		})
	}
}
