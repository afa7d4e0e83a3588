package sqlstore

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

// keysTestDB is a fresh migrated database of dialect (the key and setup
// tables are global: no other test's rows in them).
func keysTestDB(t *testing.T, dialect string, clock *fakeClock) *DB {
	t.Helper()
	u := "sqlite:" + filepath.Join(t.TempDir(), "keys.db")
	if dialect != DialectSQLite {
		u = freshServerDB(t, dialect)
	}
	ctx := context.Background()
	db, err := Open(ctx, u, Options{Cipher: testCipher(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestEncryptedColumnsComplete: EncryptedSample looks in every column of
// the schema named *_encrypted, so no encrypted data is missed when a key
// might be generated or checked.
func TestEncryptedColumnsComplete(t *testing.T) {
	db := keysTestDB(t, DialectSQLite, newClock())
	rows, err := db.r.query(context.Background(), `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND p.name LIKE '%_encrypted' ORDER BY m.name, p.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		n++
		if !slices.Contains(encryptedColumns, struct{ table, column string }{table, column}) {
			t.Errorf("%s.%s is not in encryptedColumns", table, column)
		}
	}
	if err := rows.Err(); err != nil || n != len(encryptedColumns) {
		t.Fatalf("%d encrypted columns in the schema, %d listed (%v)", n, len(encryptedColumns), err)
	}
}

func TestKeyFingerprintsAndSetupTokens(t *testing.T) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := newClock()
			db := keysTestDB(t, dialect, clock)

			// Fingerprints: the first recorded wins; replaced only from the
			// expected one.
			if fps, err := db.KeyFingerprints(ctx); err != nil || len(fps) != 0 {
				t.Fatalf("fresh: %v %v", fps, err)
			}
			for _, try := range []struct{ fp, want string }{{"sha256:a", "sha256:a"}, {"sha256:b", "sha256:a"}} {
				if got, err := db.RecordKeyFingerprint(ctx, "jwt_signing_key", try.fp); err != nil || got != try.want {
					t.Fatalf("record %s: %q %v", try.fp, got, err)
				}
			}
			if ok, err := db.ReplaceKeyFingerprint(ctx, "jwt_signing_key", "sha256:b", "sha256:c"); err != nil || ok {
				t.Fatalf("replace from the wrong one: %v %v", ok, err)
			}
			if ok, err := db.ReplaceKeyFingerprint(ctx, "jwt_signing_key", "sha256:a", "sha256:c"); err != nil || !ok {
				t.Fatalf("replace: %v %v", ok, err)
			}
			if fps, _ := db.KeyFingerprints(ctx); len(fps) != 1 || fps["jwt_signing_key"] != "sha256:c" {
				t.Fatalf("fingerprints %v", fps)
			}

			// Encrypted data: none, then a TOTP secret as stored.
			if s, err := db.EncryptedSample(ctx); err != nil || s != "" {
				t.Fatalf("fresh sample %q %v", s, err)
			}
			u := mustUser(t, db)
			if err := db.SetTOTPSecret(ctx, u.ID, "JBSWY3DPEHPK3PXP"); err != nil {
				t.Fatal(err)
			}
			if s, err := db.EncryptedSample(ctx); err != nil || !strings.HasPrefix(s, "v1:") || strings.Contains(s, "JBSWY3DPEHPK3PXP") {
				t.Fatalf("sample %q %v", s, err)
			}

			// Setup tokens: unexpired ones listed; consuming one removes all;
			// an expired one is neither listed nor consumed, then purged.
			for _, tok := range []struct {
				hash string
				ttl  time.Duration
			}{{"h1", time.Hour}, {"h2", time.Hour}, {"h3", time.Minute}} {
				if err := db.CreateSetupToken(ctx, tok.hash, clock.Now().Add(tok.ttl)); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(2 * time.Minute)
			if hs, err := db.SetupTokenHashes(ctx); err != nil || !slices.Equal(hs, []string{"h1", "h2"}) {
				t.Fatalf("hashes %v %v", hs, err)
			}
			if ok, err := db.ConsumeSetupToken(ctx, "h3"); err != nil || ok {
				t.Fatalf("expired consumed: %v %v", ok, err)
			}
			if err := db.PurgeExpired(ctx); err != nil {
				t.Fatal(err)
			}
			if n := rawInt(t, db, "SELECT COUNT(*) FROM setup_tokens"); n != 2 {
				t.Fatalf("%d rows after purge, want 2", n)
			}
			if ok, err := db.ConsumeSetupToken(ctx, "h1"); err != nil || !ok {
				t.Fatalf("consume: %v %v", ok, err)
			}
			if hs, _ := db.SetupTokenHashes(ctx); len(hs) != 0 {
				t.Fatalf("left after consume: %v", hs)
			}
			if ok, _ := db.ConsumeSetupToken(ctx, "h2"); ok {
				t.Fatal("a token of the same set consumed after another")
			}

			// Concurrent consumers in transactions: exactly one wins.
			if err := db.CreateSetupToken(ctx, "race", clock.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			wins := make([]bool, 8)
			for i := range wins {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := db.InTx(ctx, func(tx barong.Tx) error {
						ok, err := tx.ConsumeSetupToken(ctx, "race")
						wins[i] = ok
						return err
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := len(slices.DeleteFunc(wins, func(w bool) bool { return !w })); n != 1 {
				t.Fatalf("%d consumers won", n)
			}
		})
	}
}
