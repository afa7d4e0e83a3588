package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
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
	// The URL may come from the environment, out of ps and shell history.
	t.Setenv("BARONG_IMPORT_FROM", src.URL)
	if out, _, err := runCmd(t, "import", "--dry-run"); err != nil || !strings.Contains(out, "dry run: nothing was written") {
		t.Fatalf("dry run from BARONG_IMPORT_FROM: %v\n%s", err, out)
	}
	t.Setenv("BARONG_IMPORT_FROM", "")
	if out, _, err := runCmd(t, "import", "--from", strings.Replace(src.URL, "mysql://", "mysql2://", 1)+"?encoding=utf8&pool=5"); err != nil {
		t.Fatalf("import after the fix: %v\n%s", err, out)
	}
}

// TestImportKeys: the keys around `barong import`, as an operator meets
// them. The import encrypts Barong's secrets with barong-go's encryption
// key, so on an empty target it generates the key file (a dry run writes
// none); over imported data a missing or other key file is refused. The
// import never writes a JWT key: pubkey and serve refuse without one and
// ask for Barong's, and with Barong's JWT_PRIVATE_KEY pubkey prints
// Barong's public key.
func TestImportKeys(t *testing.T) {
	dir := testEnv(t)
	v := vaulttest.New(t)
	src := barongtest.New(t, "mysql", "2.7", v)
	t.Setenv("BARONG_VAULT_ADDRESS", v.URL)
	t.Setenv("BARONG_VAULT_TOKEN", v.Token)
	t.Setenv("SECRET_KEY_BASE", barongtest.SecretKeyBase)
	encKey, jwtKey := filepath.Join(dir, "enc.key"), filepath.Join(dir, "jwt.pem")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	_, errOut, err := runCmd(t, "import", "--from", src.URL, "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "rows cannot be imported") || exists(encKey) ||
		!strings.Contains(errOut, "the import will generate it") {
		t.Fatalf("dry run on an empty target: %v, key file written: %v\n%s", err, exists(encKey), errOut)
	}
	_, errOut, err = runCmd(t, "import", "--from", src.URL)
	if err == nil || !strings.Contains(err.Error(), "rows cannot be imported") {
		t.Fatalf("import: %v", err)
	}
	if !exists(encKey) || !strings.Contains(errOut, "generated a new encryption key") || !strings.Contains(errOut, encKey) {
		t.Fatalf("the import did not generate %s or did not say so:\n%s", encKey, errOut)
	}
	if exists(jwtKey) || !strings.Contains(errOut, "barong serve needs Barong's JWT key") {
		t.Fatalf("JWT key written (%v) or not asked for:\n%s", exists(jwtKey), errOut)
	}

	// Over the imported data: another directory's missing key file, or
	// another key, is refused; nothing is written.
	other := filepath.Join(dir, "other", "enc.key")
	t.Setenv("BARONG_ENCRYPTION_KEY_PATH", other)
	_, _, err = runCmd(t, "import", "--from", src.URL)
	if err == nil || !strings.Contains(err.Error(), other+" does not exist, but the database already holds") ||
		!strings.Contains(err.Error(), "rows imported from Barong") || exists(other) {
		t.Fatalf("import without its key file: %v (written: %v)", err, exists(other))
	}
	if err := os.MkdirAll(filepath.Dir(other), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte(base64.StdEncoding.EncodeToString(make([]byte, 32))), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []string{"--dry-run=false", "--dry-run"} {
		if _, _, err = runCmd(t, "import", "--from", src.URL, dry); err == nil || !strings.Contains(err.Error(), "is not the key this database was written with") {
			t.Fatalf("import %s with another key: %v", dry, err)
		}
	}
	t.Setenv("BARONG_ENCRYPTION_KEY_PATH", encKey)

	// No JWT key: pubkey and serve refuse, asking for Barong's; none is written.
	if _, _, err := runCmd(t, "pubkey"); err == nil || !strings.Contains(err.Error(), "never generates") {
		t.Fatalf("pubkey without a JWT key: %v", err)
	}
	_, _, err = runCmd(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "JWT_PRIVATE_KEY_PATH: "+jwtKey+" does not exist") ||
		!strings.Contains(err.Error(), "bring Barong's JWT key") || !strings.Contains(err.Error(), "JWT_PRIVATE_KEY as Barong had it") ||
		exists(jwtKey) {
		t.Fatalf("serve without a JWT key on an imported database: %v (written: %v)", err, exists(jwtKey))
	}
	b64, err := os.ReadFile(testdataPath(t, "barong-jwt-private-key.b64"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(testdataPath(t, "barong-rsa-key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.Unsetenv("JWT_PRIVATE_KEY_PATH")
	t.Setenv("JWT_PRIVATE_KEY", string(b64))
	if out, _, err := runCmd(t, "pubkey"); err != nil || out != string(want) {
		t.Fatalf("pubkey with Barong's JWT_PRIVATE_KEY: %q %v", out, err)
	}
	if exists(jwtKey) || exists(filepath.Join(dir, "var", "jwt-key.pem")) {
		t.Fatal("a JWT key file was written")
	}
}
