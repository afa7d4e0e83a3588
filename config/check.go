package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// fallbackVariables are read only when the setting they stand in for is
// unset (Barong's split forms of the URLs); with fileVariables and the
// options' names they are every variable Load can read.
var fallbackVariables = []string{"PORT",
	"DATABASE_ADAPTER", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_USER", "DATABASE_PASS", "DATABASE_NAME",
	"BARONG_EVENT_API_RABBITMQ_HOST", "BARONG_EVENT_API_RABBITMQ_PORT", "BARONG_EVENT_API_RABBITMQ_USERNAME",
	"BARONG_EVENT_API_RABBITMQ_PASSWORD",
	"BARONG_SMTP_HOST", "BARONG_SMTP_PORT", "BARONG_SMTP_USER", "BARONG_SMTP_PASSWORD"}

// Variables lists every variable the configuration can read, sorted.
func Variables() []string {
	var out []string
	for _, o := range options {
		out = append(out, o.names...)
	}
	for _, f := range []yamlFile{appFile, authzRulesFile, seedsFile, managementFile, abilitiesFile} {
		out = append(out, f.env)
	}
	out = append(out, fallbackVariables...)
	sort.Strings(out)
	return slices.Compact(out)
}

// commandOnly are variables one command reads itself, outside the
// configuration: no warning when they are set.
var commandOnly = map[string]bool{
	"BARONG_IMPORT_FROM": true, // barong import's source URL (instead of --from)
}

// ignored are settings barong-go reads for compatibility but never uses,
// with what to do instead. (BARONG_VAULT_* and SECRET_KEY_BASE are used:
// by barong import, and Vault by the 2FA of users imported from Barong.)
var ignored = map[string]string{
	"BARONG_REDIS_CLUSTER":  "Redis cluster mode is not supported; BARONG_REDIS_URL names one server",
	"BARONG_REDIS_PASSWORD": "put the password in BARONG_REDIS_URL (redis://:password@host:6379/0)",
	"JWT_ISSUER":            "bearer tokens are verified with barong's own key and claims",
	"JWT_AUDIENCE":          "bearer tokens are verified with barong's own key and claims",
	"JWT_DEFAULT_LEEWAY":    "bearer tokens are verified with barong's own key and claims",
	"JWT_ISSUED_AT_LEEWAY":  "bearer tokens are verified with barong's own key and claims",
	"JWT_EXPIRATION_LEEWAY": "bearer tokens are verified with barong's own key and claims",
	"JWT_NOT_BEFORE_LEEWAY": "bearer tokens are verified with barong's own key and claims",
}

// inert are settings that have no effect under the rest of the
// configuration: the variables (or prefixes ending in _) and when.
var inert = []struct {
	names  []string
	unused func(c *Config) bool
	why    string
}{
	{[]string{"BARONG_KYCAID_"}, func(c *Config) bool { return c.KYCProvider != "kycaid" }, "BARONG_KYC_PROVIDER is not kycaid"},
	{[]string{"BARONG_RECAPTCHA_"}, func(c *Config) bool { return c.Captcha != "recaptcha" }, "BARONG_CAPTCHA is not recaptcha"},
	{[]string{"BARONG_GEETEST_"}, func(c *Config) bool { return c.Captcha != "geetest" }, "BARONG_CAPTCHA is not geetest"},
	{[]string{"BARONG_TWILIO_", "BARONG_SMS_CONTENT_TEMPLATE"}, func(c *Config) bool { return c.PhoneVerification == "mock" },
		"BARONG_PHONE_VERIFICATION is mock"},
	{[]string{"BARONG_STORAGE_BUCKET_NAME", "BARONG_STORAGE_ACCESS_KEY", "BARONG_STORAGE_SECRET_KEY", "BARONG_STORAGE_ENDPOINT",
		"BARONG_STORAGE_REGION", "BARONG_STORAGE_PATHSTYLE", "BARONG_STORAGE_SIGNATURE_VERSION"},
		func(c *Config) bool { return c.StorageProvider == "local" }, "BARONG_STORAGE_PROVIDER is local"},
	{[]string{"BARONG_STORAGE_LOCAL_DIR"}, func(c *Config) bool { return c.StorageProvider != "local" },
		"BARONG_STORAGE_PROVIDER is not local"},
	{[]string{"BARONG_REDIS_PREFIX"}, func(c *Config) bool { return c.RedisURL == "" }, "BARONG_REDIS_URL is not set"},
	{[]string{"BARONG_AUTH0_CLIENT_ID", "BARONG_AUTH0_JWKS_URL"}, func(c *Config) bool { return c.Auth0Domain == "" },
		"BARONG_AUTH0_DOMAIN is not set"},
	{[]string{"BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS", "BARONG_LOGIN_THROTTLE_IP_MAX_ATTEMPTS", "BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS",
		"BARONG_LOGIN_THROTTLE_WINDOW", "BARONG_LOGIN_THROTTLE_DELAY"},
		func(c *Config) bool { return !c.LoginThrottleEnabled }, "BARONG_LOGIN_THROTTLE_ENABLED is false"},
	{[]string{"BARONG_VAULT_ADDRESS"}, func(c *Config) bool { return c.VaultToken == "" }, "BARONG_VAULT_TOKEN is not set"},
}

