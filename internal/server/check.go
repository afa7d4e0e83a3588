package server

import (
	"context"
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
	"github.com/barong-go/barong/geoip"
	"github.com/barong-go/barong/kycaid"
	"github.com/barong-go/barong/password"
	"github.com/barong-go/barong/redisstore"
	"github.com/barong-go/barong/vault"
)

// Finding is one result of Check: Level "ok", "warning" or "error", and
// what it is about.
type Finding struct {
	Level, Subject, Message string
}

// checkTimeout bounds each reachability check.
const checkTimeout = 5 * time.Second

// Check validates what config.Load cannot: the keys (JWT_PRIVATE_KEY or
// its file, verification keys, the encryption key), the password policy,
// the captcha, phone, storage and KYC providers, the GeoIP database; with
// connect it also reaches the database (and tells whether migrations are
// pending and whether a start would accept the keys on it), Redis,
// RabbitMQ, Vault and the SMTP server. It changes nothing: missing keys
// are reported, never generated nor recorded, and a missing SQLite file is
// not created.
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

	// The keys, read as a start reads them (ReadKeys) but never generated:
	// whether a missing one may be generated depends on the database
	// (checked with --connect, as SettleKeys would decide).
	k := newKeys(cfg)
	keysRead := true
	jwtSubject := k.jwtVar
	if cfg.JWTPrivateKeyPath != "" {
		jwtSubject += " " + cfg.JWTPrivateKeyPath
	}
	var err error
	switch k.JWT, k.jwtNew, err = readJWTKey(cfg); {
	case err != nil:
		keysRead = false
		add("error", jwtSubject, "%s", strings.TrimPrefix(err.Error(), k.jwtVar+": "))
	case k.jwtNew:
		add("warning", jwtSubject, "missing: %s", missingKey)
	default:
		add("ok", jwtSubject, "%s key", k.JWT.Algorithm())
		if cfg.JWTPrivateKeyPath != "" {
			permissions(add, jwtSubject, cfg.JWTPrivateKeyPath)
		}
	}
	for _, p := range cfg.JWTVerifyKeyPaths {
		pub, err := loadPublicKey(p)
		check("BARONG_JWT_VERIFY_KEY_PATHS "+p, err, "verification key")
		if err != nil {
			keysRead = false
		}
		k.Verify = append(k.Verify, pub)
	}
	encSubject := "BARONG_ENCRYPTION_KEY_PATH " + cfg.EncryptionKeyPath
	switch k.Encryption, k.encNew, err = loadEncryptionKey(cfg); {
	case err != nil:
		keysRead = false
		add("error", encSubject, "%v", err)
	case k.encNew:
		add("warning", encSubject, "missing: %s", missingKey)
	default:
		add("ok", encSubject, "32-byte key")
		permissions(add, encSubject, cfg.EncryptionKeyPath)
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

	out = append(out, checkDatabase(ctx, cfg, k, keysRead, quiet)...)
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
	if cfg.VaultToken != "" {
		c, err := vault.New(cfg.VaultAddress, cfg.VaultToken)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			err = c.LookupSelf(cctx)
			cancel()
		}
		// Not an error: a start goes on without Vault (only the 2FA of
		// users imported from Barong needs it, and barong import).
		if err != nil {
			add("warning", "BARONG_VAULT_ADDRESS", "%v", err)
		} else {
			add("ok", "BARONG_VAULT_ADDRESS", "reachable, BARONG_VAULT_TOKEN accepted")
		}
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

// missingKey tells what a start does about a missing key file.
const missingKey = "a start generates it only on a database that holds nothing yet and refuses over existing data " +
	"(barong check --connect tells which)"

// checkDatabase opens the database (not a missing SQLite file), tells
// whether migrations are pending and, once migrated, whether a start
// would accept the keys k (VerifyKeys; keysRead: every key file parsed).
func checkDatabase(ctx context.Context, cfg *config.Config, k *Keys, keysRead bool, log *slog.Logger) []Finding {
	const subject = "BARONG_DATABASE_URL"
	if path, ok := strings.CutPrefix(cfg.DatabaseURL, "sqlite:"); ok && path != ":memory:" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return []Finding{{"warning", subject, "SQLite file " + path + " does not exist yet: created at the first start"}}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	db, err := openDB(ctx, cfg, k.Encryption, log) // no cipher without a key: nothing is decrypted here
	if err != nil {
		return []Finding{{"error", subject, err.Error()}}
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		return []Finding{{"error", subject, err.Error()}}
	}
	pending, err := db.Pending(ctx)
	var out []Finding
	switch {
	case err != nil:
		return []Finding{{"error", subject, err.Error()}}
	case pending && cfg.AutoMigrate:
		out = append(out, Finding{"ok", subject, db.Dialect() + " reachable; pending migrations are applied at the next start"})
	case pending:
		out = append(out, Finding{"warning", subject, db.Dialect() + " reachable; migrations pending and BARONG_AUTO_MIGRATE=false: run barong migrate"})
	default:
		out = append(out, Finding{"ok", subject, db.Dialect() + " reachable, migrations applied"})
	}
	switch {
	case !keysRead: // reported above
	case pending:
		if k.jwtNew || k.encNew {
			out = append(out, Finding{"warning", "keys", "key files missing and the database not migrated yet: " +
				"a start generates them only if it holds nothing"})
		}
	default:
		if err := VerifyKeys(ctx, db, cfg, k); err != nil {
			out = append(out, Finding{"error", "keys", err.Error()})
		} else if k.jwtNew || k.encNew {
			out = append(out, Finding{"ok", "keys", "the database holds nothing yet: the first start generates the missing key files"})
		} else {
			out = append(out, Finding{"ok", "keys", "a start accepts them on this database"})
		}
	}
	return out
}

// permissions warns about a key file others may read.
func permissions(add func(level, subject, format string, args ...any), subject, path string) {
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		add("warning", subject, "readable by group or others (mode %04o): chmod 600", st.Mode().Perm())
	}
}
