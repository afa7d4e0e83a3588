package redisstore

import (
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// principalsT returns a Principals and the Sessions store of one fresh
// prefix, on a client whose commands hook counts.
func principalsT(t *testing.T) (*Principals, barong.SessionStore, *countHook, string) {
	t.Helper()
	c := mustOpen(t, "")
	h := &countHook{}
	c.rdb.AddHook(h)
	p := testPrefix(t, c)
	return c.Principals(p, time.Minute), c.Sessions(p), h, p
}

func cookieQ(s *barong.Session, now time.Time) CookieQuery {
	return CookieQuery{SessionID: s.ID, UserAgent: s.UserAgent, Now: now.Unix(),
		NewExpire: now.Add(time.Hour).Unix(), TTL: time.Hour}
}

func TestPrincipalsCookie(t *testing.T) {
	t.Parallel()
	pr, st, hook, prefix := principalsT(t)
	ctx := ctxT(t)
	s := newSession(t, "IDCOOKIE0001")
	mustCreate(t, st, s, 30*time.Minute)
	now := time.Now()

	before := hook.trips()
	res, err := pr.Cookie(ctx, cookieQ(s, now))
	if err != nil {
		t.Fatal(err)
	}
	if n := hook.trips() - before; n != 1 {
		t.Fatalf("Cookie took %d round trips, want 1", n)
	}
	if res.Session == nil || *res.Session != *s {
		t.Fatalf("session = %+v, want %+v (stored expiry, before the slide)", res.Session, s)
	}
	if !res.Slid || res.User != nil || res.Lease == 0 {
		t.Fatalf("first read: slid %v, user %v, lease %d; want slid, no user, a lease", res.Slid, res.User, res.Lease)
	}
	got := wantAlive(t, st, s.ID)
	if got.ExpireTime != now.Add(time.Hour).Unix() {
		t.Fatalf("stored expiry %d, want the slid %d", got.ExpireTime, now.Add(time.Hour).Unix())
	}
	for _, k := range []string{prefix + "session:" + hashID(s.ID), prefix + "user_sessions:" + s.UID} {
		if ttl := pr.rdb.PTTL(ctx, k).Val(); ttl <= 30*time.Minute {
			t.Fatalf("PTTL(%s) = %s after the slide, want > 30m", k, ttl)
		}
	}
	if score := pr.rdb.ZScore(ctx, prefix+"user_sessions:"+s.UID, hashID(s.ID)).Val(); score < float64(time.Now().Add(59*time.Minute).UnixMilli()) {
		t.Fatalf("index score %f not slid", score)
	}

	// While the lease is held, other readers see no snapshot and no lease.
	// A session already slid to this second is not written again.
	pttl := pr.rdb.PTTL(ctx, prefix+"session:"+hashID(s.ID)).Val()
	time.Sleep(5 * time.Millisecond)
	if r2, _ := pr.Cookie(ctx, cookieQ(s, now)); r2.User != nil || r2.Lease != 0 || !r2.Slid {
		t.Fatalf("second reader: user %v lease %d slid %v", r2.User, r2.Lease, r2.Slid)
	}
	if again := pr.rdb.PTTL(ctx, prefix+"session:"+hashID(s.ID)).Val(); again >= pttl {
		t.Fatalf("record rewritten by a slide to the same second: PTTL %s then %s", pttl, again)
	}
	u := &barong.User{ID: 7, UID: s.UID, Username: "alice", Email: "a@example.com", Role: "member", Level: 2,
		OTP: true, State: "active", ReferralID: 3}
	if err := pr.PutUser(ctx, res.Lease, u); err != nil {
		t.Fatal(err)
	}
	res, err = pr.Cookie(ctx, cookieQ(s, now))
	if err != nil {
		t.Fatal(err)
	}
	if res.User == nil || *res.User != *u || res.Lease != 0 {
		t.Fatalf("snapshot = %+v lease %d, want %+v", res.User, res.Lease, u)
	}
	if ttl := pr.rdb.PTTL(ctx, prefix+"user:"+s.UID).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("snapshot PTTL = %s, want within (0, 1m]", ttl)
	}
}

