package sqlstore

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func mustKey(t *testing.T, db *DB, holderType string, holderID int64, scope ...string) *barong.APIKey {
	t.Helper()
	k := &barong.APIKey{HolderID: holderID, HolderType: holderType, KID: unique("")[:16], Algorithm: "HS256",
		Scope: scope, Secret: unique("s")}
	if err := db.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u := mustUser(t, db)
		k1 := mustKey(t, db, "", u.ID, "trade", "read")
		clock.Advance(time.Second)
		k2 := mustKey(t, db, barong.HolderUser, u.ID)
		if k1.HolderType != barong.HolderUser || k1.State != "active" {
			t.Fatalf("defaults: %+v", k1)
		}
		if raw := rawString(t, db, "SELECT scope FROM apikeys WHERE id = ?", k1.ID); raw != `["trade","read"]` {
			t.Fatalf("scope stored as %q", raw)
		}
		wantEncrypted(t, rawString(t, db, "SELECT secret_encrypted FROM apikeys WHERE id = ?", k1.ID), k1.Secret)

		got, err := db.APIKeyByKID(ctx, k1.KID)
		if err != nil || !reflect.DeepEqual(got, k1) {
			t.Fatalf("APIKeyByKID = %+v, %v; want %+v", got, err, k1)
		}
		got, err = db.APIKeyByKID(ctx, k2.KID)
		if err != nil || got.Scope == nil || len(got.Scope) != 0 {
			t.Fatalf("empty scope reads as %#v, %v", got.Scope, err)
		}
		_, err = db.APIKeyByKID(ctx, "nope")
		wantNotFound(t, err)
		dup := &barong.APIKey{HolderID: u.ID, KID: k1.KID, Algorithm: "HS256", Secret: "x"}
		wantDuplicate(t, db.CreateAPIKey(ctx, dup), "kid")

		ks, total, err := db.APIKeysByHolder(ctx, barong.HolderUser, u.ID, barong.Order{By: "created_at", Desc: true}, barong.Page{Page: 1, Limit: 1})
		if err != nil || total != 2 || len(ks) != 1 || ks[0].ID != k2.ID {
			t.Fatalf("APIKeysByHolder = %+v %d %v", ks, total, err)
		}
		ks, _, err = db.APIKeysByHolder(ctx, barong.HolderUser, u.ID, barong.Order{}, barong.Page{Page: 2, Limit: 1})
		if err != nil || len(ks) != 1 || ks[0].ID != k2.ID {
			t.Fatalf("APIKeysByHolder page 2 = %+v %v", ks, err)
		}
		if _, _, err := db.APIKeysByHolder(ctx, barong.HolderUser, u.ID, barong.Order{By: "secret_encrypted"}, barong.Page{}); err == nil {
			t.Fatal("ordering by secret accepted")
		}

		k1.Scope, k1.State = nil, "inactive"
		if err := db.UpdateAPIKey(ctx, k1); err != nil {
			t.Fatal(err)
		}
		got, _ = db.APIKeyByKID(ctx, k1.KID)
		if len(got.Scope) != 0 || got.State != "inactive" || got.Secret != k1.Secret {
			t.Fatalf("after update %+v", got)
		}

		// Deactivation touches only active keys of the listed holders.
		sa := &barong.ServiceAccount{UID: "SI" + strings.ToUpper(unique("")[:10]), OwnerID: u.ID, Email: unique("sa") + "@x.io"}
		if err := db.CreateServiceAccount(ctx, sa); err != nil {
			t.Fatal(err)
		}
		ksa := mustKey(t, db, barong.HolderServiceAccount, sa.ID)
		other := mustKey(t, db, barong.HolderUser, mustUser(t, db).ID)
		if err := db.DeactivateAPIKeys(ctx, barong.HolderUser, []int64{u.ID, 1 << 50}); err != nil {
			t.Fatal(err)
		}
		if err := db.DeactivateAPIKeys(ctx, barong.HolderServiceAccount, nil); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[*barong.APIKey]string{k2: "inactive", ksa: "active", other: "active"} {
			if got, _ := db.APIKeyByKID(ctx, k.KID); got.State != want {
				t.Fatalf("key %s state %q, want %q", k.KID, got.State, want)
			}
		}
		if err := db.DeleteAPIKey(ctx, k2.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.DeleteAPIKey(ctx, k2.ID))
	})
}

