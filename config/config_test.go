package config

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// mustLoad loads m and fails the test on error.
func mustLoad(t *testing.T, m map[string]string) *Config {
	t.Helper()
	c, err := Load(env(m))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// problems loads m, expects failure and returns the problem lines.
func problems(t *testing.T, m map[string]string) []string {
	t.Helper()
	c, err := Load(env(m))
	if err == nil {
		t.Fatalf("Load succeeded, want an error")
	}
	if c != nil {
		t.Errorf("Load returned a Config with an error")
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not *Error", err)
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, ce.Problems) {
		t.Errorf("Error() = %q, want the problems one per line", err.Error())
	}
	return ce.Problems
}

func TestDefaultsAreBarongs(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"HTTPAddr", c.HTTPAddr, ":8000"},
		{"GRPCAddr", c.GRPCAddr, ""},
		{"DatabaseURL", c.DatabaseURL, "sqlite:var/barong.db"},
		{"RedisURL", c.RedisURL, ""},
		{"RabbitMQURL", c.RabbitMQURL, ""},
		{"SMTPURL", c.SMTPURL, ""},
		{"JWTPrivateKeyPath", c.JWTPrivateKeyPath, "var/jwt-key.pem"},
		{"JWTVerifyKeyPaths", len(c.JWTVerifyKeyPaths), 0},
		{"EncryptionKeyPath", c.EncryptionKeyPath, "var/encryption.key"},
		{"KYCProvider", c.KYCProvider, "local"},
		{"AutoMigrate", c.AutoMigrate, true},
		{"LogFormat", c.LogFormat, "text"},
		{"LogLevel", c.LogLevel, "info"},
		{"EventAPIMaskPII", c.EventAPIMaskPII, false},
		{"AppName", c.AppName, "Barong"},
		{"Domain", c.Domain, "openware.com"},
		{"UIDPrefix", c.UIDPrefix, "ID"},
		{"SessionName", c.SessionName, "_barong_session"},
		{"SessionExpireTime", c.SessionExpireTime, 1800 * time.Second},
		{"RequiredDocsExpire", c.RequiredDocsExpire, true},
		{"DocNumLimit", c.DocNumLimit, 10},
		{"GeoIPLang", c.GeoIPLang, "en"},
		{"CSRFProtection", c.CSRFProtection, true},
		{"APIKeyNonceLifetime", c.APIKeyNonceLifetime, 5 * time.Second},
		{"Gateway", c.Gateway, "cloudflare"},
		{"JWTExpireTime", c.JWTExpireTime, time.Hour},
		{"ProfileDoubleVerification", c.ProfileDoubleVerification, false},
		{"CRC32Salt", c.CRC32Salt, ""},
		{"APIDataMaskingEnabled", c.APIDataMaskingEnabled, true},
		{"FirstRegistrationSuperadmin", c.FirstRegistrationSuperadmin, true},
		{"MgnAPIKeysUser", c.MgnAPIKeysUser, false},
		{"MgnAPIKeysSA", c.MgnAPIKeysSA, false},
		{"PasswordRegexp", c.PasswordRegexp, `^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$`},
		{"PasswordMinEntropy", c.PasswordMinEntropy, 14},
		{"PasswordUseDictionary", c.PasswordUseDictionary, true},
		{"Captcha", c.Captcha, "none"},
		{"VaultAddress", c.VaultAddress, "http://localhost:8200"},
		{"VaultAppName", c.VaultAppName, "barong"},
		{"CORSOrigins", strings.Join(c.CORSOrigins, ","), "*"},
		{"CORSMaxAge", c.CORSMaxAge, 3600},
		{"CORSAllowCredentials", c.CORSAllowCredentials, false},
		{"SenderEmail", c.SenderEmail, "noreply@barong.io"},
		{"SenderName", c.SenderName, "Barong"},
		{"SMTPLogoLink", c.SMTPLogoLink, "https://storage.cloud.google.com/public_peatio/logo.png"},
		{"DefaultLanguage", c.DefaultLanguage, "en"},
		{"KYCAIDSandboxMode", c.KYCAIDSandboxMode, true},
		{"KYCAIDAPIEndpoint", c.KYCAIDAPIEndpoint, "https://api.kycaid.com/"},
		{"Auth0Domain", c.Auth0Domain, ""},
		{"StorageProvider", c.StorageProvider, "local"},
		{"StorageBucketName", c.StorageBucketName, "local"},
		{"StorageSignatureVersion", c.StorageSignatureVersion, "4"},
		{"StoragePathstyle", c.StoragePathstyle, false},
		{"UploadSizeMinRange", c.UploadSizeMinRange, 1},
		{"UploadSizeMaxRange", c.UploadSizeMaxRange, 10},
		{"UploadAuthURLExpiration", c.UploadAuthURLExpiration, time.Minute},
		{"UploadExtensionWhitelist", strings.Join(c.UploadExtensionWhitelist, ","), "jpg,jpeg,png,pdf"},
		{"PhoneVerification", c.PhoneVerification, "mock"},
		{"TwilioPhoneNumber", c.TwilioPhoneNumber, "+15005550000"},
		{"SMSContentTemplate", c.SMSContentTemplate, "Your verification code for Barong: {{code}}"},
		{"JWTIssuer", c.JWTIssuer, ""},
		{"JWTAudience", len(c.JWTAudience), 0},
		{"LoginThrottleEnabled", c.LoginThrottleEnabled, true},
		{"LoginThrottleMaxAttempts", c.LoginThrottleMaxAttempts, 5},
		{"LoginThrottleIPMaxAttempts", c.LoginThrottleIPMaxAttempts, 20},
		{"LoginThrottleAccountMaxAttempts", c.LoginThrottleAccountMaxAttempts, 10},
		{"LoginThrottleWindow", c.LoginThrottleWindow, 15 * time.Minute},
		{"LoginThrottleDelay", c.LoginThrottleDelay, time.Second},
		{"MaxMindDBPath", c.MaxMindDBPath, ""},
		{"ConfigFile (built-in)", c.ConfigFile, ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	var proxies []string
	for _, p := range c.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	want := []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
	if !slices.Equal(proxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", proxies, want)
	}
	if c.SlogLevel().String() != "INFO" {
		t.Errorf("SlogLevel = %v", c.SlogLevel())
	}
}

func TestEveryOptionHasAValidDefault(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, o := range options {
		for _, n := range o.names {
			if seen[n] {
				t.Errorf("variable %s appears twice in the table", n)
			}
			seen[n] = true
		}
		l := &loader{getenv: env(nil)}
		if !l.parse(&o, o.names[0], o.def, o.field(&Config{})) {
			t.Errorf("default of %s does not parse: %v", o.names[0], l.problems)
		}
	}
}

func TestParserErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, value, want string
	}{
		{"BARONG_SESSION_EXPIRE_TIME", "abc", `BARONG_SESSION_EXPIRE_TIME: "abc" is not an integer`},
		{"BARONG_DOC_NUM_LIMIT", "-1", `BARONG_DOC_NUM_LIMIT: "-1" is not an integer`},
		{"BARONG_DOC_NUM_LIMIT", "99999999999999999999999", `BARONG_DOC_NUM_LIMIT: "99999999999999999999999" is out of range`},
		{"BARONG_CAPTCHA", "foo", `BARONG_CAPTCHA: "foo" is not one of none, recaptcha, geetest`},
		{"BARONG_CSRF_PROTECTION", "yes", `BARONG_CSRF_PROTECTION: "yes" is not true or false`},
		{"BARONG_AUTO_MIGRATE", "TRUE", `BARONG_AUTO_MIGRATE: "TRUE" is not true or false`},
		{"BARONG_UID_PREFIX", "A_", `BARONG_UID_PREFIX: "A_" does not match ^[A-Za-z]{2,6}$`},
		{"BARONG_UID_PREFIX", "AB[", `BARONG_UID_PREFIX: "AB[" does not match ^[A-Za-z]{2,6}$`},
		{"BARONG_KYC_PROVIDER", "onfido", `BARONG_KYC_PROVIDER: "onfido" is not one of local, kycaid`},
		{"BARONG_GEOIP_LANG", "it", `BARONG_GEOIP_LANG: "it" is not one of en, de, es, fr, ja, ru`},
		{"BARONG_GATEWAY", "nginx", `BARONG_GATEWAY: "nginx" is not one of cloudflare, akamai`},
		{"BARONG_LOG_FORMAT", "xml", `BARONG_LOG_FORMAT: "xml" is not one of text, json`},
		{"LOG_LEVEL", "loud", `LOG_LEVEL: "loud" is not one of debug, info, warn, error, fatal`},
		{"BARONG_PHONE_VERIFICATION", "sms", `BARONG_PHONE_VERIFICATION: "sms" is not one of mock, twilio_sms, twilio_verify`},
		{"BARONG_STORAGE_PROVIDER", "ftp", `BARONG_STORAGE_PROVIDER: "ftp" is not one of local, google, aws, alicloud`},
		{"BARONG_HTTP_ADDR", "8000", `BARONG_HTTP_ADDR: "8000" is not a host:port address`},
		{"BARONG_GRPC_ADDR", "localhost:http", `BARONG_GRPC_ADDR: "localhost:http" is not a host:port address`},
		{"PORT", "eighty", `PORT: "eighty" is not a port number`},
		{"BARONG_TRUSTED_PROXIES", "10.0.0.0/8, nope", `BARONG_TRUSTED_PROXIES: "nope" is not an IP address or CIDR network`},
		{"BARONG_API_CORS_ORIGINS", "https://*.example.com", `BARONG_API_CORS_ORIGINS: "https://*.example.com" is not an origin (* or http(s)://host[:port])`},
		{"BARONG_SMTP_URL", "smtp://u:p%zz@h", `BARONG_SMTP_URL: value is not a valid URL: invalid %-escape`},
		{"BARONG_API_CORS_ORIGINS", "https://a.example, a.example", `BARONG_API_CORS_ORIGINS: "a.example" is not an origin (* or http(s)://host[:port])`},
		{"BARONG_DATABASE_URL", "ftp://h/db", `BARONG_DATABASE_URL: "ftp://h/db" has scheme "ftp", not one of sqlite, postgres, postgresql, mysql`},
		{"BARONG_DATABASE_URL", "sqlite:", `BARONG_DATABASE_URL: "sqlite:" has no database file (sqlite:PATH)`},
		{"BARONG_REDIS_URL", "http://localhost", `BARONG_REDIS_URL: "http://localhost" has scheme "http", not one of redis, rediss, unix`},
		{"EVENT_API_RABBITMQ_URL", "amqp://", `EVENT_API_RABBITMQ_URL: "amqp://" has no host`},
		{"BARONG_SMTP_URL", "mailto:x@y", `BARONG_SMTP_URL: "mailto:x@y" has scheme "mailto", not one of smtp, smtps`},
		{"BARONG_VAULT_ADDRESS", "localhost:8200", `BARONG_VAULT_ADDRESS: "localhost:8200" has scheme "localhost", not one of http, https`},
		{"BARONG_SESSION_EXPIRE_TIME", "0", `BARONG_SESSION_EXPIRE_TIME: must be greater than 0`},
		{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS", "0", `BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS: must be greater than 0`},
		{"BARONG_LOGIN_THROTTLE_WINDOW", "15m", `BARONG_LOGIN_THROTTLE_WINDOW: "15m" is not an integer`},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			got := problems(t, map[string]string{tc.name: tc.value})
			if !slices.Equal(got, []string{tc.want}) {
				t.Errorf("problems = %q\nwant       %q", got, tc.want)
			}
		})
	}
}

