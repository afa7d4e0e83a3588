package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/vault/vaulttest"
)

// TestHelpHasNoSideEffects: --help and -h on every command print its usage
// on stdout and return nil without touching anything (no database, no key
// file, no listener).
func TestHelpHasNoSideEffects(t *testing.T) {
	dir := testEnv(t)
	for _, c := range commands {
		for _, flag := range []string{"--help", "-h", "-help"} {
			out, errOut, err := runCmd(t, c.name, flag)
			if err != nil || errOut != "" || !strings.HasPrefix(out, "usage: barong "+c.name) {
				t.Fatalf("%s %s: %v %q %q", c.name, flag, err, out, errOut)
			}
		}
		// barong help NAME gives the same text.
		if out, _, err := runCmd(t, "help", c.name); err != nil || out != c.usage {
			t.Fatalf("help %s: %q %v", c.name, out, err)
		}
	}
	// Also after other arguments: barong seed seeds.yml --help, barong
	// import --from URL --help (nothing is read from Barong's database).
	if out, _, err := runCmd(t, "seed", "seeds.yml", "--help"); err != nil || !strings.HasPrefix(out, "usage: barong seed") {
		t.Fatalf("seed FILE --help: %q %v", out, err)
	}
	if out, _, err := runCmd(t, "import", "--from", "mysql://root@127.0.0.1:1/barong", "--help"); err != nil ||
		!strings.HasPrefix(out, "usage: barong import") || !strings.Contains(out, "-dry-run") {
		t.Fatalf("import --from URL --help: %q %v", out, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("--help left files behind: %v", entries)
	}
	// Arguments a command does not take are refused before it runs.
	for _, args := range [][]string{{"serve", "now"}, {"migrate", "--force"}, {"version", "x"}, {"seed", "a", "b"},
		{"import", "--from", "mysql://root@127.0.0.1:1/barong", "extra"}, {"import", "--force"}, {"check", "extra"},
		{"healthcheck", "a", "b"}} {
		if _, _, err := runCmd(t, args...); err == nil {
			t.Fatalf("%v accepted", args)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused command left files behind: %v", entries)
	}
}

func TestCheck(t *testing.T) {
	dir := testEnv(t)
	t.Setenv("BARONG_LOG_LEVEL", "debug")              // Barong reads LOG_LEVEL
	t.Setenv("BARONG_KYCAID_AUTHORIZATION_TOKEN", "x") // KYC provider is local

	out, _, err := runCmd(t, "check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{
		"warning  environment: BARONG_LOG_LEVEL: unknown variable, not read by barong (did you mean LOG_LEVEL?)",
		"warning  environment: BARONG_KYCAID_AUTHORIZATION_TOKEN: set but unused: BARONG_KYC_PROVIDER is not kycaid",
		"ok       configuration: every variable and YAML file parsed",
		"warning  JWT_PRIVATE_KEY_PATH " + filepath.Join(dir, "jwt.pem") + ": missing: a start generates it only on a database that holds nothing yet",
		"warning  BARONG_ENCRYPTION_KEY_PATH " + filepath.Join(dir, "enc.key") + ": missing: a start generates it only on a database that holds nothing yet",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("missing %q in\n%s", want, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("check left files behind: %v", entries)
	}

	// With --connect: the SQLite file that does not exist yet is not
	// created; once migrated the database is reported ready.
	out, _, err = runCmd(t, "check", "--connect")
	if err != nil || !strings.Contains(out, "warning  BARONG_DATABASE_URL: SQLite file") {
		t.Fatalf("check --connect: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, "migrate"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "check", "--connect")
	if err != nil || !strings.Contains(out, "ok       BARONG_DATABASE_URL: sqlite reachable, migrations applied\n") ||
		!strings.Contains(out, "ok       keys: the database holds nothing yet: the first start generates the missing key files\n") {
		t.Fatalf("check --connect after migrate: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 { // barong.db
		t.Fatalf("check --connect wrote files: %v", entries)
	}

	// The keys as a start settles them (issue 10): once a start wrote and
	// recorded them, check accepts them; a missing or other key over that
	// database is an error, as the start would refuse it, and check
	// never writes a key.
	if _, _, err := runCmd(t, "seed"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "check", "--connect")
	if err != nil || !strings.Contains(out, "ok       keys: a start accepts them on this database\n") ||
		!strings.Contains(out, "ok       BARONG_ENCRYPTION_KEY_PATH "+filepath.Join(dir, "enc.key")+": 32-byte key\n") {
		t.Fatalf("check --connect with the keys: %v\n%s", err, out)
	}
	encKey := filepath.Join(dir, "enc.key")
	saved, _ := os.ReadFile(encKey)
	os.Remove(encKey)
	out, _, err = runCmd(t, "check", "--connect")
	if err == nil || !strings.Contains(out, "error    keys: BARONG_ENCRYPTION_KEY_PATH: "+encKey) || !strings.Contains(out, "barong-go never generates a key over existing data") {
		t.Fatalf("check --connect without the encryption key: %v\n%s", err, out)
	}
	if _, err := os.Stat(encKey); err == nil {
		t.Fatal("check generated an encryption key")
	}
	other, _, err := runCmd(t, "keygen") // a valid key, another one
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(encKey, saved, 0o600)
	t.Setenv("JWT_PRIVATE_KEY", base64.StdEncoding.EncodeToString([]byte(other)))
	t.Setenv("JWT_PRIVATE_KEY_PATH", "")
	out, _, err = runCmd(t, "check", "--connect")
	if err == nil || !strings.Contains(out, "ok       JWT_PRIVATE_KEY: RS256 key\n") ||
		!strings.Contains(out, "error    keys: JWT_PRIVATE_KEY: the key in JWT_PRIVATE_KEY") {
		t.Fatalf("check --connect with another JWT_PRIVATE_KEY: %v\n%s", err, out)
	}
	t.Setenv("JWT_PRIVATE_KEY", "")
	t.Setenv("JWT_PRIVATE_KEY_PATH", filepath.Join(dir, "jwt.pem"))

	// The real services, and one that does not answer.
	t.Setenv("BARONG_DATABASE_URL", testenv.Database(t, "postgres"))
	t.Setenv("BARONG_REDIS_URL", testenv.Redis(t))
	t.Setenv("EVENT_API_RABBITMQ_URL", testenv.RabbitMQ(t))
	v := vaulttest.New(t)
	t.Setenv("BARONG_VAULT_ADDRESS", v.URL)
	t.Setenv("BARONG_VAULT_TOKEN", v.Token)
	out, _, err = runCmd(t, "check", "--connect")
	if err != nil || !strings.Contains(out, "ok       BARONG_DATABASE_URL: postgres reachable; pending migrations are applied at the next start\n") ||
		!strings.Contains(out, "ok       BARONG_VAULT_ADDRESS: reachable, BARONG_VAULT_TOKEN accepted\n") ||
		!strings.Contains(out, "ok       BARONG_REDIS_URL: reachable\n") || !strings.Contains(out, "ok       EVENT_API_RABBITMQ_URL: reachable\n") {
		t.Fatalf("check --connect on services: %v\n%s", err, out)
	}
	t.Setenv("BARONG_REDIS_URL", "redis://127.0.0.1:1/0")
	if out, _, err = runCmd(t, "check", "--connect"); err == nil || !strings.Contains(out, "error    BARONG_REDIS_URL: ") {
		t.Fatalf("check --connect, Redis down: %v\n%s", err, out)
	}

	// A bad key file and a bad variable are errors (exit 1).
	os.WriteFile(filepath.Join(dir, "jwt.pem"), []byte("not a key"), 0o644)
	if out, _, err = runCmd(t, "check"); err == nil || !strings.Contains(out, "error    JWT_PRIVATE_KEY_PATH") {
		t.Fatalf("bad key: %v\n%s", err, out)
	}
	t.Setenv("BARONG_CAPTCHA", "puzzle")
	if out, _, err = runCmd(t, "check"); err == nil || !strings.Contains(out, "error    configuration: BARONG_CAPTCHA: ") {
		t.Fatalf("bad variable: %v\n%s", err, out)
	}
}
