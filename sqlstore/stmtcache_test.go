package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

// On SQLite, statements run often are prepared once and reused (from their
// stmtCacheAfter-th run); those run in transactions are prepared after one
// ends (it holds the only writer connection); one-off queries are not
// kept; the cache is bounded; concurrent transactions and reads never wait
// on each other through it.
func TestStatementCache(t *testing.T) {
	db := openTestDB(t, DialectSQLite, Options{})
	ctx := context.Background()
	u := mustUser(t, db)

	for i := range stmtCacheAfter {
		if db.r.stmts.lookup(db.d.rebind(userViewSQL)) != nil {
			t.Fatalf("users/me statement prepared after %d runs", i)
		}
		if _, _, err := db.UserView(ctx, u.UID); err != nil {
			t.Fatal(err)
		}
	}
	if db.r.stmts.lookup(db.d.rebind(userViewSQL)) == nil {
		t.Fatalf("users/me statement not prepared after %d runs", stmtCacheAfter)
	}

	const q = "SELECT id FROM users WHERE id = ? AND 1 = 1"
	for range stmtCacheAfter {
		err := db.InTx(ctx, func(btx barong.Tx) error {
			var id int64
			return btx.(*tx).w.queryRow(ctx, q, u.ID).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if db.w.stmts.lookup(db.d.rebind(q)) == nil {
		t.Fatal("statement run in transactions was not prepared after them")
	}
	// Now the transaction runs it prepared.
	err := db.InTx(ctx, func(btx barong.Tx) error {
		var id int64
		if err := btx.(*tx).w.queryRow(ctx, q, u.ID).Scan(&id); err != nil || id != u.ID {
			return fmt.Errorf("prepared in tx: %d %v", id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// One-off queries take no room.
	before := len(db.r.stmts.m)
	for i := range 50 {
		var n int64
		if err := db.r.queryRow(ctx, fmt.Sprintf("SELECT %d + 0", i)).Scan(&n); err != nil || n != int64(i) {
			t.Fatalf("one-off query %d: %d %v", i, n, err)
		}
	}
	if n := len(db.r.stmts.m); n != before {
		t.Fatalf("%d statements cached by one-off queries", n-before)
	}
	for i := range stmtCacheMax + 10 {
		for range stmtCacheAfter {
			var n int64
			if err := db.r.queryRow(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != int64(i) {
				t.Fatalf("query %d: %d %v", i, n, err)
			}
		}
	}
	if n := len(db.r.stmts.m); n != stmtCacheMax {
		t.Fatalf("%d cached statements, want the bound %d", n, stmtCacheMax)
	}
	// A statement the database refuses is not cached and reports its error.
	if _, err := db.r.query(ctx, "SELECT nope FROM nowhere"); err == nil {
		t.Fatal("bad statement ran")
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 30 {
					if g%2 == 0 {
						err := db.InTx(ctx, func(tx barong.Tx) error {
							return tx.CreateLabel(ctx, &barong.Label{UserID: u.ID, Key: fmt.Sprintf("k%d-%d", g, i), Value: "v", Scope: "public"})
						})
						if err != nil {
							t.Error(err)
							return
						}
					} else if _, _, err := db.UserView(ctx, u.UID); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("concurrent transactions and reads did not finish: deadlock")
	}
	labels, err := db.LabelsByUser(ctx, u.ID)
	if err != nil || len(labels) != 4*30 {
		t.Fatalf("%d labels, %v", len(labels), err)
	}
}