func TestSeveralErrorsAreReportedTogether(t *testing.T) {
	t.Parallel()
	got := problems(t, map[string]string{
		"BARONG_SESSION_EXPIRE_TIME": "abc",
		"BARONG_CAPTCHA":             "foo",
		"BARONG_CSRF_PROTECTION":     "1",
		"BARONG_DATABASE_URL":        "oracle://db",
		"BARONG_CONFIG":              "/does/not/exist.yml",
	})
	if len(got) != 5 {
		t.Fatalf("got %d problems, want 5:\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, name := range []string{"BARONG_SESSION_EXPIRE_TIME", "BARONG_CAPTCHA", "BARONG_CSRF_PROTECTION",
		"BARONG_DATABASE_URL", "BARONG_CONFIG /does/not/exist.yml"} {
		if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, name+":") }) {
			t.Errorf("no problem names %s in:\n%s", name, strings.Join(got, "\n"))
		}
	}
}

func TestEmptyVariableMeansUnset(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, map[string]string{"BARONG_SESSION_EXPIRE_TIME": "", "BARONG_DATABASE_URL": "", "PORT": ""})
	if c.SessionExpireTime != 30*time.Minute || c.DatabaseURL != "sqlite:var/barong.db" || c.HTTPAddr != ":8000" {
		t.Errorf("empty variables did not select defaults: %v %q %q", c.SessionExpireTime, c.DatabaseURL, c.HTTPAddr)
	}
}

