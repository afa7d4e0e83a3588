package config

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestAliases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		env   map[string]string
		field func(*Config) string
		want  string
	}{
		{"PORT", map[string]string{"PORT": "3000"}, func(c *Config) string { return c.HTTPAddr }, ":3000"},
		{"BARONG_HTTP_ADDR wins over PORT", map[string]string{"PORT": "3000", "BARONG_HTTP_ADDR": "127.0.0.1:9000"},
			func(c *Config) string { return c.HTTPAddr }, "127.0.0.1:9000"},
		{"DATABASE_* mysql defaults", map[string]string{"DATABASE_HOST": "db.local"},
			func(c *Config) string { return c.DatabaseURL }, "mysql://root@db.local:3306/barong_production"},
		{"DATABASE_* mysql all", map[string]string{"DATABASE_ADAPTER": "mysql2", "DATABASE_HOST": "10.0.0.5",
			"DATABASE_PORT": "3307", "DATABASE_USER": "barong", "DATABASE_PASS": "p@ss/w:rd", "DATABASE_NAME": "bdb"},
			func(c *Config) string { return c.DatabaseURL }, "mysql://barong:p%40ss%2Fw%3Ard@10.0.0.5:3307/bdb"},
		{"DATABASE_* postgresql", map[string]string{"DATABASE_ADAPTER": "postgresql", "DATABASE_HOST": "pg",
			"DATABASE_USER": "postgres", "DATABASE_PASS": "secret", "DATABASE_NAME": "barong"},
			func(c *Config) string { return c.DatabaseURL }, "postgres://postgres:secret@pg:5432/barong?sslmode=disable"},
		{"DATABASE_* ignored without host", map[string]string{"DATABASE_ADAPTER": "postgresql", "DATABASE_NAME": "x"},
			func(c *Config) string { return c.DatabaseURL }, "sqlite:var/barong.db"},
		{"BARONG_DATABASE_URL wins", map[string]string{"DATABASE_HOST": "db", "BARONG_DATABASE_URL": "postgres://u@h/d"},
			func(c *Config) string { return c.DatabaseURL }, "postgres://u@h/d"},
		{"RabbitMQ parts defaults", map[string]string{"BARONG_EVENT_API_RABBITMQ_HOST": "rmq"},
			func(c *Config) string { return c.RabbitMQURL }, "amqp://guest:guest@rmq:5672/"},
		{"RabbitMQ parts", map[string]string{"BARONG_EVENT_API_RABBITMQ_PORT": "5673",
			"BARONG_EVENT_API_RABBITMQ_USERNAME": "u", "BARONG_EVENT_API_RABBITMQ_PASSWORD": "p"},
			func(c *Config) string { return c.RabbitMQURL }, "amqp://u:p@localhost:5673/"},
		{"RabbitMQ URL wins", map[string]string{"BARONG_EVENT_API_RABBITMQ_HOST": "rmq",
			"EVENT_API_RABBITMQ_URL": "amqp://a:b@c:1/"}, func(c *Config) string { return c.RabbitMQURL }, "amqp://a:b@c:1/"},
		{"SMTP parts", map[string]string{"BARONG_SMTP_HOST": "mail", "BARONG_SMTP_PORT": "587",
			"BARONG_SMTP_USER": "me", "BARONG_SMTP_PASSWORD": "pw"},
			func(c *Config) string { return c.SMTPURL }, "smtp://me:pw@mail:587"},
		{"SMTP host only", map[string]string{"BARONG_SMTP_HOST": "localhost"},
			func(c *Config) string { return c.SMTPURL }, "smtp://localhost:1025"},
		{"SMTP parts need host", map[string]string{"BARONG_SMTP_USER": "me", "BARONG_SMTP_PORT": "25"},
			func(c *Config) string { return c.SMTPURL }, ""},
		{"SMTP URL wins", map[string]string{"BARONG_SMTP_HOST": "mail", "BARONG_SMTP_URL": "smtps://x:y@z:465"},
			func(c *Config) string { return c.SMTPURL }, "smtps://x:y@z:465"},
		{"JWT_PRIVATE_KEY_PATH", map[string]string{"JWT_PRIVATE_KEY_PATH": "/k/a.pem", "BARONG_JWT_PRIVATE_KEY_PATH": "/k/b.pem"},
			func(c *Config) string { return c.JWTPrivateKeyPath }, "/k/a.pem"},
		{"BARONG_JWT_PRIVATE_KEY_PATH", map[string]string{"BARONG_JWT_PRIVATE_KEY_PATH": "/k/b.pem"},
			func(c *Config) string { return c.JWTPrivateKeyPath }, "/k/b.pem"},
		{"JWT_PRIVATE_KEY alone: no key file", map[string]string{"JWT_PRIVATE_KEY": "LS0t"},
			func(c *Config) string { return c.JWTPrivateKeyPath }, ""},
		{"JWT_PRIVATE_KEY and a path", map[string]string{"JWT_PRIVATE_KEY": "LS0t", "JWT_PRIVATE_KEY_PATH": "/k/a.pem"},
			func(c *Config) string { return c.JWTPrivateKeyPath }, "/k/a.pem"},
		{"BARONG_JWT_PRIVATE_KEY", map[string]string{"BARONG_JWT_PRIVATE_KEY": "LS0t"},
			func(c *Config) string { return c.JWTPrivateKey }, "LS0t"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.field(mustLoad(t, tc.env)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAliasErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DATABASE_HOST": "h", "DATABASE_ADAPTER": "oracle"},
			`DATABASE_ADAPTER: "oracle" is not one of mysql2, postgresql`},
		{map[string]string{"DATABASE_HOST": "h", "DATABASE_PORT": "x"}, `DATABASE_PORT: "x" is not a port number`},
		{map[string]string{"BARONG_EVENT_API_RABBITMQ_PORT": "99999"},
			`BARONG_EVENT_API_RABBITMQ_PORT: "99999" is not a port number`},
		{map[string]string{"BARONG_SMTP_HOST": "h", "BARONG_SMTP_PORT": "smtp"}, `BARONG_SMTP_PORT: "smtp" is not a port number`},
	}
	for _, tc := range cases {
		if got := problems(t, tc.env); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("env %v: got %q, want %q", tc.env, got, tc.want)
		}
	}
}

