package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func TestUserView(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ref := mustUser(t, db)
		u := mustUser(t, db, func(u *barong.User) {
			u.ReferralID, u.OTP, u.Username, u.Data, u.Level, u.Role = ref.ID, true, unique("ann")[:12], `{"x":1}`, 2, "trader"
		})
		other := mustUser(t, db)
		for _, l := range []barong.Label{{Key: "email", Value: "verified", Scope: "private"}, {Key: "tier", Value: "gold", Scope: "public", Description: "d"}} {
			l.UserID = u.ID
			if err := db.CreateLabel(ctx, &l); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreateLabel(ctx, &barong.Label{UserID: other.ID, Key: "x", Value: "y", Scope: "public"}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		if err := db.CreatePhone(ctx, &barong.Phone{UserID: u.ID, Country: "UA", Code: "12345", Number: "380501234567", ValidatedAt: &now}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateProfile(ctx, &barong.Profile{UserID: u.ID, FirstName: "Ann", LastName: "Lee", DOB: "1990-01-02",
			Address: "Main st", Postcode: "01001", City: "Kyiv", Country: "UA", State: "submitted", Metadata: `{"a":1}`}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateDataStorage(ctx, &barong.DataStorage{UserID: u.ID, Title: "notes", Data: `{"k":"v"}`}); err != nil {
			t.Fatal(err)
		}
		want, err := db.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, r, err := db.UserView(ctx, u.UID)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *want || !got.OTP || got.ReferralID != ref.ID {
			t.Fatalf("user row %+v want %+v", got, want)
		}
		if r.ReferralUID != ref.UID {
			t.Fatalf("referral %q want %q", r.ReferralUID, ref.UID)
		}
		if len(r.Labels) != 2 || r.Labels[0].Key != "email" || r.Labels[1].Description != "d" || r.Labels[1].Scope != "public" {
			t.Fatalf("labels %+v", r.Labels)
		}
		if len(r.Phones) != 1 || r.Phones[0].Number != "380501234567" || r.Phones[0].ValidatedAt == nil || !r.Phones[0].ValidatedAt.Equal(now) {
			t.Fatalf("phones %+v", r.Phones)
		}
		p := r.Profiles
		if len(p) != 1 || p[0].FirstName != "Ann" || p[0].LastName != "Lee" || p[0].DOB != "1990-01-02" || p[0].State != "submitted" || p[0].Metadata != `{"a":1}` || p[0].City != "Kyiv" {
			t.Fatalf("profiles %+v", p)
		}
		if len(r.DataStorages) != 1 || r.DataStorages[0].Data != `{"k":"v"}` {
			t.Fatalf("data storages %+v", r.DataStorages)
		}
		// Same answer as the one-table queries.
		labels, _ := db.LabelsByUser(ctx, u.ID)
		if len(labels) != len(r.Labels) || !labels[0].CreatedAt.Equal(r.Labels[0].CreatedAt) {
			t.Fatalf("labels differ: %+v vs %+v", labels, r.Labels)
		}
		ou, empty, err := db.UserView(ctx, other.UID)
		if err != nil || ou.ID != other.ID || ou.ReferralID != 0 || ou.OTP || len(empty.Labels) != 1 || len(empty.Phones) != 0 || empty.ReferralUID != "" || empty.Profiles == nil {
			t.Fatalf("other user %+v %+v %v", ou, empty, err)
		}
		if _, _, err := db.UserView(ctx, "ID0000000000"); !errors.Is(err, barong.ErrNotFound) {
			t.Fatalf("unknown uid: %v", err)
		}
	})
}
