package app

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"

	barong "github.com/barong-go/barong"
)

// Restriction enumerations (reference §3.2).
var (
	RestrictionCategories = []string{"whitelist", "maintenance", "blacklist", "blocklogin"}
	RestrictionScopes     = []string{"continent", "country", "ip", "ip_subnet", "all"}
	RestrictionStates     = []string{"enabled", "disabled"}
)

var ipv4Re = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`)
var subnetRe = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/\d{1,2}$`)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// prepareRestriction assigns the default code and validates r as Barong's
// Restriction model does (reference §3.5).
func prepareRestriction(r *barong.Restriction) error {
	var v barong.ValidationErrors
	if r.State == "" {
		r.State = "enabled"
	}
	for _, f := range []struct{ attr, val string }{{"scope", r.Scope}, {"value", r.Value}, {"category", r.Category}} {
		if f.val == "" {
			v.Add(f.attr + ".blank")
		}
	}
	if r.Scope != "" && !contains(RestrictionScopes, r.Scope) {
		v.Add("scope.inclusion")
	}
	if r.Category != "" && !contains(RestrictionCategories, r.Category) {
		v.Add("category.inclusion")
	}
	if !contains(RestrictionStates, r.State) {
		v.Add("state.inclusion")
	}
	// Barong accepts IPv4 only; barong-go also takes IPv6 addresses and
	// networks (in canonical form, so that equal values compare equal).
	switch r.Scope {
	case "ip":
		if a, err := netip.ParseAddr(r.Value); err != nil || a.Zone() != "" || (a.Is4() && !ipv4Re.MatchString(r.Value)) {
			v.Add("value.invalid")
		} else {
			r.Value = a.Unmap().String()
		}
	case "ip_subnet":
		if p, err := netip.ParsePrefix(r.Value); err != nil || (p.Addr().Is4() && !subnetRe.MatchString(r.Value)) {
			v.Add("value.invalid")
		} else {
			r.Value = p.Masked().String()
		}
	}
	if r.Code == 0 || r.Category == "whitelist" {
		r.Code = r.DefaultCode()
	}
	return v.Err()
}

// createRestriction validates and stores r in tx.
func (s *core) createRestriction(ctx context.Context, tx *txn, r *barong.Restriction) error {
	if err := prepareRestriction(r); err != nil {
		return err
	}
	if err := tx.CreateRestriction(ctx, r); err != nil {
		return duplicateToInvalid(err)
	}
	tx.after = append(tx.after, s.restrictionsChanged)
	return nil
}

func (s *core) restrictionsChanged(ctx context.Context) {
	if s.svc.OnRestrictionsChanged != nil {
		s.svc.OnRestrictionsChanged(ctx)
	}
}

// WhitelistAccess is POST /identity/users/access (reference §6.2.5): a
// valid whitelink token whitelists the caller's IP. Unlike Barong's, the
// token is consumed by its first use.
func (s *Access) WhitelistAccess(ctx context.Context, tok string, c Client) error {
	key := "whitelink:" + tok
	v, err := s.kv.Get(ctx, key)
	if isNotFound(err) || (err == nil && v != "active") {
		return barong.Invalid("identity.user.access.invalid_token")
	}
	if err != nil {
		return fmt.Errorf("load whitelink token: %w", err)
	}
	r := &barong.Restriction{Category: "whitelist", Scope: "ip", Value: c.IP, State: "enabled"}
	if err := s.inTx(ctx, func(tx *txn) error { return s.createRestriction(ctx, tx, r) }); err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("consume whitelink token: %w", err)
	}
	return nil
}
