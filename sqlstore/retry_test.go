package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barong-go/barong"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestRetryable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "40P01"}, true},
		{fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40001"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "25P02"}, false},
		{&mysql.MySQLError{Number: 1213}, true},
		{&mysql.MySQLError{Number: 1205}, true},
		{fmt.Errorf("lock user: %w", &mysql.MySQLError{Number: 1213}), true},
		{&mysql.MySQLError{Number: 1062}, false},
		{barong.ErrNotFound, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// A transaction whose conflict never clears is tried txAttempts times and
// fails with the conflict; any other error is not retried; a cancelled
// context stops the retries.
func TestInTxRetryBounds(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		conflict := fmt.Errorf("update: %w", &pgconn.PgError{Code: "40001"})
		var runs int
		err := db.InTx(ctx, func(tx barong.Tx) error { runs++; return conflict })
		if !errors.Is(err, conflict) || runs != txAttempts {
			t.Fatalf("InTx = %v after %d runs, want the conflict after %d", err, runs, txAttempts)
		}

		runs = 0
		boom := barong.Invalid("email.taken")
		if err := db.InTx(ctx, func(tx barong.Tx) error { runs++; return boom }); err != boom || runs != 1 {
			t.Fatalf("InTx = %v after %d runs, want fn's error after 1", err, runs)
		}

		runs = 0
		cctx, cancel := context.WithCancel(ctx)
		err = db.InTx(cctx, func(tx barong.Tx) error { runs++; cancel(); return conflict })
		if !errors.Is(err, conflict) || runs != 1 {
			t.Fatalf("cancelled: InTx = %v after %d runs, want 1", err, runs)
		}
	})
}

// Two transactions that lock two users' rows in opposite orders deadlock on
// PostgreSQL and MariaDB: the database aborts one, InTx runs it again, and
// both commit with their outbox events and their reported changes exactly
// once. fn ignores the error of its second lock, as careless code would:
// the attempt fails all the same, and no half of it is committed (on MySQL
// the aborted transaction's later statements would otherwise autocommit).
func TestInTxRetriesDeadlock(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openTestDB(t, dialect, Options{})
			ctx := context.Background()
			a, b := mustUser(t, db), mustUser(t, db)
			var mu sync.Mutex
			reported := map[barong.Change]int{}
			db.ReportChangesTo(func(_ context.Context, cs []barong.Change) {
				mu.Lock()
				defer mu.Unlock()
				for _, c := range cs {
					reported[c]++
				}
			})
			event := unique("test.deadlock.")
			var runs atomic.Int32
			var locked sync.WaitGroup // both first locks held
			locked.Add(2)
			run := func(first, second *barong.User, name string) error {
				attempt := 0
				return db.InTx(ctx, func(tx barong.Tx) error {
					runs.Add(1)
					attempt++
					if _, err := tx.LockUser(ctx, first.ID); err != nil {
						return err
					}
					if attempt == 1 {
						locked.Done()
						locked.Wait()
					}
					_, _ = tx.LockUser(ctx, second.ID) // the deadlock, ignored
					u := *first
					u.Data = `{"by":"` + name + `"}`
					if err := tx.UpdateUser(ctx, &u); err != nil {
						return err
					}
					return tx.Emit(ctx, barong.Event{Name: event, Payload: map[string]string{"by": name}})
				})
			}
			errs := make(chan error, 2)
			go func() { errs <- run(a, b, "ab") }()
			go func() { errs <- run(b, a, "ba") }()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("InTx: %v", err)
				}
			}
			if n := runs.Load(); n < 3 {
				t.Fatalf("%d runs of fn, want a retry (3 or more)", n)
			}
			for _, name := range []string{"ab", "ba"} {
				if n := rawInt(t, db, "SELECT COUNT(*) FROM outbox WHERE name = ? AND body LIKE ?", event, `%"by":"`+name+`"%`); n != 1 {
					t.Fatalf("%d outbox events by %s, want 1", n, name)
				}
			}
			for _, u := range []*barong.User{a, b} {
				got, err := db.UserByID(ctx, u.ID)
				if err != nil || got.Data == "" {
					t.Fatalf("user %d data %q, %v", u.ID, got.Data, err)
				}
			}
			// The change of each user is reported once: by the attempt
			// that committed, not by the one the deadlock aborted.
			mu.Lock()
			defer mu.Unlock()
			want := map[barong.Change]int{{Kind: barong.ChangedUser, Key: a.UID}: 1, {Kind: barong.ChangedUser, Key: b.UID}: 1}
			if !maps.Equal(reported, want) {
				t.Fatalf("reported %v, want %v", reported, want)
			}
		})
	}
}

// LockUser reads the user and holds his row until the transaction ends: a
// second locker of the same user waits, another user's does not (on
// SQLite the single writer serialises every transaction anyway). An
// unknown user is ErrNotFound.
func TestLockUser(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, b := mustUser(t, db), mustUser(t, db)
		err := db.InTx(ctx, func(tx barong.Tx) error {
			_, err := tx.LockUser(ctx, 1<<40)
			return err
		})
		wantNotFound(t, err)

		holding, release := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db.InTx(ctx, func(tx barong.Tx) error {
				u, err := tx.LockUser(ctx, a.ID)
				if err != nil {
					return err
				}
				if u.UID != a.UID || u.Email != a.Email || u.PasswordDigest != a.PasswordDigest {
					return fmt.Errorf("locked user %+v, want %+v", u, a)
				}
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding
		if db.Dialect() != DialectSQLite {
			err := db.InTx(ctx, func(tx barong.Tx) error {
				_, err := tx.LockUser(ctx, b.ID)
				return err
			})
			if err != nil {
				t.Fatalf("another user's lock: %v", err)
			}
		}
		second := make(chan error, 1)
		go func() {
			second <- db.InTx(ctx, func(tx barong.Tx) error {
				_, err := tx.LockUser(ctx, a.ID)
				return err
			})
		}()
		select {
		case err := <-second:
			t.Fatalf("second lock of the same user returned (%v) while the first was held", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-second:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("second lock still waiting after the first committed")
		}
	})
}
