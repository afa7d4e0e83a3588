package barongimport_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/barongimport"
	"github.com/barong-go/barong/barongimport/barongtest"
	"github.com/barong-go/barong/vault/vaulttest"
)

// TestImportIntoSeededTarget: barong-go had started on the target (seeded
// levels and permissions, a user of its own): Barong's configuration
// replaces the seeds, the user of barong-go is never overwritten (its id is
// reported), and new rows get ids after Barong's.
func TestImportIntoSeededTarget(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src := barongtest.New(t, dialect, "2.7", vaulttest.New(t))
			db := target(t, dialect)
			for _, l := range []string{"seeded-a", "seeded-b", "seeded-c", "seeded-d"} {
				if err := db.CreateLevel(ctx, &barong.Level{Key: l, Value: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 8 {
				if err := db.CreatePermission(ctx, &barong.Permission{Role: "member", Verb: "GET", Path: "api/v2/seed/" + string(rune('a'+i)), Action: "ACCEPT"}); err != nil {
					t.Fatal(err)
				}
			}
			native := &barong.User{UID: "IDNATIVE0001", Email: "native@example.com", PasswordDigest: mustBcrypt(t, "x"), Role: "member", State: "active"}
			if err := db.CreateUser(ctx, native); err != nil || native.ID != 1 {
				t.Fatalf("native user: %v %d", err, native.ID)
			}
			rep := run(t, options(t, src, db))
			if tr := table(t, rep, "levels"); tr.Changed != 3 || tr.Deleted != 1 {
				t.Fatalf("levels: %+v", tr)
			}
			if tr := table(t, rep, "permissions"); tr.Changed != 5 || tr.Deleted != 3 {
				t.Fatalf("permissions: %+v", tr)
			}
			lv, _ := db.Levels(ctx)
			if len(lv) != 3 || lv[0].Key != "email" {
				t.Fatalf("levels after the import: %+v", lv)
			}
			found := false
			for _, f := range rep.Failures {
				if f.Table == "users" && f.ID == 1 && strings.Contains(f.Reason, "barong-go created") {
					found = true
				}
			}
			if !found {
				t.Fatalf("the taken id is not reported: %+v", rep.Failures)
			}
			if u, err := db.UserByID(ctx, 1); err != nil || u.UID != "IDNATIVE0001" {
				t.Fatalf("barong-go's own user overwritten: %+v %v", u, err)
			}
			fresh := &barong.User{UID: "IDFRESH00001", Email: "fresh@example.com", PasswordDigest: "x", Role: "member", State: "pending"}
			var maxID int64
			for _, u := range src.Users {
				maxID = max(maxID, u.ID)
			}
			if err := db.CreateUser(ctx, fresh); err != nil || fresh.ID <= maxID {
				t.Fatalf("a new user after the import got id %d (%v)", fresh.ID, err)
			}
		})
	}
}

// TestImportResumes: an import stopped half-way goes on where it stopped.
func TestImportResumes(t *testing.T) {
	t.Parallel()
	src := barongtest.New(t, "mysql", "2.7", vaulttest.New(t))
	db := target(t, "sqlite")
	o := options(t, src, db)
	o.BatchSize = 2
	ctx, cancel := context.WithCancel(context.Background())
	o.OnProgress = func(table string, done, total int64) {
		if table == "labels" && done >= 4 {
			cancel()
		}
	}
	if _, err := barongimport.Run(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped import: %v", err)
	}
	o.OnProgress = nil
	rep := run(t, o)
	if tr := table(t, rep, "users"); tr.Unchanged != int64(len(src.Users)) || tr.New != 0 {
		t.Fatalf("users copied again: %+v", tr)
	}
	if tr := table(t, rep, "labels"); tr.Unchanged == 0 || tr.New == 0 {
		t.Fatalf("labels were not resumed: %+v", tr)
	}
	if tr := table(t, rep, "apikeys"); tr.New != 2 {
		t.Fatalf("apikeys: %+v", tr)
	}
	rep = run(t, o)
	for _, tr := range rep.Tables {
		if tr.New+tr.Changed+tr.Deleted != 0 {
			t.Fatalf("third run: %+v", tr)
		}
	}
}

// TestImportWithoutVault: what needs Vault is reported as such; the rest
// is imported.
func TestImportWithoutVault(t *testing.T) {
	t.Parallel()
	src := barongtest.New(t, "postgres", "2.7", vaulttest.New(t))
	db := target(t, "sqlite")
	o := options(t, src, db)
	o.Vault = nil
	o.SecretKeyBase = ""
	rep := run(t, o)
	reasons := map[string]string{}
	for _, f := range rep.Failures {
		reasons[f.Table+" "+strings.TrimSpace(strings.SplitN(f.Reason, ":", 2)[0])] = f.Reason
	}
	for _, want := range []string{"apikeys secret", "profiles first_name", "phones number", "documents doc_number"} {
		if !strings.Contains(reasons[want], "Vault is not configured") && !strings.Contains(reasons[want], "SECRET_KEY_BASE") {
			t.Errorf("%s: %q", want, reasons[want])
		}
	}
	if n, _ := db.CountUsers(context.Background()); n != int64(len(src.Users)-1) {
		t.Fatalf("%d users imported", n)
	}
}

// TestLedgerDigestKeyed: the ledger's digests depend on the digest key
// (Barong 2.3 keeps phone and document numbers in clear, so a plain hash
// of a row would let them be guessed from barong-go's database); the same
// key gives the same digests, so re-runs still skip unchanged rows. An
// import without a key is refused before anything is read or written.
func TestLedgerDigestKeyed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := barongtest.New(t, "mysql", "2.3", vaulttest.New(t))
	ledgers := make([]map[int64]string, 3)
	for i, key := range [][]byte{digestKey, digestKey, []byte("another ledger digest key, same length")} {
		db := target(t, "sqlite")
		o := options(t, src, db)
		o.DigestKey = key
		run(t, o)
		led, err := db.ImportLedger(ctx, "phones", 0, -1)
		if err != nil || len(led) == 0 {
			t.Fatalf("phones ledger: %v %v", led, err)
		}
		ledgers[i] = led
	}
	for id, d := range ledgers[0] {
		if ledgers[1][id] != d {
			t.Fatalf("phone %d: digests %s and %s under the same key", id, d, ledgers[1][id])
		}
		if ledgers[2][id] == d {
			t.Fatalf("phone %d: the same digest under another key", id)
		}
	}
	db := target(t, "sqlite")
	o := options(t, src, db)
	o.DigestKey = nil
	if _, err := barongimport.Run(ctx, o); err == nil || !strings.Contains(err.Error(), "digest key") {
		t.Fatalf("import without a digest key: %v", err)
	}
	if n, _ := db.CountUsers(ctx); n != 0 {
		t.Fatalf("%d users written", n)
	}
}