// Check loads the configuration from environ (os.Environ's KEY=value
// form) as Load does and also returns warnings about variables: a
// BARONG_* name that nothing reads (a typo such as BARONG_LOG_LEVEL for
// LOG_LEVEL), and a variable that is set but has no effect (shadowed by
// the one that wins, ignored by barong-go, or inert under the rest of the
// configuration).
func Check(environ []string) (*Config, []string, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	read := map[string]bool{}
	cfg, err := Load(func(k string) (string, bool) {
		read[k] = true
		v, ok := env[k]
		return v, ok
	})
	known := map[string]bool{}
	for _, n := range Variables() {
		known[n] = true
	}
	var warnings []string
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case env[k] == "", commandOnly[k]:
		case !known[k] && read[k]:
			// referenced from a YAML file: in use
		case !known[k]:
			if strings.HasPrefix(k, "BARONG_") && !strings.HasPrefix(k, "BARONG_TEST_") {
				warnings = append(warnings, k+": unknown variable, not read by barong"+suggest(k))
			}
		case ignored[k] != "":
			warnings = append(warnings, k+": set but unused: "+ignored[k])
		case !read[k]:
			warnings = append(warnings, k+": set but unused: "+shadowedBy(k, env))
		case cfg != nil:
			for _, in := range inert {
				if matches(in.names, k) && in.unused(cfg) {
					warnings = append(warnings, k+": set but unused: "+in.why)
				}
			}
		}
	}
	return cfg, warnings, err
}

func matches(names []string, k string) bool {
	for _, n := range names {
		if n == k || strings.HasSuffix(n, "_") && strings.HasPrefix(k, n) {
			return true
		}
	}
	return false
}

// shadowedBy explains why a known variable that is set was not read.
func shadowedBy(k string, env map[string]string) string {
	for _, o := range options {
		if i := slices.Index(o.names, k); i > 0 {
			return o.names[0] + " is set and wins"
		}
	}
	switch {
	case k == "PORT":
		return "BARONG_HTTP_ADDR is set and wins"
	case strings.HasPrefix(k, "DATABASE_"):
		if env["BARONG_DATABASE_URL"] != "" {
			return "BARONG_DATABASE_URL is set and wins"
		}
		return "DATABASE_HOST is not set"
	case strings.HasPrefix(k, "BARONG_EVENT_API_RABBITMQ_"):
		return "EVENT_API_RABBITMQ_URL is set and wins"
	case strings.HasPrefix(k, "BARONG_SMTP_"):
		if env["BARONG_SMTP_URL"] != "" {
			return "BARONG_SMTP_URL is set and wins"
		}
		return "BARONG_SMTP_HOST is not set"
	}
	return "not read"
}

// suggest names the known variable k most likely meant: the same name
// with or without the BARONG_ prefix, else the closest by edit distance.
func suggest(k string) string {
	vars := Variables()
	if bare := strings.TrimPrefix(k, "BARONG_"); slices.Contains(vars, bare) {
		return fmt.Sprintf(" (did you mean %s?)", bare)
	}
	best, dist := "", 4
	for _, v := range vars {
		if d := editDistance(k, v); d < dist {
			best, dist = v, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