// secretEnv sets every secret (and URL passwords) to a recognisable value.
var secretEnv = map[string]string{
	"BARONG_ADMIN_EMAIL":                 "admin@example.com",
	"BARONG_ADMIN_PASSWORD":              "s3cr3t-admin",
	"BARONG_CRC32_SALT":                  "s3cr3t-salt",
	"BARONG_CAPTCHA":                     "recaptcha",
	"BARONG_RECAPTCHA_SITE_KEY":          "site-key",
	"BARONG_RECAPTCHA_SECRET_KEY":        "s3cr3t-recaptcha",
	"BARONG_GEETEST_ID":                  "s3cr3t-geetest-id",
	"BARONG_GEETEST_KEY":                 "s3cr3t-geetest-key",
	"BARONG_VAULT_TOKEN":                 "s3cr3t-vault",
	"BARONG_REDIS_PASSWORD":              "s3cr3t-redis",
	"BARONG_REDIS_URL":                   "redis://:s3cr3t-redisurl@localhost:6379/1",
	"BARONG_KYCAID_AUTHORIZATION_TOKEN":  "s3cr3t-kycaid",
	"BARONG_STORAGE_SECRET_KEY":          "s3cr3t-storage",
	"BARONG_TWILIO_AUTH_TOKEN":           "s3cr3t-twilio",
	"SECRET_KEY_BASE":                    "s3cr3t-base",
	"DATABASE_HOST":                      "db",
	"DATABASE_PASS":                      "s3cr3t-db",
	"BARONG_EVENT_API_RABBITMQ_PASSWORD": "s3cr3t-amqp",
	"BARONG_SMTP_HOST":                   "mail",
	"BARONG_SMTP_USER":                   "u",
	"BARONG_SMTP_PASSWORD":               "s3cr3t-smtp",
}

