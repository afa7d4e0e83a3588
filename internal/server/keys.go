package server

import (
	"context"
	"crypto"
	"crypto/hmac"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/token"
)

// The keys barong-go's data depends on: the JWT key (tokens, events, and
// the public key every upstream verifies with) and the encryption key
// (secrets and personal data at rest). They are never generated over a
// database that holds anything written with a key: ReadKeys reads the
// files, SettleKeys compares them with the fingerprints the database
// recorded and writes a key file only on a database that holds nothing.

// Names of the fingerprints in the key_fingerprints table.
const (
	fingerprintJWT        = "jwt_signing_key"
	fingerprintEncryption = "encryption_key"
)

// Keys are the keys read from their files (the JWT key also from
// JWT_PRIVATE_KEY). A key whose file does not exist is generated in memory
// and marked new: SettleKeys decides whether it may be written.
type Keys struct {
	JWT *token.Key
	// Verify are the public keys of BARONG_JWT_VERIFY_KEY_PATHS (tokens of
	// a rotated key).
	Verify     []crypto.PublicKey
	Encryption []byte

	jwtNew, encNew bool
	// jwtVar and jwtWhere name the JWT key in messages: its variable, and
	// its file (or JWT_PRIVATE_KEY when no file is used).
	jwtVar, jwtWhere string
}

// ReadKeys reads the JWT key (LoadSigningKey), BARONG_JWT_VERIFY_KEY_PATHS
// and BARONG_ENCRYPTION_KEY_PATH. A file that exists but does not parse is
// an error naming its variable. With JWT_PRIVATE_KEY set the JWT key is
// never new: it is the operator's.
func ReadKeys(cfg *config.Config) (*Keys, error) {
	k := newKeys(cfg)
	var err error
	if k.JWT, k.jwtNew, err = readJWTKey(cfg); err != nil {
		return nil, err
	}
	if k.jwtNew {
		if k.JWT, err = token.GenerateRSA(token.DefaultKeyBits); err != nil {
			return nil, fmt.Errorf("JWT_PRIVATE_KEY_PATH: %w", err)
		}
	}
	for _, p := range cfg.JWTVerifyKeyPaths {
		pub, err := loadPublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("BARONG_JWT_VERIFY_KEY_PATHS %s: %w", p, err)
		}
		k.Verify = append(k.Verify, pub)
	}
	if k.Encryption, k.encNew, err = readEncryptionKey(cfg); err != nil {
		return nil, err
	}
	return k, nil
}

// newKeys is Keys of cfg with no key read yet: the JWT key's names.
func newKeys(cfg *config.Config) *Keys {
	k := &Keys{jwtVar: "JWT_PRIVATE_KEY_PATH", jwtWhere: describePath(cfg.JWTPrivateKeyPath)}
	if cfg.JWTPrivateKey != "" && cfg.JWTPrivateKeyPath == "" {
		k.jwtVar, k.jwtWhere = "JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY"
	}
	return k
}

// readJWTKey reads the JWT key (LoadSigningKey); missing reports a key
// file that does not exist while JWT_PRIVATE_KEY is unset (key nil): one
// a start may generate, on a database that holds nothing.
func readJWTKey(cfg *config.Config) (key *token.Key, missing bool, err error) {
	key, err = LoadSigningKey(cfg)
	if errors.Is(err, fs.ErrNotExist) && cfg.JWTPrivateKey == "" {
		return nil, true, nil
	}
	return key, false, err
}

// readEncryptionKey reads BARONG_ENCRYPTION_KEY_PATH, or generates a key
// in memory (isNew) when the file does not exist.
func readEncryptionKey(cfg *config.Config) (key []byte, isNew bool, err error) {
	if key, isNew, err = loadEncryptionKey(cfg); isNew {
		key, err = crypt.GenerateKey()
	}
	if err != nil {
		return nil, false, fmt.Errorf("BARONG_ENCRYPTION_KEY_PATH: %w", err)
	}
	return key, isNew, nil
}

// loadEncryptionKey reads BARONG_ENCRYPTION_KEY_PATH and never generates:
// missing reports a file that does not exist (key nil, err nil).
func loadEncryptionKey(cfg *config.Config) (key []byte, missing bool, err error) {
	key, err = crypt.LoadKey(cfg.EncryptionKeyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, nil
	}
	return key, false, err
}

