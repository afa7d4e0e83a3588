package sqlstore

import (
	"context"
	"fmt"

	"github.com/barong-go/barong"
)

const webAuthnCols = `id, user_id, credential_id, user_handle, name, record_encrypted, sign_count, last_used_at,
	created_at, updated_at`

func (q queries) scanWebAuthn(s scanner) (barong.WebAuthnCredential, error) {
	var c barong.WebAuthnCredential
	var count int64
	err := s.Scan(&c.ID, &c.UserID, &c.CredentialID, &c.UserHandle, &c.Name, q.decrypted(&c.Record), &count,
		nullTime{&c.LastUsedAt}, timestamp{&c.CreatedAt}, timestamp{&c.UpdatedAt})
	c.SignCount = uint32(count)
	return c, err
}

// WebAuthnCredentialsByUser lists a user's passkeys by id, records decrypted.
func (q queries) WebAuthnCredentialsByUser(ctx context.Context, userID int64) ([]barong.WebAuthnCredential, error) {
	cs, err := list(ctx, q.r, q.scanWebAuthn, "SELECT "+webAuthnCols+" FROM webauthn_credentials WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("webauthn credentials of user %d: %w", userID, err)
	}
	return cs, nil
}

// WebAuthnCredentialByCredentialID finds a passkey by its credential id.
func (q queries) WebAuthnCredentialByCredentialID(ctx context.Context, credentialID string) (*barong.WebAuthnCredential, error) {
	c, err := q.scanWebAuthn(q.r.queryRow(ctx, "SELECT "+webAuthnCols+" FROM webauthn_credentials WHERE credential_id = ?", credentialID))
	if err != nil {
		return nil, notFound(err, "webauthn credential")
	}
	return &c, nil
}

// CreateWebAuthnCredential inserts c with its record encrypted.
func (q queries) CreateWebAuthnCredential(ctx context.Context, c *barong.WebAuthnCredential) error {
	rec, err := q.encrypt(c.Record)
	if err != nil {
		return fmt.Errorf("create webauthn credential: %w", err)
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO webauthn_credentials (user_id, credential_id, user_handle, name, record_encrypted,
		sign_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.UserID, c.CredentialID, c.UserHandle, c.Name, rec, int64(c.SignCount), now, now)
	if err != nil {
		return fmt.Errorf("create webauthn credential: %w", err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	return nil
}

// RenameWebAuthnCredential renames a user's passkey.
func (q queries) RenameWebAuthnCredential(ctx context.Context, userID, id int64, name string) error {
	ok, err := affected(q.w.exec(ctx, "UPDATE webauthn_credentials SET name = ?, updated_at = ? WHERE id = ? AND user_id = ?",
		name, q.now(), id, userID))
	if err != nil {
		return fmt.Errorf("rename webauthn credential %d: %w", id, err)
	}
	if ok {
		return nil
	}
	// MySQL counts only changed rows: the same name in the same second.
	has, err := exists(ctx, q.w, "SELECT 1 FROM webauthn_credentials WHERE id = ? AND user_id = ?", id, userID)
	if err != nil {
		return fmt.Errorf("rename webauthn credential %d: %w", id, err)
	}
	if !has {
		return fmt.Errorf("webauthn credential %d: %w", id, barong.ErrNotFound)
	}
	return nil
}

// DeleteWebAuthnCredential deletes a user's passkey.
func (q queries) DeleteWebAuthnCredential(ctx context.Context, userID, id int64) error {
	ok, err := affected(q.w.exec(ctx, "DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?", id, userID))
	if err != nil {
		return fmt.Errorf("delete webauthn credential %d: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("webauthn credential %d: %w", id, barong.ErrNotFound)
	}
	return nil
}

// UseWebAuthnCredential advances the signature counter and the last use
// in one conditional UPDATE, so that two processes never both accept the
// same counter value.
func (q queries) UseWebAuthnCredential(ctx context.Context, id int64, signCount uint32) (bool, error) {
	n := int64(signCount)
	ok, err := affected(q.w.exec(ctx, `UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ?
		WHERE id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`, n, q.now(), id, n, n))
	if err != nil {
		return false, fmt.Errorf("use webauthn credential %d: %w", id, err)
	}
	if ok || n > 0 {
		return ok, nil
	}
	// A counter-less authenticator used twice within a second changes no
	// value, which MySQL reports as no affected row.
	ok, err = exists(ctx, q.w, "SELECT 1 FROM webauthn_credentials WHERE id = ? AND sign_count = 0", id)
	if err != nil {
		return false, fmt.Errorf("use webauthn credential %d: %w", id, err)
	}
	return ok, nil
}
