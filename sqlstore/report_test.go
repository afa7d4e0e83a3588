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
	"github.com/jackc/pgx/v5/pgconn"
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

		// Run again after a conflict: only the attempt that commits
		// reports, once; the first attempt wrote the user, the second the
		// service account.
		attempt := 0
		if err := db.InTx(context.Background(), func(tx barong.Tx) error {
			attempt++
			if attempt == 1 {
				if err := tx.UpdateUser(context.Background(), f.user); err != nil {
					return err
				}
				return &pgconn.PgError{Code: "40001", Message: "injected"}
			}
			return tx.UpdateServiceAccount(context.Background(), f.sa)
		}); err != nil || attempt != 2 {
			t.Fatalf("retried InTx: %v after %d attempts", err, attempt)
		}
		if got := f.take(); !reflect.DeepEqual(got, []barong.Change{sa}) {
			t.Errorf("retried transaction reported %v, want only the committed attempt's %v", got, sa)
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

// TestReportCoversWrites fails when the DB (its Queries, its Tx, its
// session store, the import sink) gains a method that may write and is
// listed neither as reported nor as harmless: decide whether it changes
// what authz caches (sessions, users, service accounts, API keys), then
// report it (changes.go; and test it in TestReportChanges,
// TestChangeFeedBetweenProcesses or TestReportImport) or list it as
// harmless here, with the reason.
func TestReportCoversWrites(t *testing.T) {
	reported := map[string]bool{
		// Queries and Tx.
		"UpdateUser": true, "UpdateServiceAccount": true, "UpdateAPIKey": true, "DeleteAPIKey": true, "DeactivateAPIKeys": true,
		// SessionStore.
		"TouchSession": true, "DeleteSession": true, "DeleteUserSession": true, "DeleteUserSessions": true, "DeleteAllSessions": true,
		// The import sink (barong import).
		"WriteImport": true,
	}
	harmless := map[string]string{
		"CreateUser": "new", "CreateServiceAccount": "new", "CreateAPIKey": "new", "CreateSession": "new",
		"LockUser":     "a row lock, no write",
		"PurgeExpired": "expired sessions are refused wherever they are cached",
		"InTx":         "its writes report", "Migrate": "schema", "Close": "no write",
		"ReportChangesTo": "routing", "FinishImport": "id sequences only",
		"ImportLedger": "read", "ImportPresent": "read",
		"SetTOTPSecret": "not cached", "UseTOTPStep": "not cached", "UseWebAuthnCredential": "not cached",
		"CreateWebAuthnCredential": "not cached", "RenameWebAuthnCredential": "not cached", "DeleteWebAuthnCredential": "not cached",
		"ConsumeSetupToken": "not cached", "CreateSetupToken": "not cached",
		"RecordKeyFingerprint": "not cached", "ReplaceKeyFingerprint": "not cached",
		"Set": "KV", "SetNX": "KV", "Delete": "KV", "Incr": "KV", "Decr": "KV",
		"DeliverOutbox": "outbox", "DeliverOutboxBatch": "outbox", "CreateActivity": "not cached",
		// Records of users that authz does not read (its permissions and
		// restrictions are its own snapshots, reloaded on their tables'
		// fingerprint).
		"CreateLabel": "labels", "UpdateLabel": "labels", "DeleteLabel": "labels", "CreateLevel": "levels",
		"CreateProfile": "profiles", "UpdateProfile": "profiles", "CreatePhone": "phones", "UpdatePhone": "phones", "DeletePhone": "phones",
		"CreateDocument": "documents", "UpdateDocumentMetadata": "documents", "CreateDataStorage": "data storages",
		"DeleteDataStorage": "data storages", "CreateComment": "comments", "UpdateComment": "comments", "DeleteComment": "comments",
		"CreatePermission": "snapshot", "UpdatePermission": "snapshot", "DeletePermission": "snapshot",
		"CreateRestriction": "snapshot", "UpdateRestriction": "snapshot", "DeleteRestriction": "snapshot",
	}
	write := regexp.MustCompile(`^(Create|Update|Delete|Deactivate|Activate|Set|Insert|Upsert|Remove|Lock|Ban|Purge|Replace|Change|` +
		`Touch|Write|Import|Finish|Consume|Use|Record|Rename|Incr|Decr|Deliver|Migrate|Report|InTx|Close|Revoke|Grant|Disable|Enable|Add|Put|Save|Apply)([A-Z]|$)`)
	seen := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeFor[*DB](), reflect.TypeFor[*tx](), reflect.TypeFor[barong.Tx](),
		reflect.TypeFor[barong.SessionStore](), reflect.TypeFor[barong.Queries]()} {
		for i := range typ.NumMethod() {
			name := typ.Method(i).Name
			if seen[name] || !write.MatchString(name) {
				continue
			}
			seen[name] = true
			if !reported[name] && harmless[name] == "" {
				t.Errorf("%s.%s may write: report its changes (sqlstore/changes.go) or list it as harmless here", typ, name)
			}
		}
	}
	for name := range reported {
		if !seen[name] {
			t.Errorf("%s is listed as reported but is no method of the DB any more", name)
		}
	}
}

