package main

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/token"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// testEnv points every file of a configuration into a fresh directory and
// makes it the working directory (so that var/ defaults land there too).
func testEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for k, v := range map[string]string{
		"BARONG_DATABASE_URL":        "sqlite:" + filepath.Join(dir, "barong.db"),
		"JWT_PRIVATE_KEY_PATH":       filepath.Join(dir, "jwt.pem"),
		"BARONG_ENCRYPTION_KEY_PATH": filepath.Join(dir, "enc.key"),
		"BARONG_HTTP_ADDR":           "127.0.0.1:0",
		"LOG_LEVEL":                  "info",
	} {
		t.Setenv(k, v)
	}
	return dir
}

// runCmd runs one command and returns its stdout, stderr and error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestKeygen(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		block string
		check func(any) bool
	}{
		{nil, "RSA PRIVATE KEY", func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 2048 }},
		{[]string{"--type", "rsa"}, "RSA PRIVATE KEY", func(k any) bool { _, ok := k.(*rsa.PrivateKey); return ok }},
		{[]string{"--type=ed25519"}, "PRIVATE KEY", func(k any) bool { _, ok := k.(ed25519.PrivateKey); return ok }},
	} {
		out, _, err := runCmd(t, append([]string{"keygen"}, tc.args...)...)
		if err != nil {
			t.Fatalf("keygen %v: %v", tc.args, err)
		}
		b, rest := pem.Decode([]byte(out))
		if b == nil || b.Type != tc.block || len(bytes.TrimSpace(rest)) != 0 {
			t.Fatalf("keygen %v printed %q", tc.args, out)
		}
		var k any
		if b.Type == "RSA PRIVATE KEY" {
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		} else {
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		if err != nil || !tc.check(k) {
			t.Fatalf("keygen %v: key %T %v", tc.args, k, err)
		}
	}
	if _, _, err := runCmd(t, "keygen", "--type", "dsa"); err == nil || !strings.Contains(err.Error(), "rsa or ed25519") {
		t.Fatalf("keygen --type dsa: %v", err)
	}
	// Two runs give two keys.
	a, _, _ := runCmd(t, "keygen", "--type", "ed25519")
	b, _, _ := runCmd(t, "keygen", "--type", "ed25519")
	if a == b {
		t.Fatal("keygen repeated a key")
	}
}

