package redisstore

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// nameHook records the names of the commands sent.
type nameHook struct {
	mu    sync.Mutex
	names []string
}

func (h *nameHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *nameHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.add(cmd)
		return next(ctx, cmd)
	}
}

func (h *nameHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			h.add(c)
		}
		return next(ctx, cmds)
	}
}

func (h *nameHook) add(c redis.Cmder) {
	if handshake(c) {
		return
	}
	h.mu.Lock()
	h.names = append(h.names, c.Name())
	h.mu.Unlock()
}

// take returns the names recorded since the last take.
func (h *nameHook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.names
	h.names = nil
	slices.Sort(n)
	return n
}

// TestCookieSteadyStateReads: once a process knows a session, a request
// costs two GETs in one round trip, no script; a slide is written behind,
// once per second; a revoked session is seen at once; a missing snapshot
// goes back to the script for its lease.
func TestCookieSteadyStateReads(t *testing.T) {
	t.Parallel()
	pr, st, trips, prefix := principalsT(t)
	names := &nameHook{}
	pr.rdb.AddHook(names)
	ctx := ctxT(t)
	s := newSession(t, "IDSTEADY0001")
	mustCreate(t, st, s, 30*time.Minute)
	now := time.Now()

	res, err := pr.Cookie(ctx, cookieQ(s, now))
	if err != nil || res.Lease == 0 {
		t.Fatalf("first: %+v %v", res, err)
	}
	u := &barong.User{ID: 1, UID: s.UID, Email: "a@example.com", Role: "member", State: "active"}
	if err := pr.PutUser(ctx, res.Lease, u); err != nil {
		t.Fatal(err)
	}
	names.take()

	before := trips.trips()
	res, err = pr.Cookie(ctx, cookieQ(s, now))
	if err != nil {
		t.Fatal(err)
	}
	if got := names.take(); !slices.Equal(got, []string{"get", "get"}) {
		t.Fatalf("steady state sent %v, want two GETs", got)
	}
	if n := trips.trips() - before; n != 1 {
		t.Fatalf("%d round trips, want 1", n)
	}
	if res.User == nil || *res.User != *u || !res.Slid {
		t.Fatalf("steady state: %+v; want the snapshot, slid this second", res)
	}

	// A second later the session is due a slide: the caller writes it
	// behind, once.
	later := now.Add(time.Second)
	res, err = pr.Cookie(ctx, cookieQ(s, later))
	if err != nil || res.Slid {
		t.Fatalf("a second later: slid %v err %v; want a slide due", res.Slid, err)
	}
	slid := *res.Session
	slid.ExpireTime = cookieQ(s, later).NewExpire
	pr.SlideLater(&slid, time.Hour)
	pr.SlideLater(&slid, time.Hour)
	deadline := time.Now().Add(2 * time.Second)
	for wantAlive(t, st, s.ID).ExpireTime != slid.ExpireTime {
		if time.Now().After(deadline) {
			t.Fatal("slide not written")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if ttl := pr.rdb.PTTL(ctx, prefix+"session:"+hashID(s.ID)).Val(); ttl <= 30*time.Minute {
		t.Fatalf("record PTTL %s after the slide", ttl)
	}
	if got := names.take(); len(slices.DeleteFunc(got, func(n string) bool { return n != "evalsha" })) != 1 {
		t.Fatalf("slide sent %v; want one script run", got)
	}
	if res, _ = pr.Cookie(ctx, cookieQ(s, later)); !res.Slid {
		t.Fatal("slid session reported as due again")
	}

	// The user's snapshot deleted: back to the script, which leases it.
	if err := pr.Invalidate(ctx, []string{s.UID}, nil, nil); err != nil {
		t.Fatal(err)
	}
	names.take()
	if res, err = pr.Cookie(ctx, cookieQ(s, later)); err != nil || res.User != nil || res.Lease == 0 {
		t.Fatalf("after invalidation: %+v %v; want a lease", res, err)
	}
	if got := names.take(); !slices.Contains(got, "evalsha") {
		t.Fatalf("after invalidation sent %v, want the script", got)
	}

	// Revoked: gone at once; a write behind does not bring it back.
	if err := st.DeleteSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if res, err = pr.Cookie(ctx, cookieQ(s, later)); err != nil || res.Session != nil {
		t.Fatalf("revoked: %+v %v", res, err)
	}
	slid.ExpireTime++
	pr.SlideLater(&slid, time.Hour)
	time.Sleep(50 * time.Millisecond)
	wantGone(t, st, s.ID)
}

// TestAPIKeySteadyStateReads: with the holder known, an API-key request
// costs SET NX and two GETs in one round trip, no script.
func TestAPIKeySteadyStateReads(t *testing.T) {
	t.Parallel()
	pr, _, _, _ := principalsT(t)
	names := &nameHook{}
	pr.rdb.AddHook(names)
	ctx := ctxT(t)
	q := KeyQuery{KID: "a1b2c3d4e5f60718", NonceKey: "nonce:a1b2c3d4e5f60718:1", Consume: true, NonceTTL: 10 * time.Second,
		HolderType: barong.HolderUser, HolderUID: "IDKEYHOLDER1"}
	res, err := pr.APIKey(ctx, q) // nothing cached: the script leases the key
	if err != nil || !res.Fresh || res.KeyLease == 0 {
		t.Fatalf("cold: %+v %v", res, err)
	}
	if err := pr.PutAPIKey(ctx, res.KeyLease, &KeySnapshot{ID: 1, KID: q.KID, State: "active", HolderType: q.HolderType,
		HolderID: 2, HolderUID: q.HolderUID}); err != nil {
		t.Fatal(err)
	}
	q.NonceKey = "nonce:a1b2c3d4e5f60718:2"
	if res, err = pr.APIKey(ctx, q); err != nil || !res.Fresh || res.HolderLease == 0 {
		t.Fatalf("holder missing: %+v %v", res, err)
	}
	if err := pr.PutUser(ctx, res.HolderLease, &barong.User{ID: 2, UID: q.HolderUID, OTP: true, State: "active"}); err != nil {
		t.Fatal(err)
	}
	names.take()
	q.NonceKey = "nonce:a1b2c3d4e5f60718:3"
	if res, err = pr.APIKey(ctx, q); err != nil || !res.Fresh || res.Key == nil || res.User == nil {
		t.Fatalf("steady: %+v %v", res, err)
	}
	if got := names.take(); !slices.Equal(got, []string{"get", "get", "set"}) {
		t.Fatalf("steady state sent %v, want SET NX and two GETs", got)
	}
	if res, err = pr.APIKey(ctx, q); err != nil || res.Fresh {
		t.Fatalf("replay: fresh %v err %v", res.Fresh, err)
	}
	// A wrong holder (a cache from before a re-created key) is not
	// trusted: the script reads the holder the key names.
	q.NonceKey, q.HolderUID = "nonce:a1b2c3d4e5f60718:4", "IDOTHER00001"
	if res, err = pr.APIKey(ctx, q); err != nil || !res.Fresh || res.User == nil || res.User.UID != "IDKEYHOLDER1" {
		t.Fatalf("wrong holder: %+v %v; want the nonce recorded once and the key's holder", res, err)
	}
}