// LoadSigningKey reads the JWT key and never generates one: from
// JWT_PRIVATE_KEY (base64 of the PEM, as Barong's deployments pass it)
// and/or the file at JWT_PRIVATE_KEY_PATH; with both set they must hold
// the same key. With JWT_PRIVATE_KEY alone no file is read. A missing file
// is an error wrapping fs.ErrNotExist; errors name the variable and never
// quote the key.
func LoadSigningKey(cfg *config.Config) (*token.Key, error) {
	var env *token.Key
	if cfg.JWTPrivateKey != "" {
		k, err := token.ParsePrivateKeyBase64(cfg.JWTPrivateKey)
		if err != nil {
			return nil, fmt.Errorf("JWT_PRIVATE_KEY: %w", err)
		}
		if cfg.JWTPrivateKeyPath == "" {
			return k, nil
		}
		env = k
	}
	k, err := token.LoadKey(cfg.JWTPrivateKeyPath)
	if err != nil {
		return nil, fmt.Errorf("JWT_PRIVATE_KEY_PATH: %w", err)
	}
	if env != nil {
		if pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(env.Public()) {
			return nil, fmt.Errorf("JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_PATH (%s) hold different keys: set only one", cfg.JWTPrivateKeyPath)
		}
	}
	return k, nil
}

// Keyring is the signing key with the verification-only keys.
func (k *Keys) Keyring() (*token.Keyring, error) {
	ring, err := token.NewKeyring(k.JWT, k.Verify...)
	if err != nil {
		return nil, fmt.Errorf("JWT keys: %w", err)
	}
	return ring, nil
}

// written is what a database holds that keys wrote.
type written struct {
	fps    map[string]string
	sample string // an encrypted value, "" when none
	// holds describes the data for messages; empty on a database that
	// holds nothing (where keys may be generated).
	holds []string
	// imported: rows were copied from Barong (barong import).
	imported bool
}

func readWritten(ctx context.Context, db *sqlstore.DB) (*written, error) {
	fps, err := db.KeyFingerprints(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (is the database migrated? barong migrate)", err)
	}
	w := &written{fps: fps}
	if w.sample, err = db.EncryptedSample(ctx); err != nil {
		return nil, err
	}
	users, err := db.CountUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("count users: %w", err)
	}
	if w.imported, err = db.ImportedFromBarong(ctx); err != nil {
		return nil, err
	}
	if users > 0 {
		w.holds = append(w.holds, fmt.Sprintf("%d user(s)", users))
	}
	if w.sample != "" {
		w.holds = append(w.holds, "encrypted data")
	}
	if w.imported {
		w.holds = append(w.holds, "rows imported from Barong")
	}
	if len(fps) > 0 {
		w.holds = append(w.holds, "its keys' fingerprints")
	}
	return w, nil
}

// refuseMissing refuses a key whose file is missing (variable, path) on a
// database that holds data; nil on an empty one. name is the key's
// fingerprint name.
func (w *written) refuseMissing(variable, path, name string) error {
	if len(w.holds) == 0 {
		return nil
	}
	what := map[string]string{fingerprintJWT: "JWT key", fingerprintEncryption: "encryption key"}[name]
	rec := ""
	if fp := w.fps[name]; fp != "" {
		rec = " (" + short(fp) + ")"
	}
	if name == fingerprintJWT && w.imported {
		// An imported database: every service verifies tokens with
		// Barong's public key, so barong-go must sign with Barong's key.
		return fmt.Errorf("%s: %s does not exist, but the database holds %s: barong-go never generates a key over existing data; "+
			"bring Barong's JWT key%s: JWT_PRIVATE_KEY as Barong had it (base64 of the PEM), or its PEM file at JWT_PRIVATE_KEY_PATH",
			variable, describePath(path), strings.Join(w.holds, " and "), rec)
	}
	return fmt.Errorf("%s: %s does not exist, but the database already holds %s: barong-go never generates a key "+
		"over existing data; restore the %s this database was written with%s or point %s at it",
		variable, describePath(path), strings.Join(w.holds, " and "), what, rec, variable)
}

