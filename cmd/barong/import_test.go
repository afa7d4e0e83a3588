package main

import (
	"strings"
	"testing"

	"github.com/barong-go/barong/barongimport/barongtest"
	"github.com/barong-go/barong/vault/vaulttest"
)

func TestImportHelp(t *testing.T) {
	testEnv(t)
	for _, arg := range []string{"-h", "--help"} {
		out, errOut, err := runCmd(t, "import", arg)
		if err != nil || !strings.Contains(out, "usage: barong import --from URL") || !strings.Contains(out, "-dry-run") || errOut != "" {
			t.Fatalf("import %s: %q %q %v", arg, out, errOut, err)
		}
	}
	if _, _, err := runCmd(t, "import"); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Fatalf("import without --from: %v", err)
	}
	if _, _, err := runCmd(t, "import", "--from", "sqlite:x.db"); err == nil {
		t.Fatal("an SQLite source accepted")
	}
}

// TestImportCommand runs `barong import` as an operator would: the report
// on stdout, exit status 1 while rows cannot be imported, no progress bar
// when stderr is not a terminal.
func TestImportCommand(t *testing.T) {
	testEnv(t)
	v := vaulttest.New(t)
	src := barongtest.New(t, "mysql", "2.7", v)
	t.Setenv("BARONG_VAULT_ADDRESS", v.URL)
	t.Setenv("BARONG_VAULT_TOKEN", v.Token)
	t.Setenv("SECRET_KEY_BASE", barongtest.SecretKeyBase)

	out, errOut, err := runCmd(t, "import", "--from", src.URL, "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "2 rows cannot be imported") {
		t.Fatalf("dry run: %v", err)
	}
	if !strings.Contains(out, "dry run: nothing was written") || !strings.Contains(out, "labels id 10: user 999 does not exist") ||
		!strings.Contains(out, "apikeys id 3: secret:") {
		t.Fatalf("dry-run report:\n%s", out)
	}
	if strings.Contains(errOut, "\r") {
		t.Fatalf("progress bar drawn on a non-terminal: %q", errOut)
	}
	out, _, err = runCmd(t, "import", "--from", src.URL)
	if err == nil || !strings.Contains(out, "users") || strings.Contains(out, "dry run") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// Once Barong's broken rows are gone, the import succeeds.
	src.Exec(t, "DELETE FROM labels WHERE id = 10")
	src.Exec(t, "DELETE FROM apikeys WHERE id = 3")
	if out, _, err := runCmd(t, "import", "--from", strings.Replace(src.URL, "mysql://", "mysql2://", 1)+"?encoding=utf8&pool=5"); err != nil {
		t.Fatalf("import after the fix: %v\n%s", err, out)
	}
}
