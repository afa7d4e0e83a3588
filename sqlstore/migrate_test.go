package sqlstore

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
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
