package app

import (
	"context"
	"fmt"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
)

// ApplySeeds creates the levels, permissions, restrictions and users of
// seeds that do not exist yet (interface §7); running it again changes
// nothing.
func (s *Service) ApplySeeds(ctx context.Context, actor barong.Actor, seeds *config.Seeds) error {
	if err := s.maySystem(ctx, actor); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		if err := seedLevels(ctx, tx, seeds.Levels); err != nil {
			return err
		}
		if err := seedPermissions(ctx, tx, seeds.Permissions); err != nil {
			return err
		}
		if err := s.seedRestrictions(ctx, tx, seeds.Restrictions); err != nil {
			return err
		}
		for _, su := range seeds.Users {
			if err := s.seedUser(ctx, tx, su); err != nil {
				return err
			}
		}
		return nil
	})
}

func seedLevels(ctx context.Context, tx *txn, levels []config.Level) error {
	have, err := tx.Levels(ctx)
	if err != nil {
		return fmt.Errorf("load levels: %w", err)
	}
	for _, l := range levels {
		dup := false
		for _, h := range have {
			if h.Key == l.Key && h.Value == l.Value {
				dup = true
			}
		}
		if dup {
			continue
		}
		lv := &barong.Level{Key: l.Key, Value: l.Value, Description: l.Description}
		if err := tx.CreateLevel(ctx, lv); err != nil {
			return fmt.Errorf("seed level %s: %w", l.Key, err)
		}
		have = append(have, *lv)
	}
	return nil
}

func seedPermissions(ctx context.Context, tx *txn, perms []config.Permission) error {
	have, err := tx.Permissions(ctx)
	if err != nil {
		return fmt.Errorf("load permissions: %w", err)
	}
	seen := map[string]bool{}
	key := func(role, verb, path, action, topic string) string {
		return strings.Join([]string{role, verb, path, action, topic}, "\x00")
	}
	for _, p := range have {
		seen[key(p.Role, p.Verb, p.Path, p.Action, p.Topic)] = true
	}
	for _, p := range perms {
		k := key(p.Role, strings.ToUpper(p.Verb), p.Path, strings.ToUpper(p.Action), p.Topic)
		if seen[k] {
			continue
		}
		seen[k] = true
		row := &barong.Permission{Role: p.Role, Verb: strings.ToUpper(p.Verb), Path: p.Path,
			Action: strings.ToUpper(p.Action), Topic: p.Topic}
		if err := tx.CreatePermission(ctx, row); err != nil {
			return fmt.Errorf("seed permission %s %s %s: %w", p.Role, p.Verb, p.Path, err)
		}
	}
	return nil
}

func (s *core) seedRestrictions(ctx context.Context, tx *txn, rs []config.Restriction) error {
	have, err := tx.Restrictions(ctx)
	if err != nil {
		return fmt.Errorf("load restrictions: %w", err)
	}
	for _, r := range rs {
		dup := false
		for _, h := range have {
			if h.Scope == r.Scope && h.Category == r.Category && h.Value == r.Value {
				dup = true
			}
		}
		if dup {
			continue
		}
		row := &barong.Restriction{Category: r.Category, Scope: r.Scope, Value: r.Value, Code: r.Code, State: r.State}
		if err := s.createRestriction(ctx, tx, row); err != nil {
			return fmt.Errorf("seed restriction %s %s %s: %w", r.Category, r.Scope, r.Value, err)
		}
		have = append(have, *row)
	}
	return nil
}

// seedUser creates a seeded user unless the e-mail exists, with the private
// labels of levels 1..Level.
func (s *core) seedUser(ctx context.Context, tx *txn, su config.SeedUser) error {
	if _, err := tx.UserByEmail(ctx, su.Email); err == nil {
		return nil
	} else if !isNotFound(err) {
		return fmt.Errorf("seed user %s: %w", su.Email, err)
	}
	u := &barong.User{Email: su.Email, UID: su.UID, Username: strings.ToLower(su.Username), Role: su.Role, State: su.State}
	var v barong.ValidationErrors
	validateUserFields(&v, u, false)
	var err error
	if su.Password != "" {
		u.PasswordDigest, err = s.hashPassword(ctx, &v, su.Password)
	} else {
		u.PasswordDigest, err = s.randomDigest(ctx)
	}
	if err != nil {
		return err
	}
	if len(v) > 0 {
		return fmt.Errorf("seed user %s: %s", su.Email, strings.Join(v, ", "))
	}
	if err := s.createUser(ctx, tx, u); err != nil {
		return fmt.Errorf("seed user %s: %w", su.Email, err)
	}
	levels, err := tx.Levels(ctx)
	if err != nil {
		return fmt.Errorf("load levels: %w", err)
	}
	state := u.State
	for _, lv := range levels {
		if int(lv.ID) > su.Level {
			break
		}
		if _, err := s.setLabel(ctx, tx, u, lv.Key, lv.Value, barong.ScopePrivate, ""); err != nil {
			return fmt.Errorf("seed user %s label: %w", su.Email, err)
		}
	}
	if state != "" && u.State != state {
		before := *u
		u.State = state
		return s.updateUser(ctx, tx, before, u)
	}
	return nil
}

// EnsureAdmin creates an active superadmin with email and password unless
// the e-mail exists (BARONG_ADMIN_EMAIL / BARONG_ADMIN_PASSWORD); an existing
// account is never overwritten.
func (s *Service) EnsureAdmin(ctx context.Context, actor barong.Actor, email, password string) error {
	if err := s.maySystem(ctx, actor); err != nil {
		return err
	}
	if _, err := s.store.UserByEmail(ctx, email); err == nil {
		return nil
	} else if !isNotFound(err) {
		return fmt.Errorf("load admin: %w", err)
	}
	u := &barong.User{Email: email, Role: barong.RoleSuperadmin, State: barong.StateActive}
	var v barong.ValidationErrors
	validateUserFields(&v, u, false)
	var err error
	if u.PasswordDigest, err = s.hashPassword(ctx, &v, password); err != nil {
		return err
	}
	if len(v) > 0 {
		return fmt.Errorf("BARONG_ADMIN_EMAIL/BARONG_ADMIN_PASSWORD: %s", strings.Join(v, ", "))
	}
	orig := *u
	return s.inTx(ctx, func(tx *txn) error {
		*u = orig // a retried attempt starts over
		if err := s.createUser(ctx, tx, u); err != nil {
			return err
		}
		_, err := s.setLabel(ctx, tx, u, "email", "verified", barong.ScopePrivate, "")
		if err == nil && u.State != barong.StateActive {
			before := *u
			u.State = barong.StateActive
			err = s.updateUser(ctx, tx, before, u)
		}
		return err
	})
}
