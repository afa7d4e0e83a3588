package sqlstore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/barong-go/barong"
	"github.com/pressly/goose/v3"
)

func mustLabel(t *testing.T, q barong.Queries, u *barong.User, key, value, scope string) *barong.Label {
	t.Helper()
	l := &barong.Label{UserID: u.ID, Key: key, Value: value, Scope: scope}
	if err := q.CreateLabel(context.Background(), l); err != nil {
		t.Fatalf("create label: %v", err)
	}
	return l
}

func uids(us []barong.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.UID)
	}
	return out
}

func TestPendingDocumentUsers(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		role := unique("r")
		mk := func() *barong.User { return mustUser(t, db, func(u *barong.User) { u.Role = role }) }
		a, b, c, d, e := mk(), mk(), mk(), mk(), mk()
		la := mustLabel(t, db, a, "document", "pending", "private")
		clock.Advance(time.Minute)
		mustLabel(t, db, b, "document", "replaced", "private")
		clock.Advance(time.Minute)
		mustLabel(t, db, c, "document", "pending", "private")
		mustLabel(t, db, d, "document", "verified", "private")
		mustLabel(t, db, e, "document", "pending", "public")
		clock.Advance(time.Minute)
		// a's label changes last: it moves to the end.
		la.Value = "replaced"
		if err := db.UpdateLabel(ctx, la); err != nil {
			t.Fatal(err)
		}
		f := barong.UserFilter{Role: role, Page: barong.Page{Page: 1, Limit: 10}}
		us, total, err := db.PendingDocumentUsers(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || !slices.Equal(uids(us), []string{b.UID, c.UID, a.UID}) {
			t.Fatalf("pending %v (%d), want b c a", uids(us), total)
		}
		f.Page = barong.Page{Page: 2, Limit: 2}
		if us, total, _ = db.PendingDocumentUsers(ctx, f); total != 3 || !slices.Equal(uids(us), []string{a.UID}) {
			t.Fatalf("page 2 %v (%d)", uids(us), total)
		}
		if db.Dialect() == DialectSQLite { // a database of its own: no filter at all
			if us, total, _ = db.PendingDocumentUsers(ctx, barong.UserFilter{Page: barong.Page{Page: 1, Limit: 10}}); total != 3 || len(us) != 3 {
				t.Fatalf("unfiltered %v (%d)", uids(us), total)
			}
		}
		f = barong.UserFilter{Role: role, Email: c.Email, Page: barong.Page{Page: 1, Limit: 10}}
		if us, total, _ = db.PendingDocumentUsers(ctx, f); total != 1 || us[0].UID != c.UID {
			t.Fatalf("by email %v (%d)", uids(us), total)
		}
	})
}

func TestUsersByIDsAndUIDs(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, b := mustUser(t, db), mustUser(t, db)
		us, err := db.UsersByIDs(ctx, []int64{a.ID, b.ID, -1})
		if err != nil || len(us) != 2 {
			t.Fatalf("by ids %v %v", us, err)
		}
		us, err = db.UsersByUIDs(ctx, []string{b.UID, "IDNOPE"})
		if err != nil || len(us) != 1 || us[0] != *b {
			t.Fatalf("by uids %v %v", us, err)
		}
		if us, err = db.UsersByIDs(ctx, nil); err != nil || len(us) != 0 {
			t.Fatalf("none %v %v", us, err)
		}
		// More ids than one IN list holds.
		ids := make([]int64, 1200)
		for i := range ids {
			ids[i] = int64(i) + a.ID
		}
		if us, err = db.UsersByIDs(ctx, ids); err != nil || len(us) < 2 {
			t.Fatalf("chunked %d %v", len(us), err)
		}
	})
}

