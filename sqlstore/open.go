package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Default pool settings.
const (
	defaultMaxOpen       = 20
	defaultSQLiteReaders = 4
	defaultIdleTime      = 5 * time.Minute
	defaultLifetime      = time.Hour
	sqliteBusyTimeout    = 10 * time.Second
)

// openPools opens the pools for url: read and write are the same pool
// except for an SQLite file, which gets one writer connection and a pool of
// read-only connections (WAL lets them read while the writer writes).
func openPools(ctx context.Context, rawURL string, o Options) (name string, read, write *sql.DB, err error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		read, write, err = openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite:"), o)
		return DialectSQLite, read, write, err
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err := sql.Open("pgx", rawURL)
		if err != nil {
			return "", nil, nil, fmt.Errorf("open postgres: %w", err)
		}
		setPool(db, o.maxOpen(defaultMaxOpen), o)
		return DialectPostgres, db, db, nil
	case strings.HasPrefix(rawURL, "mysql://"):
		cfg, err := mysqlConfig(rawURL)
		if err != nil {
			return "", nil, nil, err
		}
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return "", nil, nil, fmt.Errorf("open mysql: %w", err)
		}
		db := sql.OpenDB(connector)
		setPool(db, o.maxOpen(defaultMaxOpen), o)
		return DialectMySQL, db, db, nil
	}
	return "", nil, nil, errors.New("database url must start with sqlite:, postgres://, postgresql:// or mysql://")
}

// setPool keeps as many idle connections as open ones, so a burst of
// requests does not end in closing and re-opening connections.
func setPool(db *sql.DB, n int, o Options) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	idle := o.ConnMaxIdleTime
	if idle == 0 {
		idle = defaultIdleTime
	}
	db.SetConnMaxIdleTime(idle)
	life := o.ConnMaxLifetime
	if life == 0 {
		life = defaultLifetime
	}
	db.SetConnMaxLifetime(life)
}

func openSQLite(ctx context.Context, path string, o Options) (read, write *sql.DB, err error) {
	path = strings.TrimPrefix(path, "//")
	path, extra, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, nil, errors.New("sqlite url needs a path, e.g. sqlite:var/barong.db")
	}
	params := url.Values{}
	params.Set("_busy_timeout", fmt.Sprint(sqliteBusyTimeout.Milliseconds()))
	params.Set("_foreign_keys", "1")
	params.Set("_txlock", "immediate")
	if path == ":memory:" || strings.HasPrefix(path, "file::memory:") {
		// Every connection to :memory: is a database of its own: use one.
		db, err := sql.Open("sqlite", "file::memory:?"+params.Encode())
		if err != nil {
			return nil, nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		return db, db, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, nil, fmt.Errorf("create database directory %s: %w", dir, err)
		}
	}
	file := "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	if extra != "" {
		extra = "&" + extra
	}
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "NORMAL")
	write, err = sql.Open("sqlite", file+"?"+params.Encode()+extra)
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer connection: SQLite allows one writer at a time, and
	// queueing in the pool is cheaper than retrying SQLITE_BUSY.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	// Open the writer first so the file exists and is in WAL mode.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	params.Del("_journal_mode")
	params.Del("_txlock")
	params.Set("_query_only", "1")
	read, err = sql.Open("sqlite", file+"?"+params.Encode()+extra)
	if err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := o.maxOpen(defaultSQLiteReaders)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)
	read.SetConnMaxLifetime(0)
	return read, write, nil
}

// mysqlConfig translates mysql://user:pass@host:port/db?params into the
// driver's configuration: UTC times, utf8mb4, ANSI_QUOTES (so "key" quotes
// an identifier as on the other databases) and client-side placeholder
// interpolation (one round trip per query instead of prepare+execute).
func mysqlConfig(rawURL string) (*mysql.Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse mysql url: %w", urlError(err))
	}
	cfg, err := mysql.ParseDSN("/?" + u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("parse mysql url parameters: %w", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	}
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" {
		return nil, errors.New("mysql url needs a database name: mysql://user:pass@host:port/db")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	if err := cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_unicode_ci")); err != nil {
		return nil, fmt.Errorf("mysql charset: %w", err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "CONCAT(@@sql_mode, ',ANSI_QUOTES,STRICT_TRANS_TABLES')"
	return cfg, nil
}

// urlError drops *url.Error's copy of the URL, which would show its
// password, keeping the reason (invalid port); an invalid escape is not
// quoted, since it may be part of the password.
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return errors.New("invalid percent-encoding")
	}
	return err
}

// redactURL drops the password from a database URL for logs.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil && u.RawQuery == "" {
		if strings.HasPrefix(rawURL, "sqlite:") {
			return rawURL
		}
		return "(unparsable url)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	u.RawQuery = redactQuery(u.RawQuery)
	return u.String()
}

// redactQuery replaces by "xxxxx" the value of every parameter of a raw
// query whose name contains "password" (pgx takes password= and
// sslpassword= there), keeping the rest as written.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		name := k
		if uk, err := url.QueryUnescape(k); err == nil {
			name = uk
		}
		if strings.Contains(strings.ToLower(name), "password") {
			parts[i] = k + "=xxxxx"
		}
	}
	return strings.Join(parts, "&")
}

// OpenSQL opens a plain database/sql pool on url, for reading a database
// that is not barong-go's: `barong import` reads Barong's with it. It takes
// the forms Open takes plus Rails' mysql2:// (whose Rails-only options are
// dropped). With readOnly, PostgreSQL sessions refuse every write
// (default_transaction_read_only); on MySQL the caller reads in a READ ONLY
// transaction.
func OpenSQL(ctx context.Context, rawURL string, readOnly bool) (dialect string, db *sql.DB, err error) {
	if rest, ok := strings.CutPrefix(rawURL, "mysql2://"); ok {
		rest, _, _ = strings.Cut(rest, "?")
		rawURL = "mysql://" + rest
	}
	if readOnly && (strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://")) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return "", nil, fmt.Errorf("parse postgres url: %w", urlError(err))
		}
		q := u.Query()
		q.Set("default_transaction_read_only", "on")
		u.RawQuery = q.Encode()
		rawURL = u.String()
	}
	if strings.HasPrefix(rawURL, "sqlite:") {
		return "", nil, errors.New("database url must start with postgres://, postgresql://, mysql:// or mysql2://")
	}
	name, read, _, err := openPools(ctx, rawURL, Options{MaxOpenConns: 2})
	if err != nil {
		return "", nil, err
	}
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		return "", nil, fmt.Errorf("connect to %s: %w", redactURL(rawURL), err)
	}
	return name, read, nil
}