func TestSecretsAreNeverShown(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, secretEnv)
	if c.AdminPassword != "s3cr3t-admin" || !strings.Contains(c.DatabaseURL, "s3cr3t-db") {
		t.Fatalf("secrets not loaded: %q %q", c.AdminPassword, c.DatabaseURL)
	}
	var summary strings.Builder
	for _, s := range c.Redacted() {
		summary.WriteString(s.Name + "=" + s.Value + "\n")
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	log.Info("config", "config", c, "captcha", c.CaptchaConfig, "backend", c.BackendConfig, "value", *c)
	for _, out := range []string{summary.String(), logged.String()} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("a secret leaked:\n%s", out)
		}
	}
	for _, want := range []string{"BARONG_ADMIN_PASSWORD=[redacted]", "BARONG_CRC32_SALT=[redacted]",
		"BARONG_DATABASE_URL=mysql://root:xxxxx@db:3306/barong_production", "BARONG_ADMIN_EMAIL=admin@example.com",
		"BARONG_RECAPTCHA_SITE_KEY=site-key", "BARONG_SEEDS_FILE=(built-in) (3 levels, 178 permissions"} {
		if !strings.Contains(summary.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, summary.String())
		}
	}
	if !strings.Contains(logged.String(), `"BARONG_RECAPTCHA_SECRET_KEY":"[redacted]"`) {
		t.Errorf("sub-group log lacks the redacted key: %s", logged.String())
	}
}

func TestSecretsAreNotInErrors(t *testing.T) {
	t.Parallel()
	got := problems(t, map[string]string{
		"BARONG_DATABASE_URL":    "mysql://root:SECRET@db:3306",
		"BARONG_REDIS_URL":       "http://:SECRET@h",
		"EVENT_API_RABBITMQ_URL": "amqp://u:SECRET@%zz",
		"BARONG_SMTP_URL":        "smtp://u:SEC%zzRET@h:25",
	})
	if len(got) != 4 {
		t.Fatalf("want 3 problems, got %q", got)
	}
	for _, p := range got {
		if strings.Contains(p, "SEC") || strings.Contains(p, "zz") {
			t.Errorf("secret in %q", p)
		}
	}
}

// TestURLQueryPasswordsAreNeverShown: PostgreSQL (pgx) takes the password
// from the URL's query as well as from its user info
// (postgres://u@h/db?password=…, sslpassword= for the client key), and
// Redis takes it from the user info only; the summary, the logged config
// and the messages must not show either form.
func TestURLQueryPasswordsAreNeverShown(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"BARONG_DATABASE_URL": "postgres://barong@db:5432/barong?sslmode=disable&password=s3cr3t-q&sslpassword=s3cr3t-ssl",
		"BARONG_REDIS_URL":    "redis://localhost:6379/1",
	}
	c := mustLoad(t, env)
	var summary strings.Builder
	for _, s := range c.Redacted() {
		summary.WriteString(s.Name + "=" + s.Value + "\n")
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "backend", c.BackendConfig)
	for _, out := range []string{summary.String(), logged.String()} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("a secret leaked:\n%s", out)
		}
	}
	if !strings.Contains(summary.String(), "BARONG_DATABASE_URL=postgres://barong@db:5432/barong?") ||
		!strings.Contains(summary.String(), "sslmode=disable") {
		t.Errorf("summary lost the non-secret parts of the URL:\n%s", summary.String())
	}
	got := problems(t, map[string]string{"BARONG_DATABASE_URL": "pg://db/x?password=SECRET"})
	if len(got) != 1 {
		t.Fatalf("want 1 problem, got %q", got)
	}
	for _, p := range got {
		if strings.Contains(p, "SECRET") {
			t.Errorf("secret in %q", p)
		}
	}
}