func TestProfilesAndKYCRecordsByUsers(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, b, empty := mustUser(t, db), mustUser(t, db), mustUser(t, db)
		for _, p := range []*barong.Profile{
			{UserID: a.ID, FirstName: "Ann", Country: "UA", State: "rejected"},
			{UserID: a.ID, FirstName: "Ann", Country: "UA", State: "submitted", Author: "IDADMIN"},
			{UserID: b.ID, LastName: "Bee", DOB: "1990-02-03"},
		} {
			if err := db.CreateProfile(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		mustLabel(t, db, a, "email", "verified", "private")
		if err := db.CreatePhone(ctx, &barong.Phone{UserID: a.ID, Country: "UA", Number: "380501234567"}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateDocument(ctx, &barong.Document{UserID: b.ID, DocType: "Passport", DocNumber: "AB123"}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateDataStorage(ctx, &barong.DataStorage{UserID: b.ID, Title: "personal", Data: "{}"}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateComment(ctx, &barong.Comment{UserID: a.ID, AuthorUID: "IDADMIN", Title: "t", Data: "d"}); err != nil {
			t.Fatal(err)
		}
		ps, err := db.ProfilesByUsers(ctx, []int64{a.ID, b.ID, empty.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps[a.ID]) != 2 || ps[a.ID][0].State != "rejected" || ps[a.ID][1].Author != "IDADMIN" ||
			len(ps[b.ID]) != 1 || ps[b.ID][0].DOB != "1990-02-03" || len(ps[empty.ID]) != 0 {
			t.Fatalf("profiles by users %+v", ps)
		}
		recs, err := db.KYCRecordsByUsers(ctx, []int64{a.ID, b.ID, empty.ID})
		if err != nil {
			t.Fatal(err)
		}
		ra, rb, re := recs[a.ID], recs[b.ID], recs[empty.ID]
		if len(ra.Labels) != 1 || len(ra.Phones) != 1 || ra.Phones[0].Number != "380501234567" || len(ra.Profiles) != 2 ||
			len(ra.Comments) != 1 || len(ra.Documents) != 0 {
			t.Fatalf("records of a %+v", ra)
		}
		if len(rb.Documents) != 1 || rb.Documents[0].DocNumber != "AB123" || len(rb.DataStorages) != 1 {
			t.Fatalf("records of b %+v", rb)
		}
		if re == nil || re.Labels == nil || len(re.Labels)+len(re.Profiles)+len(re.Comments) != 0 {
			t.Fatalf("records of empty %+v", re)
		}
	})
}

func TestListProfiles(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		_, before, err := db.ListProfiles(ctx, barong.Page{Page: 1, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		u := mustUser(t, db)
		for _, st := range []string{"drafted", "verified", "rejected"} {
			if err := db.CreateProfile(ctx, &barong.Profile{UserID: u.ID, State: st, City: "Kyiv"}); err != nil {
				t.Fatal(err)
			}
		}
		// Other tests share the server databases: count at least ours.
		ps, total, err := db.ListProfiles(ctx, barong.Page{Page: 1, Limit: 100})
		if err != nil || total < before+3 || int64(len(ps)) != min(total, 100) {
			t.Fatalf("list %d of %d: %v", len(ps), total, err)
		}
		for i := 1; i < len(ps); i++ {
			if ps[i].ID <= ps[i-1].ID {
				t.Fatalf("not by id: %v", ps)
			}
		}
	})
}

func TestLabelCounts(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		key := unique("k")[:12]
		for i := 0; i < 3; i++ {
			mustLabel(t, db, mustUser(t, db), key, "aaa", "private")
		}
		clock.Advance(48 * time.Hour)
		later := clock.Now()
		mustLabel(t, db, mustUser(t, db), key, "bbb", "private")
		mustLabel(t, db, mustUser(t, db), key, "aaa", "public")
		cs, err := db.LabelCounts(ctx, barong.LabelCountFilter{Scope: "private", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		want := []barong.LabelCount{{Key: key, Value: "aaa", Count: 3}, {Key: key, Value: "bbb", Count: 1}}
		if !slices.Equal(cs, want) {
			t.Fatalf("counts %v, want %v", cs, want)
		}
		cs, _ = db.LabelCounts(ctx, barong.LabelCountFilter{Scope: "private", Key: key, Value: "aaa", From: later})
		if len(cs) != 0 {
			t.Fatalf("from %v: %v", later, cs)
		}
		cs, _ = db.LabelCounts(ctx, barong.LabelCountFilter{Key: key, To: later.Add(-time.Hour)})
		if !slices.Equal(cs, []barong.LabelCount{{Key: key, Value: "aaa", Count: 3}}) {
			t.Fatalf("to: %v", cs)
		}
		all, _ := db.LabelCounts(ctx, barong.LabelCountFilter{Scope: "private"})
		if !slices.ContainsFunc(all, func(c barong.LabelCount) bool { return c == want[0] }) {
			t.Fatalf("all private counts lack %v", want[0])
		}
	})
}

func TestCountActivitiesByDay(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u := mustUser(t, db)
		topic := unique("t")[:12]
		add := func(action string) {
			a := &barong.Activity{UserID: u.ID, Category: "user", UserIP: "1.2.3.4", UserAgent: "ua", Topic: topic,
				Action: action, Result: "succeed"}
			if err := db.CreateActivity(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		day1 := clock.Now() // 2026-03-01 12:00 UTC
		add("login")
		add("login")
		add("logout")
		clock.Advance(12*time.Hour - time.Second) // 23:59:59 the same day
		add("login")
		clock.Advance(time.Second) // midnight: the next day
		add("login")
		f := barong.ActivityFilter{Topic: topic, Action: "login"}
		cs, err := db.CountActivitiesByDay(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want := []barong.DayCount{{Day: "2026-03-01", Count: 3}, {Day: "2026-03-02", Count: 1}}
		if !slices.Equal(cs, want) {
			t.Fatalf("by day %v, want %v", cs, want)
		}
		f.From, f.To = day1.Add(time.Hour), day1.Add(12*time.Hour) // To is exclusive: midnight is out
		if cs, _ = db.CountActivitiesByDay(ctx, f); !slices.Equal(cs, []barong.DayCount{{Day: "2026-03-01", Count: 1}}) {
			t.Fatalf("bounded %v", cs)
		}
		f = barong.ActivityFilter{Topic: topic, UserID: u.ID, Category: "user", Result: "succeed", Action: "logout"}
		if cs, _ = db.CountActivitiesByDay(ctx, f); !slices.Equal(cs, []barong.DayCount{{Day: "2026-03-01", Count: 1}}) {
			t.Fatalf("logout %v", cs)
		}
	})
}

// TestListUsersPages checks that pages past the first (read as a deferred
// join) are the slices of the whole ordered list, in every order.
func TestListUsersPages(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		role := unique("r")
		for i := 0; i < 7; i++ {
			mustUser(t, db, func(u *barong.User) { u.Role, u.Level = role, i%3 })
			clock.Advance(time.Second)
		}
		for _, o := range []barong.Order{{}, {Desc: true}, {By: "created_at", Desc: true}, {By: "level"}, {By: "email", Desc: true}} {
			f := barong.UserFilter{Role: role, Order: o, Page: barong.Page{Page: 1, Limit: 100}}
			all, total, err := db.ListUsers(ctx, f)
			if err != nil || total != 7 || len(all) != 7 {
				t.Fatalf("%+v: %d of %d, %v", o, len(all), total, err)
			}
			for pg := 1; pg <= 3; pg++ {
				f.Page = barong.Page{Page: pg, Limit: 3}
				got, total, err := db.ListUsers(ctx, f)
				if err != nil || total != 7 {
					t.Fatalf("%+v page %d: %v", o, pg, err)
				}
				want := all[(pg-1)*3 : min(pg*3, 7)]
				if !slices.Equal(uids(got), uids(want)) {
					t.Fatalf("%+v page %d: %v, want %v", o, pg, uids(got), uids(want))
				}
			}
		}
	})
}

// TestAdminIndexesDownAndUp rolls the admin index migration back and
// applies it again on each dialect.
func TestAdminIndexesDownAndUp(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			u := "sqlite:" + filepath.Join(t.TempDir(), "down.db")
			if dialect != DialectSQLite {
				u = freshServerDB(t, dialect)
			}
			ctx := context.Background()
			db, err := Open(ctx, u, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			fsys, _ := Migrations(dialect)
			p, err := goose.NewProvider(gooseDialects[dialect], db.write, fsys, goose.WithTableName(migrationTable))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 2); err != nil {
				t.Fatalf("down: %v", err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("up again: %v", err)
			}
		})
	}
}
