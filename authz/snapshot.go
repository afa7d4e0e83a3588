package authz

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
)

// snapshot is the in-memory copy of permissions and enabled restrictions.
type snapshot struct {
	perms        map[string][]barong.Permission // by role
	restrictions map[string][]barong.Restriction
	loaded       time.Time
}

// categories in evaluation order (reference §7.1).
var categories = []string{"whitelist", "maintenance", "blacklist", "blocklogin"}

// Reload reads permissions and restrictions from the store now.
func (e *Engine) Reload(ctx context.Context) error {
	perms, err := e.store.Permissions(ctx)
	if err != nil {
		return fmt.Errorf("load permissions: %w", err)
	}
	rs, err := e.store.Restrictions(ctx)
	if err != nil {
		return fmt.Errorf("load restrictions: %w", err)
	}
	s := &snapshot{perms: map[string][]barong.Permission{}, restrictions: map[string][]barong.Restriction{}, loaded: e.now()}
	for _, p := range perms {
		p.Verb, p.Action = strings.ToUpper(p.Verb), strings.ToUpper(p.Action)
		s.perms[p.Role] = append(s.perms[p.Role], p)
	}
	for _, r := range rs {
		if r.State == "enabled" {
			s.restrictions[r.Category] = append(s.restrictions[r.Category], r)
		}
	}
	e.snap.Store(s)
	return nil
}

// Run reloads the snapshots every Refresh interval and writes audit
// activities until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	go e.writeAudits(ctx)
	t := time.NewTicker(e.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.Reload(ctx); err != nil && ctx.Err() == nil {
				e.log.WarnContext(ctx, "reload authz snapshot", slog.Any("error", err))
			}
		}
	}
}

// permits applies reference §7.4: deny without a matching ACCEPT or with any
// matching DROP; report the topic of the first matching AUDIT.
func (s *snapshot) permits(role, method, path string) (allowed bool, topic string, audit bool) {
	method = strings.ToUpper(method)
	accept, drop := false, false
	for _, p := range s.perms[role] {
		if (p.Verb != method && p.Verb != "ALL") || !strings.HasPrefix(path, p.Path) {
			continue
		}
		switch p.Action {
		case "ACCEPT":
			accept = true
		case "DROP":
			drop = true
		case "AUDIT":
			if !audit {
				audit, topic = true, p.Topic
			}
		}
	}
	return accept && !drop, topic, audit
}

// checkRestrictions is step 1 of reference §7.1.
func (e *Engine) checkRestrictions(s *snapshot, r Request) error {
	if r.Path == "api/v2/barong/identity/users/access" || len(s.restrictions) == 0 {
		return nil
	}
	var cc, cn, ctc, ctn string
	if e.geo != nil {
		cc, cn, ctc, ctn = e.geo.Lookup(r.IP)
	}
	for _, cat := range categories {
		m := matchRestriction(s.restrictions[cat], r.IP, cc, cn, ctc, ctn)
		if m == nil {
			continue
		}
		switch cat {
		case "whitelist":
			return nil
		case "blocklogin":
			if r.Path != "api/v2/barong/identity/sessions" {
				continue
			}
		}
		return barong.WithStatus(m.Code, "authz.restrict."+cat)
	}
	return nil
}

// matchRestriction finds the first restriction matching, by scope in the
// order all, ip, ip_subnet, continent, country. Countries and continents
// match by ISO code as well as by name (Barong matched names only, so its
// seeded ISO codes never matched).
func matchRestriction(rs []barong.Restriction, ip, cc, cn, ctc, ctn string) *barong.Restriction {
	addr, addrErr := netip.ParseAddr(ip)
	for _, scope := range []string{"all", "ip", "ip_subnet", "continent", "country"} {
		for i := range rs {
			r := &rs[i]
			if r.Scope != scope {
				continue
			}
			switch scope {
			case "all":
				return r
			case "ip":
				if r.Value == ip {
					return r
				}
			case "ip_subnet":
				if p, err := netip.ParsePrefix(r.Value); err == nil && addrErr == nil && p.Contains(addr.Unmap()) {
					return r
				}
			case "continent":
				if eqFold(r.Value, ctc, ctn) {
					return r
				}
			case "country":
				if eqFold(r.Value, cc, cn) || (len(r.Value) == 3 && alpha3[strings.ToUpper(r.Value)] == strings.ToUpper(cc) && cc != "") {
					return r
				}
			}
		}
	}
	return nil
}

func eqFold(v string, candidates ...string) bool {
	for _, c := range candidates {
		if c != "" && strings.EqualFold(v, c) {
			return true
		}
	}
	return false
}

// SameNetwork reports whether ip lies in the /16 (IPv4) or /96 (IPv6)
// network of loginIP (reference §4.5).
func SameNetwork(loginIP, ip string) bool {
	a, err1 := netip.ParseAddr(loginIP)
	b, err2 := netip.ParseAddr(ip)
	if err1 != nil || err2 != nil {
		return loginIP == ip
	}
	a, b = a.Unmap(), b.Unmap()
	if a.Is4() != b.Is4() {
		return false
	}
	bits := 96
	if a.Is4() {
		bits = 16
	}
	p, err := a.Prefix(bits)
	return err == nil && p.Contains(b)
}
