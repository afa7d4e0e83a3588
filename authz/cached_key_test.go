package authz

import (
	"context"
	"strconv"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// keyCase is one API-key request: mod adjusts the request and the stored
// key and holder (through the wrapped store) before it is made.
type keyCase struct {
	name string
	sa   bool // the key belongs to a service account
	mod  func(t *testing.T, f *fixture, r *Request, k *barong.APIKey, u *barong.User, sa *barong.ServiceAccount)
	want string
}

func setKeyState(t *testing.T, f *fixture, k *barong.APIKey, state string) {
	t.Helper()
	ctx := context.Background()
	k.State = state
	if err := f.store.InTx(ctx, func(tx barong.Tx) error { return tx.UpdateAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
}

func str(s string) *string { return &s }

var keyCases = []keyCase{
	{"OK", false, nil, "ok"},
	{"BlankSignature", false, func(_ *testing.T, _ *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		r.Signature = str(" ")
	}, "authz.invalid_api_key_headers"},
	{"OnlyKid", false, func(_ *testing.T, _ *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		r.Nonce, r.Signature = nil, nil
	}, "authz.invalid_api_key_headers"},
	{"UnknownKid", false, func(_ *testing.T, _ *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		r.APIKey = str("0000000000000000")
	}, "authz.unexistent_apikey"},
	{"UnknownKidBadNonce", false, func(_ *testing.T, _ *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		r.APIKey, r.Nonce = str("0000000000000000"), str("abc")
	}, "authz.unexistent_apikey"},
	{"NewlineKid", false, func(_ *testing.T, _ *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		r.APIKey = str("abc\ndef")
	}, "authz.unexistent_apikey"},
	{"NonNumericNonce", false, func(_ *testing.T, _ *fixture, r *Request, k *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		*r = keyReq(k, "abc")
	}, "authz.nonce_not_valid_timestamp"},
	{"OldNonce", false, func(_ *testing.T, _ *fixture, r *Request, k *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		*r = keyReq(k, strconv.FormatInt(time.Now().Add(-6*time.Second).UnixMilli(), 10))
	}, "authz.nonce_expired"},
	{"BadSignature", false, func(_ *testing.T, _ *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		r.Signature = str(Sign("wrong", *r.Nonce, *r.APIKey))
	}, "authz.invalid_signature"},
	{"InactiveBadSignature", false, func(t *testing.T, f *fixture, r *Request, k *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		setKeyState(t, f, k, "inactive")
		r.Signature = str(Sign("wrong", *r.Nonce, *r.APIKey))
	}, "authz.invalid_signature"},
	{"Replay", false, func(t *testing.T, f *fixture, r *Request, _ *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		if ok, err := f.kv.SetNX(context.Background(), barong.NonceKey(*r.APIKey, *r.Nonce), "1", time.Minute); err != nil || !ok {
			t.Fatalf("mark nonce: %v %v", ok, err)
		}
		// Where the Redis principals keep it: in the memory of the
		// process that checks the key's nonces (redisstore/nonces.go).
		if ok, err := f.pr.UseNonce(context.Background(), *r.APIKey, *r.Nonce, leadingInt(*r.Nonce), 10*time.Second); err != nil || !ok {
			t.Fatalf("use nonce: %v %v", ok, err)
		}
	}, "authz.nonce_expired"},
	{"Inactive", false, func(t *testing.T, f *fixture, _ *Request, k *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		setKeyState(t, f, k, "inactive")
	}, "authz.apikey_not_active"},
	{"HolderBanned", false, func(t *testing.T, f *fixture, _ *Request, _ *barong.APIKey, u *barong.User, _ *barong.ServiceAccount) {
		f.change(t, u, func(u *barong.User) { u.State = barong.StateBanned })
	}, "authz.invalid_session"},
	{"HolderWithout2FA", false, func(t *testing.T, f *fixture, _ *Request, _ *barong.APIKey, u *barong.User, _ *barong.ServiceAccount) {
		f.change(t, u, func(u *barong.User) { u.OTP = false })
	}, "authz.disabled_2fa"},
	{"ServiceAccount", true, nil, "ok"},
	{"ServiceAccountBanned", true, func(t *testing.T, f *fixture, _ *Request, _ *barong.APIKey, _ *barong.User, sa *barong.ServiceAccount) {
		ctx := context.Background()
		sa.State = barong.StateBanned
		if err := f.store.InTx(ctx, func(tx barong.Tx) error { return tx.UpdateServiceAccount(ctx, sa) }); err != nil {
			t.Fatal(err)
		}
	}, "authz.invalid_session"},
	{"Deleted", false, func(t *testing.T, f *fixture, _ *Request, k *barong.APIKey, _ *barong.User, _ *barong.ServiceAccount) {
		ctx := context.Background()
		err := f.store.InTx(ctx, func(tx barong.Tx) error {
			got, err := tx.APIKeyByKID(ctx, k.KID)
			if err != nil {
				return err
			}
			return tx.DeleteAPIKey(ctx, got.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
	}, "authz.unexistent_apikey"},
}

// TestAPIKeyParity runs every API-key case on an engine without the cache
// and on engines with it, cold and warm (secret, snapshots and token known
// from an earlier request): same answers.
func TestAPIKeyParity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	plain, cached := f.engine(t, false, 0), f.engine(t, true, DefaultTokenCache)
	ctx := context.Background()
	for _, c := range keyCases {
		for _, mode := range []string{"plain", "cold", "warm"} {
			e := cached
			if mode == "plain" {
				e = plain
			}
			u := f.user(t)
			var sa *barong.ServiceAccount
			k := f.apiKey(t, barong.HolderUser, u.ID)
			if c.sa {
				sa = &barong.ServiceAccount{UID: "IDSA" + randHex(t, 4), OwnerID: u.ID, Email: randHex(t, 4) + "@sa.example.com",
					Role: "sa_maker", State: "active"}
				if err := f.db.CreateServiceAccount(ctx, sa); err != nil {
					t.Fatal(err)
				}
				k = f.apiKey(t, barong.HolderServiceAccount, sa.ID)
			}
			if mode == "warm" {
				for range 3 { // the third request finds every snapshot and the holder
					if got := outcome(e.Check(ctx, keyReq(k, nonce()))); got != "ok" {
						t.Fatalf("%s/%s: warm-up: %s", c.name, mode, got)
					}
				}
			}
			r := keyReq(k, nonce())
			if c.mod != nil {
				c.mod(t, f, &r, k, u, sa)
			}
			res, err := e.Check(ctx, r)
			if got := outcome(res, err); got != c.want {
				t.Errorf("%s/%s: %s, want %s", c.name, mode, got, c.want)
			}
			if c.want == "ok" && (res.ServiceAccount != nil) != c.sa {
				t.Errorf("%s/%s: principal %+v %+v", c.name, mode, res.User, res.ServiceAccount)
			}
		}
	}
}

// TestAPIKeyAcrossProcesses: a nonce is accepted once across processes; a
// bad signature does not use it up; deactivation and reactivation are in
// force on every process at the next request; steady state reads nothing
// from the database.
func TestAPIKeyAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e1, e2 := f.engine(t, true, time.Minute), f.engine(t, true, time.Minute)
	ctx := context.Background()
	k := f.apiKey(t, barong.HolderUser, f.user(t).ID)
	for range 3 {
		for _, e := range []*Engine{e1, e2} {
			if got := outcome(e.Check(ctx, keyReq(k, nonce()))); got != "ok" {
				t.Fatalf("warm-up: %s", got)
			}
		}
	}

	n := nonce()
	bad := keyReq(k, n)
	bad.Signature = str(Sign("wrong", n, k.KID))
	if got := outcome(e1.Check(ctx, bad)); got != "authz.invalid_signature" {
		t.Fatalf("bad signature: %s", got)
	}
	if got := outcome(e2.Check(ctx, keyReq(k, n))); got != "ok" {
		t.Fatalf("good signature after a bad one with the same nonce: %s", got)
	}
	if got := outcome(e1.Check(ctx, keyReq(k, n))); got != "authz.nonce_expired" {
		t.Fatalf("replay on another process: %s", got)
	}

	reads, touches := f.reads.Load(), f.touches.Load()
	for range 10 {
		for _, e := range []*Engine{e1, e2} {
			if got := outcome(e.Check(ctx, keyReq(k, nonce()))); got != "ok" {
				t.Fatal(got)
			}
		}
	}
	if r, s := f.reads.Load()-reads, f.touches.Load()-touches; r != 0 || s != 0 {
		t.Fatalf("steady state: %d database reads, %d session/KV calls", r, s)
	}

	setKeyState(t, f, k, "disabled")
	for i, e := range []*Engine{e1, e2} {
		if got := outcome(e.Check(ctx, keyReq(k, nonce()))); got != "authz.apikey_not_active" {
			t.Fatalf("process %d after deactivation: %s", i+1, got)
		}
	}
	setKeyState(t, f, k, "active")
	for i, e := range []*Engine{e1, e2} {
		if got := outcome(e.Check(ctx, keyReq(k, nonce()))); got != "ok" {
			t.Fatalf("process %d after reactivation: %s", i+1, got)
		}
	}
}
