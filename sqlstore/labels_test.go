package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func TestLabels(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u := mustUser(t, db)
		email := &barong.Label{UserID: u.ID, Key: "email", Value: "verified", Scope: barong.ScopePrivate}
		if err := db.CreateLabel(ctx, email); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		pub := &barong.Label{UserID: u.ID, Key: "email", Value: "shown", Description: "public twin"}
		if err := db.CreateLabel(ctx, pub); err != nil {
			t.Fatal(err)
		}
		if pub.Scope != barong.ScopePublic {
			t.Fatalf("default scope %q", pub.Scope)
		}
		ls, err := db.LabelsByUser(ctx, u.ID)
		if err != nil || len(ls) != 2 || ls[0] != *email || ls[1] != *pub {
			t.Fatalf("LabelsByUser = %+v, %v", ls, err)
		}

		// Scope "" matches any scope, lowest id first.
		got, err := db.LabelByKey(ctx, u.ID, "email", "")
		if err != nil || got.ID != email.ID {
			t.Fatalf("LabelByKey any scope = %+v, %v", got, err)
		}
		got, err = db.LabelByKey(ctx, u.ID, "email", barong.ScopePublic)
		if err != nil || *got != *pub {
			t.Fatalf("LabelByKey public = %+v, %v", got, err)
		}
		_, err = db.LabelByKey(ctx, u.ID, "phone", "")
		wantNotFound(t, err)

		wantDuplicate(t, db.CreateLabel(ctx, &barong.Label{UserID: u.ID, Key: "email", Value: "x", Scope: barong.ScopePrivate}), "key")

		clock.Advance(time.Minute)
		pub.Value, pub.Description = "hidden", ""
		if err := db.UpdateLabel(ctx, pub); err != nil {
			t.Fatal(err)
		}
		got, err = db.LabelByKey(ctx, u.ID, "email", barong.ScopePublic)
		if err != nil || *got != *pub || !got.UpdatedAt.Equal(clock.Now()) {
			t.Fatalf("after update %+v, %v; want %+v", got, err, pub)
		}
		pub.Scope = barong.ScopePrivate
		wantDuplicate(t, db.UpdateLabel(ctx, pub), "key")

		if err := db.DeleteLabel(ctx, email.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.DeleteLabel(ctx, email.ID))
		wantNotFound(t, db.UpdateLabel(ctx, email))
		ls, err = db.LabelsByUser(ctx, u.ID)
		if err != nil || len(ls) != 1 {
			t.Fatalf("after delete %+v, %v", ls, err)
		}
		none, err := db.LabelsByUser(ctx, 1<<50)
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("labels of nobody = %#v, %v (want empty, non-nil)", none, err)
		}
	})
}

// TestLevels runs alone: levels are a global table.
func TestLevels(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		before, err := db.Levels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		base := int64(len(before)) + 100
		explicit := &barong.Level{ID: base, Key: "email", Value: "verified", Description: "level one"}
		if err := db.CreateLevel(ctx, explicit); err != nil {
			t.Fatal(err)
		}
		// After an explicit id, automatic ids continue above it.
		auto := &barong.Level{Key: "phone", Value: "verified"}
		if err := db.CreateLevel(ctx, auto); err != nil {
			t.Fatal(err)
		}
		if auto.ID <= base {
			t.Fatalf("automatic id %d not above %d", auto.ID, base)
		}
		ls, err := db.Levels(ctx)
		if err != nil || len(ls) != len(before)+2 {
			t.Fatalf("Levels = %+v, %v", ls, err)
		}
		if ls[len(ls)-2] != *explicit || ls[len(ls)-1] != *auto {
			t.Fatalf("Levels tail = %+v", ls[len(ls)-2:])
		}
	})
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		role := unique("role")
		p := &barong.Permission{Action: "ACCEPT", Role: role, Verb: "GET", Path: "api/v2/barong/resource"}
		if err := db.CreatePermission(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := db.PermissionByID(ctx, p.ID)
		if err != nil || *got != *p {
			t.Fatalf("PermissionByID = %+v, %v", got, err)
		}
		if ok, err := db.RoleExists(ctx, role); err != nil || !ok {
			t.Fatalf("RoleExists = %v, %v", ok, err)
		}
		if ok, err := db.RoleExists(ctx, role+"x"); err != nil || ok {
			t.Fatalf("RoleExists(unknown) = %v, %v", ok, err)
		}
		p.Action, p.Topic = "AUDIT", "session"
		if err := db.UpdatePermission(ctx, p); err != nil {
			t.Fatal(err)
		}
		all, err := db.Permissions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for i, q := range all {
			if i > 0 && all[i-1].ID >= q.ID {
				t.Fatal("permissions not ordered by id")
			}
			if q.ID == p.ID {
				found = q == *p
			}
		}
		if !found {
			t.Fatalf("updated permission %+v not in list", p)
		}
		if err := db.DeletePermission(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.PermissionByID(ctx, p.ID)
		wantNotFound(t, err)
		wantNotFound(t, db.DeletePermission(ctx, p.ID))
		wantNotFound(t, db.UpdatePermission(ctx, p))
	})
}

func TestRestrictions(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		value := unique("")[:12]
		r := &barong.Restriction{Category: "blacklist", Scope: "country", Value: value, Code: 423}
		if err := db.CreateRestriction(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.State != "enabled" {
			t.Fatalf("default state %q", r.State)
		}
		got, err := db.RestrictionByID(ctx, r.ID)
		if err != nil || *got != *r {
			t.Fatalf("RestrictionByID = %+v, %v", got, err)
		}
		wantDuplicate(t, db.CreateRestriction(ctx, &barong.Restriction{Category: "blacklist", Scope: "country", Value: value}), "value")
		// Same value in another category is fine.
		other := &barong.Restriction{Category: "whitelist", Scope: "country", Value: value}
		if err := db.CreateRestriction(ctx, other); err != nil {
			t.Fatal(err)
		}
		r.State, r.Code = "disabled", 0
		if err := db.UpdateRestriction(ctx, r); err != nil {
			t.Fatal(err)
		}
		all, err := db.Restrictions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, q := range all {
			if q.ID == r.ID && q == *r || q.ID == other.ID && q == *other {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("Restrictions lacks the updated rows: %+v", all)
		}
		if err := db.DeleteRestriction(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.RestrictionByID(ctx, r.ID)
		wantNotFound(t, err)
	})
}
