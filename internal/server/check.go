package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/barong-go/barong/amqp"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/geoip"
	"github.com/barong-go/barong/kycaid"
	"github.com/barong-go/barong/password"
	"github.com/barong-go/barong/redisstore"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/token"
)

// Finding is one result of Check: Level "ok", "warning" or "error", and
// what it is about.
type Finding struct {
	Level, Subject, Message string
}

// checkTimeout bounds each reachability check.
const checkTimeout = 5 * time.Second

// Check validates what config.Load cannot: key files, the password
// policy, the captcha, phone, storage and KYC providers, the GeoIP
// database; with connect it also reaches the database (and tells whether
// migrations are pending), Redis, RabbitMQ and the SMTP server. It changes
// nothing: missing keys are reported, not generated, and a missing SQLite
// file is not created.
func Check(ctx context.Context, cfg *config.Config, connect bool) []Finding {
	var out []Finding
	add := func(level, subject, format string, args ...any) {
		out = append(out, Finding{level, subject, fmt.Sprintf(format, args...)})
	}
	check := func(subject string, err error, ok string) {
		if err != nil {
			add("error", subject, "%v", err)
		} else if ok != "" {
			add("ok", subject, "%s", ok)
		}
	}
	quiet := slog.New(slog.DiscardHandler)

	if k, err := token.LoadKey(cfg.JWTPrivateKeyPath); errors.Is(err, fs.ErrNotExist) {
		add("warning", "JWT_PRIVATE_KEY_PATH "+cfg.JWTPrivateKeyPath, "missing: a new RSA key is generated at the first start")
	} else if err != nil {
		add("error", "JWT_PRIVATE_KEY_PATH "+cfg.JWTPrivateKeyPath, "%v", err)
	} else {
		add("ok", "JWT_PRIVATE_KEY_PATH "+cfg.JWTPrivateKeyPath, "%s key", k.Algorithm())
		permissions(add, "JWT_PRIVATE_KEY_PATH "+cfg.JWTPrivateKeyPath, cfg.JWTPrivateKeyPath)
	}
	for _, p := range cfg.JWTVerifyKeyPaths {
		_, err := loadPublicKey(p)
		check("BARONG_JWT_VERIFY_KEY_PATHS "+p, err, "verification key")
	}
	encKey, err := crypt.LoadKey(cfg.EncryptionKeyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		add("warning", "BARONG_ENCRYPTION_KEY_PATH "+cfg.EncryptionKeyPath,
			"missing: a new key is generated at the first start (data encrypted with another key cannot be read)")
	case err != nil:
		add("error", "BARONG_ENCRYPTION_KEY_PATH "+cfg.EncryptionKeyPath, "%v", err)
	default:
		add("ok", "BARONG_ENCRYPTION_KEY_PATH "+cfg.EncryptionKeyPath, "32-byte key")
		permissions(add, "BARONG_ENCRYPTION_KEY_PATH "+cfg.EncryptionKeyPath, cfg.EncryptionKeyPath)
	}
	_, err = password.NewPolicy(cfg.PasswordRegexp, cfg.PasswordMinEntropy, cfg.PasswordUseDictionary)
	check("BARONG_PASSWORD_REGEXP", err, "")
	_, err = captchaVerifier(cfg, quiet)
	check("BARONG_CAPTCHA", err, "")
	_, err = phoneProvider(cfg, quiet)
	check("BARONG_PHONE_VERIFICATION", err, "")
	_, err = fileStorage(cfg, []byte("check"), quiet)
	check("BARONG_STORAGE_PROVIDER", err, "")
	if cfg.KYCProvider == "kycaid" {
		_, err := kycaid.New(cfg.KYCAIDAPIEndpoint, cfg.KYCAIDAuthorizationToken, cfg.KYCAIDSandboxMode, nil)
		check("BARONG_KYCAID_API_ENDPOINT", err, "")
	}
	if cfg.MaxMindDBPath != "" {
		_, err := geoip.Open(cfg.MaxMindDBPath, cfg.GeoIPLang, quiet)
		check("BARONG_MAXMINDDB_PATH "+cfg.MaxMindDBPath, err, "GeoIP database")
	}
	if !connect {
		return out
	}

	out = append(out, checkDatabase(ctx, cfg, encKey, quiet)...)
	if cfg.RedisURL != "" {
		c, err := redisstore.Open(ctx, cfg.RedisURL, quiet)
		if err == nil {
			c.Close()
		}
		check("BARONG_REDIS_URL", err, "reachable")
	}
	if cfg.RabbitMQURL != "" {
		p := amqp.New(cfg.RabbitMQURL, quiet)
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err := p.Ping(cctx)
		cancel()
		_ = p.Close()
		check("EVENT_API_RABBITMQ_URL", err, "reachable")
	}
	if cfg.SMTPURL != "" {
		u, err := url.Parse(cfg.SMTPURL)
		if err == nil {
			var c net.Conn
			if c, err = (&net.Dialer{Timeout: checkTimeout}).DialContext(ctx, "tcp", u.Host); err == nil {
				c.Close()
			}
		}
		check("BARONG_SMTP_URL", err, "reachable")
	}
	return out
}

// checkDatabase opens the database (not a missing SQLite file) and tells
// whether migrations are pending.
func checkDatabase(ctx context.Context, cfg *config.Config, encKey []byte, log *slog.Logger) []Finding {
	const subject = "BARONG_DATABASE_URL"
	if path, ok := strings.CutPrefix(cfg.DatabaseURL, "sqlite:"); ok && path != ":memory:" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return []Finding{{"warning", subject, "SQLite file " + path + " does not exist yet: created at the first start"}}
		}
	}
	if encKey == nil { // missing: any key opens the pools
		encKey = make([]byte, crypt.KeySize)
		_, _ = rand.Read(encKey)
	}
	cipher, err := crypt.New(encKey)
	if err != nil {
		return []Finding{{"error", subject, err.Error()}}
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.Options{Cipher: cipher, Logger: log})
	if err != nil {
		return []Finding{{"error", subject, err.Error()}}
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		return []Finding{{"error", subject, err.Error()}}
	}
	pending, err := db.Pending(ctx)
	switch {
	case err != nil:
		return []Finding{{"error", subject, err.Error()}}
	case pending && cfg.AutoMigrate:
		return []Finding{{"ok", subject, db.Dialect() + " reachable; pending migrations are applied at the next start"}}
	case pending:
		return []Finding{{"warning", subject, db.Dialect() + " reachable; migrations pending and BARONG_AUTO_MIGRATE=false: run barong migrate"}}
	}
	return []Finding{{"ok", subject, db.Dialect() + " reachable, migrations applied"}}
}

// permissions warns about a key file others may read.
func permissions(add func(level, subject, format string, args ...any), subject, path string) {
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		add("warning", subject, "readable by group or others (mode %04o): chmod 600", st.Mode().Perm())
	}
}
