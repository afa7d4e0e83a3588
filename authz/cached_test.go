package authz

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// cookieCase is one cookie request: mod adjusts the request and the
// stored session and user before the request is made.
type cookieCase struct {
	name string
	mod  func(t *testing.T, f *fixture, r *Request, s *barong.Session, u *barong.User)
	want string
	// gone: the session is deleted; slid: its expiry moved forward.
	gone, slid bool
}

var cookieCases = []cookieCase{
	{"OK", nil, "ok", false, true},
	{"NoCookie", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) { r.SessionID = "" },
		"authz.invalid_session", false, false},
	{"UnknownSession", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) { r.SessionID = "nope" },
		"authz.invalid_session", false, false},
	{"PostWithoutCSRF", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) { r.Method = "POST" },
		"authz.missing_csrf_token", false, false},
	{"PostWithoutCSRFOrCookie", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) {
		r.Method, r.SessionID = "POST", ""
	}, "authz.missing_csrf_token", false, false},
	{"PostWrongCSRF", func(_ *testing.T, _ *fixture, r *Request, s *barong.Session, _ *barong.User) {
		r.Method, r.CSRF, r.HasCSRF = "DELETE", s.CSRFToken+"0", true
	}, "authz.csrf_token_mismatch", false, false},
	{"PostCSRFNoCookie", func(_ *testing.T, _ *fixture, r *Request, s *barong.Session, _ *barong.User) {
		r.Method, r.CSRF, r.HasCSRF, r.SessionID = "PUT", s.CSRFToken, true, ""
	}, "authz.csrf_token_mismatch", false, false},
	{"PostRightCSRF", func(_ *testing.T, _ *fixture, r *Request, s *barong.Session, _ *barong.User) {
		r.Method, r.CSRF, r.HasCSRF = "POST", s.CSRFToken, true
	}, "ok", false, true},
	{"OtherAgent", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) { r.UserAgent = "curl/8" },
		"authz.client_session_mismatch", true, false},
	{"OtherNetwork", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) { r.IP = "168.27.3.225" },
		"authz.client_session_mismatch", true, false},
	{"SameNetwork", func(_ *testing.T, _ *fixture, r *Request, _ *barong.Session, _ *barong.User) { r.IP = "168.238.1.2" },
		"ok", false, true},
	{"IdleExpired", func(t *testing.T, f *fixture, _ *Request, s *barong.Session, _ *barong.User) {
		s.ExpireTime = time.Now().Unix() - 1
		if err := f.sessions.TouchSession(context.Background(), s, time.Minute); err != nil {
			t.Fatal(err)
		}
	}, "authz.client_session_mismatch", true, false},
	{"Banned", func(t *testing.T, f *fixture, _ *Request, _ *barong.Session, u *barong.User) {
		f.change(t, u, func(u *barong.User) { u.State = barong.StateBanned })
	}, "authz.user_not_active", false, true},
	{"Pending", func(t *testing.T, f *fixture, _ *Request, _ *barong.Session, u *barong.User) {
		f.change(t, u, func(u *barong.User) { u.State = barong.StatePending })
	}, "ok", false, true},
	{"NoPermission", func(t *testing.T, f *fixture, _ *Request, _ *barong.Session, u *barong.User) {
		f.change(t, u, func(u *barong.User) { u.Role = "nobody" })
	}, "authz.invalid_permission", false, true},
	{"UserGone", func(t *testing.T, f *fixture, r *Request, s *barong.Session, _ *barong.User) {
		o := *s
		o.ID, o.UID = randHex(t, 16), "IDNOSUCHUSER"
		if err := f.sessions.CreateSession(context.Background(), &o, time.Minute); err != nil {
			t.Fatal(err)
		}
		*s, r.SessionID = o, o.ID
	}, "authz.invalid_session", true, false},
}

// TestCookieParity runs every cookie case on an engine without the cache
// (the reference: session store and database) and on engines with it, cold
// (nothing cached: the script) and warm (the session, the user's snapshot
// and token known from an earlier request, then the change made through
// the wrapped store: plain reads): same answer, same effect on the
// session.
func TestCookieParity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	plain, cached := f.engine(t, false, 0), f.engine(t, true, DefaultTokenCache)
	for _, c := range cookieCases {
		for _, mode := range []string{"plain", "cold", "warm"} {
			e := cached
			if mode == "plain" {
				e = plain
			}
			e.now = time.Now
			u := f.user(t)
			s := f.session(t, u)
			if mode == "warm" {
				// The same session again, two seconds later (so that a
				// slide shows): the steady-state reads and SlideLater.
				if got := outcome(e.Check(context.Background(), cookieReq(s))); got != "ok" {
					t.Fatalf("%s/%s: warm-up: %s", c.name, mode, got)
				}
				e.now = func() time.Time { return time.Now().Add(2 * time.Second) }
			}
			r := cookieReq(s)
			if c.mod != nil {
				c.mod(t, f, &r, s, u)
			}
			stored, _ := storedExpiry(f, s.ID)
			got := outcome(e.Check(context.Background(), r))
			if got != c.want {
				t.Errorf("%s/%s: %s, want %s", c.name, mode, got, c.want)
			}
			// Slides may be written behind the answer: wait for them (a
			// loaded machine may take seconds).
			deadline := time.Now().Add(10 * time.Second)
			if !c.slid {
				deadline = time.Now().Add(30 * time.Millisecond)
			}
			after, ok := storedExpiry(f, s.ID)
			for ok && after <= stored && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
				after, ok = storedExpiry(f, s.ID)
			}
			if gone := !ok; gone != c.gone {
				t.Errorf("%s/%s: session gone = %v, want %v", c.name, mode, gone, c.gone)
			}
			if slid := ok && after > stored; slid != c.slid {
				t.Errorf("%s/%s: session slid = %v, want %v", c.name, mode, slid, c.slid)
			}
		}
	}
	cached.now = time.Now
}