// SettleKeys holds the keys against db (migrated). On a database that
// holds no user, no encrypted value, no row imported from Barong and no
// fingerprint, missing key files are written and logged with their paths.
// Otherwise a missing key file is refused, naming it (on an imported
// database the JWT key asked for is Barong's), and so is a key other than
// the one whose fingerprint the database recorded (SHA-256 of the JWT
// public key; a keyed check value of the encryption key), except a JWT
// key rotated with the old key listed in BARONG_JWT_VERIFY_KEY_PATHS.
// Fingerprints missing from a database written before they were recorded
// are recorded now (the JWT key of JWT_PRIVATE_KEY included).
func SettleKeys(ctx context.Context, db *sqlstore.DB, cfg *config.Config, k *Keys, log *slog.Logger) error {
	w, err := readWritten(ctx, db)
	if err != nil {
		return err
	}
	if err := w.refuseMissingKeys(cfg, k); err != nil {
		return err
	}
	if err := settleEncryptionKey(ctx, db, cfg, k.Encryption, k.encNew, w, false, log); err != nil {
		return err
	}
	return settleJWTKey(ctx, db, cfg, k, w.fps[fingerprintJWT], log)
}

// refuseMissingKeys refuses k's missing key files (encryption key first)
// on a database that holds data.
func (w *written) refuseMissingKeys(cfg *config.Config, k *Keys) error {
	if k.encNew {
		if err := w.refuseMissing("BARONG_ENCRYPTION_KEY_PATH", cfg.EncryptionKeyPath, fingerprintEncryption); err != nil {
			return err
		}
	}
	if k.jwtNew {
		return w.refuseMissing("JWT_PRIVATE_KEY_PATH", cfg.JWTPrivateKeyPath, fingerprintJWT)
	}
	return nil
}

// VerifyKeys is SettleKeys without a change (barong check --connect):
// what a start would decide about k on db, recording and writing nothing.
// k holds the keys read (ReadKeys' reading without its generation: a
// missing key is nil and marked new). nil: a start goes on, writing a
// missing key file only on a database that holds nothing. A JWT key
// rotated with the recorded key in BARONG_JWT_VERIFY_KEY_PATHS passes.
func VerifyKeys(ctx context.Context, db *sqlstore.DB, cfg *config.Config, k *Keys) error {
	w, err := readWritten(ctx, db)
	if err != nil {
		return err
	}
	if err := w.refuseMissingKeys(cfg, k); err != nil {
		return err
	}
	if !k.encNew {
		if err := settleEncryptionKey(ctx, db, cfg, k.Encryption, false, w, true, nil); err != nil {
			return err
		}
	}
	if !k.jwtNew {
		if _, _, err := k.jwtAgainst(w.fps[fingerprintJWT]); err != nil {
			return err
		}
	}
	return nil
}

// settleEncryptionKey checks key against the recorded check value, or
// against the data when none is recorded, and records it (writing its
// file when isNew). A dry run checks and records nothing.
func settleEncryptionKey(ctx context.Context, db *sqlstore.DB, cfg *config.Config, key []byte, isNew bool, w *written,
	dryRun bool, log *slog.Logger) error {
	const variable = "BARONG_ENCRYPTION_KEY_PATH"
	check := crypt.CheckValue(key)
	if recorded := w.fps[fingerprintEncryption]; recorded != "" {
		if !hmac.Equal([]byte(recorded), []byte(check)) {
			return fmt.Errorf("%s: the key in %s is not the key this database was written with (check value %s, recorded %s); "+
				"restore the right key file", variable, describePath(cfg.EncryptionKeyPath), short(check), short(recorded))
		}
		return nil
	}
	if crypt.Sealed(w.sample) {
		c, err := crypt.New(key)
		if err != nil {
			return fmt.Errorf("%s: %w", variable, err)
		}
		if _, err := c.Decrypt(w.sample); err != nil {
			return fmt.Errorf("%s: the key in %s does not decrypt the data in the database (%v); restore the key file it was written with",
				variable, describePath(cfg.EncryptionKeyPath), err)
		}
	}
	if dryRun {
		return nil
	}
	return recordKey(ctx, db, variable, describePath(cfg.EncryptionKeyPath), fingerprintEncryption, check, isNew, "encryption key", log,
		func() error { return crypt.WriteKeyFile(cfg.EncryptionKeyPath, key) },
		func() (string, error) {
			key, err := crypt.LoadKey(cfg.EncryptionKeyPath)
			if err != nil {
				return "", err
			}
			return crypt.CheckValue(key), nil
		})
}

