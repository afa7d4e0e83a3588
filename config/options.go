package config

import (
	"regexp"
	"time"
)

// option is one environment setting: where its value comes from, its
// default and how it is parsed into its Config field. The kind of parsing
// follows the type of the field: string, int, bool, []string, time.Duration
// (an integer count of unit) or []netip.Prefix.
type option struct {
	// names are the variables read, first non-empty wins: Barong's name
	// first, then aliases.
	names []string
	// def is the default, written as the variable would be.
	def string
	// secret hides the value from messages and from the summary.
	secret bool
	// url hides the password of a URL value in messages and the summary.
	url bool
	// values, when set, lists the accepted values (of each element for lists).
	values []string
	// fold lower-cases the value before it is checked and stored.
	fold bool
	// unit is the unit of a time.Duration field.
	unit time.Duration
	// lenient makes an unparsable integer fall back to the default silently.
	lenient bool
	// pattern, when set, must match the whole value.
	pattern *regexp.Regexp
	// check validates a non-empty string value or list element.
	check func(string) error
	// fallback supplies a value when none of names is set (PORT,
	// DATABASE_*, …). It returns the label to name in messages; it reports
	// its own problems through the loader and then returns ok=false.
	fallback func(l *loader) (label, value string, ok bool)
	// field points at the Config field the value is stored in.
	field func(*Config) any
}

var uidPrefixPattern = regexp.MustCompile(`^[A-Za-z]{2,6}$`)

// defaultTrustedProxies are loopback and the private ranges.
const defaultTrustedProxies = "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7"

// defaultPasswordRegexp is Barong's BARONG_PASSWORD_REGEXP default.
const defaultPasswordRegexp = `^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$`