func TestPrincipalsCookieNoSlide(t *testing.T) {
	t.Parallel()
	pr, st, _, _ := principalsT(t)
	ctx := ctxT(t)
	now := time.Now()
	for name, mod := range map[string]func(q *CookieQuery, s *barong.Session){
		"OtherAgent":   func(q *CookieQuery, _ *barong.Session) { q.UserAgent = "curl/8" },
		"IdleExpired":  func(q *CookieQuery, s *barong.Session) { q.Now = s.ExpireTime },
		"CSRFMismatch": func(q *CookieQuery, s *barong.Session) { q.CheckCSRF, q.CSRF = true, s.CSRFToken+"x" },
		"CSRFEmpty":    func(q *CookieQuery, _ *barong.Session) { q.CheckCSRF = true },
	} {
		s := newSession(t, "IDNOSLIDE001")
		mustCreate(t, st, s, 30*time.Minute)
		q := cookieQ(s, now)
		mod(&q, s)
		res, err := pr.Cookie(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Session == nil || res.Slid {
			t.Fatalf("%s: session %v slid %v, want the session, not slid", name, res.Session, res.Slid)
		}
		if got := wantAlive(t, st, s.ID); got.ExpireTime != s.ExpireTime {
			t.Fatalf("%s: expiry changed to %d", name, got.ExpireTime)
		}
	}
	s := newSession(t, "IDNOSLIDE001")
	mustCreate(t, st, s, 30*time.Minute)
	q := cookieQ(s, now)
	q.CheckCSRF, q.CSRF = true, s.CSRFToken
	if res, err := pr.Cookie(ctx, q); err != nil || !res.Slid {
		t.Fatalf("matching CSRF: slid %v err %v, want a slide", res.Slid, err)
	}
	// Unknown and empty ids.
	for _, id := range []string{"", "nope"} {
		res, err := pr.Cookie(ctx, CookieQuery{SessionID: id, TTL: time.Minute})
		if err != nil || res.Session != nil {
			t.Fatalf("id %q: %+v %v", id, res, err)
		}
	}
}

// TestPrincipalsLeaseLosesToChange: a snapshot loaded before a change and
// stored after it would be stale; the change's invalidation voids the
// lease, so it is not stored.
func TestPrincipalsLeaseLosesToChange(t *testing.T) {
	t.Parallel()
	pr, st, _, prefix := principalsT(t)
	ctx := ctxT(t)
	s := newSession(t, "IDLEASE00001")
	mustCreate(t, st, s, 30*time.Minute)
	res, err := pr.Cookie(ctx, cookieQ(s, time.Now()))
	if err != nil || res.Lease == 0 {
		t.Fatalf("lease %d err %v", res.Lease, err)
	}
	if err := pr.Invalidate(ctx, []string{s.UID}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := pr.PutUser(ctx, res.Lease, &barong.User{UID: s.UID, State: "active"}); err != nil {
		t.Fatal(err)
	}
	if n := pr.rdb.Exists(ctx, prefix+"user:"+s.UID).Val(); n != 0 {
		t.Fatal("a snapshot loaded before the change was stored after it")
	}
}

func TestPrincipalsAPIKey(t *testing.T) {
	t.Parallel()
	pr, _, hook, prefix := principalsT(t)
	ctx := ctxT(t)
	q := KeyQuery{KID: "0123456789abcdef", NonceKey: "nonce:0123456789abcdef:1", Consume: true, NonceTTL: 10 * time.Second}

	res, err := pr.APIKey(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fresh || res.Key != nil || res.KeyLease == 0 || res.HolderLease != 0 {
		t.Fatalf("first: %+v; want fresh, no key, a key lease", res)
	}
	if ttl := pr.rdb.PTTL(ctx, prefix+"kv:nonce:0123456789abcdef:1").Val(); ttl <= 9*time.Second {
		t.Fatalf("nonce PTTL = %s", ttl)
	}
	k := &KeySnapshot{ID: 4, KID: q.KID, State: "active", HolderType: barong.HolderUser, HolderID: 7, HolderUID: "IDHOLDER0001"}
	if err := pr.PutAPIKey(ctx, res.KeyLease, k); err != nil {
		t.Fatal(err)
	}
	raw := pr.rdb.Get(ctx, prefix+"apikey:"+q.KID).Val()
	if !strings.HasPrefix(raw, "user:IDHOLDER0001\n") {
		t.Fatalf("key snapshot %q", raw)
	}

	q.NonceKey = "nonce:0123456789abcdef:2"
	res, err = pr.APIKey(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fresh || res.Key == nil || *res.Key != *k || res.User != nil || res.HolderLease == 0 {
		t.Fatalf("second: %+v; want fresh, the key, a holder lease", res)
	}
	u := &barong.User{ID: 7, UID: "IDHOLDER0001", Email: "h@example.com", Role: "member", OTP: true, State: "active"}
	if err := pr.PutUser(ctx, res.HolderLease, u); err != nil {
		t.Fatal(err)
	}

	before := hook.trips()
	res, err = pr.APIKey(ctx, q) // same nonce again: a replay
	if err != nil {
		t.Fatal(err)
	}
	if n := hook.trips() - before; n != 1 {
		t.Fatalf("APIKey took %d round trips, want 1", n)
	}
	if res.Fresh || res.User == nil || *res.User != *u || res.KeyLease != 0 || res.HolderLease != 0 {
		t.Fatalf("replay: %+v; want not fresh, the holder", res)
	}

	// Without Consume the nonce is not recorded.
	q.NonceKey, q.Consume = "nonce:0123456789abcdef:3", false
	if res, err = pr.APIKey(ctx, q); err != nil || res.Fresh {
		t.Fatalf("no consume: fresh %v err %v", res.Fresh, err)
	}
	if n := pr.rdb.Exists(ctx, prefix+"kv:nonce:0123456789abcdef:3").Val(); n != 0 {
		t.Fatal("nonce recorded without Consume")
	}

	// A service-account holder.
	k2 := &KeySnapshot{ID: 5, KID: "fedcba9876543210", State: "active", HolderType: barong.HolderServiceAccount,
		HolderID: 9, HolderUID: "IDSA00000001"}
	q2 := KeyQuery{KID: k2.KID}
	res, _ = pr.APIKey(ctx, q2)
	if err := pr.PutAPIKey(ctx, res.KeyLease, k2); err != nil {
		t.Fatal(err)
	}
	res, _ = pr.APIKey(ctx, q2)
	sa := &barong.ServiceAccount{ID: 9, UID: "IDSA00000001", OwnerID: 7, Email: "sa@example.com", Role: "sa_maker", State: "active"}
	if err := pr.PutServiceAccount(ctx, res.HolderLease, sa); err != nil {
		t.Fatal(err)
	}
	if res, err = pr.APIKey(ctx, q2); err != nil || res.ServiceAccount == nil || *res.ServiceAccount != *sa {
		t.Fatalf("service account holder: %+v %v", res.ServiceAccount, err)
	}

	if _, err := pr.APIKey(ctx, KeyQuery{KID: "bad\nkid"}); err == nil {
		t.Fatal("a kid with a newline was accepted")
	}
}

func TestPrincipalsInvalidateAll(t *testing.T) {
	t.Parallel()
	pr, _, _, prefix := principalsT(t)
	ctx := ctxT(t)
	for i := range 1200 {
		pr.rdb.Set(ctx, prefix+"apikey:"+strconv.Itoa(i), "x", time.Minute)
	}
	pr.rdb.Set(ctx, prefix+"user:IDKEEP", "{}", time.Minute)
	pr.rdb.Set(ctx, prefix+"user_sessions:IDKEEP", "x", time.Minute)
	if err := pr.invalidateAll(ctx, keySuffix); err != nil {
		t.Fatal(err)
	}
	if keys := keysUnder(t, &Client{rdb: pr.rdb}, prefix+"apikey:"); len(keys) != 0 {
		t.Fatalf("%d key snapshots left", len(keys))
	}
	if err := pr.invalidateAll(ctx, userSuffix); err != nil {
		t.Fatal(err)
	}
	if n := pr.rdb.Exists(ctx, prefix+"user:IDKEEP", prefix+"user_sessions:IDKEEP").Val(); n != 1 {
		t.Fatalf("after deleting user snapshots %d of the snapshot and the session index exist, want the index only", n)
	}
}

func TestSnapshotDecodeErrors(t *testing.T) {
	for _, v := range []string{"", "{", `{"uid":""}`, "[]"} {
		if _, err := decodeUser(v); err == nil {
			t.Errorf("decodeUser(%q): no error", v)
		}
		if _, err := decodeServiceAccount(v); err == nil {
			t.Errorf("decodeServiceAccount(%q): no error", v)
		}
	}
	for _, v := range []string{"", "user:X", "user:X\n{"} {
		if _, err := decodeKey(v); err == nil {
			t.Errorf("decodeKey(%q): no error", v)
		}
	}
}
