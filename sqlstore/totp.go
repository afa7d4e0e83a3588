package sqlstore

import (
	"context"
	"fmt"

	"github.com/barong-go/barong"
)

// TOTPSecret returns a user's TOTP secret, decrypted; ErrNotFound when the
// user has none.
func (q queries) TOTPSecret(ctx context.Context, userID int64) (string, error) {
	var secret string
	err := q.r.queryRow(ctx, "SELECT secret_encrypted FROM otp_keys WHERE user_id = ?", userID).Scan(q.decrypted(&secret))
	if err != nil {
		return "", notFound(err, "totp secret of user %d", userID)
	}
	return secret, nil
}

// SetTOTPSecret creates or replaces a user's TOTP secret (encrypted) and
// resets the last used step. A key in Vault's TOTP engine that the user
// kept from Barong is forgotten: the user has re-enrolled.
func (q queries) SetTOTPSecret(ctx context.Context, userID int64, secret string) error {
	enc, err := q.encrypt(secret)
	if err != nil {
		return fmt.Errorf("set totp secret: %w", err)
	}
	now := q.now()
	if _, err := q.w.exec(ctx, `INSERT INTO otp_keys (user_id, secret_encrypted, last_step, created_at, updated_at)
		VALUES (?, ?, 0, ?, ?)`+q.w.d.upsert("user_id", "secret_encrypted", "last_step", "updated_at"),
		userID, enc, now, now); err != nil {
		return fmt.Errorf("set totp secret of user %d: %w", userID, err)
	}
	if _, err := q.w.exec(ctx, "DELETE FROM vault_totp_keys WHERE user_id = ?", userID); err != nil {
		return fmt.Errorf("set totp secret of user %d: %w", userID, err)
	}
	return nil
}

// VaultTOTPKey returns the name of the user's key in Vault's TOTP engine;
// ErrNotFound when the user has none.
func (q queries) VaultTOTPKey(ctx context.Context, userID int64) (string, error) {
	var name string
	if err := q.r.queryRow(ctx, "SELECT key_name FROM vault_totp_keys WHERE user_id = ?", userID).Scan(&name); err != nil {
		return "", notFound(err, "vault totp key of user %d", userID)
	}
	return name, nil
}

// CountVaultTOTPUsers counts the users with 2FA on whose codes are checked
// by Vault's TOTP engine (imported from Barong, not re-enrolled).
func (db *DB) CountVaultTOTPUsers(ctx context.Context) (int64, error) {
	n, err := count(ctx, db.r, `SELECT COUNT(*) FROM vault_totp_keys v JOIN users u ON u.id = v.user_id
		WHERE u.otp = ? AND NOT EXISTS (SELECT 1 FROM otp_keys o WHERE o.user_id = v.user_id)`, true)
	if err != nil {
		return 0, fmt.Errorf("count vault totp users: %w", err)
	}
	return n, nil
}

// UseTOTPStep records that the code of step was accepted. It reports false
// when that step or a later one was already used; the conditional UPDATE
// makes this atomic across processes. ErrNotFound when the user has no
// secret.
func (q queries) UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error) {
	ok, err := affected(q.w.exec(ctx, "UPDATE otp_keys SET last_step = ?, updated_at = ? WHERE user_id = ? AND last_step < ?",
		step, q.now(), userID, step))
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	if ok {
		return true, nil
	}
	has, err := exists(ctx, q.w, "SELECT 1 FROM otp_keys WHERE user_id = ?", userID)
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	if !has {
		return false, fmt.Errorf("totp secret of user %d: %w", userID, barong.ErrNotFound)
	}
	return false, nil
}

// ImportedFromBarong reports whether `barong import` has copied rows from
// a Barong database into this one.
func (db *DB) ImportedFromBarong(ctx context.Context) (bool, error) {
	ok, err := exists(ctx, db.r, "SELECT 1 FROM barong_import_rows LIMIT 1")
	if err != nil {
		return false, fmt.Errorf("imported from barong: %w", err)
	}
	return ok, nil
}
