package server_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/authz"
	"github.com/barong-go/barong/barongimport"
	"github.com/barong-go/barong/barongimport/barongtest"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/token"
	"github.com/barong-go/barong/vault/vaulttest"
	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp/totp"
)

// vaultCodes plays the authenticator app of a user whose secret is in
// Vault's TOTP engine: codes of the previous, current and next step are
// valid there (skew 1), each once.
type vaultCodes struct {
	secret string
	used   map[string]bool
}

func (v *vaultCodes) code(t *testing.T) string {
	t.Helper()
	now := time.Now()
	for _, d := range []time.Duration{0, 30 * time.Second, -30 * time.Second} {
		c, err := totp.GenerateCodeCustom(v.secret, now.Add(d), otpTestOpts)
		if err != nil {
			t.Fatal(err)
		}
		if !v.used[c] {
			v.used[c] = true
			return c
		}
	}
	t.Fatal("no unused code left in this period")
	return ""
}

// loadEnv is config.Load over a map (empty values unset).
func loadEnv(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok && v != ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestBarongAdoption imports a running Barong 2.7 (PostgreSQL and MariaDB,
// Vault included) and serves its users over HTTP: old passwords, 2FA
// through Vault's TOTP engine until re-enrolment, the imported API keys at
// the gateway check, admin search, and Barong's JWT key, so that tokens
// verify with the public key Barong had.
func TestBarongAdoption(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			v := vaulttest.New(t)
			src := barongtest.New(t, dialect, "2.7", v)
			keyPEM, err := os.ReadFile(filepath.Join("..", "..", "cmd", "barong", "testdata", "barong-rsa-key"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			env := map[string]string{
				"BARONG_DATABASE_URL":        testenv.Database(t, dialect),
				"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(dir, "enc.key"),
				"JWT_PRIVATE_KEY":            base64.URLEncoding.EncodeToString(keyPEM),
				"JWT_PRIVATE_KEY_PATH":       "",
				"BARONG_VAULT_ADDRESS":       v.URL,
				"BARONG_VAULT_TOKEN":         v.Token,
				"SECRET_KEY_BASE":            barongtest.SecretKeyBase,
				"BARONG_CONFIG":              "",
			}

			// barong import, as the command runs it: on this empty target
			// it generates the encryption key, never a JWT key.
			var importLog bytes.Buffer
			rep, err := server.Import(ctx, loadEnv(t, env), slog.New(slog.NewTextHandler(&importLog, nil)),
				barongimport.Options{From: src.URL})
			if err != nil || rep.Failed() != len(src.Broken) {
				t.Fatalf("import: %v, %d failures (want %d)", err, rep.Failed(), len(src.Broken))
			}
			if !strings.Contains(importLog.String(), "generated a new encryption key") {
				t.Fatalf("import log:\n%s", importLog.String())
			}

			// A start without Barong's JWT key is refused, asking for it,
			// and writes no key.
			noKey := maps.Clone(env)
			noKey["JWT_PRIVATE_KEY"], noKey["JWT_PRIVATE_KEY_PATH"] = "", filepath.Join(dir, "jwt-key.pem")
			if srv, err := server.Open(ctx, loadEnv(t, noKey), slog.New(slog.DiscardHandler)); err == nil {
				srv.Close()
				t.Fatal("started on an imported database without a JWT key")
			} else if !strings.Contains(err.Error(), "bring Barong's JWT key") || !strings.Contains(err.Error(), "user(s)") {
				t.Fatalf("start without a JWT key: %v", err)
			}
			if _, err := os.Stat(noKey["JWT_PRIVATE_KEY_PATH"]); !os.IsNotExist(err) {
				t.Fatalf("a JWT key was written: %v", err)
			}

			// Without Vault, the start names the problem and 2FA users get
			// totp.error, never a silent "invalid code".
			noVault := maps.Clone(env)
			noVault["BARONG_VAULT_TOKEN"] = ""
			var logs bytes.Buffer
			srvNV, err := server.Open(ctx, loadEnv(t, noVault), slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if tok, err := srvNV.Setup(ctx, nil); err != nil || tok != "" {
				t.Fatalf("setup token on a database with Barong's superadmin: %q %v", tok, err)
			}
			barongKey, err := token.ParsePrivateKeyPEM(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			barongFP, _ := token.PublicKeyFingerprint(barongKey.Public())
			if fps, err := srvNV.DB.KeyFingerprints(ctx); err != nil || fps["jwt_signing_key"] != barongFP || fps["encryption_key"] == "" {
				t.Fatalf("fingerprints after the first start: %v %v", fps, err)
			}
			hsNV := httptest.NewServer(srvNV.Handler)
			alice := src.Users["alice"]
			codes := &vaultCodes{secret: alice.TOTPSecret, used: map[string]bool{}}
			tsNV := &testServer{Server: srvNV, URL: hsNV.URL, t: t}
			r := tsNV.client().do(t, "POST", "/api/v2/auth/identity/sessions",
				map[string]string{"email": alice.Email, "password": alice.Password, "otp_code": "123456"})
			hsNV.Close()
			srvNV.Close()
			expect(t, r, 422, "totp.error")
			if !strings.Contains(logs.String(), "Vault is not configured") || !strings.Contains(logs.String(), "users=1") ||
				!strings.Contains(logs.String(), "uid="+alice.UID) {
				t.Fatalf("logs do not name the problem:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), alice.TOTPSecret) || strings.Contains(logs.String(), v.Token) {
				t.Fatal("a secret was logged")
			}
			// The first start: Barong's seeds stay (no built-in seeds), its
			// superadmin means no setup token, and Barong's key is recorded.
			if !strings.Contains(logs.String(), "built-in seeds not applied") || strings.Contains(logs.String(), "setup_token") {
				t.Fatalf("first start on the imported database:\n%s", logs.String())
			}

			ts := newServer(t, env)
			id := "/api/v2/auth/identity"

			// Alice: old password, 2FA through Vault.
			c := ts.client()
			expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": alice.Email, "password": alice.Password}), 401,
				"identity.session.missing_otp")
			expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": alice.Email, "password": alice.Password, "otp_code": "000000"}), 403,
				"identity.session.invalid_otp")
			// Vault down (sealed): Barong's totp.error, not "invalid code".
			v.SetDown(true)
			expect(t, c.do(t, "POST", id+"/sessions", map[string]string{"email": alice.Email, "password": alice.Password, "otp_code": "123456"}), 422,
				"totp.error")
			v.SetDown(false)
			before := v.Requests("POST /v1/totp/code/barong_" + alice.UID)
			r = c.do(t, "POST", id+"/sessions", map[string]string{"email": alice.Email, "password": alice.Password, "otp_code": codes.code(t)})
			expect(t, r, 201)
			if m := r.json(t); m["uid"] != alice.UID || m["otp"] != true {
				t.Fatalf("session: %v", m)
			}
			if v.Requests("POST /v1/totp/code/barong_"+alice.UID) != before+1 {
				t.Fatal("the code was not checked by Vault")
			}
			c.csrf, _ = r.json(t)["csrf_token"].(string)
			me := c.do(t, "GET", res+"/users/me", nil)
			expect(t, me, 200)
			if m := me.json(t); m["email"] != alice.Email || m["level"] != float64(3) {
				t.Fatalf("me: %v", m)
			}

			// The imported API keys at the gateway check; the token verifies
			// with the public key Barong had.
			pubPEM, err := os.ReadFile(filepath.Join("..", "..", "cmd", "barong", "testdata", "barong-rsa-key.pub"))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := token.ParsePublicKeyPEM(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			for name, wantUID := range map[string]string{"alice": alice.UID, "sa": "SI0123456789"} {
				k := src.APIKeys[name]
				req, _ := http.NewRequest("GET", ts.URL+"/api/v2/auth/api/v2/peatio/account/balances", nil)
				n := strconv.FormatInt(time.Now().UnixMilli(), 10)
				req.Header.Set("X-Auth-Apikey", k.KID)
				req.Header.Set("X-Auth-Nonce", n)
				req.Header.Set("X-Auth-Signature", authz.Sign(k.Secret, n, k.KID))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("authz with %s's key: %d %s", name, resp.StatusCode, body)
				}
				claims := jwt.MapClaims{}
				_, err = jwt.ParseWithClaims(strings.TrimPrefix(resp.Header.Get("Authorization"), "Bearer "), claims,
					func(*jwt.Token) (any, error) { return pub.(*rsa.PublicKey), nil }, jwt.WithValidMethods([]string{"RS256"}))
				if err != nil || claims["uid"] != wantUID {
					t.Fatalf("%s's token with Barong's public key: %v %v", name, claims, err)
				}
			}

			// The admin finds the imported users.
			admin := src.Users["admin"]
			ac := ts.client()
			r = ac.do(t, "POST", id+"/sessions", map[string]string{"email": admin.Email, "password": admin.Password})
			expect(t, r, 201)
			ac.csrf, _ = r.json(t)["csrf_token"].(string)
			r = ac.do(t, "GET", "/api/v2/auth/admin/users?email="+alice.Email, nil)
			expect(t, r, 200)
			if !strings.Contains(string(r.Body), alice.UID) || r.Header.Get("Total") != "1" {
				t.Fatalf("admin search: %s %v", r.Body, r.Header)
			}
			r = ac.do(t, "GET", "/api/v2/auth/admin/users/"+src.Users["bob"].UID, nil)
			expect(t, r, 200)
			if !strings.Contains(string(r.Body), `"first_name":"Bob"`) {
				t.Fatalf("bob's profile (Barong's EncryptionService) through the admin API: %s", r.Body)
			}

			// Bob signs in with his old password; Carol stays banned.
			expect(t, ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": "bob@example.com", "password": src.Users["bob"].Password}), 201)
			r = ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": "carol@example.com", "password": src.Users["carol"].Password})
			if r.Status != 401 {
				t.Fatalf("banned carol: %d %s", r.Status, r.Body)
			}

			// Alice re-enrols: barong-go's own TOTP takes over from Vault.
			expect(t, c.do(t, "POST", res+"/otp/disable", map[string]string{"code": codes.code(t)}), 200)
			a := otpEnable(t, ts, c, alice.Email)
			vaultBefore := v.TotalRequests()
			expect(t, ts.client().do(t, "POST", id+"/sessions", map[string]string{"email": alice.Email, "password": alice.Password, "otp_code": a.code(t)}), 201)
			if v.TotalRequests() != vaultBefore {
				t.Fatal("Vault was asked after re-enrolment")
			}
			if n, err := ts.DB.CountVaultTOTPUsers(ctx); err != nil || n != 0 {
				t.Fatalf("users still on Vault's TOTP: %d %v", n, err)
			}
		})
	}
}

// TestImportReachesRunningServers: a delta import into the database of a
// running server (the final import of a migration, docs/migrating-from-
// barong.md) is in force at its gateway check within the 1 s of
// revocations, although the server had cached what the import changed: a
// user banned, an API key deactivated and a service account disabled in
// Barong. The import reports them through the servers' feed: the
// cache_changes table without Redis (PostgreSQL here), Redis pub/sub with
// BARONG_REDIS_URL (MariaDB here).
func TestImportReachesRunningServers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, dialect string }{{"postgres", "postgres"}, {"mysql_redis", "mysql"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			v := vaulttest.New(t)
			src := barongtest.New(t, tc.dialect, "2.7", v)
			keyPEM, err := os.ReadFile(filepath.Join("..", "..", "cmd", "barong", "testdata", "barong-rsa-key"))
			if err != nil {
				t.Fatal(err)
			}
			env := map[string]string{
				"BARONG_DATABASE_URL":        testenv.Database(t, tc.dialect),
				"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(t.TempDir(), "enc.key"),
				"JWT_PRIVATE_KEY":            base64.URLEncoding.EncodeToString(keyPEM),
				"JWT_PRIVATE_KEY_PATH":       "",
				"BARONG_VAULT_ADDRESS":       v.URL,
				"BARONG_VAULT_TOKEN":         v.Token,
				"SECRET_KEY_BASE":            barongtest.SecretKeyBase,
				"BARONG_CONFIG":              "",
			}
			if tc.name == "mysql_redis" {
				maps.Copy(env, redisEnv(t))
			}
			importNow := func() {
				t.Helper()
				rep, err := server.Import(ctx, loadEnv(t, env), slog.New(slog.DiscardHandler), barongimport.Options{From: src.URL})
				if err != nil || rep.Failed() != len(src.Broken) {
					t.Fatalf("import: %v, %d failures (want %d)", err, rep.Failed(), len(src.Broken))
				}
			}
			importNow()

			ts := newServer(t, env)
			bob := ts.client()
			r := bob.do(t, "POST", "/api/v2/auth/identity/sessions", map[string]string{"email": "bob@example.com",
				"password": src.Users["bob"].Password})
			expect(t, r, 201)
			key, saKey := src.APIKeys["alice"], src.APIKeys["sa"]
			// Twice: the second check is answered from the cache.
			for range 2 {
				expect(t, bob.do(t, "GET", authzPeatio, nil), 200)
				expect(t, authzCacheKeyGet(t, ts, key.KID, key.Secret), 200)
				expect(t, authzCacheKeyGet(t, ts, saKey.KID, saKey.Secret), 200)
			}

			src.Exec(t, "UPDATE users SET state = 'banned' WHERE id = ?", src.Users["bob"].ID)
			src.Exec(t, "UPDATE apikeys SET state = 'inactive' WHERE id = ?", key.ID)
			src.Exec(t, "UPDATE service_accounts SET state = 'disabled' WHERE id = ?", saKey.HolderID)
			importNow()
			since := time.Now()
			revokedWithin(t, "user banned by the import", since, func() bool { return bob.do(t, "GET", authzPeatio, nil).Status == 401 })
			expect(t, bob.do(t, "GET", authzPeatio, nil), 401, "authz.user_not_active")
			revokedWithin(t, "key deactivated by the import", since, func() bool {
				return authzCacheKeyGet(t, ts, key.KID, key.Secret).Status == 401
			})
			expect(t, authzCacheKeyGet(t, ts, key.KID, key.Secret), 401, "authz.apikey_not_active")
			revokedWithin(t, "service account disabled by the import", since, func() bool {
				return authzCacheKeyGet(t, ts, saKey.KID, saKey.Secret).Status == 401
			})
		})
	}
}
