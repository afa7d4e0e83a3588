package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/internal/sessiontest"
)

// newSession returns a session of uid with a random id.
func newSession(tb testing.TB, uid string) *barong.Session {
	tb.Helper()
	return &barong.Session{
		ID:         randHex(tb, 16),
		UID:        uid,
		UserIP:     "168.238.57.64",
		UserAgent:  "Mozilla/5.0 (X11; Linux x86_64)",
		CSRFToken:  randHex(tb, 5),
		ExpireTime: time.Now().Add(30 * time.Minute).Unix(),
		CreatedAt:  time.Now().UTC().Truncate(time.Second),
	}
}

func mustCreate(tb testing.TB, st barong.SessionStore, s *barong.Session, ttl time.Duration) {
	tb.Helper()
	if err := st.CreateSession(ctxT(tb), s, ttl); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
}

func wantGone(tb testing.TB, st barong.SessionStore, id string) {
	tb.Helper()
	if _, err := st.Session(ctxT(tb), id); !errors.Is(err, barong.ErrNotFound) {
		tb.Fatalf("Session: err = %v, want ErrNotFound", err)
	}
}

func wantAlive(tb testing.TB, st barong.SessionStore, id string) *barong.Session {
	tb.Helper()
	s, err := st.Session(ctxT(tb), id)
	if err != nil {
		tb.Fatalf("Session: %v", err)
	}
	return s
}

