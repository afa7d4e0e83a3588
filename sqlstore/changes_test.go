package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

// collector records the changes a watcher is given.
type collector struct {
	mu  sync.Mutex
	got []barong.Change
}

func (c *collector) add(ch barong.Change) {
	c.mu.Lock()
	c.got = append(c.got, ch)
	c.mu.Unlock()
}

func (c *collector) has(want barong.Change) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.got, want)
}

// waitFor waits up to 5 s for want and returns how long it took.
func (c *collector) waitFor(t *testing.T, want barong.Change) time.Duration {
	t.Helper()
	start := time.Now()
	for !c.has(want) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%+v not delivered within 5 s", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// twinDBs opens two DBs, two processes, on one database of dialect.
func twinDBs(t *testing.T, dialect string) (*DB, *DB) {
	t.Helper()
	u := ""
	if dialect == DialectSQLite {
		u = "sqlite:" + filepath.Join(t.TempDir(), "twin.db")
	} else {
		u = serverURL(t, dialect)
	}
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(context.Background(), u, Options{Cipher: testCipher(t), CRC32Salt: "test-salt"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// TestChangeFeedBetweenProcesses: every deletion of a session, TouchSession
// and every write reported through Principals.Wrap reach a watcher of the
// same process at once and one of another process within about a poll
// interval.
func TestChangeFeedBetweenProcesses(t *testing.T) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a, b := twinDBs(t, dialect)
			var other, same collector
			defer b.Principals(0).Watch(other.add)()
			defer a.Principals(0).Watch(same.add)()
			if !b.Principals(0).Live() {
				t.Fatal("feed not live after Watch")
			}
			ctx := context.Background()
			u := mustUser(t, a)
			store := a.Principals(0).Wrap(a)
			s := &barong.Session{ID: unique("sid"), UID: u.UID, UserIP: "10.1.2.3", UserAgent: "UA", CSRFToken: "c",
				ExpireTime: time.Now().Add(time.Hour).Unix()}
			keep := &barong.Session{ID: unique("sid"), UID: u.UID, UserIP: "10.1.2.3", UserAgent: "UA", CSRFToken: "c",
				ExpireTime: time.Now().Add(time.Hour).Unix()}
			listed := &barong.Session{ID: unique("sid"), UID: u.UID, UserIP: "10.1.2.3", UserAgent: "UA", CSRFToken: "c",
				ExpireTime: time.Now().Add(time.Hour).Unix()}
			for _, se := range []*barong.Session{s, keep, listed} {
				if err := a.CreateSession(ctx, se, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			h, hk := barong.SessionHash(s.ID), barong.SessionHash(keep.ID)
			for _, c := range []struct {
				name string
				do   func() error
				want barong.Change
			}{
				{"TouchSession", func() error { return a.TouchSession(ctx, s, time.Hour) }, barong.Change{Kind: barong.ChangedSession, Key: h}},
				{"DeleteUserSession", func() error {
					ok, err := a.DeleteUserSession(ctx, u.UID, barong.SessionHash(listed.ID))
					if err == nil && !ok {
						err = errors.New("not deleted")
					}
					return err
				}, barong.Change{Kind: barong.ChangedSession, Key: barong.SessionHash(listed.ID)}},
				{"DeleteUserSessions", func() error { return a.DeleteUserSessions(ctx, u.UID, keep.ID) },
					barong.Change{Kind: barong.ChangedUserSessions, Key: u.UID, Except: hk}},
				{"DeleteSession", func() error { return a.DeleteSession(ctx, keep.ID) }, barong.Change{Kind: barong.ChangedSession, Key: hk}},
				{"UpdateUser", func() error { return store.UpdateUser(ctx, u) }, barong.Change{Kind: barong.ChangedUser, Key: u.UID}},
			} {
				if err := c.do(); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !same.has(c.want) {
					t.Errorf("%s: not applied in the process that made it when the call returned", c.name)
				}
				t.Logf("%s reached the other process after %v", c.name, other.waitFor(t, c.want).Round(time.Millisecond))
			}
		})
	}
}

// TestChangeFeedLateCommit: a row whose id is below one already seen (ids
// of concurrent inserts may commit out of order) is still delivered, once.
func TestChangeFeedLateCommit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		var got collector
		defer db.Principals(0).Watch(got.add)()
		ctx := context.Background()
		insert := func(key string) int64 {
			id, err := db.w.insert(ctx, `INSERT INTO cache_changes (kind, record_key, except_key, created_at) VALUES (?, ?, ?, ?)`,
				int64(barong.ChangedUser), key, "", db.clock())
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		gapKey, lateKey, nextKey := unique("gap"), unique("late"), unique("next")
		gap := insert(gapKey)
		if _, err := db.w.exec(ctx, "DELETE FROM cache_changes WHERE id = ?", gap); err != nil {
			t.Fatal(err)
		}
		insert(nextKey)
		got.waitFor(t, barong.Change{Kind: barong.ChangedUser, Key: nextKey})
		// The row of the gap commits now.
		if _, err := db.w.exec(ctx, `INSERT INTO cache_changes (id, kind, record_key, except_key, created_at) VALUES (?, ?, ?, ?, ?)`,
			gap, int64(barong.ChangedUser), lateKey, "", db.clock()); err != nil {
			t.Fatal(err)
		}
		got.waitFor(t, barong.Change{Kind: barong.ChangedUser, Key: lateKey})
		time.Sleep(3 * pollEvery)
		n := 0
		got.mu.Lock()
		for _, c := range got.got {
			if c.Key == lateKey || c.Key == nextKey {
				n++
			}
		}
		got.mu.Unlock()
		if n != 2 {
			t.Fatalf("%d deliveries of the two changes, want 2", n)
		}
	})
}

// TestChangeFeedNotLive: a feed that stopped polling is not Live within a
// second.
func TestChangeFeedNotLive(t *testing.T) {
	t.Parallel()
	db := openTestDB(t, DialectSQLite, Options{})
	p := db.Principals(0)
	defer p.Watch(func(barong.Change) {})()
	if !p.Live() {
		t.Fatal("feed not live after Watch")
	}
	db.changes.close()
	stopped := time.Now()
	// Measured at the last look that found it live (taken before the
	// look), not when this goroutine next ran: a loaded machine may
	// oversleep the 10 ms between looks.
	var lastLive time.Duration
	for {
		at := time.Since(stopped)
		if !p.Live() {
			break
		}
		lastLive = at
		if at > 3*time.Second {
			t.Fatal("feed live 3 s after it stopped polling")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if lastLive > time.Second {
		t.Errorf("still live %v after it stopped polling", lastLive)
	}
}

// TestChangeFeedPurge: PurgeExpired drops the rows older than the
// retention. (The clock is in 2000, so that the purge spares the rows of
// the tests sharing the server databases.)
func TestChangeFeedPurge(t *testing.T) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{t: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
			db := openTestDB(t, dialect, Options{Now: clock.Now})
			ctx := context.Background()
			key := unique("purged")
			db.changes.notify(ctx, []barong.Change{{Kind: barong.ChangedUser, Key: key}})
			count := func() int64 { return rawInt(t, db, "SELECT COUNT(*) FROM cache_changes WHERE record_key = ?", key) }
			if n := count(); n != 1 {
				t.Fatalf("%d rows recorded, want 1", n)
			}
			clock.Advance(changeRetention - time.Minute)
			if err := db.PurgeExpired(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d rows within the retention, want 1", n)
			}
			clock.Advance(2 * time.Minute)
			if err := db.PurgeExpired(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 0 {
				t.Fatalf("%d rows after the retention, want 0", n)
			}
		})
	}
}
