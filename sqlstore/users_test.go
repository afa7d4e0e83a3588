package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func wantDuplicate(t *testing.T, err error, field string) {
	t.Helper()
	var dup *barong.DuplicateError
	if !errors.As(err, &dup) || !errors.Is(err, barong.ErrDuplicate) {
		t.Fatalf("got %v, want DuplicateError{%s}", err, field)
	}
	if dup.Field != field {
		t.Fatalf("DuplicateError field %q, want %q (%v)", dup.Field, field, err)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, barong.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u := mustUser(t, db, func(u *barong.User) {
			u.Username = unique("u")[:12]
			u.Data = `{"language":"en"}`
		})
		if u.ID == 0 || u.Role != barong.RoleMember || u.State != barong.StatePending {
			t.Fatalf("created user %+v", u)
		}
		if !u.CreatedAt.Equal(clock.Now()) || !u.UpdatedAt.Equal(clock.Now()) {
			t.Fatalf("timestamps %v %v, want %v", u.CreatedAt, u.UpdatedAt, clock.Now())
		}
		for name, get := range map[string]func() (*barong.User, error){
			"id":       func() (*barong.User, error) { return db.UserByID(ctx, u.ID) },
			"uid":      func() (*barong.User, error) { return db.UserByUID(ctx, u.UID) },
			"email":    func() (*barong.User, error) { return db.UserByEmail(ctx, strings.ToUpper(u.Email)) },
			"username": func() (*barong.User, error) { return db.UserByUsername(ctx, u.Username) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("by %s: %v", name, err)
			}
			if *got != *u {
				t.Fatalf("by %s:\n got %+v\nwant %+v", name, *got, *u)
			}
		}

		// Optional columns round-trip as NULL.
		plain := mustUser(t, db)
		got, err := db.UserByID(ctx, plain.ID)
		if err != nil || got.Username != "" || got.Data != "" || got.ReferralID != 0 {
			t.Fatalf("plain user %+v, %v", got, err)
		}

		clock.Advance(90 * time.Second)
		u.State, u.Level, u.OTP, u.ReferralID, u.Role = barong.StateActive, 2, true, plain.ID, "admin"
		if err := db.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err = db.UserByUID(ctx, u.UID)
		if err != nil || *got != *u || !got.UpdatedAt.After(got.CreatedAt) {
			t.Fatalf("after update %+v, %v; want %+v", got, err, u)
		}
		// An update that changes nothing is not "not found" (MySQL
		// reports 0 affected rows for it).
		if err := db.UpdateUser(ctx, u); err != nil {
			t.Fatalf("idempotent update: %v", err)
		}

		_, err = db.UserByID(ctx, 1<<50)
		wantNotFound(t, err)
		_, err = db.UserByEmail(ctx, "nobody@example.com")
		wantNotFound(t, err)
		wantNotFound(t, db.UpdateUser(ctx, &barong.User{ID: 1 << 50, Email: "x@y.z"}))

		taken, err := db.UIDTaken(ctx, u.UID)
		if err != nil || !taken {
			t.Fatalf("UIDTaken(user) = %v, %v", taken, err)
		}
		sa := &barong.ServiceAccount{UID: "SI" + strings.ToUpper(unique("")[:10]), OwnerID: u.ID, Email: unique("sa") + "@x.io"}
		if err := db.CreateServiceAccount(ctx, sa); err != nil {
			t.Fatal(err)
		}
		for uid, want := range map[string]bool{sa.UID: true, "IDNOSUCHUID0": false} {
			if taken, err := db.UIDTaken(ctx, uid); err != nil || taken != want {
				t.Fatalf("UIDTaken(%s) = %v, %v", uid, taken, err)
			}
		}
	})
}