func TestValuesAreParsed(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, map[string]string{
		"BARONG_SESSION_EXPIRE_TIME":        " 60 ",
		"BARONG_APIKEY_NONCE_LIFETIME":      "250",
		"BARONG_UPLOAD_AUTH_URL_EXPIRATION": "5",
		"BARONG_UPLOAD_EXTENSION_WHITELIST": " JPG ,  png,, gif ",
		"BARONG_STORAGE_PROVIDER":           "AWS",
		"LOG_LEVEL":                         "WARN",
		"BARONG_API_CORS_ORIGINS":           "https://a.example, http://localhost:3000",
		"BARONG_API_CORS_MAX_AGE":           "ten minutes",
		"BARONG_TRUSTED_PROXIES":            "10.1.2.3, 2001:db8::/32, 192.168.1.77/24",
		"BARONG_JWT_VERIFY_KEY_PATHS":       "var/old.pem, var/older.pem",
		"JWT_AUDIENCE":                      "peatio, barong",
		"BARONG_UID_PREFIX":                 "Abcdef",
		"BARONG_CRC32_SALT":                 " salt with spaces ",
	})
	if c := mustLoad(t, map[string]string{"LOG_LEVEL": "fatal"}); c.LogLevel != "error" {
		t.Errorf("LOG_LEVEL=fatal gives %q", c.LogLevel)
	}
	if c.SessionExpireTime != time.Minute || c.APIKeyNonceLifetime != 250*time.Millisecond ||
		c.UploadAuthURLExpiration != 5*time.Minute {
		t.Errorf("durations: %v %v %v", c.SessionExpireTime, c.APIKeyNonceLifetime, c.UploadAuthURLExpiration)
	}
	if !slices.Equal(c.UploadExtensionWhitelist, []string{"jpg", "png", "gif"}) {
		t.Errorf("UploadExtensionWhitelist = %q", c.UploadExtensionWhitelist)
	}
	if c.StorageProvider != "aws" || c.LogLevel != "warn" || c.SlogLevel().String() != "WARN" {
		t.Errorf("folded enums: %q %q", c.StorageProvider, c.LogLevel)
	}
	if c.CORSMaxAge != 3600 || len(c.CORSOrigins) != 2 {
		t.Errorf("CORS: %d %q", c.CORSMaxAge, c.CORSOrigins)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("10.1.2.3/32"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("192.168.1.0/24")}
	if !slices.Equal(c.TrustedProxies, wantProxies) {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}
	if !slices.Equal(c.JWTVerifyKeyPaths, []string{"var/old.pem", "var/older.pem"}) ||
		!slices.Equal(c.JWTAudience, []string{"peatio", "barong"}) {
		t.Errorf("lists: %q %q", c.JWTVerifyKeyPaths, c.JWTAudience)
	}
	if c.UIDPrefix != "Abcdef" || c.CRC32Salt != " salt with spaces " {
		t.Errorf("strings: %q %q", c.UIDPrefix, c.CRC32Salt)
	}
}

func TestCrossChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"BARONG_ADMIN_EMAIL": "a@b.c"},
			[]string{"BARONG_ADMIN_PASSWORD: required when BARONG_ADMIN_EMAIL is set"}},
		{map[string]string{"BARONG_ADMIN_PASSWORD": "x"},
			[]string{"BARONG_ADMIN_EMAIL: required when BARONG_ADMIN_PASSWORD is set"}},
		{map[string]string{"BARONG_CAPTCHA": "recaptcha", "BARONG_RECAPTCHA_SITE_KEY": "site"},
			[]string{"BARONG_RECAPTCHA_SECRET_KEY: required when BARONG_CAPTCHA=recaptcha"}},
		{map[string]string{"BARONG_CAPTCHA": "geetest"}, []string{
			"BARONG_GEETEST_ID: required when BARONG_CAPTCHA=geetest",
			"BARONG_GEETEST_KEY: required when BARONG_CAPTCHA=geetest"}},
		{map[string]string{"BARONG_PHONE_VERIFICATION": "twilio_verify", "BARONG_TWILIO_ACCOUNT_SID": "AC1"},
			[]string{"BARONG_TWILIO_AUTH_TOKEN: required when BARONG_PHONE_VERIFICATION=twilio_verify"}},
		{map[string]string{"BARONG_KYC_PROVIDER": "kycaid"}, []string{
			"BARONG_KYCAID_AUTHORIZATION_TOKEN: required when BARONG_KYC_PROVIDER=kycaid",
			`BARONG_DOMAIN: "openware.com" must be an http(s) URL when BARONG_KYC_PROVIDER=kycaid`}},
		{map[string]string{"BARONG_UPLOAD_SIZE_MIN_RANGE": "20000000", "BARONG_UPLOAD_SIZE_MAX_RANGE": "1"},
			[]string{"BARONG_UPLOAD_SIZE_MIN_RANGE: 20000000 is above BARONG_UPLOAD_SIZE_MAX_RANGE"}},
	}
	for _, tc := range cases {
		if got := problems(t, tc.env); !slices.Equal(got, tc.want) {
			t.Errorf("env %v:\n got %q\nwant %q", tc.env, got, tc.want)
		}
	}
	mustLoad(t, map[string]string{"BARONG_PHONE_VERIFICATION": "twilio_sms", "BARONG_TWILIO_ACCOUNT_SID": "AC1",
		"BARONG_TWILIO_AUTH_TOKEN": "t", "BARONG_KYC_PROVIDER": "kycaid",
		"BARONG_KYCAID_AUTHORIZATION_TOKEN": "k", "BARONG_DOMAIN": "https://example.com",
		"BARONG_LOGIN_THROTTLE_ENABLED": "false", "BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "0"})
}

// BARONG_BCRYPT_WORKERS: 0 (one per CPU) by default, a count otherwise,
// and barong check knows it.
func TestBcryptWorkers(t *testing.T) {
	t.Parallel()
	if c := mustLoad(t, nil); c.BcryptWorkers != 0 {
		t.Errorf("default BcryptWorkers = %d, want 0", c.BcryptWorkers)
	}
	if c := mustLoad(t, map[string]string{"BARONG_BCRYPT_WORKERS": "3"}); c.BcryptWorkers != 3 {
		t.Errorf("BcryptWorkers = %d, want 3", c.BcryptWorkers)
	}
	want := `BARONG_BCRYPT_WORKERS: "-1" is not an integer`
	if got := problems(t, map[string]string{"BARONG_BCRYPT_WORKERS": "-1"}); !slices.Equal(got, []string{want}) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	_, warnings, err := Check([]string{"BARONG_BCRYPT_WORKERS=2"})
	if err != nil || len(warnings) != 0 {
		t.Errorf("Check: %v, warnings %q", err, warnings)
	}
}