// options lists every environment setting, grouped as Config is.
var options = []option{
	// Server.
	{names: []string{"BARONG_HTTP_ADDR"}, def: ":8000", check: checkAddr, fallback: portFallback,
		field: func(c *Config) any { return &c.HTTPAddr }},
	{names: []string{"BARONG_GRPC_ADDR"}, check: checkAddr, field: func(c *Config) any { return &c.GRPCAddr }},
	{names: []string{"BARONG_TRUSTED_PROXIES"}, def: defaultTrustedProxies,
		field: func(c *Config) any { return &c.TrustedProxies }},
	{names: []string{"BARONG_GATEWAY"}, def: "cloudflare", values: []string{"cloudflare", "akamai"},
		field: func(c *Config) any { return &c.Gateway }},
	{names: []string{"BARONG_LOG_FORMAT"}, def: "text", values: []string{"text", "json"},
		field: func(c *Config) any { return &c.LogFormat }},
	// barong-go addition: one log line per HTTP request.
	{names: []string{"BARONG_ACCESS_LOG"}, def: "false", field: func(c *Config) any { return &c.AccessLog }},
	{names: []string{"LOG_LEVEL"}, def: "info", fold: true, values: []string{"debug", "info", "warn", "error", "fatal"},
		field: func(c *Config) any { return &c.LogLevel }},
	// barong-go addition: the threads that hash passwords (0: one per CPU).
	{names: []string{"BARONG_BCRYPT_WORKERS"}, def: "0", field: func(c *Config) any { return &c.BcryptWorkers }},

	// Backends.
	{names: []string{"BARONG_DATABASE_URL"}, def: "sqlite:var/barong.db", url: true, check: checkDatabaseURL,
		fallback: databaseFallback, field: func(c *Config) any { return &c.DatabaseURL }},
	{names: []string{"BARONG_REDIS_URL"}, url: true, check: checkRedisURL,
		field: func(c *Config) any { return &c.RedisURL }},
	// barong-go addition: namespace of every Redis key, so several
	// deployments can share one Redis.
	{names: []string{"BARONG_REDIS_PREFIX"}, def: "barong:", field: func(c *Config) any { return &c.RedisPrefix }},
	{names: []string{"BARONG_REDIS_CLUSTER"}, def: "false", field: func(c *Config) any { return &c.RedisCluster }},
	{names: []string{"BARONG_REDIS_PASSWORD"}, secret: true, field: func(c *Config) any { return &c.RedisPassword }},
	{names: []string{"EVENT_API_RABBITMQ_URL"}, url: true, check: checkAMQPURL, fallback: rabbitMQFallback,
		field: func(c *Config) any { return &c.RabbitMQURL }},
	{names: []string{"BARONG_EVENT_API_MASK_PII"}, def: "false", field: func(c *Config) any { return &c.EventAPIMaskPII }},
	{names: []string{"BARONG_AUTO_MIGRATE"}, def: "true", field: func(c *Config) any { return &c.AutoMigrate }},

	// Keys.
	{names: []string{"JWT_PRIVATE_KEY_PATH", "BARONG_JWT_PRIVATE_KEY_PATH"}, def: "var/jwt-key.pem",
		field: func(c *Config) any { return &c.JWTPrivateKeyPath }},
	// The same key as base64 of its PEM (URL-safe or standard), the form
	// Barong's deployments hand to Peatio and the other services; with
	// JWT_PRIVATE_KEY_PATH also set, both must hold the same key.
	{names: []string{"JWT_PRIVATE_KEY", "BARONG_JWT_PRIVATE_KEY"}, secret: true,
		field: func(c *Config) any { return &c.JWTPrivateKey }},
	{names: []string{"BARONG_JWT_VERIFY_KEY_PATHS"}, field: func(c *Config) any { return &c.JWTVerifyKeyPaths }},
	{names: []string{"BARONG_ENCRYPTION_KEY_PATH"}, def: "var/encryption.key",
		field: func(c *Config) any { return &c.EncryptionKeyPath }},
	{names: []string{"SECRET_KEY_BASE"}, secret: true, field: func(c *Config) any { return &c.SecretKeyBase }},

	// General (reference §2.2).
	{names: []string{"BARONG_APP_NAME"}, def: "Barong", field: func(c *Config) any { return &c.AppName }},
	{names: []string{"BARONG_DOMAIN"}, def: "openware.com", field: func(c *Config) any { return &c.Domain }},
	{names: []string{"BARONG_UID_PREFIX"}, def: "ID", pattern: uidPrefixPattern,
		field: func(c *Config) any { return &c.UIDPrefix }},
	{names: []string{"BARONG_SESSION_NAME"}, def: "_barong_session", field: func(c *Config) any { return &c.SessionName }},
	{names: []string{"BARONG_SESSION_EXPIRE_TIME"}, def: "1800", unit: time.Second,
		field: func(c *Config) any { return &c.SessionExpireTime }},
	{names: []string{"BARONG_REQUIRED_DOCS_EXPIRE"}, def: "true", field: func(c *Config) any { return &c.RequiredDocsExpire }},
	{names: []string{"BARONG_DOC_NUM_LIMIT"}, def: "10", field: func(c *Config) any { return &c.DocNumLimit }},
	{names: []string{"BARONG_GEOIP_LANG"}, def: "en", values: []string{"en", "de", "es", "fr", "ja", "ru"},
		field: func(c *Config) any { return &c.GeoIPLang }},
	{names: []string{"BARONG_CSRF_PROTECTION"}, def: "true", field: func(c *Config) any { return &c.CSRFProtection }},
	{names: []string{"BARONG_APIKEY_NONCE_LIFETIME"}, def: "5000", unit: time.Millisecond,
		field: func(c *Config) any { return &c.APIKeyNonceLifetime }},
	{names: []string{"BARONG_JWT_EXPIRE_TIME"}, def: "3600", unit: time.Second,
		field: func(c *Config) any { return &c.JWTExpireTime }},
	// barong-go addition: how long authz reuses a signed token for the same
	// claims (authz.DefaultTokenCache); 0 mints one per request, as Barong.
	{names: []string{"BARONG_AUTHZ_TOKEN_CACHE_SECONDS"}, def: "10", unit: time.Second,
		field: func(c *Config) any { return &c.AuthzTokenCache }},
	{names: []string{"BARONG_PROFILE_DOUBLE_VERIFICATION"}, def: "false",
		field: func(c *Config) any { return &c.ProfileDoubleVerification }},
	{names: []string{"BARONG_CRC32_SALT"}, secret: true, field: func(c *Config) any { return &c.CRC32Salt }},
	{names: []string{"BARONG_API_DATA_MASKING_ENABLED"}, def: "true",
		field: func(c *Config) any { return &c.APIDataMaskingEnabled }},
	{names: []string{"BARONG_FIRST_REGISTRATION_SUPERADMIN"}, def: "true",
		field: func(c *Config) any { return &c.FirstRegistrationSuperadmin }},
	{names: []string{"BARONG_MGN_API_KEYS_USER"}, def: "false", field: func(c *Config) any { return &c.MgnAPIKeysUser }},
	{names: []string{"BARONG_MGN_API_KEYS_SA"}, def: "false", field: func(c *Config) any { return &c.MgnAPIKeysSA }},
	{names: []string{"BARONG_ADMIN_EMAIL"}, field: func(c *Config) any { return &c.AdminEmail }},
	{names: []string{"BARONG_ADMIN_PASSWORD"}, secret: true, field: func(c *Config) any { return &c.AdminPassword }},

	// Password.
	{names: []string{"BARONG_PASSWORD_REGEXP"}, def: defaultPasswordRegexp,
		field: func(c *Config) any { return &c.PasswordRegexp }},
	{names: []string{"BARONG_PASSWORD_MIN_ENTROPY"}, def: "14", field: func(c *Config) any { return &c.PasswordMinEntropy }},
	{names: []string{"BARONG_PASSWORD_USE_DICTIONARY"}, def: "true",
		field: func(c *Config) any { return &c.PasswordUseDictionary }},

	// Captcha.
	{names: []string{"BARONG_CAPTCHA"}, def: "none", values: []string{"none", "recaptcha", "geetest"},
		field: func(c *Config) any { return &c.Captcha }},
	{names: []string{"BARONG_GEETEST_ID"}, secret: true, field: func(c *Config) any { return &c.GeetestID }},
	{names: []string{"BARONG_GEETEST_KEY"}, secret: true, field: func(c *Config) any { return &c.GeetestKey }},
	{names: []string{"BARONG_RECAPTCHA_SITE_KEY"}, field: func(c *Config) any { return &c.RecaptchaSiteKey }},
	// barong-go additions: the captcha providers' endpoints (defaults are
	// Google's and GeeTest's public APIs).
	{names: []string{"BARONG_RECAPTCHA_VERIFY_URL"}, field: func(c *Config) any { return &c.RecaptchaVerifyURL }},
	{names: []string{"BARONG_GEETEST_API_URL"}, field: func(c *Config) any { return &c.GeetestAPIURL }},
	{names: []string{"BARONG_RECAPTCHA_SECRET_KEY"}, secret: true,
		field: func(c *Config) any { return &c.RecaptchaSecretKey }},

	// Vault.
	{names: []string{"BARONG_VAULT_ADDRESS"}, def: "http://localhost:8200", check: checkHTTPURL,
		field: func(c *Config) any { return &c.VaultAddress }},
	{names: []string{"BARONG_VAULT_TOKEN"}, secret: true, field: func(c *Config) any { return &c.VaultToken }},
	{names: []string{"BARONG_VAULT_APP_NAME"}, def: "barong", field: func(c *Config) any { return &c.VaultAppName }},

	// CORS.
	{names: []string{"BARONG_API_CORS_ORIGINS"}, def: "*", check: checkOrigin,
		field: func(c *Config) any { return &c.CORSOrigins }},
	{names: []string{"BARONG_API_CORS_MAX_AGE"}, def: "3600", lenient: true,
		field: func(c *Config) any { return &c.CORSMaxAge }},
	{names: []string{"BARONG_API_CORS_ALLOW_CREDENTIALS"}, def: "false",
		field: func(c *Config) any { return &c.CORSAllowCredentials }},

	// Mailer.
	{names: []string{"BARONG_SMTP_URL"}, url: true, check: checkSMTPURL, fallback: smtpFallback,
		field: func(c *Config) any { return &c.SMTPURL }},
	{names: []string{"BARONG_SENDER_EMAIL"}, def: "noreply@barong.io", field: func(c *Config) any { return &c.SenderEmail }},
	{names: []string{"BARONG_SENDER_NAME"}, def: "Barong", field: func(c *Config) any { return &c.SenderName }},
	{names: []string{"BARONG_SMTP_LOGO_LINK"}, def: "https://storage.cloud.google.com/public_peatio/logo.png",
		field: func(c *Config) any { return &c.SMTPLogoLink }},
	{names: []string{"BARONG_DEFAULT_LANGUAGE"}, def: "en", field: func(c *Config) any { return &c.DefaultLanguage }},

	// KYC.
	{names: []string{"BARONG_KYC_PROVIDER"}, def: "local", values: []string{"local", "kycaid"},
		field: func(c *Config) any { return &c.KYCProvider }},
	{names: []string{"BARONG_KYCAID_AUTHORIZATION_TOKEN"}, secret: true,
		field: func(c *Config) any { return &c.KYCAIDAuthorizationToken }},
	{names: []string{"BARONG_KYCAID_SANDBOX_MODE"}, def: "true", field: func(c *Config) any { return &c.KYCAIDSandboxMode }},
	{names: []string{"BARONG_KYCAID_API_ENDPOINT"}, def: "https://api.kycaid.com/", check: checkHTTPURL,
		field: func(c *Config) any { return &c.KYCAIDAPIEndpoint }},
	{names: []string{"BARONG_KYCAID_FORM_ID"}, field: func(c *Config) any { return &c.KYCAIDFormID }},

	// Auth0.
	{names: []string{"BARONG_AUTH0_DOMAIN"}, field: func(c *Config) any { return &c.Auth0Domain }},
	{names: []string{"BARONG_AUTH0_CLIENT_ID"}, field: func(c *Config) any { return &c.Auth0ClientID }},
	// barong-go addition: where the Auth0 signing keys are fetched (default
	// https://<BARONG_AUTH0_DOMAIN>/.well-known/jwks.json).
	{names: []string{"BARONG_AUTH0_JWKS_URL"}, field: func(c *Config) any { return &c.Auth0JWKSURL }},

	// Storage.
	{names: []string{"BARONG_STORAGE_PROVIDER"}, def: "local", fold: true,
		values: []string{"local", "google", "aws", "alicloud"}, field: func(c *Config) any { return &c.StorageProvider }},
	{names: []string{"BARONG_STORAGE_BUCKET_NAME"}, def: "local", field: func(c *Config) any { return &c.StorageBucketName }},
	{names: []string{"BARONG_STORAGE_ACCESS_KEY"}, field: func(c *Config) any { return &c.StorageAccessKey }},
	{names: []string{"BARONG_STORAGE_SECRET_KEY"}, secret: true, field: func(c *Config) any { return &c.StorageSecretKey }},
	{names: []string{"BARONG_STORAGE_ENDPOINT"}, field: func(c *Config) any { return &c.StorageEndpoint }},
	{names: []string{"BARONG_STORAGE_SIGNATURE_VERSION"}, def: "4",
		field: func(c *Config) any { return &c.StorageSignatureVersion }},
	{names: []string{"BARONG_STORAGE_REGION"}, field: func(c *Config) any { return &c.StorageRegion }},
	{names: []string{"BARONG_STORAGE_PATHSTYLE"}, def: "false", field: func(c *Config) any { return &c.StoragePathstyle }},
	{names: []string{"BARONG_UPLOAD_SIZE_MIN_RANGE"}, def: "1", field: func(c *Config) any { return &c.UploadSizeMinRange }},
	{names: []string{"BARONG_UPLOAD_SIZE_MAX_RANGE"}, def: "10", field: func(c *Config) any { return &c.UploadSizeMaxRange }},
	{names: []string{"BARONG_UPLOAD_AUTH_URL_EXPIRATION"}, def: "1", unit: time.Minute,
		field: func(c *Config) any { return &c.UploadAuthURLExpiration }},
	{names: []string{"BARONG_UPLOAD_EXTENSION_WHITELIST"}, def: "jpg, jpeg, png, pdf", fold: true,
		field: func(c *Config) any { return &c.UploadExtensionWhitelist }},
	// barong-go addition: where the local provider keeps uploads.
	{names: []string{"BARONG_STORAGE_LOCAL_DIR"}, def: "var/uploads", field: func(c *Config) any { return &c.StorageLocalDir }},

	// Phone.
	{names: []string{"BARONG_PHONE_VERIFICATION"}, def: "mock", values: []string{"mock", "twilio_sms", "twilio_verify"},
		field: func(c *Config) any { return &c.PhoneVerification }},
	{names: []string{"BARONG_TWILIO_PHONE_NUMBER"}, def: "+15005550000",
		field: func(c *Config) any { return &c.TwilioPhoneNumber }},
	{names: []string{"BARONG_TWILIO_ACCOUNT_SID"}, field: func(c *Config) any { return &c.TwilioAccountSID }},
	{names: []string{"BARONG_TWILIO_AUTH_TOKEN"}, secret: true, field: func(c *Config) any { return &c.TwilioAuthToken }},
	{names: []string{"BARONG_TWILIO_SERVICE_SID"}, field: func(c *Config) any { return &c.TwilioServiceSID }},
	{names: []string{"BARONG_SMS_CONTENT_TEMPLATE"}, def: "Your verification code for Barong: {{code}}",
		field: func(c *Config) any { return &c.SMSContentTemplate }},
	// barong-go addition: the Twilio API base (default Twilio's own hosts).
	{names: []string{"BARONG_TWILIO_API_URL"}, check: checkHTTPURL, field: func(c *Config) any { return &c.TwilioAPIURL }},

	// Bearer-token verifier (reference §2.3).
	{names: []string{"JWT_ISSUER"}, field: func(c *Config) any { return &c.JWTIssuer }},
	{names: []string{"JWT_AUDIENCE"}, field: func(c *Config) any { return &c.JWTAudience }},
	{names: []string{"JWT_DEFAULT_LEEWAY"}, def: "0", unit: time.Second,
		field: func(c *Config) any { return &c.JWTDefaultLeeway }},
	{names: []string{"JWT_ISSUED_AT_LEEWAY"}, def: "0", unit: time.Second,
		field: func(c *Config) any { return &c.JWTIssuedAtLeeway }},
	{names: []string{"JWT_EXPIRATION_LEEWAY"}, def: "0", unit: time.Second,
		field: func(c *Config) any { return &c.JWTExpirationLeeway }},
	{names: []string{"JWT_NOT_BEFORE_LEEWAY"}, def: "0", unit: time.Second,
		field: func(c *Config) any { return &c.JWTNotBeforeLeeway }},

	// Passkeys (barong-go addition): extra origins of WebAuthn ceremonies.
	{names: []string{"BARONG_WEBAUTHN_ORIGINS"}, check: checkWebAuthnOrigin,
		field: func(c *Config) any { return &c.WebAuthnOrigins }},

	// Login throttle (barong-go addition).
	{names: []string{"BARONG_LOGIN_THROTTLE_ENABLED"}, def: "true",
		field: func(c *Config) any { return &c.LoginThrottleEnabled }},
	{names: []string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS"}, def: "5",
		field: func(c *Config) any { return &c.LoginThrottleMaxAttempts }},
	{names: []string{"BARONG_LOGIN_THROTTLE_IP_MAX_ATTEMPTS"}, def: "20",
		field: func(c *Config) any { return &c.LoginThrottleIPMaxAttempts }},
	{names: []string{"BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS"}, def: "10",
		field: func(c *Config) any { return &c.LoginThrottleAccountMaxAttempts }},
	{names: []string{"BARONG_LOGIN_THROTTLE_WINDOW"}, def: "900", unit: time.Second,
		field: func(c *Config) any { return &c.LoginThrottleWindow }},
	{names: []string{"BARONG_LOGIN_THROTTLE_DELAY"}, def: "1", unit: time.Second,
		field: func(c *Config) any { return &c.LoginThrottleDelay }},

	// Files.
	{names: []string{"BARONG_MAXMINDDB_PATH"}, field: func(c *Config) any { return &c.MaxMindDBPath }},
}