func TestUserDuplicates(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u := mustUser(t, db, func(u *barong.User) { u.Username = unique("d")[:12] })
		for field, mod := range map[string]func(*barong.User){
			"email":    func(n *barong.User) { n.Email = strings.ToUpper(u.Email) },
			"username": func(n *barong.User) { n.Username = u.Username },
			"uid":      func(n *barong.User) { n.UID = u.UID },
		} {
			tok := unique("")
			n := &barong.User{UID: "ID" + strings.ToUpper(tok[:10]), Email: tok + "@example.com", PasswordDigest: "x"}
			mod(n)
			wantDuplicate(t, db.CreateUser(ctx, n), field)
		}
		// The same holds for updates.
		other := mustUser(t, db)
		other.Email = strings.ToUpper(u.Email)
		wantDuplicate(t, db.UpdateUser(ctx, other), "email")
	})
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		role := unique("r") // isolates this test's users on the shared databases
		var us []*barong.User
		for i := range 5 {
			us = append(us, mustUser(t, db, func(u *barong.User) {
				u.Role = role
				u.Level = i % 2
				if i >= 3 {
					u.State = barong.StateActive
				}
			}))
			clock.Advance(time.Hour)
		}
		ids := func(list []barong.User) []int64 {
			var out []int64
			for _, u := range list {
				out = append(out, u.ID)
			}
			return out
		}
		one := 1
		cases := []struct {
			name  string
			f     barong.UserFilter
			want  []int
			total int64
		}{
			{"all", barong.UserFilter{}, []int{0, 1, 2, 3, 4}, 5},
			{"page 2 of 2", barong.UserFilter{Page: barong.Page{Page: 2, Limit: 2}}, []int{2, 3}, 5},
			{"desc", barong.UserFilter{Order: barong.Order{By: "created_at", Desc: true}, Page: barong.Page{Page: 1, Limit: 2}}, []int{4, 3}, 5},
			{"state", barong.UserFilter{State: barong.StateActive}, []int{3, 4}, 2},
			{"level", barong.UserFilter{Level: &one}, []int{1, 3}, 2},
			{"email any case", barong.UserFilter{Email: strings.ToUpper(us[2].Email)}, []int{2}, 1},
			{"uid", barong.UserFilter{UID: us[4].UID}, []int{4}, 1},
			{"created range", barong.UserFilter{From: us[1].CreatedAt, To: us[3].CreatedAt}, []int{1, 2, 3}, 3},
			{"beyond last page", barong.UserFilter{Page: barong.Page{Page: 9, Limit: 2}}, nil, 5},
		}
		for _, c := range cases {
			c.f.Role = role
			got, total, err := db.ListUsers(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var want []int64
			for _, i := range c.want {
				want = append(want, us[i].ID)
			}
			if total != c.total || !equalIDs(ids(got), want) {
				t.Errorf("%s: ids %v total %d, want %v total %d", c.name, ids(got), total, want, c.total)
			}
		}

		// Updated range, label and country filters.
		clock.Advance(time.Hour)
		us[0].Level = 0
		if err := db.UpdateUser(ctx, us[0]); err != nil {
			t.Fatal(err)
		}
		got, total, err := db.ListUsers(ctx, barong.UserFilter{Role: role, RangeField: "updated_at", From: clock.Now()})
		if err != nil || total != 1 || got[0].ID != us[0].ID {
			t.Fatalf("updated range: %v %d %v", ids(got), total, err)
		}
		key := unique("k")
		for i, scope := range map[int]string{1: barong.ScopePrivate, 2: barong.ScopePublic} {
			if err := db.CreateLabel(ctx, &barong.Label{UserID: us[i].ID, Key: key, Value: "verified", Scope: scope}); err != nil {
				t.Fatal(err)
			}
		}
		got, total, err = db.ListUsers(ctx, barong.UserFilter{LabelKey: key, LabelValue: "verified"})
		if err != nil || total != 2 || !equalIDs(ids(got), []int64{us[1].ID, us[2].ID}) {
			t.Fatalf("label filter: %v %d %v", ids(got), total, err)
		}
		got, _, err = db.ListUsers(ctx, barong.UserFilter{LabelKey: key, LabelValue: "verified", LabelScope: barong.ScopePrivate})
		if err != nil || !equalIDs(ids(got), []int64{us[1].ID}) {
			t.Fatalf("label scope filter: %v %v", ids(got), err)
		}
		if err := db.CreateProfile(ctx, &barong.Profile{UserID: us[3].ID, Country: "UA"}); err != nil {
			t.Fatal(err)
		}
		got, _, err = db.ListUsers(ctx, barong.UserFilter{Role: role, Country: "UA"})
		if err != nil || !equalIDs(ids(got), []int64{us[3].ID}) {
			t.Fatalf("country filter: %v %v", ids(got), err)
		}
		if _, _, err := db.ListUsers(ctx, barong.UserFilter{Order: barong.Order{By: "password_digest"}}); err == nil {
			t.Fatal("ordering by password_digest accepted")
		}
		n, err := db.CountUsers(ctx)
		if err != nil || n < 5 {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
