package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/internal/testenv"
)

// The server databases are created once per test binary run, with a random
// name, migrated, and dropped by TestMain. SQLite gets a fresh file per test.
var (
	serverMu  sync.Mutex
	serverDBs = map[string]*serverDB{}
)

type serverDB struct {
	url  string // URL of the test database
	err  error  // why it is unavailable
	drop func() error
}

func TestMain(m *testing.M) {
	code := m.Run()
	serverMu.Lock()
	for name, s := range serverDBs {
		if s.drop != nil {
			if err := s.drop(); err != nil {
				fmt.Fprintf(os.Stderr, "drop %s test database: %v\n", name, err)
			}
		}
	}
	serverMu.Unlock()
	os.Exit(code)
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testCipher(t testing.TB) barong.Cipher {
	t.Helper()
	c, err := crypt.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func randomName(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// forEachDB runs fn against SQLite, PostgreSQL and MariaDB/MySQL, as
// parallel subtests named by dialect.
func forEachDB(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	forEachDBClock(t, func(t *testing.T, db *DB, _ *fakeClock) { fn(t, db) })
}

// forEachDBClock is forEachDB with a fake clock per database.
func forEachDBClock(t *testing.T, fn func(t *testing.T, db *DB, clock *fakeClock)) {
	t.Helper()
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			fn(t, openTestDB(t, dialect, Options{Now: clock.Now}), clock)
		})
	}
}

// openTestDB opens a migrated database of dialect for one test.
func openTestDB(t testing.TB, dialect string, opts Options) *DB {
	t.Helper()
	if opts.Cipher == nil {
		opts.Cipher = testCipher(t)
	}
	if opts.CRC32Salt == "" {
		opts.CRC32Salt = "test-salt"
	}
	var u string
	if dialect == DialectSQLite {
		u = "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	} else {
		u = serverURL(t, dialect)
	}
	ctx := context.Background()
	db, err := Open(ctx, u, opts)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	if dialect == DialectSQLite {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return db
}

// serverURL returns the URL of this run's migrated test database on the
// Postgres or MySQL server, skipping (failing under CI=true) when the
// server is not there.
func serverURL(t testing.TB, dialect string) string {
	t.Helper()
	service, admin := "PostgreSQL", testenv.PostgresURL
	if dialect == DialectMySQL {
		service, admin = "MariaDB/MySQL", testenv.MySQLURL
	}
	pu, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", admin, err)
	}
	testenv.Need(t, service, pu.Host)

	serverMu.Lock()
	defer serverMu.Unlock()
	s, ok := serverDBs[dialect]
	if !ok {
		s = createServerDB(dialect, admin)
		if s.err == nil {
			s.err = migrateURL(s.url)
		}
		serverDBs[dialect] = s
	}
	if s.err != nil {
		// The server answers, so this is a real failure, not a skip.
		t.Fatalf("%s test database: %v", service, s.err)
	}
	return s.url
}

func migrateURL(u string) error {
	ctx := context.Background()
	db, err := Open(ctx, u, Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// createServerDB creates a randomly named database next to admin's.
func createServerDB(dialect, admin string) *serverDB {
	name := randomName("barong_test_")
	u, err := createDatabase(dialect, admin, name)
	if err != nil {
		return &serverDB{err: err}
	}
	return &serverDB{url: u, drop: func() error { return dropDatabase(dialect, admin, name) }}
}

// createDatabase creates database name on admin's server and returns its URL.
func createDatabase(dialect, admin, name string) (string, error) {
	a, err := Open(context.Background(), admin, Options{})
	if err != nil {
		return "", err
	}
	defer a.Close()
	if _, err := a.write.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	pu, _ := url.Parse(admin)
	pu.Path = "/" + name
	return pu.String(), nil
}

func dropDatabase(dialect, admin, name string) error {
	a, err := Open(context.Background(), admin, Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	q := "DROP DATABASE IF EXISTS " + name
	if dialect == DialectPostgres {
		q += " WITH (FORCE)"
	}
	_, err = a.write.Exec(q)
	return err
}

// freshServerDB creates an empty, unmigrated database for one test.
func freshServerDB(t testing.TB, dialect string) string {
	t.Helper()
	serverURL(t, dialect) // skip when unavailable
	admin := testenv.PostgresURL
	if dialect == DialectMySQL {
		admin = testenv.MySQLURL
	}
	name := randomName("barong_fresh_")
	u, err := createDatabase(dialect, admin, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(dialect, admin, name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return u
}

// rawString reads one text value with plain SQL (? placeholders).
func rawString(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.r.queryRow(context.Background(), q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// rawInt reads one integer with plain SQL (? placeholders).
func rawInt(t *testing.T, db *DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.r.queryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// unique returns a distinct lower-case token for test data.
func unique(prefix string) string {
	return prefix + strings.ToLower(randomName(""))
}

// mustUser creates a user with a unique uid and e-mail.
func mustUser(t testing.TB, q barong.Queries, mod ...func(*barong.User)) *barong.User {
	t.Helper()
	tok := unique("")
	u := &barong.User{UID: "ID" + strings.ToUpper(tok[:10]), Email: tok + "@example.com", PasswordDigest: "$2a$digest"}
	for _, m := range mod {
		m(u)
	}
	if err := q.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}