// indexMembers lists the hashes in a user's index.
func indexMembers(tb testing.TB, c *Client, prefix, uid string) []string {
	tb.Helper()
	m, err := c.rdb.ZRange(ctxT(tb), prefix+"user_sessions:"+uid, 0, -1).Result()
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(m)
	return m
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	st := c.Sessions(p)
	ctx := ctxT(t)

	s := newSession(t, "ID0000000001")
	mustCreate(t, st, s, time.Minute)

	got := wantAlive(t, st, s.ID)
	if *got != *s {
		t.Fatalf("Session = %+v, want %+v", got, s)
	}

	t.Run("KeysHoldNoPlainID", func(t *testing.T) {
		keys := keysUnder(t, c, p)
		slices.Sort(keys)
		want := []string{p + "session:" + barong.SessionHash(s.ID), p + "user_sessions:" + s.UID}
		if !slices.Equal(keys, want) {
			t.Fatalf("keys = %q, want %q", keys, want)
		}
		raw, err := c.rdb.Get(ctx, want[0]).Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, s.ID) {
			t.Fatalf("record holds the plain session id: %s", raw)
		}
	})

	t.Run("IndexTTLIsRelative", func(t *testing.T) {
		ttl := c.rdb.PTTL(ctx, p+"user_sessions:"+s.UID).Val()
		if ttl <= 0 || ttl > time.Minute {
			t.Fatalf("index PTTL = %s, want within (0, 1m]", ttl)
		}
	})

	t.Run("Touch", func(t *testing.T) {
		s.ExpireTime += 600
		if err := st.TouchSession(ctx, s, 2*time.Minute); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		if got := wantAlive(t, st, s.ID); got.ExpireTime != s.ExpireTime {
			t.Fatalf("ExpireTime = %d, want %d", got.ExpireTime, s.ExpireTime)
		}
		for _, k := range []string{p + "session:" + barong.SessionHash(s.ID), p + "user_sessions:" + s.UID} {
			if ttl := c.rdb.PTTL(ctx, k).Val(); ttl <= time.Minute {
				t.Fatalf("PTTL(%s) = %s after touch, want > 1m", k, ttl)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if err := st.DeleteSession(ctx, s.ID); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		wantGone(t, st, s.ID)
		if m := indexMembers(t, c, p, s.UID); len(m) != 0 {
			t.Fatalf("index members after delete = %q", m)
		}
		if err := st.DeleteSession(ctx, s.ID); err != nil {
			t.Fatalf("second DeleteSession: %v", err)
		}
		if err := st.TouchSession(ctx, s, time.Minute); !errors.Is(err, barong.ErrNotFound) {
			t.Fatalf("TouchSession of a deleted session: err = %v, want ErrNotFound", err)
		}
		wantGone(t, st, s.ID)
	})
}

func TestSessionNotFound(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	st := c.Sessions(testPrefix(t, c))
	wantGone(t, st, "")
	wantGone(t, st, randHex(t, 16))
}

func TestSessionInvalidInput(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	st := c.Sessions(testPrefix(t, c))
	ctx := ctxT(t)
	noID := newSession(t, "ID1")
	noID.ID = ""
	noUID := newSession(t, "")
	for name, err := range map[string]error{
		"NoID":     st.CreateSession(ctx, noID, time.Minute),
		"NoUID":    st.CreateSession(ctx, noUID, time.Minute),
		"ZeroTTL":  st.CreateSession(ctx, newSession(t, "ID1"), 0),
		"TouchNil": st.TouchSession(ctx, nil, time.Minute),
		"NoUser":   st.DeleteUserSessions(ctx, "", ""),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSessionCorruptRecord(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	id := randHex(t, 16)
	c.rdb.Set(ctxT(t), p+"session:"+barong.SessionHash(id), "{not json", time.Minute)
	_, err := c.Sessions(p).Session(ctxT(t), id)
	if err == nil || errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("Session of a corrupt record: err = %v, want a decode error", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	st := c.Sessions(p)
	ctx := ctxT(t)

	// A ttl long enough that a loaded machine does not see the session
	// expire before wantAlive (it used to be 300 ms).
	const ttl = 2 * time.Second
	short := newSession(t, "ID0000000002")
	mustCreate(t, st, short, ttl)
	created := time.Now() // Redis set the ttl before
	wantAlive(t, st, short.ID)
	time.Sleep(time.Until(created.Add(ttl + 150*time.Millisecond)))

	wantGone(t, st, short.ID)
	if err := st.TouchSession(ctx, short, time.Minute); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("TouchSession of an expired session: err = %v, want ErrNotFound", err)
	}
	wantGone(t, st, short.ID)
	if n := c.rdb.Exists(ctx, p+"user_sessions:"+short.UID).Val(); n != 0 {
		t.Fatal("index outlived its only session")
	}

	t.Run("ExpiredMembersArePruned", func(t *testing.T) {
		old := newSession(t, "ID0000000003")
		mustCreate(t, st, old, 100*time.Millisecond)
		time.Sleep(150 * time.Millisecond)
		cur := newSession(t, "ID0000000003")
		mustCreate(t, st, cur, time.Minute)
		if m := indexMembers(t, c, p, cur.UID); !slices.Equal(m, []string{barong.SessionHash(cur.ID)}) {
			t.Fatalf("index = %q, want only the live session", m)
		}
	})
}

func TestDeleteUserSessions(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	st := c.Sessions(p)
	ctx := ctxT(t)

	const uid, other = "ID00000000AA", "ID00000000BB"
	a1, a2, a3 := newSession(t, uid), newSession(t, uid), newSession(t, uid)
	b := newSession(t, other)
	for _, s := range []*barong.Session{a1, a2, a3, b} {
		mustCreate(t, st, s, time.Minute)
	}

	if err := st.DeleteUserSessions(ctx, uid, a2.ID); err != nil {
		t.Fatalf("DeleteUserSessions: %v", err)
	}
	wantGone(t, st, a1.ID)
	wantGone(t, st, a3.ID)
	wantAlive(t, st, a2.ID)
	wantAlive(t, st, b.ID)
	if m := indexMembers(t, c, p, uid); !slices.Equal(m, []string{barong.SessionHash(a2.ID)}) {
		t.Fatalf("index = %q, want only the excepted session", m)
	}
	if ttl := c.rdb.PTTL(ctx, p+"user_sessions:"+uid).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("index PTTL = %s, want within (0, 1m]", ttl)
	}

	t.Run("ExceptAnotherUsersSession", func(t *testing.T) {
		if err := st.DeleteUserSessions(ctx, uid, b.ID); err != nil {
			t.Fatalf("DeleteUserSessions: %v", err)
		}
		wantGone(t, st, a2.ID)
		wantAlive(t, st, b.ID)
		if n := c.rdb.Exists(ctx, p+"user_sessions:"+uid).Val(); n != 0 {
			t.Fatal("index left behind")
		}
		if m := indexMembers(t, c, p, other); !slices.Equal(m, []string{barong.SessionHash(b.ID)}) {
			t.Fatalf("other user's index = %q", m)
		}
	})

	t.Run("NoSessions", func(t *testing.T) {
		if err := st.DeleteUserSessions(ctx, "ID00000000CC", ""); err != nil {
			t.Fatalf("DeleteUserSessions of a user without sessions: %v", err)
		}
	})
}

func TestDeleteAllSessions(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	p, other := testPrefix(t, c), testPrefix(t, c)
	st, otherSt := c.Sessions(p), c.Sessions(other)
	var ids []string
	for i := range 3 {
		s := newSession(t, fmt.Sprintf("ID%010d", i))
		mustCreate(t, st, s, time.Minute)
		ids = append(ids, s.ID)
	}
	survivor := newSession(t, "ID0000000000")
	mustCreate(t, otherSt, survivor, time.Minute)
	if err := c.KV(p).Set(ctxT(t), "keep", "1", time.Minute); err != nil {
		t.Fatal(err)
	}

	all, ok := st.(interface{ DeleteAllSessions(context.Context) error })
	if !ok {
		t.Fatal("session store has no DeleteAllSessions")
	}
	if err := all.DeleteAllSessions(ctxT(t)); err != nil {
		t.Fatalf("DeleteAllSessions: %v", err)
	}
	for _, id := range ids {
		wantGone(t, st, id)
	}
	if keys := keysUnder(t, c, p); !slices.Equal(keys, []string{p + "kv:keep"}) {
		t.Fatalf("keys left under the prefix: %q", keys)
	}
	wantAlive(t, otherSt, survivor.ID)
}

// TestTwoProcesses runs two clients, as two `barong serve` processes would.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	c1, c2 := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, c1)
	st1, st2 := c1.Sessions(p), c2.Sessions(p)
	ctx := ctxT(t)

	const uid = "ID00000000DD"
	keep, drop := newSession(t, uid), newSession(t, uid)
	mustCreate(t, st1, keep, time.Minute)
	mustCreate(t, st2, drop, time.Minute)
	if got := wantAlive(t, st2, keep.ID); got.CSRFToken != keep.CSRFToken {
		t.Fatalf("process 2 reads CSRF %q, want %q", got.CSRFToken, keep.CSRFToken)
	}
	wantAlive(t, st1, drop.ID)

	if err := st1.DeleteUserSessions(ctx, uid, keep.ID); err != nil {
		t.Fatalf("DeleteUserSessions: %v", err)
	}
	wantGone(t, st2, drop.ID)
	if err := st2.TouchSession(ctx, drop, time.Minute); !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("process 2 touches a revoked session: err = %v, want ErrNotFound", err)
	}
	wantAlive(t, st2, keep.ID)

	if err := st2.DeleteSession(ctx, keep.ID); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	wantGone(t, st1, keep.ID)
}

