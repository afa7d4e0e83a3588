package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func TestActivities(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		u, target := mustUser(t, db), mustUser(t, db)
		mk := func(topic, action, result, category, targetUID string) *barong.Activity {
			a := &barong.Activity{UserID: u.ID, Category: category, UserIP: "10.0.0.1", UserAgent: "Mozilla/5.0",
				Topic: topic, Action: action, Result: result, TargetUID: targetUID}
			if err := db.CreateActivity(ctx, a); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			return a
		}
		a0 := mk("session", "login", barong.ResultSucceed, barong.CategoryUser, "")
		a1 := mk("session", "login", barong.ResultFailed, barong.CategoryUser, "")
		a2 := mk("password", "password change", barong.ResultSucceed, barong.CategoryUser, "")
		a3 := mk("users", "update", barong.ResultSucceed, barong.CategoryAdmin, target.UID)
		a1.UserIPCountry, a1.Data = "", ""
		if !a0.CreatedAt.Before(a1.CreatedAt) {
			t.Fatal("clock did not advance")
		}

		cases := []struct {
			name  string
			f     barong.ActivityFilter
			want  []*barong.Activity
			total int64
		}{
			{"all of user", barong.ActivityFilter{}, []*barong.Activity{a3, a2, a1, a0}, 4},
			{"page", barong.ActivityFilter{Page: barong.Page{Page: 2, Limit: 3}}, []*barong.Activity{a0}, 4},
			{"topic", barong.ActivityFilter{Topic: "session"}, []*barong.Activity{a1, a0}, 2},
			{"result", barong.ActivityFilter{Result: barong.ResultFailed}, []*barong.Activity{a1}, 1},
			{"action", barong.ActivityFilter{Action: "password change"}, []*barong.Activity{a2}, 1},
			{"category", barong.ActivityFilter{Category: barong.CategoryAdmin}, []*barong.Activity{a3}, 1},
			{"target", barong.ActivityFilter{TargetUID: target.UID}, []*barong.Activity{a3}, 1},
			{"from inclusive, to exclusive", barong.ActivityFilter{From: a1.CreatedAt, To: a3.CreatedAt}, []*barong.Activity{a2, a1}, 2},
		}
		for _, c := range cases {
			c.f.UserID = u.ID
			got, total, err := db.ListActivities(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if total != c.total || len(got) != len(c.want) {
				t.Fatalf("%s: %d rows of %d, want %d of %d", c.name, len(got), total, len(c.want), c.total)
			}
			for i := range got {
				if got[i] != *c.want[i] {
					t.Fatalf("%s: row %d\n got %+v\nwant %+v", c.name, i, got[i], *c.want[i])
				}
			}
		}
		// UserID 0 lists every user's activities.
		got, total, err := db.ListActivities(ctx, barong.ActivityFilter{TargetUID: target.UID, Page: barong.Page{Page: 1, Limit: 10}})
		if err != nil || total != 1 || got[0].ID != a3.ID {
			t.Fatalf("admin list = %+v %d %v", got, total, err)
		}
	})
}
