package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // MariaDB/MySQL driver
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
)

// Database creates a fresh, randomly named database on the PostgreSQL
// ("postgres") or MariaDB ("mysql") server of this machine, drops it when
// the test ends, and returns its BARONG_DATABASE_URL.
func Database(tb testing.TB, dialect string) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "barong_e2e_" + hex.EncodeToString(b[:])
	var driver, admin, url string
	switch dialect {
	case "postgres":
		Need(tb, "PostgreSQL", "127.0.0.1:5432")
		driver, admin = "pgx", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		url = "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
	case "mysql":
		Need(tb, "MariaDB", "127.0.0.1:3306")
		driver, admin = "mysql", "root@tcp(127.0.0.1:3306)/"
		url = "mysql://root@127.0.0.1:3306/" + name
	default:
		tb.Fatalf("unknown dialect %q", dialect)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open(driver, admin)
	if err != nil {
		Unavailable(tb, dialect, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		Unavailable(tb, dialect, fmt.Errorf("create database: %w", err))
	}
	tb.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q := "DROP DATABASE " + name
		if dialect == "postgres" {
			q += " WITH (FORCE)"
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Logf("drop %s: %v", name, err)
		}
	})
	return url
}
