package server_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/token"
)

// keysDatabase is a fresh database of dialect that several starts share.
func keysDatabase(t *testing.T, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "barong.db")
	}
	return testenvDatabase(t, dialect)
}

// keysStart opens a server on url with its key files in dir (as a start
// from that directory with the default relative paths would), env on top
// (an empty value unsets), and returns it (closed when the test ends), its
// log and Open's error.
func keysStart(t *testing.T, url, dir string, env map[string]string) (*server.Server, string, error) {
	t.Helper()
	base := map[string]string{
		"BARONG_DATABASE_URL":        url,
		"JWT_PRIVATE_KEY_PATH":       filepath.Join(dir, "var", "jwt-key.pem"),
		"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(dir, "var", "encryption.key"),
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := base[k]; return v, ok && v != "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	var log logBuffer
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(&log, nil)))
	if srv != nil {
		t.Cleanup(srv.Close)
	}
	return srv, log.text(), err
}

// keysFiles lists the files under dir/var.
func keysFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(dir, "var"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func keysCopy(t *testing.T, from, to, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(from, "var", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(to, "var"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "var", name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func keysWantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("started, want an error with %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not say %q", err, p)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q is not one line", err)
	}
}

// TestKeysNeverGeneratedOverData is issue 10's scenario on every
// database: keys are generated (and logged with their paths) only on an
// empty database; a second start from another directory against the same
// database refuses to start, naming the missing key, and writes nothing;
// another key is refused by its fingerprint; a JWT key rotation with the
// old key listed is accepted; a database written before fingerprints were
// recorded is checked by decrypting its data.
func TestKeysNeverGeneratedOverData(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := keysDatabase(t, dialect)
			first := t.TempDir()
			srv, log, err := keysStart(t, url, first, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"generated a new JWT key", filepath.Join(first, "var", "jwt-key.pem"),
				"generated a new encryption key", filepath.Join(first, "var", "encryption.key")} {
				if !strings.Contains(log, want) {
					t.Fatalf("log does not say %q:\n%s", want, log)
				}
			}
			fps, err := srv.DB.KeyFingerprints(ctx)
			if err != nil {
				t.Fatal(err)
			}
			encKey, err := crypt.LoadKey(filepath.Join(first, "var", "encryption.key"))
			if err != nil {
				t.Fatal(err)
			}
			jwtFP, _ := token.PublicKeyFingerprint(srv.Keys.Signing().Public())
			if len(fps) != 2 || fps["jwt_signing_key"] != jwtFP || fps["encryption_key"] != crypt.CheckValue(encKey) {
				t.Fatalf("fingerprints %v", fps)
			}
			// Data written with the keys: a user and a TOTP secret.
			if err := srv.App.EnsureAdmin(ctx, barong.SystemActor("test"), "root@example.com", strongPassword); err != nil {
				t.Fatal(err)
			}
			u, err := srv.DB.UserByEmail(ctx, "root@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.DB.SetTOTPSecret(ctx, u.ID, "JBSWY3DPEHPK3PXP"); err != nil {
				t.Fatal(err)
			}
			srv.Close()

			// A second start from another directory: refused, nothing written.
			second := t.TempDir()
			_, log, err = keysStart(t, url, second, nil)
			keysWantError(t, err, "BARONG_ENCRYPTION_KEY_PATH: ", filepath.Join(second, "var", "encryption.key")+" does not exist",
				"1 user(s)", "encrypted data", "never generates")
			if files := keysFiles(t, second); len(files) != 0 || strings.Contains(log, "generated") {
				t.Fatalf("files %v written; log %s", files, log)
			}
			// With the encryption key copied over, the JWT key is named.
			keysCopy(t, first, second, "encryption.key")
			_, _, err = keysStart(t, url, second, nil)
			keysWantError(t, err, "JWT_PRIVATE_KEY_PATH: ", filepath.Join(second, "var", "jwt-key.pem")+" does not exist", "(sha256:")
			if files := keysFiles(t, second); strings.Join(files, ",") != "encryption.key" {
				t.Fatalf("files %v", files)
			}

			// Another encryption key, another JWT key: refused by fingerprint.
			third := t.TempDir()
			other, _ := crypt.GenerateKey()
			if err := crypt.WriteKeyFile(filepath.Join(third, "var", "encryption.key"), other); err != nil {
				t.Fatal(err)
			}
			keysCopy(t, first, third, "jwt-key.pem")
			_, _, err = keysStart(t, url, third, nil)
			keysWantError(t, err, "BARONG_ENCRYPTION_KEY_PATH: the key in "+filepath.Join(third, "var", "encryption.key"),
				"is not the key this database was written with")
			if err := os.Remove(filepath.Join(third, "var", "encryption.key")); err != nil {
				t.Fatal(err)
			}
			keysCopy(t, first, third, "encryption.key")
			next, err := token.GenerateEd25519()
			if err != nil {
				t.Fatal(err)
			}
			nextPath := filepath.Join(third, "next.pem")
			if err := token.CreateKeyFile(nextPath, next); err != nil {
				t.Fatal(err)
			}
			_, _, err = keysStart(t, url, third, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath})
			keysWantError(t, err, "JWT_PRIVATE_KEY_PATH: the key in "+nextPath, "is not the key this database was written with",
				"BARONG_JWT_VERIFY_KEY_PATHS")

			// A rotation: the old key listed for verification.
			rotated, log, err := keysStart(t, url, third, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath,
				"BARONG_JWT_VERIFY_KEY_PATHS": filepath.Join(first, "var", "jwt-key.pem")})
			if err != nil {
				t.Fatal(err)
			}
			nextFP, _ := token.PublicKeyFingerprint(next.Public())
			if fps, _ := rotated.DB.KeyFingerprints(ctx); fps["jwt_signing_key"] != nextFP || !strings.Contains(log, "JWT signing key rotated") {
				t.Fatalf("after rotation: %v\n%s", fps, log)
			}
			if got, err := rotated.DB.TOTPSecret(ctx, u.ID); err != nil || got != "JBSWY3DPEHPK3PXP" {
				t.Fatalf("TOTP secret after rotation: %q %v", got, err)
			}
			rotated.Close()
			// The old key alone is now refused.
			_, _, err = keysStart(t, url, first, nil)
			keysWantError(t, err, "is not the key this database was written with")

			// A database written before fingerprints were recorded (data
			// written by tools that never settle keys): the encryption key
			// is checked against the data itself, then recorded.
			old := keysDatabase(t, dialect)
			if err := writeUnfingerprinted(ctx, t, old, first); err != nil {
				t.Fatal(err)
			}
			fourth := t.TempDir()
			if err := crypt.WriteKeyFile(filepath.Join(fourth, "var", "encryption.key"), other); err != nil {
				t.Fatal(err)
			}
			_, _, err = keysStart(t, old, fourth, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath})
			keysWantError(t, err, "BARONG_ENCRYPTION_KEY_PATH: the key in", "does not decrypt the data in the database")
			upgraded, _, err := keysStart(t, old, first, map[string]string{"JWT_PRIVATE_KEY_PATH": nextPath})
			if err != nil {
				t.Fatal(err)
			}
			if fps, _ := upgraded.DB.KeyFingerprints(ctx); len(fps) != 2 || fps["jwt_signing_key"] != nextFP {
				t.Fatalf("fingerprints not recorded on upgrade: %v", fps)
			}
		})
	}
}