// TestSessionRoundTrips counts what reaches Redis when authz reads a
// session it does not hold and slides one it holds (Principals.Session and
// SlideSession): one round trip each, never a dial. (TouchSession also
// reports the change to the other processes.)
func TestSessionRoundTrips(t *testing.T) {
	c := mustOpen(t, "")
	p := testPrefix(t, c)
	st := c.Sessions(p)
	ctx := ctxT(t)
	hook := &countHook{}
	c.rdb.AddHook(hook)

	s := newSession(t, "ID00000000EE")
	mustCreate(t, st, s, time.Minute)

	for name, call := range map[string]func() error{
		"Session": func() error { _, err := st.Session(ctx, s.ID); return err },
		"Slide":   func() error { return st.(*sessionStore).touch(ctx, s, time.Minute) },
		"Missing": func() error { _, err := st.Session(ctx, "nope"); return ignoreNotFound(err) },
	} {
		before, dials := hook.trips(), hook.dials.Load()
		for range 10 {
			if err := call(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if n := hook.trips() - before; n != 10 {
			t.Errorf("%s: %d round trips for 10 calls, want 10", name, n)
		}
		if n := hook.dials.Load() - dials; n != 0 {
			t.Errorf("%s: %d dials on the hot path", name, n)
		}
	}
}

// ignoreNotFound turns ErrNotFound into nil.
func ignoreNotFound(err error) error {
	if errors.Is(err, barong.ErrNotFound) {
		return nil
	}
	return err
}

func BenchmarkSession(b *testing.B) {
	c := mustOpen(b, "")
	st := c.Sessions(testPrefix(b, c))
	s := newSession(b, "ID00000000FF")
	mustCreate(b, st, s, time.Minute)
	ctx := ctxT(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.Session(ctx, s.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkTouchSession(b *testing.B) {
	c := mustOpen(b, "")
	st := c.Sessions(testPrefix(b, c))
	s := newSession(b, "ID00000000FF")
	mustCreate(b, st, s, time.Minute)
	ctx := ctxT(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := st.TouchSession(ctx, s, time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestUserSessions(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	sessiontest.Listing(t, c.Sessions(testPrefix(t, c)), time.Now)
}
