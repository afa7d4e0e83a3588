package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

// TestPoolKeepsIdleConnections: after a burst that needs several
// connections at once, they stay open and idle for the next burst instead
// of being closed and re-dialled (database/sql keeps only 2 by default).
func TestPoolKeepsIdleConnections(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		n := min(db.Stats().MaxOpenConnections, 6)
		if n < 2 {
			t.Fatalf("read pool of %d connections", n)
		}
		burst := func() {
			conns := make([]*sql.Conn, n)
			for i := range conns {
				c, err := db.read.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.PingContext(ctx); err != nil {
					t.Fatal(err)
				}
				conns[i] = c
			}
			for _, c := range conns {
				c.Close()
			}
		}
		burst()
		st := db.Stats()
		if st.Idle < n || st.MaxIdleClosed != 0 {
			t.Fatalf("after a burst of %d: %d idle, %d closed for idleness (%+v)", n, st.Idle, st.MaxIdleClosed, st)
		}
		burst()
		// Concurrent queries through the store use the idle connections too.
		var wg sync.WaitGroup
		for range 4 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.CountUsers(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		st = db.Stats()
		if st.Idle != st.OpenConnections || st.MaxIdleClosed != 0 || st.MaxIdleTimeClosed != 0 {
			t.Fatalf("connections churned: %+v", st)
		}
	})
}

// TestSQLiteReadsWhileWriting: on SQLite a transaction holds the single
// writer, yet reads go on through the read pool.
func TestSQLiteReadsWhileWriting(t *testing.T) {
	t.Parallel()
	db := openTestDB(t, DialectSQLite, Options{})
	ctx := context.Background()
	u := mustUser(t, db)
	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx barong.Tx) error {
			mustUser(t, tx)
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	readCtx, cancel := context.WithTimeout(ctx, 10*time.Second) // blocked reads wait for ever: 10 s only spares a loaded machine
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.UserByID(readCtx, u.ID); err != nil {
				t.Errorf("read during write transaction: %v", err)
			}
		}()
	}
	wg.Wait()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if db.write.Stats().MaxOpenConnections != 1 {
		t.Fatalf("sqlite writer pool allows %d connections", db.write.Stats().MaxOpenConnections)
	}
	// The read pool is read-only.
	if _, err := db.read.ExecContext(ctx, "DELETE FROM users"); err == nil {
		t.Fatal("read pool accepted a write")
	}
}

func TestSQLiteMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:", Options{Cipher: testCipher(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db)
	if got, err := db.UserByID(ctx, u.ID); err != nil || got.Email != u.Email {
		t.Fatalf("memory database: %+v %v", got, err)
	}
}

func BenchmarkUserByID(b *testing.B) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		b.Run(dialect, func(b *testing.B) {
			db := openTestDB(b, dialect, Options{})
			ctx := context.Background()
			u := &barong.User{UID: "ID" + randomName("")[:10], Email: randomName("b") + "@x.io", PasswordDigest: "x"}
			if err := db.CreateUser(ctx, u); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.UserByID(ctx, u.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(db.Stats().OpenConnections), "conns")
		})
	}
}

// BenchmarkListUsers100k measures admin user searches over 100k users on
// PostgreSQL (bulk-loaded with generate_series into a database of its own).
func BenchmarkListUsers100k(b *testing.B) {
	ctx := context.Background()
	url := freshServerDB(b, DialectPostgres)
	db, err := Open(ctx, url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (uid, email, password_digest, role, level, state, created_at, updated_at)
		 SELECT 'ID' || lpad(upper(to_hex(g)), 10, '0'), 'user' || g || '@example.com', 'x',
		        CASE WHEN g % 100 = 0 THEN 'admin' ELSE 'member' END, g % 4,
		        CASE WHEN g % 3 = 0 THEN 'active' ELSE 'pending' END,
		        now() - make_interval(secs => g * 60), now()
		 FROM generate_series(1, 100000) g`,
		`INSERT INTO labels (user_id, "key", value, scope, created_at, updated_at)
		 SELECT id, 'document', CASE WHEN id % 2 = 0 THEN 'verified' ELSE 'pending' END, 'private', now(), now()
		 FROM users WHERE id % 10 = 0`,
		`ANALYZE`,
	} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	two := 2
	for name, f := range map[string]barong.UserFilter{
		"email":          {Email: "USER77777@example.com"},
		"state page 50":  {State: "active", Page: barong.Page{Page: 50, Limit: 100}},
		"role desc":      {Role: "admin", Order: barong.Order{By: "created_at", Desc: true}, Page: barong.Page{Page: 1, Limit: 100}},
		"level range":    {Level: &two, From: time.Now().Add(-24 * time.Hour), To: time.Now(), Page: barong.Page{Page: 1, Limit: 100}},
		"label":          {LabelKey: "document", LabelValue: "pending", Page: barong.Page{Page: 3, Limit: 100}},
		"all, last page": {Page: barong.Page{Page: 1000, Limit: 100}},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.ListUsers(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
