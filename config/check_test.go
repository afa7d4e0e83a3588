package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCheckWarnings(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "barong.yml")
	if err := os.WriteFile(yml, []byte("activation_requirements:\n  email: ${BARONG_MY_LEVEL_LABEL}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, warnings, err := Check([]string{
		"BARONG_CONFIG=" + yml,
		"BARONG_MY_LEVEL_LABEL=verified", // read through the YAML file: in use
		"BARONG_LOG_LEVEL=debug",
		"BARONG_DATABSE_URL=postgres://x@db/barong",
		"JWT_PRIVATE_KEY_PATH=/k.pem", "BARONG_JWT_PRIVATE_KEY_PATH=/other.pem",
		"BARONG_DATABASE_URL=sqlite:" + filepath.Join(dir, "b.db"), "DATABASE_HOST=db",
		// Read since issues 10, 11 and 15: none is unknown or unused.
		"BARONG_VAULT_TOKEN=s.x", "BARONG_VAULT_ADDRESS=http://vault:8200", "BARONG_VAULT_APP_NAME=opendax",
		"SECRET_KEY_BASE=abc", "JWT_PRIVATE_KEY=LS0t",
		"BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS=12", "BARONG_LOGIN_THROTTLE_DELAY=2",
		"BARONG_WEBAUTHN_ORIGINS=http://localhost:3000",
		"BARONG_KYCAID_FORM_ID=form",
		"BARONG_TEST_REDIS_URL=redis://x",                     // the tests' own
		"BARONG_IMPORT_FROM=mysql://u:p@db/barong_production", // barong import's own
		"BARONG_EMPTY_TYPO=",                                  // empty: ignored
		"HOME=/root", "LOG_LEVEL=info",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BARONG_DATABSE_URL: unknown variable, not read by barong (did you mean BARONG_DATABASE_URL?)",
		"BARONG_JWT_PRIVATE_KEY_PATH: set but unused: JWT_PRIVATE_KEY_PATH is set and wins",
		"BARONG_KYCAID_FORM_ID: set but unused: BARONG_KYC_PROVIDER is not kycaid",
		"BARONG_LOG_LEVEL: unknown variable, not read by barong (did you mean LOG_LEVEL?)",
		"DATABASE_HOST: set but unused: BARONG_DATABASE_URL is set and wins",
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}

	// Settings that have no effect under the rest of the configuration.
	_, warnings, err = Check([]string{"BARONG_LOGIN_THROTTLE_ENABLED=false", "BARONG_LOGIN_THROTTLE_DELAY=2",
		"BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS=3", "BARONG_VAULT_ADDRESS=http://vault:8200", "BARONG_VAULT_APP_NAME=opendax"})
	want = []string{
		"BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS: set but unused: BARONG_LOGIN_THROTTLE_ENABLED is false",
		"BARONG_LOGIN_THROTTLE_DELAY: set but unused: BARONG_LOGIN_THROTTLE_ENABLED is false",
		"BARONG_VAULT_ADDRESS: set but unused: BARONG_VAULT_TOKEN is not set",
	}
	if err != nil || strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%v; warnings:\n%s\nwant:\n%s", err, strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}

	// A configuration that does not load is an error, warnings still come.
	_, warnings, err = Check([]string{"BARONG_CAPTCHA=nope", "BARONG_LOG_LEVL=x"})
	if err == nil || !strings.Contains(err.Error(), "BARONG_CAPTCHA") || len(warnings) != 1 {
		t.Fatalf("err %v warnings %v", err, warnings)
	}
}

// TestVariablesCoverEveryRead: whatever the environment, Load reads no
// variable outside Variables() except those a YAML file names.
func TestVariablesCoverEveryRead(t *testing.T) {
	known := Variables()
	for _, env := range []map[string]string{
		{},
		{"DATABASE_HOST": "db", "BARONG_SMTP_HOST": "smtp", "BARONG_EVENT_API_RABBITMQ_HOST": "mq", "PORT": "9000"},
	} {
		_, _ = Load(func(k string) (string, bool) {
			if !slices.Contains(known, k) {
				t.Errorf("Load read %s, missing from Variables()", k)
			}
			v, ok := env[k]
			return v, ok
		})
	}
}
