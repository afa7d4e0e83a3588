package barongimport_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/barongimport"
	"github.com/barong-go/barong/barongimport/barongtest"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/vault"
	"github.com/barong-go/barong/vault/vaulttest"
	"golang.org/x/crypto/bcrypt"
)

// target opens a fresh, migrated barong-go database of dialect.
func target(t *testing.T, dialect string) *sqlstore.DB { return targetTB(t, dialect) }

func targetTB(t testing.TB, dialect string) *sqlstore.DB {
	t.Helper()
	u := "sqlite:" + filepath.Join(t.TempDir(), "barong.db")
	if dialect != "sqlite" {
		u = testenv.Database(t, dialect)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, err := crypt.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), u, sqlstore.Options{Cipher: c, CRC32Salt: "target-salt"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func options(t *testing.T, src *barongtest.Source, db *sqlstore.DB) barongimport.Options {
	t.Helper()
	vc, err := vault.New(src.Vault.URL, src.Vault.Token)
	if err != nil {
		t.Fatal(err)
	}
	return barongimport.Options{From: src.URL, Target: db, DigestKey: digestKey, Vault: vc, VaultAppName: "barong",
		SecretKeyBase: barongtest.SecretKeyBase, BatchSize: 3}
}

// digestKey keys the ledger digests of the tests' imports.
var digestKey = []byte("barongimport test ledger digest key")

func run(t *testing.T, o barongimport.Options) *barongimport.Report {
	t.Helper()
	rep, err := barongimport.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if testing.Verbose() {
		var b strings.Builder
		rep.Print(&b)
		t.Log("\n" + b.String())
	}
	return rep
}

func failures(rep *barongimport.Report) []string {
	var out []string
	for _, f := range rep.Failures {
		out = append(out, fmt.Sprintf("%s %d", f.Table, f.ID))
	}
	sort.Strings(out)
	return out
}

func table(t *testing.T, rep *barongimport.Report, name string) barongimport.TableReport {
	t.Helper()
	for _, tr := range rep.Tables {
		if tr.Table == name {
			return tr
		}
	}
	t.Fatalf("no table %s in the report", name)
	return barongimport.TableReport{}
}

// TestImport copies Barong 2.3 and 2.7 databases on both of Barong's
// databases into barong-go on each of its own, checks every kind of row,
// then runs again (nothing changes, Vault is not asked), changes the
// source (only the changes are copied) and checks the source never moved.
func TestImport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dialect, version, target string }{
		{"mysql", "2.7", "sqlite"}, {"postgres", "2.7", "postgres"}, {"mysql", "2.3", "mysql"}, {"postgres", "2.3", "sqlite"},
	} {
		t.Run(tc.dialect+"-"+tc.version+"-to-"+tc.target, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			v := vaulttest.New(t)
			src := barongtest.New(t, tc.dialect, tc.version, v)
			before := src.Dump(t)
			db := target(t, tc.target)
			o := options(t, src, db)
			broken := slices.Clone(src.Broken)
			sort.Strings(broken)

			// Dry run: everything is read and checked, nothing written.
			o.DryRun = true
			rep := run(t, o)
			if got := failures(rep); !slices.Equal(got, broken) {
				t.Fatalf("dry run reports %v, want %v", got, broken)
			}
			if n, _ := db.CountUsers(ctx); n != 0 {
				t.Fatalf("dry run wrote %d users", n)
			}
			if tr := table(t, rep, "users"); tr.New != int64(len(src.Users)-countPrefix(broken, "users")) {
				t.Fatalf("dry run would import %d users", tr.New)
			}

			o.DryRun = false
			rep = run(t, o)
			if got := failures(rep); !slices.Equal(got, broken) {
				t.Fatalf("import reports %v, want %v", got, broken)
			}
			checkTarget(t, src, db)

			// Again: nothing to do, not even a Vault request.
			vaultBefore := v.TotalRequests()
			rep = run(t, o)
			for _, tr := range rep.Tables {
				if tr.New != 0 || tr.Changed != 0 || tr.Deleted != 0 {
					t.Errorf("second run: %+v", tr)
				}
			}
			if got := failures(rep); !slices.Equal(got, broken) {
				t.Fatalf("second run reports %v, want %v", got, broken)
			}
			if n := v.TotalRequests() - vaultBefore; n > 2 { // the broken API key is tried again
				t.Fatalf("second run sent %d requests to Vault", n)
			}
			checkTarget(t, src, db)
			if after := src.Dump(t); after != before {
				t.Fatalf("the import changed Barong's database:\nbefore\n%s\nafter\n%s", before, after)
			}

			// Barong goes on: a user changes, one is new, a label is
			// removed, a key is deactivated without touching updated_at
			// (update_column), an activity is added.
			src.Exec(t, "UPDATE users SET state = 'active', level = 2, updated_at = ? WHERE id = 3", src.At(500))
			src.Exec(t, `INSERT INTO users (id, uid, email, password_digest, role, level, otp, state, created_at, updated_at)
				VALUES (7, 'ID7777777777', 'erin@example.com', ?, 'member', 0, ?, 'pending', ?, ?)`,
				mustBcrypt(t, "Er1n-New-Here!"), false, src.At(501), src.At(501))
			src.Exec(t, "DELETE FROM labels WHERE id = 9")
			src.Exec(t, "UPDATE apikeys SET state = 'inactive' WHERE id = 1")
			src.Exec(t, `INSERT INTO activities (id, user_id, category, user_ip, user_agent, topic, action, result, created_at)
				VALUES (4, 3, 'user', '198.51.100.9', 'curl/8', 'session', 'login', 'succeed', ?)`, src.At(502))
			rep = run(t, o)
			for name, want := range map[string][3]int64{"users": {1, 1, 0}, "labels": {0, 0, 1}, "apikeys": {0, 1, 0}, "activities": {1, 0, 0}, "profiles": {0, 0, 0}} {
				tr := table(t, rep, name)
				if got := [3]int64{tr.New, tr.Changed, tr.Deleted}; got != want {
					t.Errorf("delta run, %s: new/changed/deleted %v, want %v", name, got, want)
				}
			}
			bob, err := db.UserByID(ctx, 3)
			if err != nil || bob.State != "active" || bob.Level != 2 {
				t.Fatalf("bob after the delta: %+v %v", bob, err)
			}
			if _, err := db.UserByUID(ctx, "ID7777777777"); err != nil {
				t.Fatalf("new user: %v", err)
			}
			if k, err := db.APIKeyByKID(ctx, src.APIKeys["alice"].KID); err != nil || k.State != "inactive" {
				t.Fatalf("deactivated key: %+v %v", k, err)
			}
			ls, _ := db.LabelsByUser(ctx, 2)
			for _, l := range ls {
				if l.ID == 9 {
					t.Fatal("the label Barong deleted is still there")
				}
			}
		})
	}
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix+" ") {
			n++
		}
	}
	return n
}

