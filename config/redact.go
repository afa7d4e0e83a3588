package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Setting is one line of the configuration summary.
type Setting struct {
	Name  string // variable name (Barong's)
	Value string // value as it would be written; secrets are "[redacted]"
}

// redactedMark replaces a non-empty secret.
const redactedMark = "[redacted]"

// Redacted summarises the configuration for the start-up log, in table
// order: every variable with its effective value, secrets replaced by
// "[redacted]" and passwords in URLs by "xxxxx", then the YAML files.
func (c Config) Redacted() []Setting {
	out := make([]Setting, 0, len(options)+5)
	for i := range options {
		o := &options[i]
		out = append(out, Setting{Name: o.names[0], Value: summaryValue(o, o.field(&c))})
	}
	file := func(name, path, summary string) Setting {
		if path == "" {
			path = "(built-in)"
		}
		return Setting{Name: name, Value: path + " " + summary}
	}
	seeds := "(none)"
	if c.Seeds != nil {
		seeds = fmt.Sprintf("(%d levels, %d permissions, %d restrictions, %d users)",
			len(c.Seeds.Levels), len(c.Seeds.Permissions), len(c.Seeds.Restrictions), len(c.Seeds.Users))
	}
	return append(out,
		file(appFile.env, c.ConfigFile, fmt.Sprintf("(%d document types, %d captcha endpoints)",
			len(c.App.DocumentTypes), len(c.App.CaptchaProtectedEndpoints))),
		file(authzRulesFile.env, c.AuthzRulesFile, fmt.Sprintf("(%d pass, %d block)",
			len(c.AuthzRules.Pass), len(c.AuthzRules.Block))),
		file(seedsFile.env, c.SeedsFile, seeds),
		file(managementFile.env, c.ManagementAPIFile, fmt.Sprintf("(%d keys, %d scopes)",
			len(c.ManagementAPI.Keychain), len(c.ManagementAPI.Scopes))),
		file(abilitiesFile.env, c.AbilitiesFile, fmt.Sprintf("(%d roles)", len(c.Abilities))),
	)
}

// LogValue logs the configuration as Redacted does, so that a logged
// Config never shows a secret.
func (c Config) LogValue() slog.Value {
	settings := c.Redacted()
	attrs := make([]slog.Attr, len(settings))
	for i, s := range settings {
		attrs[i] = slog.String(s.Name, s.Value)
	}
	return slog.GroupValue(attrs...)
}

// summaryValue renders a field back in its variable's notation.
func summaryValue(o *option, field any) string {
	var v string
	switch p := field.(type) {
	case *string:
		v = *p
	case *int:
		v = strconv.Itoa(*p)
	case *bool:
		v = strconv.FormatBool(*p)
	case *time.Duration:
		v = strconv.FormatInt(int64(*p/o.unit), 10)
	case *[]string:
		v = strings.Join(*p, ",")
	case *[]netip.Prefix:
		parts := make([]string, len(*p))
		for i, n := range *p {
			parts[i] = n.String()
		}
		v = strings.Join(parts, ",")
	}
	switch {
	case v == "":
		return ""
	case o.secret:
		return redactedMark
	case o.url:
		if r, ok := redactURL(v); ok {
			return r
		}
		return redactedMark
	}
	return v
}

// groupValue logs the options whose field lies in group, a pointer to one
// of c's embedded groups.
func groupValue(c *Config, group any) slog.Value {
	g := reflect.ValueOf(group).Elem()
	inGroup := make(map[uintptr]bool, g.NumField())
	for i := range g.NumField() {
		inGroup[g.Field(i).Addr().Pointer()] = true
	}
	var attrs []slog.Attr
	for i := range options {
		o := &options[i]
		if f := o.field(c); inGroup[reflect.ValueOf(f).Pointer()] {
			attrs = append(attrs, slog.String(o.names[0], summaryValue(o, f)))
		}
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g ServerConfig) LogValue() slog.Value {
	c := &Config{ServerConfig: g}
	return groupValue(c, &c.ServerConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g BackendConfig) LogValue() slog.Value {
	c := &Config{BackendConfig: g}
	return groupValue(c, &c.BackendConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g KeyConfig) LogValue() slog.Value {
	c := &Config{KeyConfig: g}
	return groupValue(c, &c.KeyConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g GeneralConfig) LogValue() slog.Value {
	c := &Config{GeneralConfig: g}
	return groupValue(c, &c.GeneralConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g PasswordConfig) LogValue() slog.Value {
	c := &Config{PasswordConfig: g}
	return groupValue(c, &c.PasswordConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g CaptchaConfig) LogValue() slog.Value {
	c := &Config{CaptchaConfig: g}
	return groupValue(c, &c.CaptchaConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g VaultConfig) LogValue() slog.Value {
	c := &Config{VaultConfig: g}
	return groupValue(c, &c.VaultConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g CORSConfig) LogValue() slog.Value {
	c := &Config{CORSConfig: g}
	return groupValue(c, &c.CORSConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g MailerConfig) LogValue() slog.Value {
	c := &Config{MailerConfig: g}
	return groupValue(c, &c.MailerConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g KYCConfig) LogValue() slog.Value {
	c := &Config{KYCConfig: g}
	return groupValue(c, &c.KYCConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g Auth0Config) LogValue() slog.Value {
	c := &Config{Auth0Config: g}
	return groupValue(c, &c.Auth0Config)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g StorageConfig) LogValue() slog.Value {
	c := &Config{StorageConfig: g}
	return groupValue(c, &c.StorageConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g PhoneConfig) LogValue() slog.Value {
	c := &Config{PhoneConfig: g}
	return groupValue(c, &c.PhoneConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g JWTVerifierConfig) LogValue() slog.Value {
	c := &Config{JWTVerifierConfig: g}
	return groupValue(c, &c.JWTVerifierConfig)
}

// LogValue implements slog.LogValuer with secrets redacted.
func (g LoginThrottleConfig) LogValue() slog.Value {
	c := &Config{LoginThrottleConfig: g}
	return groupValue(c, &c.LoginThrottleConfig)
}

// LogValue implements slog.LogValuer without the password.
func (u SeedUser) LogValue() slog.Value {
	pw := ""
	if u.Password != "" {
		pw = redactedMark
	}
	return slog.GroupValue(slog.String("email", u.Email), slog.String("password", pw),
		slog.String("role", u.Role), slog.String("state", u.State), slog.Int("level", u.Level),
		slog.String("uid", u.UID), slog.String("username", u.Username))
}
