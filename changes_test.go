package barong_test

import (
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/sqlstore"
)

// reportFixture is a SQLite store wrapped by ReportChanges, with a user
// holding a service account, two user keys and one service-account key.
type reportFixture struct {
	store barong.Store
	user  *barong.User
	sa    *barong.ServiceAccount
	keys  []*barong.APIKey // user, user, service account

	mu       sync.Mutex
	reported []barong.Change
}

func newReportFixture(t *testing.T) *reportFixture {
	t.Helper()
	cipher, err := crypt.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "b.db"), sqlstore.Options{Cipher: cipher})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &reportFixture{}
	f.store = barong.ReportChanges(db, func(_ context.Context, cs []barong.Change) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reported = append(f.reported, cs...)
	})
	f.user = &barong.User{UID: "IDREPORT0001", Email: "w@example.com", PasswordDigest: "x", Role: "member", State: "active", OTP: true}
	if err := db.CreateUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	f.sa = &barong.ServiceAccount{UID: "IDREPORTSA01", OwnerID: f.user.ID, Email: "sa@example.com", Role: "sa_maker", State: "active"}
	if err := db.CreateServiceAccount(ctx, f.sa); err != nil {
		t.Fatal(err)
	}
	for i, h := range []struct {
		typ string
		id  int64
	}{{barong.HolderUser, f.user.ID}, {barong.HolderUser, f.user.ID}, {barong.HolderServiceAccount, f.sa.ID}} {
		k := &barong.APIKey{HolderType: h.typ, HolderID: h.id, KID: "kid00000000000" + string(rune('a'+i)),
			Algorithm: "HS256", Secret: "secret", State: "active"}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		f.keys = append(f.keys, k)
	}
	return f
}

// take returns what was reported since the last take.
func (f *reportFixture) take() []barong.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reported
	f.reported = nil
	return r
}

func TestReportChanges(t *testing.T) {
	t.Parallel()
	f := newReportFixture(t)
	user := func(uid string) barong.Change { return barong.Change{Kind: barong.ChangedUser, Key: uid} }
	key := func(kid string) barong.Change { return barong.Change{Kind: barong.ChangedAPIKey, Key: kid} }
	cases := []struct {
		name string
		tx   bool
		do   func(ctx context.Context, q barong.Queries) error
		want []barong.Change
	}{
		{"UpdateUser", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateUser(ctx, f.user) },
			[]barong.Change{user(f.user.UID)}},
		{"UpdateUserAlone", false, func(ctx context.Context, q barong.Queries) error { return q.UpdateUser(ctx, f.user) },
			[]barong.Change{user(f.user.UID)}},
		{"UpdateServiceAccount", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateServiceAccount(ctx, f.sa) },
			[]barong.Change{{Kind: barong.ChangedServiceAccount, Key: f.sa.UID}}},
		{"UpdateAPIKey", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateAPIKey(ctx, f.keys[1]) },
			[]barong.Change{key(f.keys[1].KID)}},
		{"UpdateAPIKeyAlone", false, func(ctx context.Context, q barong.Queries) error { return q.UpdateAPIKey(ctx, f.keys[2]) },
			[]barong.Change{key(f.keys[2].KID)}},
		{"DeactivateUserKeys", true, func(ctx context.Context, q barong.Queries) error {
			return q.DeactivateAPIKeys(ctx, barong.HolderUser, []int64{f.user.ID})
		}, []barong.Change{key(f.keys[0].KID), key(f.keys[1].KID)}},
		{"DeactivateSAKeysAlone", false, func(ctx context.Context, q barong.Queries) error {
			return q.DeactivateAPIKeys(ctx, barong.HolderServiceAccount, []int64{f.sa.ID})
		}, []barong.Change{key(f.keys[2].KID)}},
		{"DeleteReadKey", true, func(ctx context.Context, q barong.Queries) error {
			k, err := q.APIKeyByKID(ctx, f.keys[0].KID)
			if err != nil {
				return err
			}
			return q.DeleteAPIKey(ctx, k.ID)
		}, []barong.Change{key(f.keys[0].KID)}},
		{"DeleteUnseenKey", false, func(ctx context.Context, q barong.Queries) error { return q.DeleteAPIKey(ctx, f.keys[1].ID) },
			[]barong.Change{key("")}}, // every key
		{"ReadOnly", true, func(ctx context.Context, q barong.Queries) error {
			_, err := q.UserByUID(ctx, f.user.UID)
			return err
		}, nil},
	}
	for _, c := range cases {
		f.take()
		ctx := context.Background()
		var err error
		if c.tx {
			err = f.store.InTx(ctx, func(tx barong.Tx) error { return c.do(ctx, tx) })
		} else {
			err = c.do(ctx, f.store)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := f.take()
		slices.SortFunc(got, func(a, b barong.Change) int { return strings.Compare(a.Key, b.Key) })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: reported %v, want %v", c.name, got, c.want)
		}
	}
}

// TestReportChangesRolledBack: a failed transaction still reports what it
// touched (harmless), and returns its error unchanged.
func TestReportChangesRolledBack(t *testing.T) {
	t.Parallel()
	f := newReportFixture(t)
	ctx := context.Background()
	boom := context.Canceled
	err := f.store.InTx(ctx, func(tx barong.Tx) error {
		if err := tx.UpdateUser(ctx, f.user); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("InTx error %v, want %v", err, boom)
	}
	if got := f.take(); len(got) != 1 || got[0] != (barong.Change{Kind: barong.ChangedUser, Key: f.user.UID}) {
		t.Fatalf("reported %v after a rolled-back update", got)
	}
}

// TestReportChangesCoversWrites fails when barong.Queries gains a write of
// users, API keys or service accounts that ReportChanges does not know:
// decide whether it changes what authz caches, then add it to one list.
func TestReportChangesCoversWrites(t *testing.T) {
	f := newReportFixture(t)
	intercepted := map[string]bool{"UpdateUser": true, "UpdateServiceAccount": true, "UpdateAPIKey": true,
		"DeleteAPIKey": true, "DeactivateAPIKeys": true}
	harmless := map[string]bool{"CreateUser": true, "CreateServiceAccount": true, "CreateAPIKey": true}
	write := regexp.MustCompile(`^(Create|Update|Delete|Deactivate|Activate|Set|Insert|Upsert|Remove|Lock|Ban|Purge|Replace|Change)`)
	about := regexp.MustCompile(`User|APIKey|ServiceAccount`)
	var txType reflect.Type
	_ = f.store.InTx(context.Background(), func(tx barong.Tx) error { txType = reflect.TypeOf(tx); return nil })
	qt := reflect.TypeFor[barong.Queries]()
	for i := range qt.NumMethod() {
		name := qt.Method(i).Name
		if !write.MatchString(name) || !about.MatchString(name) {
			continue
		}
		switch {
		case intercepted[name]:
			for _, typ := range []reflect.Type{reflect.TypeOf(f.store), txType} {
				m, _ := typ.MethodByName(name)
				// A promoted method is a compiler-generated wrapper.
				file, _ := runtime.FuncForPC(m.Func.Pointer()).FileLine(m.Func.Pointer())
				if !strings.HasSuffix(file, "changes.go") {
					t.Errorf("%s does not intercept %s (found in %s)", typ, name, file)
				}
			}
		case harmless[name]:
		default:
			t.Errorf("barong.Queries.%s writes a principal: teach ReportChanges about it (changes.go)", name)
		}
	}
}
