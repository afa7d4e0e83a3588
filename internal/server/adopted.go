package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/vault"
)

// openVault returns the Vault client that checks the 2FA codes of users
// imported from Barong whose secret stayed in Vault's TOTP engine, when
// BARONG_VAULT_TOKEN is set; nil otherwise. Such users without Vault are
// not refused silently: the start logs a warning with their number and what
// to set, and each of their code checks logs an error and answers
// totp.error. The server still starts, since every other user can sign in;
// refusing to start would take the whole platform down for a few users.
func openVault(ctx context.Context, cfg *config.Config, db *sqlstore.DB, log *slog.Logger) (*vault.Client, error) {
	n, err := db.CountVaultTOTPUsers(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.VaultToken == "" {
		if n > 0 {
			log.Warn("users imported from Barong have 2FA secrets in Vault's TOTP engine and Vault is not configured: "+
				"their sign-ins and 2FA actions fail with totp.error until BARONG_VAULT_ADDRESS and BARONG_VAULT_TOKEN are set "+
				"(or they re-enrol)", "users", n)
		}
		return nil, nil
	}
	c, err := vault.New(cfg.VaultAddress, cfg.VaultToken)
	if err != nil {
		return nil, fmt.Errorf("BARONG_VAULT_ADDRESS: %w", err)
	}
	if n > 0 {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := c.LookupSelf(lctx); err != nil {
			log.Warn("Vault does not answer with BARONG_VAULT_TOKEN: 2FA of the users imported from Barong fails with totp.error until it does",
				"users", n, "address", c.Address(), "error", err)
		} else {
			log.Info("2FA of users imported from Barong is checked by Vault's TOTP engine until they re-enrol",
				"users", n, "address", c.Address())
		}
	}
	return c, nil
}

// applySeeds applies the configured seeds, except on a database imported
// from Barong: Barong's levels, permissions and restrictions came with it
// and re-adding the built-in defaults would undo the operator's choices
// (`barong seed` still applies seeds explicitly).
func (s *Server) applySeeds(ctx context.Context) error {
	imported, err := s.DB.ImportedFromBarong(ctx)
	if err != nil {
		return err
	}
	if imported {
		s.Log.Info("database imported from Barong: built-in seeds not applied (barong seed applies them explicitly)")
		return nil
	}
	if err := s.App.ApplySeeds(ctx, barong.SystemActor("seed"), s.Config.Seeds); err != nil {
		return fmt.Errorf("seeds: %w", err)
	}
	return nil
}
