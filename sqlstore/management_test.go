package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

func TestListLabeledUsers(t *testing.T) {
	t.Parallel()
	forEachDBClock(t, func(t *testing.T, db *DB, clock *fakeClock) {
		ctx := context.Background()
		key := unique("k") // isolates this test's labels on the shared databases
		var us []*barong.User
		for range 4 {
			us = append(us, mustUser(t, db))
			clock.Advance(time.Hour)
		}
		labels := []barong.Label{
			{UserID: us[0].ID, Key: key, Value: "verified", Scope: barong.ScopePrivate},
			{UserID: us[0].ID, Key: key, Value: "verified", Scope: barong.ScopePublic}, // same user twice
			{UserID: us[1].ID, Key: key, Value: "pending", Scope: barong.ScopePrivate},
			{UserID: us[2].ID, Key: key, Value: "verified", Scope: barong.ScopePublic},
			{UserID: us[3].ID, Key: key + "x", Value: "verified", Scope: barong.ScopePrivate},
		}
		for i := range labels {
			if err := db.CreateLabel(ctx, &labels[i]); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name  string
			f     barong.UserFilter
			want  []int
			total int64
		}{
			{"any value and scope", barong.UserFilter{LabelKey: key}, []int{0, 1, 2}, 3},
			{"value", barong.UserFilter{LabelKey: key, LabelValue: "verified"}, []int{0, 2}, 2},
			{"scope", barong.UserFilter{LabelKey: key, LabelScope: barong.ScopePrivate}, []int{0, 1}, 2},
			{"value and scope", barong.UserFilter{LabelKey: key, LabelValue: "verified", LabelScope: barong.ScopePublic}, []int{0, 2}, 2},
			{"page", barong.UserFilter{LabelKey: key, Page: barong.Page{Page: 2, Limit: 2}}, []int{2}, 3},
			{"created range", barong.UserFilter{LabelKey: key, From: us[1].CreatedAt, To: us[2].CreatedAt}, []int{1, 2}, 2},
			{"desc", barong.UserFilter{LabelKey: key, Order: barong.Order{By: "id", Desc: true}}, []int{2, 1, 0}, 3},
			{"no match", barong.UserFilter{LabelKey: key, LabelValue: "rejected"}, nil, 0},
		}
		for _, c := range cases {
			got, total, err := db.ListLabeledUsers(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var gotIDs, want []int64
			for _, u := range got {
				gotIDs = append(gotIDs, u.ID)
			}
			for _, i := range c.want {
				want = append(want, us[i].ID)
			}
			if total != c.total || !equalIDs(gotIDs, want) {
				t.Errorf("%s: ids %v total %d, want %v total %d", c.name, gotIDs, total, want, c.total)
			}
		}
		if _, _, err := db.ListLabeledUsers(ctx, barong.UserFilter{}); err == nil {
			t.Fatal("no label key: want an error")
		}
		if _, _, err := db.ListLabeledUsers(ctx, barong.UserFilter{LabelKey: key, Order: barong.Order{By: "password_digest"}}); err == nil {
			t.Fatal("order by a column outside the list: want an error")
		}
	})
}
