package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barong-go/barong/internal/testenv"
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
	// Also after other arguments: barong seed seeds.yml --help.
	if out, _, err := runCmd(t, "seed", "seeds.yml", "--help"); err != nil || !strings.HasPrefix(out, "usage: barong seed") {
		t.Fatalf("seed FILE --help: %q %v", out, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("--help left files behind: %v", entries)
	}
	// Arguments a command does not take are refused before it runs.
	for _, args := range [][]string{{"serve", "now"}, {"migrate", "--force"}, {"version", "x"}, {"seed", "a", "b"}} {
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
		"warning  JWT_PRIVATE_KEY_PATH " + filepath.Join(dir, "jwt.pem") + ": missing: a new RSA key is generated at the first start",
	} {
		if !strings.Contains(out, want+"\n") {
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
		!strings.Contains(out, "ok       BARONG_ENCRYPTION_KEY_PATH") {
		t.Fatalf("check --connect after migrate: %v\n%s", err, out)
	}

	// The real services, and one that does not answer.
	t.Setenv("BARONG_DATABASE_URL", testenv.Database(t, "postgres"))
	t.Setenv("BARONG_REDIS_URL", testenv.Redis(t))
	t.Setenv("EVENT_API_RABBITMQ_URL", testenv.RabbitMQ(t))
	out, _, err = runCmd(t, "check", "--connect")
	if err != nil || !strings.Contains(out, "ok       BARONG_DATABASE_URL: postgres reachable; pending migrations are applied at the next start\n") ||
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