// TestReportImport: the import sink reports the users, service accounts
// and API keys it updates or deletes, by their keys before the write, once
// the batch committed; rows it inserts, rows of other tables and a failed
// batch report nothing.
func TestReportImport(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		f := newReportFixture(t, db)
		ctx := context.Background()
		now := db.Now()
		write := func(b ImportBatch) []barong.Change {
			t.Helper()
			if err := db.WriteImport(ctx, b); err != nil {
				t.Fatalf("WriteImport %s: %v", b.Table, err)
			}
			return f.take()
		}
		// An update of a user, renamed by the import: the uid the caches
		// know is reported.
		renamed := "ID" + strings.ToUpper(unique("")[:10])
		got := write(ImportBatch{Table: "users", Columns: []string{"id", "uid", "state", "updated_at"},
			Rows: []ImportRow{{Values: []any{f.user.ID, renamed, "banned", now}, Exists: true}}})
		if want := []barong.Change{{Kind: barong.ChangedUser, Key: f.user.UID}}; !reflect.DeepEqual(got, want) {
			t.Errorf("user update reported %v, want %v", got, want)
		}
		got = write(ImportBatch{Table: "service_accounts", Columns: []string{"id", "state", "updated_at"},
			Rows: []ImportRow{{Values: []any{f.sa.ID, "disabled", now}, Exists: true}}})
		if want := []barong.Change{{Kind: barong.ChangedServiceAccount, Key: f.sa.UID}}; !reflect.DeepEqual(got, want) {
			t.Errorf("service account update reported %v, want %v", got, want)
		}
		// Keys: one updated, one deleted, one inserted (not reported).
		newID := f.keys[2].ID + 1000
		got = write(ImportBatch{Table: "apikeys",
			Columns: []string{"id", "key_holder_account_id", "key_holder_account_type", "kid", "algorithm", "state", "created_at", "updated_at"},
			Rows: []ImportRow{
				{Values: []any{f.keys[0].ID, f.user.ID, barong.HolderUser, f.keys[0].KID, "HS256", "inactive", now, now}, Exists: true},
				{Values: []any{newID, f.user.ID, barong.HolderUser, unique("k")[:16], "HS256", "active", now, now}},
			},
			Delete: []int64{f.keys[1].ID}})
		want := []barong.Change{{Kind: barong.ChangedAPIKey, Key: f.keys[0].KID}, {Kind: barong.ChangedAPIKey, Key: f.keys[1].KID}}
		slices.SortFunc(want, func(a, b barong.Change) int { return strings.Compare(a.Key, b.Key) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("api keys reported %v, want %v", got, want)
		}
		if k, err := db.APIKeyByKID(ctx, f.keys[0].KID); err != nil || k.State != "inactive" {
			t.Fatalf("imported key %+v %v", k, err)
		}
		// Another table reports nothing; a failed batch neither.
		if got := write(ImportBatch{Table: "comments", Columns: []string{"id"}, Delete: []int64{1 << 40}}); len(got) != 0 {
			t.Errorf("comments reported %v", got)
		}
		err := db.WriteImport(ctx, ImportBatch{Table: "users", Columns: []string{"id", "no_such_column"},
			Rows: []ImportRow{{Values: []any{f.user.ID, "x"}, Exists: true}}})
		if err == nil {
			t.Fatal("a batch with an unknown column was written")
		}
		if got := f.take(); len(got) != 0 {
			t.Errorf("a failed batch reported %v", got)
		}
	})
}