func TestPubkey(t *testing.T) {
	dir := testEnv(t)
	for _, typ := range []string{"rsa", "ed25519"} {
		priv, _, err := runCmd(t, "keygen", "--type", typ)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, typ+".pem")
		if err := os.WriteFile(path, []byte(priv), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("JWT_PRIVATE_KEY_PATH", path)
		k, err := token.LoadKey(path)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := runCmd(t, "pubkey")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode([]byte(out))
		if b == nil || b.Type != "PUBLIC KEY" {
			t.Fatalf("pubkey printed %q", out)
		}
		pub, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil || !pub.(interface {
			Equal(stdcrypto.PublicKey) bool
		}).Equal(k.Public()) {
			t.Fatalf("pubkey %T %v is not the key's", pub, err)
		}
		out64, _, err := runCmd(t, "pubkey", "--base64")
		if err != nil {
			t.Fatal(err)
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(out64, "\n"))
		if err != nil || string(dec) != out || strings.Count(out64, "\n") != 1 {
			t.Fatalf("pubkey --base64 printed %q (%v)", out64, err)
		}
		// --raw: Ed25519's 32 key bytes in the PEM block; RSA has none.
		rawOut, _, err := runCmd(t, "pubkey", "--raw")
		if typ == "rsa" {
			if err == nil || !strings.Contains(err.Error(), "not Ed25519") {
				t.Fatalf("pubkey --raw of an RSA key: %q %v", rawOut, err)
			}
			continue
		}
		rb, _ := pem.Decode([]byte(rawOut))
		if err != nil || rb == nil || rb.Type != "PUBLIC KEY" || !bytes.Equal(rb.Bytes, k.Public().(ed25519.PublicKey)) {
			t.Fatalf("pubkey --raw printed %q (%v)", rawOut, err)
		}
		raw64, _, err := runCmd(t, "pubkey", "--raw", "--base64")
		if dec, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(raw64)); err != nil || string(dec) != rawOut {
			t.Fatalf("pubkey --raw --base64 printed %q (%v)", raw64, err)
		}
	}
	// Without a key file, pubkey refuses and writes nothing.
	missing := filepath.Join(dir, "var", "new.pem")
	t.Setenv("JWT_PRIVATE_KEY_PATH", missing)
	if out, _, err := runCmd(t, "pubkey"); err == nil || out != "" || !strings.HasPrefix(err.Error(), "JWT_PRIVATE_KEY_PATH") ||
		!strings.Contains(err.Error(), "never generates") {
		t.Fatalf("pubkey without a key: %q %v", out, err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("pubkey wrote %s: %v", missing, err)
	}
	t.Setenv("JWT_PRIVATE_KEY_PATH", filepath.Join(dir, "barong.db")) // not a key
	os.WriteFile(filepath.Join(dir, "barong.db"), []byte("not a key"), 0o600)
	if _, _, err := runCmd(t, "pubkey"); err == nil || !strings.HasPrefix(err.Error(), "JWT_PRIVATE_KEY_PATH") {
		t.Fatalf("pubkey with a bad key: %v", err)
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCmd(t, "version")
	if err != nil || out != server.Version+"\n" {
		t.Fatalf("version: %q %v", out, err)
	}
	out, _, err = runCmd(t, "--version")
	if err != nil || out != server.VersionLine()+"\n" || !strings.HasPrefix(out, "barong "+server.Version+" (tag ") {
		t.Fatalf("--version: %q %v", out, err)
	}
	out, _, err = runCmd(t, "help")
	if err != nil || !strings.Contains(out, "\n  keygen       write a new private key PEM") || !strings.Contains(out, "\n  check        validate") {
		t.Fatalf("help: %q %v", out, err)
	}
	_, errOut, err := runCmd(t, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) || !strings.Contains(errOut, "usage: barong") {
		t.Fatalf("unknown command: %v %q", err, errOut)
	}
}

// openDB opens the configured database the way the commands do.
func openDB(t *testing.T) *server.Server {
	t.Helper()
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AutoMigrate = false
	cfg.Seeds = &config.Seeds{}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestMigrateAndSeed(t *testing.T) {
	dir := testEnv(t)
	for range 2 { // idempotent
		if _, errOut, err := runCmd(t, "migrate"); err != nil || !strings.Contains(errOut, "migrations applied") {
			t.Fatalf("migrate: %v %s", err, errOut)
		}
	}
	seeds := filepath.Join(dir, "seeds.yml")
	if err := os.WriteFile(seeds, []byte(`
levels:
  - { key: email, value: verified, description: "e-mail" }
permissions:
  - { role: gateway_probe, verb: get, path: api/v2/probe, action: accept }
  - { role: gateway_probe, verb: all, path: api/v2/probe/admin, action: drop }
restrictions:
  - { category: blacklist, scope: ip, value: 192.0.2.77, code: 433, state: enabled }
users:
  - { email: seeded@example.com, password: "Tr0ub4dor&3-Horse", role: admin, state: active, level: 1 }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if _, errOut, err := runCmd(t, "seed", seeds); err != nil || !strings.Contains(errOut, "seeds applied") {
			t.Fatalf("seed: %v %s", err, errOut)
		}
	}
	srv := openDB(t)
	ctx := context.Background()
	perms, _ := srv.DB.Permissions(ctx)
	rs, _ := srv.DB.Restrictions(ctx)
	levels, _ := srv.DB.Levels(ctx)
	n := 0
	for _, p := range perms {
		if p.Role == "gateway_probe" {
			n++
		}
	}
	m := 0
	for _, r := range rs {
		if r.Value == "192.0.2.77" && r.Code == 433 && r.State == "enabled" {
			m++
		}
	}
	if n != 2 || m != 1 || len(levels) != 1 {
		t.Fatalf("after two seeds: %d probe permissions, %d restrictions, %d levels", n, m, len(levels))
	}
	u, err := srv.DB.UserByEmail(ctx, "seeded@example.com")
	if err != nil || u.Role != "admin" || u.State != "active" || u.Level != 1 {
		t.Fatalf("seeded user %+v %v", u, err)
	}

	// A bad seeds file names itself and changes nothing.
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("permissions:\n  - { role: x, verb: fly, path: a, action: accept }\n"), 0o600)
	if _, _, err := runCmd(t, "seed", bad); err == nil || !strings.Contains(err.Error(), "bad.yml") {
		t.Fatalf("seed bad.yml: %v", err)
	}
	if _, _, err := runCmd(t, "seed", filepath.Join(dir, "missing.yml")); err == nil || !strings.Contains(err.Error(), "missing.yml") {
		t.Fatalf("seed missing.yml: %v", err)
	}
}

func TestBadConfiguration(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"BARONG_DATABASE_URL", "oracle://db"},
		{"BARONG_GRPC_ADDR", "nowhere"},
		{"BARONG_LOG_FORMAT", "xml"},
		{"BARONG_SESSION_EXPIRE_TIME", "soon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testEnv(t)
			t.Setenv(tc.name, tc.value)
			for _, cmd := range []string{"serve", "migrate", "pubkey"} {
				_, _, err := runCmd(t, cmd)
				if err == nil || !strings.Contains(err.Error(), tc.name) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("%s with %s=%s: %v", cmd, tc.name, tc.value, err)
				}
			}
		})
	}
	// An unreadable key file stops serve before it listens.
	dir := testEnv(t)
	os.WriteFile(filepath.Join(dir, "jwt.pem"), []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o600)
	if _, _, err := runCmd(t, "serve"); err == nil || !strings.HasPrefix(err.Error(), "JWT_PRIVATE_KEY_PATH") {
		t.Fatalf("serve with a bad key: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitAddr waits for a log line with msg and returns its addr.
func waitAddr(t *testing.T, log interface{ String() string }, msg string) string {
	t.Helper()
	re := regexp.MustCompile(`"msg":"` + regexp.QuoteMeta(msg) + `".*?"addr":"([^"]+)"`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %q in the log:\n%s", msg, log.String())
	return ""
}

// TestServeInProcess runs `serve` with an Ed25519 key and the gRPC
// service: JWKS publishes the OKP key, gRPC health answers, and cancelling
// the context (what SIGTERM does in main) returns nil.
func TestServeInProcess(t *testing.T) {
	dir := testEnv(t)
	priv, _, err := runCmd(t, "keygen", "--type", "ed25519")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "jwt.pem"), []byte(priv), 0o600)
	t.Setenv("BARONG_GRPC_ADDR", "127.0.0.1:0")
	t.Setenv("BARONG_LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, io.Discard, &log) }()
	httpAddr := waitAddr(t, &log, "barong serving")
	grpcAddr := waitAddr(t, &log, "barong ext_authz gRPC serving")

	resp, err := http.Get("http://" + httpAddr + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []map[string]string }
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if len(set.Keys) != 1 || set.Keys[0]["kty"] != "OKP" || set.Keys[0]["alg"] != "EdDSA" || set.Keys[0]["crv"] != "Ed25519" {
		t.Fatalf("jwks %v", set)
	}
	// barong healthcheck: 0 against the ready server, an error elsewhere.
	_, port, _ := net.SplitHostPort(httpAddr)
	t.Setenv("BARONG_HTTP_ADDR", ":"+port)
	if out, _, err := runCmd(t, "healthcheck"); err != nil || !strings.HasPrefix(out, `200 {"status":"ok"`) {
		t.Fatalf("healthcheck: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "healthcheck", "http://"+httpAddr+"/nope"); err == nil {
		t.Fatal("healthcheck of a 404 succeeded")
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("grpc health %v %v", h, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(log.String(), `"msg":"barong stopped"`) {
		t.Fatalf("log:\n%s", log.String())
	}
}

// TestPubkeyBarongKey: Barong's own key, in both forms its deployments
// give it (the PEM file at JWT_PRIVATE_KEY_PATH and URL-safe base64 of the
// PEM in JWT_PRIVATE_KEY), makes pubkey print exactly what Barong wrote as
// its public key. testdata/barong-rsa-key* were made by Ruby's OpenSSL as
// Barong makes them (OpenSSL::PKey::RSA.generate(2048), #to_pem,
// #public_key.to_pem, Base64.urlsafe_encode64); a test key only.
func TestPubkeyBarongKey(t *testing.T) {
	dir := testEnv(t)
	keyPath := testdataPath(t, "barong-rsa-key")
	want, err := os.ReadFile(testdataPath(t, "barong-rsa-key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	b64, err := os.ReadFile(testdataPath(t, "barong-jwt-private-key.b64"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string) {
		t.Helper()
		out, _, err := runCmd(t, "pubkey")
		if err != nil || out != string(want) {
			t.Fatalf("%s: pubkey printed %q (%v), Barong's public key is %q", name, out, err, want)
		}
		out64, _, err := runCmd(t, "pubkey", "--base64")
		if err != nil || strings.TrimSpace(out64) != base64.StdEncoding.EncodeToString(want) {
			t.Fatalf("%s: pubkey --base64 printed %q (%v)", name, out64, err)
		}
	}
	t.Setenv("JWT_PRIVATE_KEY_PATH", keyPath)
	check("JWT_PRIVATE_KEY_PATH")

	// JWT_PRIVATE_KEY alone: no key file is read or written.
	os.Unsetenv("JWT_PRIVATE_KEY_PATH")
	t.Setenv("JWT_PRIVATE_KEY", string(b64))
	check("JWT_PRIVATE_KEY (URL-safe base64)")
	pemBytes, _ := os.ReadFile(keyPath)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		t.Setenv("JWT_PRIVATE_KEY", enc.EncodeToString(pemBytes))
		check("JWT_PRIVATE_KEY (other base64)")
	}
	if _, err := os.Stat(filepath.Join(dir, "var", "jwt-key.pem")); !os.IsNotExist(err) {
		t.Fatalf("a key file was generated although JWT_PRIVATE_KEY is set: %v", err)
	}

	// Both: the same key is fine, different keys are refused.
	t.Setenv("JWT_PRIVATE_KEY", string(b64))
	t.Setenv("JWT_PRIVATE_KEY_PATH", keyPath)
	check("both")
	other := filepath.Join(dir, "other.pem")
	priv, _, _ := runCmd(t, "keygen")
	os.WriteFile(other, []byte(priv), 0o600)
	t.Setenv("JWT_PRIVATE_KEY_PATH", other)
	if _, _, err := runCmd(t, "pubkey"); err == nil || !strings.Contains(err.Error(), "different keys") {
		t.Fatalf("different keys: %v", err)
	}
	os.Unsetenv("JWT_PRIVATE_KEY_PATH")
	t.Setenv("JWT_PRIVATE_KEY", "bm90IGEga2V5")
	if _, _, err := runCmd(t, "pubkey"); err == nil || !strings.HasPrefix(err.Error(), "JWT_PRIVATE_KEY:") ||
		strings.Contains(err.Error(), "bm90IGEga2V5") {
		t.Fatalf("bad JWT_PRIVATE_KEY: %v", err)
	}
}

// pkgDir is this package's directory, the working directory tests start in.
var pkgDir, _ = os.Getwd()

// testdataPath is the absolute path of a file of this package's testdata
// (tests may change the working directory).
func testdataPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(pkgDir, "testdata", name)
}
