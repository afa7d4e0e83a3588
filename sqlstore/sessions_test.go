package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/barong-go/barong"
	"github.com/barong-go/barong/internal/sessiontest"
)

// TestSessions runs alone: PurgeExpired with its fake clock would remove other
// tests' rows from the shared databases.
func TestSessions(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		uid := "ID" + unique("")[:10]
		newSession := func(uid string) *barong.Session {
			s := &barong.Session{ID: unique("sid"), UID: uid, UserIP: "10.1.2.3", UserAgent: "Mozilla/5.0 (X11)",
				CSRFToken: unique("csrf"), ExpireTime: clock.Now().Add(30 * time.Minute).Unix()}
			if err := db.CreateSession(ctx, s, time.Hour); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := newSession(uid)
		got, err := db.Session(ctx, s.ID)
		if err != nil || *got != *s {
			t.Fatalf("Session = %+v, %v; want %+v", got, err, s)
		}
		// Only the hash of the id is stored.
		if n := rawInt(t, db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?", s.ID); n != 0 {
			t.Fatal("plain session id stored")
		}
		if n := rawInt(t, db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?", barong.SessionHash(s.ID)); n != 1 {
			t.Fatal("session not stored under its hash")
		}
		_, err = db.Session(ctx, "unknown")
		wantNotFound(t, err)

		// Touch slides both expiries; a second touch in the same second
		// (nothing changes) is fine.
		clock.Advance(50 * time.Minute)
		s.ExpireTime = clock.Now().Add(30 * time.Minute).Unix()
		for range 2 {
			if err := db.TouchSession(ctx, s, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(50 * time.Minute) // 100 min after creation, 50 after touch
		if got, err := db.Session(ctx, s.ID); err != nil || got.ExpireTime != s.ExpireTime {
			t.Fatalf("touched session = %+v, %v", got, err)
		}
		clock.Advance(11 * time.Minute)
		_, err = db.Session(ctx, s.ID)
		wantNotFound(t, err)
		wantNotFound(t, db.TouchSession(ctx, s, time.Hour))
		if err := db.CreateSession(ctx, &barong.Session{ID: "x", UID: uid}, 0); err == nil {
			t.Fatal("session without ttl accepted")
		}

		// PurgeExpired removes the expired record of s.
		if n := rawInt(t, db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?", barong.SessionHash(s.ID)); n != 1 {
			t.Fatal("expired session already gone")
		}
		if err := db.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if n := rawInt(t, db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?", barong.SessionHash(s.ID)); n != 0 {
			t.Fatal("expired session not purged")
		}

		// Revocation.
		a, b, c := newSession(uid), newSession(uid), newSession(uid)
		other := newSession("ID" + unique("")[:10])
		if err := db.DeleteUserSessions(ctx, uid, b.ID); err != nil {
			t.Fatal(err)
		}
		for sess, alive := range map[*barong.Session]bool{a: false, b: true, c: false, other: true} {
			_, err := db.Session(ctx, sess.ID)
			if (err == nil) != alive {
				t.Fatalf("session of %s alive=%v: %v", sess.UID, alive, err)
			}
		}
		if err := db.DeleteUserSessions(ctx, uid, ""); err != nil {
			t.Fatal(err)
		}
		_, err = db.Session(ctx, b.ID)
		wantNotFound(t, err)
		if err := db.DeleteSession(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.Session(ctx, other.ID)
		wantNotFound(t, err)
		if err := db.DeleteSession(ctx, other.ID); err != nil {
			t.Fatalf("deleting a deleted session: %v", err)
		}

	})
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 10, 900_000_000, time.UTC)
	if got := expiry(now, time.Second); !got.Equal(time.Date(2026, 1, 1, 0, 0, 12, 0, time.UTC)) {
		t.Fatalf("expiry rounds to %v", got)
	}
	if got := expiry(now.Truncate(time.Second), time.Second); !got.Equal(time.Date(2026, 1, 1, 0, 0, 11, 0, time.UTC)) {
		t.Fatalf("whole-second expiry %v", got)
	}
	if expiry(now, 0) != nil {
		t.Fatal("ttl 0 expires")
	}
}

// TestDeleteAllSessions runs alone: it empties the shared sessions table.
func TestDeleteAllSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var ids []string
		for range 3 {
			s := &barong.Session{ID: unique("sid"), UID: "ID" + unique("")[:10], UserAgent: "ua", UserIP: "1.2.3.4"}
			if err := db.CreateSession(ctx, s, time.Hour); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
		}
		if err := db.DeleteAllSessions(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			_, err := db.Session(ctx, id)
			wantNotFound(t, err)
		}
	})
}

func TestUserSessions(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		sessiontest.Listing(t, db, clock.Now)
	})
}