func TestServiceAccounts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		owner := mustUser(t, db)
		var sas []*barong.ServiceAccount
		for range 3 {
			sa := &barong.ServiceAccount{UID: "SI" + strings.ToUpper(unique("")[:10]), OwnerID: owner.ID, Email: unique("sa") + "@x.io"}
			if err := db.CreateServiceAccount(ctx, sa); err != nil {
				t.Fatal(err)
			}
			sas = append(sas, sa)
		}
		if sas[0].Role != "service_account" || sas[0].State != barong.StatePending {
			t.Fatalf("defaults %+v", sas[0])
		}
		for name, get := range map[string]func() (*barong.ServiceAccount, error){
			"uid": func() (*barong.ServiceAccount, error) { return db.ServiceAccountByUID(ctx, sas[0].UID) },
			"id":  func() (*barong.ServiceAccount, error) { return db.ServiceAccountByID(ctx, sas[0].ID) },
			"email": func() (*barong.ServiceAccount, error) {
				return db.ServiceAccountByEmail(ctx, strings.ToUpper(sas[0].Email))
			},
		} {
			if got, err := get(); err != nil || *got != *sas[0] {
				t.Fatalf("by %s = %+v, %v", name, got, err)
			}
		}
		_, err := db.ServiceAccountByUID(ctx, "SINOPE")
		wantNotFound(t, err)
		wantDuplicate(t, db.CreateServiceAccount(ctx, &barong.ServiceAccount{UID: sas[0].UID, Email: unique("e") + "@x.io"}), "uid")
		wantDuplicate(t, db.CreateServiceAccount(ctx, &barong.ServiceAccount{UID: "SI" + strings.ToUpper(unique("")[:10]),
			Email: strings.ToUpper(sas[0].Email)}), "email")

		list, total, err := db.ServiceAccountsByOwner(ctx, owner.ID, barong.Page{Page: 2, Limit: 2})
		if err != nil || total != 3 || len(list) != 1 || list[0] != *sas[2] {
			t.Fatalf("ServiceAccountsByOwner = %+v %d %v", list, total, err)
		}
		_, all, err := db.ServiceAccountsByOwner(ctx, 0, barong.Page{Page: 1, Limit: 1})
		if err != nil || all < 3 {
			t.Fatalf("all service accounts: %d %v", all, err)
		}
		sas[1].State, sas[1].Level = "disabled", 3
		if err := db.UpdateServiceAccount(ctx, sas[1]); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ServiceAccountByID(ctx, sas[1].ID); *got != *sas[1] {
			t.Fatalf("after update %+v", got)
		}
		wantNotFound(t, db.UpdateServiceAccount(ctx, &barong.ServiceAccount{ID: 1 << 50}))
	})
}

func TestTOTP(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u := mustUser(t, db)
		_, err := db.TOTPSecret(ctx, u.ID)
		wantNotFound(t, err)
		_, err = db.UseTOTPStep(ctx, u.ID, 1)
		wantNotFound(t, err)
		if err := db.SetTOTPSecret(ctx, u.ID, "JBSWY3DPEHPK3PXP"); err != nil {
			t.Fatal(err)
		}
		wantEncrypted(t, rawString(t, db, "SELECT secret_encrypted FROM otp_keys WHERE user_id = ?", u.ID), "JBSWY3DPEHPK3PXP")
		if s, err := db.TOTPSecret(ctx, u.ID); err != nil || s != "JBSWY3DPEHPK3PXP" {
			t.Fatalf("TOTPSecret = %q, %v", s, err)
		}
		// Each step is accepted once, even by concurrent callers; an older
		// step after a newer one is refused.
		var accepted atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.UseTOTPStep(ctx, u.ID, 100)
				if err != nil {
					t.Error(err)
				}
				if ok {
					accepted.Add(1)
				}
			}()
		}
		wg.Wait()
		if accepted.Load() != 1 {
			t.Fatalf("step accepted %d times", accepted.Load())
		}
		if ok, err := db.UseTOTPStep(ctx, u.ID, 99); err != nil || ok {
			t.Fatalf("older step = %v, %v", ok, err)
		}
		// A new secret resets the last step.
		if err := db.SetTOTPSecret(ctx, u.ID, "NEWSECRET"); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.UseTOTPStep(ctx, u.ID, 99); err != nil || !ok {
			t.Fatalf("step after reset = %v, %v", ok, err)
		}
		if s, _ := db.TOTPSecret(ctx, u.ID); s != "NEWSECRET" {
			t.Fatalf("secret not replaced: %q", s)
		}
	})
}