// writeUnfingerprinted migrates the database at url and writes a user with
// a TOTP secret encrypted with the key in dir, as tools that open the
// database without settling keys (server.OpenDB) do.
func writeUnfingerprinted(ctx context.Context, t *testing.T, url, dir string) error {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := map[string]string{"BARONG_DATABASE_URL": url,
			"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(dir, "var", "encryption.key")}[k]
		return v, ok
	})
	if err != nil {
		return err
	}
	db, err := server.OpenDB(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	u := &barong.User{UID: "ID0000000001", Email: "old@example.com", PasswordDigest: "x", Role: "member", State: "pending"}
	if err := db.CreateUser(ctx, u); err != nil {
		return err
	}
	return db.SetTOTPSecret(ctx, u.ID, "JBSWY3DPEHPK3PXP")
}

// TestKeysConcurrentFirstStart: two processes starting at once from two
// directories on an empty database, each about to generate its own keys:
// exactly one starts, the other refuses.
func TestKeysConcurrentFirstStart(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			url := keysDatabase(t, dialect)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = keysStart(t, url, t.TempDir(), nil)
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("errors %v, want exactly one start", errs)
			}
		})
	}
}

// TestKeysFromJWTPrivateKey: Barong's form of the JWT key (JWT_PRIVATE_KEY,
// base64 of the PEM) goes through the same rules as a key file: with it
// alone no key file is read or written (the encryption key still is, on
// an empty database), its fingerprint is recorded, another key is refused
// naming JWT_PRIVATE_KEY, the same key in a file is accepted, and a file
// holding another key next to it is refused. A value that is not a key is
// refused without being quoted.
func TestKeysFromJWTPrivateKey(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := keysDatabase(t, dialect)
			dir := t.TempDir()
			barongKey, err := token.GenerateRSA(token.DefaultKeyBits)
			if err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"JWT_PRIVATE_KEY": base64.URLEncoding.EncodeToString(barongKey.PrivatePEM()),
				"JWT_PRIVATE_KEY_PATH": ""}
			srv, log, err := keysStart(t, url, dir, env)
			if err != nil {
				t.Fatal(err)
			}
			if files := keysFiles(t, dir); strings.Join(files, ",") != "encryption.key" || strings.Contains(log, "generated a new JWT key") {
				t.Fatalf("files %v; log %s", files, log)
			}
			fp, _ := token.PublicKeyFingerprint(barongKey.Public())
			if fps, err := srv.DB.KeyFingerprints(ctx); err != nil || fps["jwt_signing_key"] != fp {
				t.Fatalf("fingerprints %v %v, want the JWT_PRIVATE_KEY's %s", fps, err, fp)
			}
			if err := srv.App.EnsureAdmin(ctx, barong.SystemActor("test"), "root@example.com", strongPassword); err != nil {
				t.Fatal(err)
			}
			srv.Close()

			other, _ := token.GenerateEd25519()
			_, _, err = keysStart(t, url, dir, map[string]string{"JWT_PRIVATE_KEY": base64.StdEncoding.EncodeToString(other.PrivatePEM()),
				"JWT_PRIVATE_KEY_PATH": ""})
			keysWantError(t, err, "JWT_PRIVATE_KEY: the key in JWT_PRIVATE_KEY (sha256:", "is not the key this database was written with")

			// The same key as a file, alone or next to JWT_PRIVATE_KEY.
			path := filepath.Join(dir, "barong.pem")
			if err := token.CreateKeyFile(path, barongKey); err != nil {
				t.Fatal(err)
			}
			for _, e := range []map[string]string{{"JWT_PRIVATE_KEY_PATH": path}, {"JWT_PRIVATE_KEY_PATH": path, "JWT_PRIVATE_KEY": env["JWT_PRIVATE_KEY"]}} {
				if _, _, err := keysStart(t, url, dir, e); err != nil {
					t.Fatalf("start with %v: %v", slices.Collect(maps.Keys(e)), err)
				}
			}
			otherPath := filepath.Join(dir, "other.pem")
			if err := token.CreateKeyFile(otherPath, other); err != nil {
				t.Fatal(err)
			}
			_, _, err = keysStart(t, url, dir, map[string]string{"JWT_PRIVATE_KEY_PATH": otherPath, "JWT_PRIVATE_KEY": env["JWT_PRIVATE_KEY"]})
			keysWantError(t, err, "JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_PATH ("+otherPath+") hold different keys")
			// Both set and the file missing: refused, not generated.
			missing := filepath.Join(dir, "missing.pem")
			_, _, err = keysStart(t, url, dir, map[string]string{"JWT_PRIVATE_KEY_PATH": missing, "JWT_PRIVATE_KEY": env["JWT_PRIVATE_KEY"]})
			keysWantError(t, err, "JWT_PRIVATE_KEY_PATH: ", missing)
			if _, err := os.Stat(missing); !os.IsNotExist(err) {
				t.Fatalf("%s written: %v", missing, err)
			}
			_, _, err = keysStart(t, url, dir, map[string]string{"JWT_PRIVATE_KEY": "bm90LWEta2V5", "JWT_PRIVATE_KEY_PATH": ""})
			keysWantError(t, err, "JWT_PRIVATE_KEY: ")
			if strings.Contains(err.Error(), "bm90LWEta2V5") {
				t.Fatalf("the value was quoted: %v", err)
			}
		})
	}
}
