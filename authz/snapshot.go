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
	version  barong.RulesVersion // the tables' fingerprint read before loading
}

// recentChange is how long after the latest update of the tables the
// periodic check reloads in full whatever the fingerprint says: an update
// in the same second as the one the fingerprint saw leaves it unchanged
// (stored times have whole seconds). Generous, for clock skew between
// the processes that write.
const recentChange = time.Minute

// Reload reads permissions and restrictions from the store now.
func (e *Engine) Reload(ctx context.Context) error {
	v, err := e.store.RulesVersion(ctx)
	if err != nil {
		return fmt.Errorf("load rules version: %w", err)
	}
	return e.reload(ctx, v)
}

// refresh reloads when the tables' fingerprint differs from the snapshot's
// or they changed recently; it reports whether it reloaded.
func (e *Engine) refresh(ctx context.Context) (bool, error) {
	v, err := e.store.RulesVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("load rules version: %w", err)
	}
	if cur := e.snap.Load(); cur != nil && cur.version == v && e.now().Sub(v.LatestUpdate) > recentChange {
		return false, nil
	}
	return true, e.reload(ctx, v)
}

// reload loads the tables; v was read before, so that a change made while
// loading shows in the next fingerprint.
func (e *Engine) reload(ctx context.Context, v barong.RulesVersion) error {
	perms, err := e.store.Permissions(ctx)
	if err != nil {
		return fmt.Errorf("load permissions: %w", err)
	}
	rs, err := e.store.Restrictions(ctx)
	if err != nil {
		return fmt.Errorf("load restrictions: %w", err)
	}
	s := &snapshot{perms: map[string][]barong.Permission{}, restrict: compileRestrictions(rs), loaded: e.now(), version: v}
	for _, p := range perms {
		p.Verb, p.Action = strings.ToUpper(p.Verb), strings.ToUpper(p.Action)
		s.perms[p.Role] = append(s.perms[p.Role], p)
	}
	e.snap.Store(s)
	return nil
}

// Run checks the tables' fingerprint every Refresh interval, reloading the
// snapshots when they changed, and writes audit activities until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	go e.writeAudits(ctx)
	t := time.NewTicker(e.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.refresh(ctx); err != nil && ctx.Err() == nil {
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
