package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	barong "github.com/barong-go/barong"
)

// The first superadmin. Barong promotes the first sign-up, whoever sends
// it; barong-go promotes only a sign-up that carries a setup token: a
// one-time secret printed to the log at start while the platform has no
// superadmin (and BARONG_ADMIN_EMAIL, barong seed or an admin did not
// make one). The database keeps its SHA-256 only; the token is compared
// in constant time and consumed by its first use, across processes.

// KeyInvalidSetupToken refuses a sign-up with a setup token that is
// unknown, expired or used, or once a superadmin exists (422).
const KeyInvalidSetupToken = "identity.user.invalid_setup_token"

// SetupPending reports whether a setup token may be issued: promotion is
// on (BARONG_FIRST_REGISTRATION_SUPERADMIN) and no superadmin exists.
func (s *Service) SetupPending(ctx context.Context) (bool, error) {
	if !s.cfg.FirstRegistrationSuperadmin {
		return false, nil
	}
	n, err := s.countSuperadmins(ctx, s.store)
	return n == 0, err
}

// IssueSetupToken makes a setup token valid for s.cfg.SetupTokenTTL,
// stores its hash and returns it (for the operator's log). Tokens issued
// by other starts stay valid until one of them is used.
func (s *Service) IssueSetupToken(ctx context.Context, actor barong.Actor) (string, error) {
	if err := s.maySystem(ctx, actor); err != nil {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate setup token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	if err := s.store.CreateSetupToken(ctx, setupTokenHash(tok), s.now().Add(s.cfg.SetupTokenTTL)); err != nil {
		return "", err
	}
	return tok, nil
}

func setupTokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// claimSetup consumes the setup token tok in tx, or refuses it with
// KeyInvalidSetupToken: unknown, expired, already used (also by a
// concurrent sign-up), or a superadmin exists.
func (s *core) claimSetup(ctx context.Context, tx *txn, tok string) error {
	hashes, err := tx.SetupTokenHashes(ctx)
	if err != nil {
		return err
	}
	want := []byte(setupTokenHash(tok))
	match := ""
	for _, h := range hashes {
		if subtle.ConstantTimeCompare([]byte(h), want) == 1 {
			match = h
		}
	}
	if match == "" || !s.cfg.FirstRegistrationSuperadmin {
		return barong.Invalid(KeyInvalidSetupToken)
	}
	if n, err := s.countSuperadmins(ctx, tx); err != nil || n > 0 {
		if err == nil {
			err = barong.Invalid(KeyInvalidSetupToken)
		}
		return err
	}
	ok, err := tx.ConsumeSetupToken(ctx, match)
	if err != nil {
		return err
	}
	if !ok {
		return barong.Invalid(KeyInvalidSetupToken)
	}
	return nil
}

func (s *core) countSuperadmins(ctx context.Context, q barong.UserSearchQueries) (int64, error) {
	_, n, err := q.ListUsers(ctx, barong.UserFilter{Role: barong.RoleSuperadmin, Page: barong.Page{Page: 1, Limit: 1}})
	if err != nil {
		return 0, fmt.Errorf("count superadmins: %w", err)
	}
	return n, nil
}
