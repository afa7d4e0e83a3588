package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
)

// queries implements barong.Queries once for every dialect, on the pools
// (DB) or on a transaction (tx). Reads go to r and writes to w; they differ
// only for an SQLite file, whose writer is a single connection.
type queries struct {
	r, w   conn
	now    func() time.Time
	cipher barong.Cipher
	salt   string
	// report takes the changes of users, service accounts and API keys
	// written (changes.go): the DB reports them at once, a transaction
	// after it commits.
	report func(ctx context.Context, cs ...barong.Change)
}

// Compile-time checks: queries serves every aggregate's interface.
var (
	_ barong.Queries               = queries{}
	_ barong.UserQueries           = queries{}
	_ barong.UserSearchQueries     = queries{}
	_ barong.UserViewQueries       = queries{}
	_ barong.LabelQueries          = queries{}
	_ barong.LevelQueries          = queries{}
	_ barong.PermissionQueries     = queries{}
	_ barong.RestrictionQueries    = queries{}
	_ barong.RulesQueries          = queries{}
	_ barong.ActivityQueries       = queries{}
	_ barong.ProfileQueries        = queries{}
	_ barong.PhoneQueries          = queries{}
	_ barong.DocumentQueries       = queries{}
	_ barong.DataStorageQueries    = queries{}
	_ barong.CommentQueries        = queries{}
	_ barong.APIKeyQueries         = queries{}
	_ barong.ServiceAccountQueries = queries{}
	_ barong.TOTPQueries           = queries{}
	_ barong.WebAuthnQueries       = queries{}
	_ barong.KYCAIDQueries         = queries{}
	_ barong.SetupTokenQueries     = queries{}
)

var errNoCipher = errors.New("sqlstore: no Cipher configured for encrypted columns")

// encrypt seals a personal or secret value; "" stays "" (stored as NULL).
func (q queries) encrypt(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if q.cipher == nil {
		return "", errNoCipher
	}
	s, err := q.cipher.Encrypt(plain)
	if err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	return s, nil
}

// index is the salted CRC32 search index of an encrypted value.
func (q queries) index(plain string) int64 { return crypt.Index(plain, q.salt) }

// decrypted scans an encrypted column into its plain value.
func (q queries) decrypted(p *string) decrypt { return decrypt{c: q.cipher, p: p} }

type decrypt struct {
	c barong.Cipher
	p *string
}

func (d decrypt) Scan(src any) error {
	var stored string
	if err := (str{&stored}).Scan(src); err != nil {
		return err
	}
	if stored == "" {
		*d.p = ""
		return nil
	}
	if d.c == nil {
		return errNoCipher
	}
	plain, err := d.c.Decrypt(stored)
	if err != nil {
		return fmt.Errorf("decrypt column: %w", err)
	}
	*d.p = plain
	return nil
}

// updated checks the result of an UPDATE/DELETE of the row id of table:
// no affected row means ErrNotFound, unless the row exists (MySQL counts
// only rows whose values changed).
func (q queries) updated(ctx context.Context, changed bool, err error, table string, id int64) error {
	if err != nil {
		return fmt.Errorf("update %s %d: %w", table, id, err)
	}
	if changed {
		return nil
	}
	ok, err := exists(ctx, q.w, "SELECT 1 FROM "+table+" WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("update %s %d: %w", table, id, err)
	}
	if !ok {
		return fmt.Errorf("%s %d: %w", table, id, barong.ErrNotFound)
	}
	return nil
}

// deleteByID deletes the row id of table; a missing row is ErrNotFound.
func (q queries) deleteByID(ctx context.Context, table string, id int64) error {
	ok, err := affected(q.w.exec(ctx, "DELETE FROM "+table+" WHERE id = ?", id))
	if err != nil {
		return fmt.Errorf("delete %s %d: %w", table, id, err)
	}
	if !ok {
		return fmt.Errorf("%s %d: %w", table, id, barong.ErrNotFound)
	}
	return nil
}
