package authz

import (
	"context"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

func TestTokenCacheWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.engine(t, true, 10*time.Second)
	clock := time.Now()
	e.now = func() time.Time { return clock }
	ctx := context.Background()
	u := f.user(t)
	s := f.session(t, u)
	tokenAt := func(d time.Duration) string {
		t.Helper()
		clock = clock.Add(d)
		res, err := e.Check(ctx, cookieReq(s))
		if err != nil {
			t.Fatal(err)
		}
		return res.Token
	}
	a := tokenAt(0)
	if b := tokenAt(9 * time.Second); b != a {
		t.Fatal("token not reused 9 s later with a 10 s window")
	}
	c := tokenAt(time.Second)
	if c == a {
		t.Fatal("token reused 10 s after it was signed")
	}
	claims, err := testRing(t).VerifyAccess(c, clock)
	if err != nil {
		t.Fatal(err)
	}
	if claims.IssuedAt.Unix() != clock.Unix() || claims.ExpiresAt.Unix() != clock.Add(time.Hour).Unix() {
		t.Fatalf("fresh token iat %v exp %v, want %v + 1h", claims.IssuedAt, claims.ExpiresAt, clock)
	}
	// A claim change gives another token at once.
	f.change(t, u, func(u *barong.User) { u.Email = "changed@example.com" })
	d := tokenAt(0)
	if d == c {
		t.Fatal("token reused after the e-mail changed")
	}
	if claims, _ := testRing(t).VerifyAccess(d, clock); claims == nil || claims.Email != "changed@example.com" {
		t.Fatalf("token after the change: %+v", claims)
	}
	// A clock that steps back does not hand out a token from the future.
	if g := tokenAt(-time.Minute); g == d {
		t.Fatal("token signed later reused after the clock stepped back")
	}
}

func TestTokenCacheOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.engine(t, true, 0)
	s := f.session(t, f.user(t))
	seen := map[string]bool{}
	for range 3 {
		res, err := e.Check(context.Background(), cookieReq(s))
		if err != nil {
			t.Fatal(err)
		}
		c, err := testRing(t).VerifyAccess(res.Token, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.JTI] {
			t.Fatal("jti repeated with the token cache off")
		}
		seen[c.JTI] = true
	}
}

func TestTokenCacheCapped(t *testing.T) {
	e := New(Config{JWTExpire: time.Minute, TokenCache: time.Hour}, nil, nil, nil, nil, nil, nil)
	if e.cfg.TokenCache != 30*time.Second || e.tokens == nil {
		t.Fatalf("window %s, want half the token lifetime", e.cfg.TokenCache)
	}
	if e := New(Config{JWTExpire: time.Minute}, nil, nil, nil, nil, nil, nil); e.tokens != nil {
		t.Fatal("token cache on with a zero window")
	}
}

// TestTokenCacheBounded: a generation holds at most tokenCacheSize
// principals and generations rotate every window.
func TestTokenCacheBounded(t *testing.T) {
	c := newTokenCache(time.Second)
	now := time.Now()
	for i := range tokenCacheSize + 100 {
		c.put(tokenKey{uid: string(rune(i))}, issued{tok: "t", at: now})
	}
	if len(c.cur) != tokenCacheSize {
		t.Fatalf("%d entries, want %d", len(c.cur), tokenCacheSize)
	}
	if _, ok := c.get(tokenKey{uid: string(rune(5))}, now.Add(999*time.Millisecond)); !ok {
		t.Fatal("entry missing within the window")
	}
	c.put(tokenKey{uid: "x"}, issued{tok: "t", at: now.Add(time.Second)})
	c.put(tokenKey{uid: "y"}, issued{tok: "t", at: now.Add(2 * time.Second)})
	if len(c.cur) != 1 || len(c.prev) != 1 {
		t.Fatalf("after two rotations: %d current, %d previous entries", len(c.cur), len(c.prev))
	}
}
