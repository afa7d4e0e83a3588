package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/barong-go/barong"
)

// Key fingerprints (table key_fingerprints): which JWT key and encryption
// key the database was written with, so that a start with another key is
// refused (internal/server/keys.go). Fingerprints name keys; they never
// hold one.

// KeyFingerprints returns the recorded fingerprints by name.
func (db *DB) KeyFingerprints(ctx context.Context) (map[string]string, error) {
	type row struct{ name, fp string }
	rows, err := list(ctx, db.r, func(s scanner) (row, error) {
		var r row
		return r, s.Scan(&r.name, &r.fp)
	}, `SELECT name, fingerprint FROM key_fingerprints`)
	if err != nil {
		return nil, fmt.Errorf("read key fingerprints: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.name] = r.fp
	}
	return out, nil
}

// RecordKeyFingerprint stores fp under name unless a fingerprint is
// recorded there, atomically across processes, and returns the one
// recorded (fp when it stored it).
func (db *DB) RecordKeyFingerprint(ctx context.Context, name, fp string) (string, error) {
	now := db.clock()
	_, err := db.w.exec(ctx, `INSERT INTO key_fingerprints (name, fingerprint, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		name, fp, now, now)
	if err != nil && !errors.Is(err, barong.ErrDuplicate) {
		return "", fmt.Errorf("record key fingerprint %s: %w", name, err)
	}
	var stored string
	if err := db.w.queryRow(ctx, `SELECT fingerprint FROM key_fingerprints WHERE name = ?`, name).Scan(&stored); err != nil {
		return "", fmt.Errorf("read key fingerprint %s: %w", name, err)
	}
	return stored, nil
}

// ReplaceKeyFingerprint changes the fingerprint under name from old to fp
// (a key rotation) and reports whether old was still the one recorded.
func (db *DB) ReplaceKeyFingerprint(ctx context.Context, name, old, fp string) (bool, error) {
	res, err := db.w.exec(ctx, `UPDATE key_fingerprints SET fingerprint = ?, updated_at = ? WHERE name = ? AND fingerprint = ?`,
		fp, db.clock(), name, old)
	ok, err := affected(res, err)
	if err != nil {
		return false, fmt.Errorf("replace key fingerprint %s: %w", name, err)
	}
	return ok, nil
}

// encryptedColumns are the columns the Cipher writes. The tables of
// `barong import` hold no ciphertext: vault_totp_keys names keys in
// Vault (no secret), and barong_import_rows holds digests keyed with a key
// derived from the encryption key (nothing to decrypt, nothing to guess).
var encryptedColumns = []struct{ table, column string }{
	{"otp_keys", "secret_encrypted"},
	{"apikeys", "secret_encrypted"},
	{"phones", "number_encrypted"},
	{"profiles", "first_name_encrypted"},
	{"profiles", "last_name_encrypted"},
	{"profiles", "dob_encrypted"},
	{"profiles", "address_encrypted"},
	{"documents", "doc_number_encrypted"},
	{"webauthn_credentials", "record_encrypted"},
}

// EncryptedSample returns one value written by the Cipher, as stored, or
// "" when the database holds none: whether, and with which key, the
// database holds encrypted data.
func (db *DB) EncryptedSample(ctx context.Context) (string, error) {
	for _, c := range encryptedColumns {
		var v string
		err := db.r.queryRow(ctx, `SELECT `+c.column+` FROM `+c.table+` WHERE `+c.column+` IS NOT NULL AND `+
			c.column+` <> '' LIMIT 1`).Scan(&v)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("look for encrypted data in %s: %w", c.table, err)
		}
	}
	return "", nil
}

// Setup tokens (table setup_tokens): SHA-256 hashes of the one-time tokens
// that let a sign-up claim the first superadmin (app/identity_setup.go).

// CreateSetupToken stores the hash of a setup token valid until expires.
func (q queries) CreateSetupToken(ctx context.Context, hash string, expires time.Time) error {
	if _, err := q.w.exec(ctx, `INSERT INTO setup_tokens (token_hash, expires_at, created_at) VALUES (?, ?, ?)`,
		hash, expires, q.now()); err != nil {
		return fmt.Errorf("create setup token: %w", err)
	}
	return nil
}

// SetupTokenHashes lists the hashes of the unexpired setup tokens.
func (q queries) SetupTokenHashes(ctx context.Context) ([]string, error) {
	hs, err := list(ctx, q.r, func(s scanner) (string, error) {
		var h string
		return h, s.Scan(&h)
	}, `SELECT token_hash FROM setup_tokens WHERE expires_at > ? ORDER BY created_at`, q.now())
	if err != nil {
		return nil, fmt.Errorf("list setup tokens: %w", err)
	}
	return hs, nil
}

// ConsumeSetupToken deletes the unexpired token with hash and, when it
// did, every other one; it reports whether it did. Of concurrent
// consumers of one token exactly one succeeds (the DELETE waits for the
// other's row lock and then finds no row).
func (q queries) ConsumeSetupToken(ctx context.Context, hash string) (bool, error) {
	res, err := q.w.exec(ctx, `DELETE FROM setup_tokens WHERE token_hash = ? AND expires_at > ?`, hash, q.now())
	ok, err := affected(res, err)
	if err != nil {
		return false, fmt.Errorf("consume setup token: %w", err)
	}
	if !ok {
		return false, nil
	}
	if _, err := q.w.exec(ctx, `DELETE FROM setup_tokens`); err != nil {
		return false, fmt.Errorf("delete setup tokens: %w", err)
	}
	return true, nil
}
