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
	perms    map[string][]barong.Permission // by role
	restrict *restrictionSet                // enabled restrictions (restrictions.go)
	loaded   time.Time
}

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
	s := &snapshot{perms: map[string][]barong.Permission{}, restrict: compileRestrictions(rs), loaded: e.now()}
	for _, p := range perms {
		p.Verb, p.Action = strings.ToUpper(p.Verb), strings.ToUpper(p.Action)
		s.perms[p.Role] = append(s.perms[p.Role], p)
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