// jwtAgainst compares k's JWT key with the recorded fingerprint: its own
// fingerprint, and rotated when the recorded key is among the
// verification keys (a rotation); another key is an error naming it.
func (k *Keys) jwtAgainst(recorded string) (fp string, rotated bool, err error) {
	fp, err = token.PublicKeyFingerprint(k.JWT.Public())
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", k.jwtVar, err)
	}
	if recorded == "" || recorded == fp {
		return fp, false, nil
	}
	for _, pub := range k.Verify {
		if old, err := token.PublicKeyFingerprint(pub); err == nil && old == recorded {
			return fp, true, nil
		}
	}
	return "", false, fmt.Errorf("%s: the key in %s (%s) is not the key this database was written with (%s); restore that key, "+
		"or, to rotate keys, list the old key in BARONG_JWT_VERIFY_KEY_PATHS",
		k.jwtVar, k.jwtWhere, short(fp), short(recorded))
}

func settleJWTKey(ctx context.Context, db *sqlstore.DB, cfg *config.Config, k *Keys, recorded string, log *slog.Logger) error {
	fp, rotated, err := k.jwtAgainst(recorded)
	if err != nil {
		return err
	}
	if rotated {
		if _, err := db.ReplaceKeyFingerprint(ctx, fingerprintJWT, recorded, fp); err != nil {
			return err
		}
		log.Warn("JWT signing key rotated: the previous key stays valid for verification while listed in BARONG_JWT_VERIFY_KEY_PATHS",
			"path", k.jwtWhere, "fingerprint", fp, "previous", recorded)
		return nil
	}
	if recorded == fp {
		return nil
	}
	return recordKey(ctx, db, k.jwtVar, k.jwtWhere, fingerprintJWT, fp, k.jwtNew, "JWT key", log,
		func() error { return token.CreateKeyFile(cfg.JWTPrivateKeyPath, k.JWT) },
		func() (string, error) {
			key, err := token.LoadKey(cfg.JWTPrivateKeyPath)
			if err != nil {
				return "", err
			}
			return token.PublicKeyFingerprint(key.Public())
		})
}

// recordKey records fp under name (first writer wins across processes)
// and, for a new key, then writes its file (first writer wins on the
// machine). Either race lost to another key is refused. where names the
// key's file (described) for messages.
func recordKey(ctx context.Context, db *sqlstore.DB, variable, where, name, fp string, isNew bool, what string, log *slog.Logger,
	write func() error, fileFingerprint func() (string, error)) error {
	stored, err := db.RecordKeyFingerprint(ctx, name, fp)
	if err != nil {
		return err
	}
	if stored != fp {
		return fmt.Errorf("%s: another process recorded another %s (%s) in the database while this one started with %s (%s); "+
			"give every process the same key", variable, what, short(stored), where, short(fp))
	}
	if !isNew {
		return nil
	}
	if err := write(); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", variable, err)
		}
		// Another process on this machine wrote it first: it must be ours.
		if got, err := fileFingerprint(); err != nil || got != fp {
			return fmt.Errorf("%s: %s appeared while this process started and holds another key; start again", variable, where)
		}
		return nil
	}
	log.Warn("generated a new "+what+" (the database holds no data yet); keep this file: barong refuses to start against this database without it",
		"path", where, "fingerprint", fp)
	return nil
}

// describePath names a key file: the path as configured, and where it
// resolves when relative (a start from another directory shows).
func describePath(p string) string {
	if abs, err := filepath.Abs(p); err == nil && abs != p {
		return p + " (" + abs + ")"
	}
	return p
}

// short abbreviates a fingerprint for messages.
func short(fp string) string {
	if i := strings.IndexByte(fp, ':'); i >= 0 && len(fp) > i+17 {
		return fp[:i+17] + "…"
	}
	return fp
}

// loadPublicKey reads a PEM public key, or the public half of a private key.
func loadPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if pub, err := token.ParsePublicKeyPEM(b); err == nil {
		return pub, nil
	}
	k, err := token.ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	return k.Public(), nil
}
