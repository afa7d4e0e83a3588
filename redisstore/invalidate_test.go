package redisstore

import (
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/sqlstore"
)

// wrapFixture is a wrapped SQLite store with a user holding a service
// account, two user keys and one service-account key, all with snapshots.
type wrapFixture struct {
	pr     *Principals
	store  barong.Store
	prefix string
	user   *barong.User
	sa     *barong.ServiceAccount
	keys   []*barong.APIKey // user, user, service account
}

func newWrapFixture(t *testing.T) *wrapFixture {
	t.Helper()
	c := mustOpen(t, "")
	prefix := testPrefix(t, c)
	cipher, err := crypt.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "b.db"), sqlstore.Options{Cipher: cipher})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &wrapFixture{pr: c.Principals(prefix, time.Minute), prefix: prefix}
	f.store = f.pr.Wrap(db)
	f.user = &barong.User{UID: "IDWRAP000001", Email: "w@example.com", PasswordDigest: "x", Role: "member", State: "active", OTP: true}
	if err := db.CreateUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	f.sa = &barong.ServiceAccount{UID: "IDWRAPSA0001", OwnerID: f.user.ID, Email: "sa@example.com", Role: "sa_maker", State: "active"}
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
	f.fill(t)
	return f
}

// snapshots lists the snapshot keys of the fixture's principals.
func (f *wrapFixture) snapshots() []string {
	s := []string{f.prefix + "user:" + f.user.UID, f.prefix + "sa:" + f.sa.UID}
	for _, k := range f.keys {
		s = append(s, f.prefix+"apikey:"+k.KID)
	}
	return s
}

// fill writes every snapshot.
func (f *wrapFixture) fill(t *testing.T) {
	t.Helper()
	for _, k := range f.snapshots() {
		if err := f.pr.rdb.Set(ctxT(t), k, "{}", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// left returns which snapshots still exist, in the order of snapshots().
func (f *wrapFixture) left(t *testing.T) []bool {
	t.Helper()
	var out []bool
	for _, k := range f.snapshots() {
		out = append(out, f.pr.rdb.Exists(ctxT(t), k).Val() == 1)
	}
	return out
}

func TestWrapInvalidates(t *testing.T) {
	t.Parallel()
	f := newWrapFixture(t)
	const T, F = true, false
	cases := []struct {
		name string
		tx   bool
		do   func(ctx context.Context, q barong.Queries) error
		want []bool // user, sa, key0, key1, key2
	}{
		{"UpdateUser", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateUser(ctx, f.user) },
			[]bool{F, T, T, T, T}},
		{"UpdateUserAlone", false, func(ctx context.Context, q barong.Queries) error { return q.UpdateUser(ctx, f.user) },
			[]bool{F, T, T, T, T}},
		{"UpdateServiceAccount", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateServiceAccount(ctx, f.sa) },
			[]bool{T, F, T, T, T}},
		{"UpdateAPIKey", true, func(ctx context.Context, q barong.Queries) error { return q.UpdateAPIKey(ctx, f.keys[1]) },
			[]bool{T, T, T, F, T}},
		{"UpdateAPIKeyAlone", false, func(ctx context.Context, q barong.Queries) error { return q.UpdateAPIKey(ctx, f.keys[2]) },
			[]bool{T, T, T, T, F}},
		{"DeactivateUserKeys", true, func(ctx context.Context, q barong.Queries) error {
			return q.DeactivateAPIKeys(ctx, barong.HolderUser, []int64{f.user.ID})
		}, []bool{T, T, F, F, T}},
		{"DeactivateSAKeysAlone", false, func(ctx context.Context, q barong.Queries) error {
			return q.DeactivateAPIKeys(ctx, barong.HolderServiceAccount, []int64{f.sa.ID})
		}, []bool{T, T, T, T, F}},
		{"ReadOnly", true, func(ctx context.Context, q barong.Queries) error {
			_, err := q.UserByUID(ctx, f.user.UID)
			return err
		}, []bool{T, T, T, T, T}},
	}
	for _, c := range cases {
		f.fill(t)
		ctx := ctxT(t)
		var err error
		if c.tx {
			err = f.store.InTx(ctx, func(tx barong.Tx) error { return c.do(ctx, tx) })
		} else {
			err = c.do(ctx, f.store)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := f.left(t); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: snapshots left %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWrapDeleteAPIKey(t *testing.T) {
	t.Parallel()
	f := newWrapFixture(t)
	ctx := ctxT(t)
	// Read in the transaction first (as the rules do): only that key goes.
	err := f.store.InTx(ctx, func(tx barong.Tx) error {
		k, err := tx.APIKeyByKID(ctx, f.keys[0].KID)
		if err != nil {
			return err
		}
		return tx.DeleteAPIKey(ctx, k.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.left(t), []bool{true, true, false, true, true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after delete of a read key: %v, want %v", got, want)
	}
	// A delete by an id the store has not seen: every key snapshot goes.
	f.fill(t)
	if err := f.store.DeleteAPIKey(ctx, f.keys[1].ID); err != nil {
		t.Fatal(err)
	}
	if got, want := f.left(t), []bool{true, true, false, false, false}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after delete by unknown id: %v, want %v", got, want)
	}
}

// TestWrapRolledBack: a failed transaction still invalidates what it
// touched (harmless), and returns its error unchanged.
func TestWrapRolledBack(t *testing.T) {
	t.Parallel()
	f := newWrapFixture(t)
	ctx := ctxT(t)
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
	if f.left(t)[0] {
		t.Fatal("user snapshot kept after a rolled-back update")
	}
}

// TestWrapCoversWrites fails when barong.Queries gains a write of users,
// API keys or service accounts that Wrap does not know: decide whether it
// changes what authz reads, then add it to one list.
func TestWrapCoversWrites(t *testing.T) {
	intercepted := map[string]bool{"UpdateUser": true, "UpdateServiceAccount": true, "UpdateAPIKey": true,
		"DeleteAPIKey": true, "DeactivateAPIKeys": true}
	harmless := map[string]bool{"CreateUser": true, "CreateServiceAccount": true, "CreateAPIKey": true}
	write := regexp.MustCompile(`^(Create|Update|Delete|Deactivate|Activate|Set|Insert|Upsert|Remove|Lock|Ban|Purge|Replace|Change)`)
	about := regexp.MustCompile(`User|APIKey|ServiceAccount`)
	qt := reflect.TypeFor[barong.Queries]()
	st := reflect.TypeFor[*invalidatingStore]()
	tt := reflect.TypeFor[*invalidatingTx]()
	for i := range qt.NumMethod() {
		name := qt.Method(i).Name
		if !write.MatchString(name) || !about.MatchString(name) {
			continue
		}
		switch {
		case intercepted[name]:
			for _, typ := range []reflect.Type{st, tt} {
				m, _ := typ.MethodByName(name)
				// A promoted method is a compiler-generated wrapper.
				file, _ := runtime.FuncForPC(m.Func.Pointer()).FileLine(m.Func.Pointer())
				if !strings.HasSuffix(file, "invalidate.go") {
					t.Errorf("%s does not intercept %s (found in %s)", typ, name, file)
				}
			}
		case harmless[name]:
		default:
			t.Errorf("barong.Queries.%s writes a principal: teach Wrap about it (redisstore/invalidate.go)", name)
		}
	}
}
