package sqlstore

import (
	"context"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/barong-go/barong"
)

// reportFixture is a DB whose reported changes are collected, with a user
// holding a service account, two user keys and one service-account key.
type reportFixture struct {
	db   *DB
	user *barong.User
	sa   *barong.ServiceAccount
	keys []*barong.APIKey // user, user, service account

	mu       sync.Mutex
	reported []barong.Change
}

func newReportFixture(t *testing.T, db *DB) *reportFixture {
	t.Helper()
	ctx := context.Background()
	f := &reportFixture{db: db, user: mustUser(t, db)}
	db.ReportChangesTo(func(_ context.Context, cs []barong.Change) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reported = append(f.reported, cs...)
	})
	f.sa = &barong.ServiceAccount{UID: unique("IDSA")[:14], OwnerID: f.user.ID, Email: unique("sa") + "@example.com",
		Role: "sa_maker", State: "active"}
	if err := db.CreateServiceAccount(ctx, f.sa); err != nil {
		t.Fatal(err)
	}
	for _, h := range []struct {
		typ string
		id  int64
	}{{barong.HolderUser, f.user.ID}, {barong.HolderUser, f.user.ID}, {barong.HolderServiceAccount, f.sa.ID}} {
		k := &barong.APIKey{HolderType: h.typ, HolderID: h.id, KID: unique("k")[:16], Algorithm: "HS256", Secret: "secret", State: "active"}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		f.keys = append(f.keys, k)
	}
	f.take()
	return f
}

// take returns what was reported since the last take, sorted by key.
func (f *reportFixture) take() []barong.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reported
	f.reported = nil
	slices.SortFunc(r, func(a, b barong.Change) int { return strings.Compare(a.Key, b.Key) })
	return r
}

// TestReportChanges: every write of a user, a service account or an API
// key is reported with the record it names, at once outside a transaction
// and after the commit inside one; a rolled-back transaction reports
// nothing; creations and reads report nothing.
func TestReportChanges(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		f := newReportFixture(t, db)
		user := barong.Change{Kind: barong.ChangedUser, Key: f.user.UID}
		sa := barong.Change{Kind: barong.ChangedServiceAccount, Key: f.sa.UID}
		key := func(i int) barong.Change { return barong.Change{Kind: barong.ChangedAPIKey, Key: f.keys[i].KID} }
		sorted := func(cs ...barong.Change) []barong.Change {
			slices.SortFunc(cs, func(a, b barong.Change) int { return strings.Compare(a.Key, b.Key) })
			return cs
		}
		cases := []struct {
			name string
			tx   bool
			do   func(ctx context.Context, q barong.Queries) error
			want []barong.Change
		}{
			{"UpdateUser", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateUser(ctx, f.user) },
				[]barong.Change{user}},
			{"UpdateUserAlone", false, func(ctx context.Context, q barong.Queries) error { return q.UpdateUser(ctx, f.user) },
				[]barong.Change{user}},
			{"UpdateServiceAccount", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateServiceAccount(ctx, f.sa) },
				[]barong.Change{sa}},
			{"UpdateAPIKey", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateAPIKey(ctx, f.keys[1]) },
				[]barong.Change{key(1)}},
			{"UpdateAPIKeyWithoutKID", false, func(ctx context.Context, q barong.Queries) error {
				k := *f.keys[2]
				k.KID = ""
				return q.UpdateAPIKey(ctx, &k)
			}, []barong.Change{key(2)}},
			{"DeactivateUserKeys", true, func(ctx context.Context, q barong.Queries) error {
				return q.DeactivateAPIKeys(ctx, barong.HolderUser, []int64{f.user.ID})
			}, sorted(key(0), key(1))},
			{"DeactivateInactiveKeys", false, func(ctx context.Context, q barong.Queries) error {
				return q.DeactivateAPIKeys(ctx, barong.HolderUser, []int64{f.user.ID})
			}, nil},
			{"DeactivateSAKeysAlone", false, func(ctx context.Context, q barong.Queries) error {
				return q.DeactivateAPIKeys(ctx, barong.HolderServiceAccount, []int64{f.sa.ID})
			}, []barong.Change{key(2)}},
			{"DeleteAPIKey", true, func(ctx context.Context, q barong.Queries) error { return q.DeleteAPIKey(ctx, f.keys[0].ID) },
				[]barong.Change{key(0)}},
			{"DeleteAPIKeyAlone", false, func(ctx context.Context, q barong.Queries) error { return q.DeleteAPIKey(ctx, f.keys[1].ID) },
				[]barong.Change{key(1)}},
			{"ReadsAndCreations", true, func(ctx context.Context, q barong.Queries) error {
				if _, err := q.UserByUID(ctx, f.user.UID); err != nil {
					return err
				}
				return q.CreateAPIKey(ctx, &barong.APIKey{HolderType: barong.HolderUser, HolderID: f.user.ID, KID: unique("k")[:16],
					Algorithm: "HS256", Secret: "s", State: "active"})
			}, nil},
		}
		for _, c := range cases {
			ctx := context.Background()
			var err error
			if c.tx {
				err = db.InTx(ctx, func(tx barong.Tx) error {
					if err := c.do(ctx, tx); err != nil {
						return err
					}
					if got := f.take(); len(got) != 0 {
						t.Errorf("%s: reported %v before the commit", c.name, got)
					}
					return nil
				})
			} else {
				err = c.do(ctx, db)
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := f.take(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: reported %v, want %v", c.name, got, c.want)
			}
		}

		// Rolled back: nothing happened, nothing is reported.
		boom := context.Canceled
		err := db.InTx(context.Background(), func(tx barong.Tx) error {
			if err := tx.UpdateUser(context.Background(), f.user); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("InTx error %v, want %v", err, boom)
		}
		if got := f.take(); len(got) != 0 {
			t.Errorf("a rolled-back update reported %v", got)
		}
	})
}

// TestReportCoversWrites fails when barong.Queries gains a write of users,
// API keys or service accounts the DB does not report: decide whether it
// changes what authz caches, then report it (and list it here) or list it
// as harmless.
func TestReportCoversWrites(t *testing.T) {
	reported := map[string]bool{"UpdateUser": true, "UpdateServiceAccount": true, "UpdateAPIKey": true,
		"DeleteAPIKey": true, "DeactivateAPIKeys": true}
	harmless := map[string]bool{"CreateUser": true, "CreateServiceAccount": true, "CreateAPIKey": true}
	write := regexp.MustCompile(`^(Create|Update|Delete|Deactivate|Activate|Set|Insert|Upsert|Remove|Lock|Ban|Purge|Replace|Change)`)
	about := regexp.MustCompile(`User|APIKey|ServiceAccount`)
	qt := reflect.TypeFor[barong.Queries]()
	for i := range qt.NumMethod() {
		name := qt.Method(i).Name
		if write.MatchString(name) && about.MatchString(name) && !reported[name] && !harmless[name] {
			t.Errorf("barong.Queries.%s writes a principal: report its changes (sqlstore/changes.go)", name)
		}
	}
}
