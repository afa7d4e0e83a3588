package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/barong-go/barong/barongimport"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/redisstore"
	"github.com/barong-go/barong/vault"
)

// ledgerKeyPurpose derives the key of the import ledger's digests from the
// encryption key.
const ledgerKeyPurpose = "barong-go import ledger"

// Import is `barong import` into cfg's database. It opens the database
// with its migrations applied and settles the encryption key under the
// rules of a start, since the import encrypts Barong's secrets and
// personal data with it: on a target that holds nothing yet a missing key
// file is generated and written (logged with its path); over existing data
// it must exist and be the recorded key. The JWT key is left alone: an
// import never generates one, and the first start on the imported
// database asks for Barong's. A dry run checks the key and writes nothing,
// not even a new key file. The users, service accounts and API keys it
// updates or deletes reach the caches of running servers through their
// feed of changes: Redis with BARONG_REDIS_URL set (which must answer),
// else the database's cache_changes table.
//
// opts carries From and the command's flags; Target, DigestKey (derived
// from the encryption key), SecretKeyBase, VaultAppName and, with
// BARONG_VAULT_TOKEN set and opts.Vault nil, Vault come from cfg.
func Import(ctx context.Context, cfg *config.Config, log *slog.Logger, opts barongimport.Options) (*barongimport.Report, error) {
	key, isNew, err := readEncryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, cfg, key, log)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	w, err := readWritten(ctx, db)
	if err != nil {
		return nil, err
	}
	if isNew {
		if err := w.refuseMissing("BARONG_ENCRYPTION_KEY_PATH", cfg.EncryptionKeyPath, fingerprintEncryption); err != nil {
			return nil, err
		}
	}
	if err := settleEncryptionKey(ctx, db, cfg, key, isNew, w, opts.DryRun, log); err != nil {
		return nil, err
	}
	if isNew && opts.DryRun {
		log.Info("dry run: no encryption key file yet; the import will generate it", "path", describePath(cfg.EncryptionKeyPath))
	}
	if cfg.RedisURL != "" && !opts.DryRun {
		// The servers of a deployment with Redis follow the changes on its
		// feed, not the database's: the users, service accounts and API
		// keys the import updates or deletes are reported there, so that
		// a delta import into the database of running servers is in force
		// on all of them when each batch returns.
		rc, err := redisstore.Open(ctx, cfg.RedisURL, log)
		if err != nil {
			return nil, fmt.Errorf("BARONG_REDIS_URL: %w", err)
		}
		defer rc.Close()
		rc.Principals(cfg.RedisPrefix, 0).Wrap(db)
	}
	opts.Target, opts.DigestKey = db, deriveKey(key, ledgerKeyPurpose)
	opts.SecretKeyBase, opts.VaultAppName = cfg.SecretKeyBase, cfg.VaultAppName
	if opts.Log == nil {
		opts.Log = log
	}
	if opts.Vault == nil && cfg.VaultToken != "" {
		if opts.Vault, err = vault.New(cfg.VaultAddress, cfg.VaultToken); err != nil {
			return nil, fmt.Errorf("BARONG_VAULT_ADDRESS: %w", err)
		}
	}
	rep, err := barongimport.Run(ctx, opts)
	if err == nil && !opts.DryRun {
		if _, kerr := LoadSigningKey(cfg); kerr != nil {
			log.Warn("barong serve needs Barong's JWT key to start on this database: set JWT_PRIVATE_KEY as Barong had it "+
				"(base64 of the PEM) or JWT_PRIVATE_KEY_PATH to its PEM file", "error", kerr)
		}
	}
	return rep, err
}
