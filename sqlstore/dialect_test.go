package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestRebind(t *testing.T) {
	t.Parallel()
	pg := &dialect{name: DialectPostgres}
	cases := map[string]string{
		"SELECT 1":                           "SELECT 1",
		"a = ? AND b IN (?, ?)":              "a = $1 AND b IN ($2, $3)",
		`x = '?' AND "we?rd" = ? AND y = ?`:  `x = '?' AND "we?rd" = $1 AND y = $2`,
		`x = 'it''s?' AND z = ?`:             `x = 'it''s?' AND z = $1`,
		"? ? ? ? ? ? ? ? ? ? ?":              "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11",
		`INSERT INTO kv ("key") VALUES (?)`:  `INSERT INTO kv ("key") VALUES ($1)`,
		"UPDATE t SET a = ? WHERE id = ?;\n": "UPDATE t SET a = $1 WHERE id = $2;\n",
	}
	for in, want := range cases {
		if got := pg.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		for _, other := range []string{DialectSQLite, DialectMySQL} {
			if got := (&dialect{name: other}).rebind(in); got != in {
				t.Errorf("%s rebind changed %q to %q", other, in, got)
			}
		}
	}
}

// FuzzRebind: every ? outside quotes becomes $n, numbered in order, and
// nothing else changes.
func FuzzRebind(f *testing.F) {
	f.Add(`SELECT * FROM t WHERE a = ? AND b = '?' AND "c?" = ?`)
	f.Add(`'unterminated ?`)
	f.Add(`??`)
	pg := &dialect{name: DialectPostgres}
	f.Fuzz(func(t *testing.T, q string) {
		if strings.Contains(q, "$") {
			return
		}
		out := pg.rebind(q)
		// Undo: turn each $n back into ? and compare.
		var b strings.Builder
		n := 0
		for i := 0; i < len(out); i++ {
			if out[i] != '$' {
				b.WriteByte(out[i])
				continue
			}
			n++
			num := strconv.Itoa(n)
			if !strings.HasPrefix(out[i+1:], num) {
				t.Fatalf("want $%d at %d in %q", n, i, out)
			}
			j := i + 1 + len(num)
			b.WriteByte('?')
			i = j - 1
		}
		if b.String() != q {
			t.Fatalf("rebind(%q) = %q changes more than placeholders", q, out)
		}
	})
}

func TestMySQLConfig(t *testing.T) {
	t.Parallel()
	cfg, err := mysqlConfig("mysql://bar:p%40ss%2Fw:rd@db.local/barong?tls=skip-verify&readTimeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != "bar" || cfg.Passwd != "p@ss/w:rd" || cfg.Addr != "db.local:3306" || cfg.DBName != "barong" {
		t.Fatalf("config %+v", cfg)
	}
	if !cfg.ParseTime || cfg.Loc != time.UTC || !cfg.InterpolateParams || cfg.TLSConfig != "skip-verify" || cfg.ReadTimeout != 5*time.Second {
		t.Fatalf("options %+v", cfg)
	}
	if !strings.Contains(cfg.Params["sql_mode"], "ANSI_QUOTES") || cfg.Params["time_zone"] != "'+00:00'" {
		t.Fatalf("session params %v", cfg.Params)
	}
	if _, err := mysqlConfig("mysql://root@127.0.0.1:3306/"); err == nil {
		t.Fatal("url without database accepted")
	}
	if _, err := mysqlConfig("mysql://root@[::1]:3307/x"); err != nil {
		t.Fatalf("ipv6 host: %v", err)
	}
}

func FuzzMySQLConfig(f *testing.F) {
	f.Add("mysql://root@127.0.0.1:3306/test")
	f.Add("mysql://u:p@h/db?charset=latin1&x=%zz")
	f.Fuzz(func(t *testing.T, u string) {
		cfg, err := mysqlConfig(u)
		if err == nil && (cfg.DBName == "" || !cfg.ParseTime || cfg.Loc != time.UTC) {
			t.Fatalf("mysqlConfig(%q) = %+v", u, cfg)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, u := range []string{"", "oracle://x", "sqlite:", "mysql://root@127.0.0.1:1/"} {
		if db, err := Open(ctx, u, Options{}); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	if got := redactURL("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Errorf("redactURL kept the password: %s", got)
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err   error
		field string
	}{
		{&pgconn.PgError{Code: "23505", ConstraintName: "idx_users_email"}, "email"},
		{&pgconn.PgError{Code: "23505", ConstraintName: "idx_labels_user_key_scope"}, "key"},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'a@x.io' for key 'idx_users_email'"}, "email"},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry '1-x' for key 'data_storages.idx_data_storages_user_title'"}, "title"},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'a' for key 'idx_restrictions_scope_category_value'"}, "value"},
	}
	for _, c := range cases {
		err := translate(c.err)
		var dup *barong.DuplicateError
		if !errors.As(err, &dup) || dup.Field != c.field {
			t.Errorf("translate(%v) = %v, want field %s", c.err, err, c.field)
		}
	}
	for _, other := range []error{&pgconn.PgError{Code: "23503"}, &mysql.MySQLError{Number: 1452}, errors.New("x")} {
		if errors.Is(translate(other), barong.ErrDuplicate) {
			t.Errorf("translate(%v) is a duplicate", other)
		}
	}
	if translate(nil) != nil {
		t.Error("translate(nil) != nil")
	}
}

// TestOpenErrorHidesQueryPassword: pgx takes the password from the URL's
// query too (password=, sslpassword=); a failed connection's error, which
// the process logs, must not repeat it.
func TestOpenErrorHidesQueryPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := "postgres://u@127.0.0.1:1/db?connect_timeout=1&password=s3cr3t-q&sslpassword=s3cr3t-ssl&sslmode=disable"
	db, err := Open(ctx, u, Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded on port 1")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error shows a password: %v", err)
	}
	if _, _, err := OpenSQL(ctx, u, false); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("OpenSQL error shows a password (or none): %v", err)
	}
	if got := redactURL(u); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "connect_timeout=1&password=xxxxx") {
		t.Errorf("redactURL = %s", got)
	}
}

// TestParseErrorHidesPassword: *url.Error repeats the whole URL, password
// included; a password that is not percent-encoded (p%ss) or a bad port
// makes the URL unparsable, and the error, which is logged or printed by
// barong serve and barong import, must not show it.
func TestParseErrorHidesPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, u := range []string{"mysql://root:s3cr3t%zz@db/x", "mysql2://root:s3cr3t%zz@db/x",
		"postgres://root:s3cr3t%zz@db/x", "mysql://root:s3cr3t@db:port/x"} {
		if db, err := Open(ctx, u, Options{}); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", u)
		} else if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "%zz") {
			t.Errorf("Open error shows the password: %v", err)
		}
		if _, db, err := OpenSQL(ctx, u, true); err == nil {
			db.Close()
			t.Errorf("OpenSQL(%s) succeeded", u)
		} else if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "%zz") {
			t.Errorf("OpenSQL error shows the password: %v", err)
		}
	}
}