func mustBcrypt(t *testing.T, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// checkTarget compares barong-go's rows with what Barong held.
func checkTarget(t *testing.T, src *barongtest.Source, db *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	for name, u := range src.Users {
		got, err := db.UserByUID(ctx, u.UID)
		if slices.Contains(src.Broken, fmt.Sprintf("users %d", u.ID)) {
			if err == nil && got.ID == u.ID {
				t.Fatalf("broken user %s imported", name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
		if got.ID != u.ID || got.Email != u.Email || got.State != u.State || got.Role != u.Role || got.Level != u.Level ||
			got.OTP != (u.TOTPSecret != "") {
			t.Fatalf("user %s: %+v", name, got)
		}
		if bcrypt.CompareHashAndPassword([]byte(got.PasswordDigest), []byte(u.Password)) != nil {
			t.Fatalf("user %s: the old password does not match the imported digest", name)
		}
		key, err := db.VaultTOTPKey(ctx, u.ID)
		if u.TOTPSecret != "" && key != "barong_"+u.UID {
			t.Fatalf("user %s: vault totp key %q %v", name, key, err)
		}
		if u.TOTPSecret == "" && err == nil {
			t.Fatalf("user %s without 2FA has vault key %q", name, key)
		}
	}
	bob, _ := db.UserByUID(ctx, src.Users["bob"].UID)
	if bob.ReferralID != 2 {
		t.Fatalf("bob's referral: %v", bob.ReferralID)
	}
	alice := src.Users["alice"]
	ps, err := db.ProfilesByUser(ctx, alice.ID)
	if err != nil || len(ps) != 1 || ps[0].FirstName != alice.FirstName || ps[0].LastName != "Liddell" || ps[0].DOB != alice.DOB ||
		ps[0].Address != "1 Rabbit Hole" || ps[0].City != "London" {
		t.Fatalf("alice's profile: %+v %v", ps, err)
	}
	if src.Version == "2.7" {
		ps, err := db.ProfilesByUser(ctx, src.Users["bob"].ID)
		if err != nil || len(ps) != 1 || ps[0].FirstName != "Bob" || ps[0].DOB != "1985-02-03" || ps[0].Address != "2 Yard Lane" {
			t.Fatalf("bob's profile (EncryptionService): %+v %v", ps, err)
		}
		sa, err := db.ServiceAccountByUID(ctx, "SI0123456789")
		if err != nil || sa.OwnerID != alice.ID || sa.Role != "sa_maker" {
			t.Fatalf("service account: %+v %v", sa, err)
		}
		k, err := db.APIKeyByKID(ctx, src.APIKeys["sa"].KID)
		if err != nil || k.Secret != src.APIKeys["sa"].Secret || k.HolderType != barong.HolderServiceAccount {
			t.Fatalf("service account key: %+v %v", k, err)
		}
		ds, err := db.DataStoragesByUser(ctx, alice.ID)
		if err != nil || len(ds) != 1 || ds[0].Data != `{"theme":"dark"}` {
			t.Fatalf("data storage: %+v %v", ds, err)
		}
		cs, err := db.CommentsByUser(ctx, alice.ID)
		if err != nil || len(cs) != 1 || cs[0].AuthorUID != src.Users["admin"].UID {
			t.Fatalf("comments: %+v %v", cs, err)
		}
	}
	phones, err := db.PhonesByNumber(ctx, alice.Phone)
	if err != nil || len(phones) != 1 || phones[0].UserID != alice.ID || phones[0].ValidatedAt == nil {
		t.Fatalf("alice's phone by number (index with barong-go's salt): %+v %v", phones, err)
	}
	docs, err := db.DocumentsByUser(ctx, alice.ID)
	if err != nil || len(docs) != 1 || docs[0].DocNumber != alice.DocNumber || docs[0].Upload != "passport.jpg" || docs[0].DocExpire != "2031-12-31" {
		t.Fatalf("alice's document: %+v %v", docs, err)
	}
	k, err := db.APIKeyByKID(ctx, src.APIKeys["alice"].KID)
	if err != nil || k.Secret != src.APIKeys["alice"].Secret || k.HolderID != alice.ID || k.Algorithm != "HS256" {
		t.Fatalf("alice's API key: %+v %v", k, err)
	}
	wantScope := []string{"trade", "read"}
	if src.Version == "2.3" {
		wantScope = []string{}
	}
	if !slices.Equal(k.Scope, wantScope) {
		t.Fatalf("scope %q, want %q", k.Scope, wantScope)
	}
	if _, err := db.APIKeyByKID(ctx, src.APIKeys["broken"].KID); err == nil {
		t.Fatal("the key whose secret cannot be read was imported")
	}
	ls, err := db.LabelsByUser(ctx, 4)
	if err != nil || len(ls) != 2 {
		t.Fatalf("carol's labels: %+v %v", ls, err)
	}
	rs, err := db.Restrictions(ctx)
	if err != nil || len(rs) == 0 || rs[0].Category != "blacklist" || rs[0].Value != "203.0.113.7" {
		t.Fatalf("restrictions: %+v %v", rs, err)
	}
	lv, err := db.Levels(ctx)
	if err != nil || len(lv) != 3 || lv[2].Key != "document" {
		t.Fatalf("levels: %+v %v", lv, err)
	}
}

// BenchmarkImport copies a Barong 2.7 on MariaDB with 5,000 more users
// (10,000 labels, 10,000 activities) into barong-go on PostgreSQL, then
// runs again with nothing changed (the final delta import of a cut-over).
// go test ./barongimport -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	const users = 5000
	src := barongtest.New(b, "mysql", "2.7", vaulttest.New(b))
	src.AddUsers(b, users)
	vc, _ := vault.New(src.Vault.URL, src.Vault.Token)
	for b.Loop() {
		db := targetTB(b, "postgres")
		o := barongimport.Options{From: src.URL, Target: db, DigestKey: digestKey, Vault: vc, SecretKeyBase: barongtest.SecretKeyBase}
		start := time.Now()
		if _, err := barongimport.Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		start = time.Now()
		if _, err := barongimport.Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		again := time.Since(start)
		rows := float64(5 * users)
		b.ReportMetric(rows/first.Seconds(), "rows/s")
		b.ReportMetric(again.Seconds(), "s-rerun")
		b.ReportMetric(first.Seconds(), "s-first")
	}
}