// storedExpiry reads the stored expiry of a session; false when it is gone.
func storedExpiry(f *fixture, id string) (int64, bool) {
	s, err := f.sessions.Session(context.Background(), id)
	if err != nil {
		return 0, false
	}
	return s.ExpireTime, true
}

// TestCookieAcrossProcesses: changes made anywhere are in force on every
// process at the next request, with the token cache on.
func TestCookieAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e1, e2 := f.engine(t, true, time.Minute), f.engine(t, true, time.Minute)
	ctx := context.Background()
	u := f.user(t)
	s := f.session(t, u)
	for _, e := range []*Engine{e1, e2} {
		if got := outcome(e.Check(ctx, cookieReq(s))); got != "ok" {
			t.Fatalf("first request: %s", got)
		}
	}

	// A role change: the next token of each process carries the new role.
	f.change(t, u, func(u *barong.User) { u.Level = 3 })
	for i, e := range []*Engine{e1, e2} {
		res, err := e.Check(ctx, cookieReq(s))
		if err != nil {
			t.Fatal(err)
		}
		c, err := testRing(t).VerifyAccess(res.Token, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.Level != 3 {
			t.Fatalf("process %d: token level %d after the change, want 3", i+1, c.Level)
		}
	}

	// A ban: refused on both.
	f.change(t, u, func(u *barong.User) { u.State = barong.StateLocked })
	for i, e := range []*Engine{e1, e2} {
		if got := outcome(e.Check(ctx, cookieReq(s))); got != "authz.user_not_active" {
			t.Fatalf("process %d after a ban: %s", i+1, got)
		}
	}
	f.change(t, u, func(u *barong.User) { u.State = barong.StateActive })

	// A session revoked through one process's store is refused by both.
	if err := f.sessions.DeleteUserSessions(ctx, u.UID, ""); err != nil {
		t.Fatal(err)
	}
	for i, e := range []*Engine{e1, e2} {
		if got := outcome(e.Check(ctx, cookieReq(s))); got != "authz.invalid_session" {
			t.Fatalf("process %d after revocation: %s", i+1, got)
		}
	}
}

// TestCookieSteadyState: once warm, a cookie request reads nothing from
// the database and calls no session or KV method (its one script run is
// counted by the redisstore tests), and the token is reused.
func TestCookieSteadyState(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.engine(t, true, time.Minute)
	ctx := context.Background()
	s := f.session(t, f.user(t))
	first, err := e.Check(ctx, cookieReq(s))
	if err != nil {
		t.Fatal(err)
	}
	reads, touches := f.reads.Load(), f.touches.Load()
	for range 20 {
		res, err := e.Check(ctx, cookieReq(s))
		if err != nil {
			t.Fatal(err)
		}
		if res.Token != first.Token || res.Bearer != "Bearer "+first.Token {
			t.Fatalf("token not reused within the window (or header %q)", res.Bearer)
		}
		if res.Session.ExpireTime < time.Now().Add(30*time.Minute).Unix()-1 {
			t.Fatalf("result session expiry %d not slid", res.Session.ExpireTime)
		}
	}
	if n := f.reads.Load() - reads; n != 0 {
		t.Fatalf("%d database reads in steady state", n)
	}
	if n := f.touches.Load() - touches; n != 0 {
		t.Fatalf("%d session/KV calls in steady state", n)
	}

	// Without TokenOnly (direct resource calls) the user is the database
	// row, complete.
	r := cookieReq(s)
	r.TokenOnly = false
	res, err := e.Check(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.User.PasswordDigest == "" || res.User.CreatedAt.IsZero() {
		t.Fatalf("full user expected, got %+v", res.User)
	}
}

// TestSQLSessionSlidOncePerSecond: without Redis the session row is
// written only when its expiry moves (once per second at most), and
// slides as before.
func TestSQLSessionSlidOncePerSecond(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var reads, touches atomic.Int64
	e := New(Config{SessionExpire: 30 * time.Minute, NonceLifetime: 5 * time.Second, JWTExpire: time.Hour},
		countingStore{f.db, &reads}, countingSessions{f.db, &touches}, countingKV{f.db, &touches}, testRing(t), nil,
		slog.New(slog.DiscardHandler))
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock := time.Now().Truncate(time.Second)
	e.now = func() time.Time { return clock }
	u := f.user(t)
	s := &barong.Session{ID: randHex(t, 16), UID: u.UID, UserIP: testIP, UserAgent: testUA, CSRFToken: "c",
		ExpireTime: clock.Add(20 * time.Minute).Unix()}
	if err := f.db.CreateSession(context.Background(), s, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	check := func(want int64) {
		t.Helper()
		touches.Store(0)
		if got := outcome(e.Check(context.Background(), cookieReq(s))); got != "ok" {
			t.Fatal(got)
		}
		if n := touches.Load() - 1; n != want { // minus the read
			t.Fatalf("%d session writes, want %d", n, want)
		}
		got, err := f.db.Session(context.Background(), s.ID)
		if err != nil || got.ExpireTime != clock.Add(30*time.Minute).Unix() {
			t.Fatalf("stored expiry %v (%v), want %d", got, err, clock.Add(30*time.Minute).Unix())
		}
	}
	check(1)
	clock = clock.Add(500 * time.Millisecond)
	check(0)
	clock = clock.Add(500 * time.Millisecond)
	check(1)
}
