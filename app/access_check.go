package app

import (
	"context"
	"log/slog"
	"slices"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
)

// Who may do what. Every exported method of a concept service that takes
// a barong.Actor checks it first, with one of the checks below, before it
// reads its other arguments:
//
//   - mayAdmin: an admin whose role has the ability (abilities.yml) to do
//     an action on a model, else 401 admin.ability.not_permitted and a
//     security line (the admin API's answer);
//   - mayManage: management signers that satisfy the scope of
//     management_api.yml (one permitted signer, every mandatory signer),
//     else Barong's management 401 and a security line;
//   - mayUser: the user himself (resource API), else 401
//     authz.invalid_session.
//
// The HTTP layer authenticates (cookie or API key → user, JWS → signers)
// and builds the actor; the admin API also calls Service.Authorize before
// it parses the parameters, so that a role without the ability gets 401
// whatever it sent, as in Barong.

// The admin ability actions of abilities.yml (reference §2.8).
const (
	actRead    = "read"
	actCreate  = "create"
	actUpdate  = "update"
	actDestroy = "destroy"
)

// The models of abilities.yml that the admin methods check.
const (
	modelAPIKey      = "APIKey"
	modelActivity    = "Activity"
	modelLabel       = "Label"
	modelLevel       = "Level"
	modelPermission  = "Permission"
	modelProfile     = "Profile"
	modelRestriction = "Restriction"
	modelSession     = "Session"
	modelUser        = "User"
)

// KeyNotPermitted answers an admin whose role lacks the ability.
const KeyNotPermitted = "admin.ability.not_permitted"

// The management API's 401 messages (reference §8.3).
const (
	MsgMgmtVerify     = "Failed to verify JWT."
	MsgMgmtSignatures = "Not enough signatures for the action."
)

// keyNoSession answers a resource call without a signed-in user.
const keyNoSession = "authz.invalid_session"

// Authorize checks that the admin actor a may do action on model
// (abilities.yml): nil, or 401 admin.ability.not_permitted after a
// security line.
func (s *Service) Authorize(ctx context.Context, a barong.Actor, action, model string) error {
	return s.mayAdmin(ctx, a, action, model)
}

// mayAdmin checks that a is an admin whose role may do action on model.
func (c *core) mayAdmin(ctx context.Context, a barong.Actor, action, model string) error {
	if a.IsAdmin() && c.cfg.Abilities.Can(a.User.Role, action, model) {
		return nil
	}
	var uid, role string
	if a.User != nil {
		uid, role = a.User.UID, a.User.Role
	}
	method, path := seclog.Route(ctx)
	seclog.Log(ctx, c.log, seclog.AuthzRefused, slog.String("path", path), slog.String("method", method),
		slog.String("uid", uid), slog.String("role", role), slog.String("ability", action+" "+model),
		slog.Any("errors", []string{KeyNotPermitted}))
	return barong.Unauthorized(KeyNotPermitted)
}

// mayManage checks that a's signers satisfy the management scope: at
// least one permitted signer, and every mandatory one (the same rule the
// HTTP layer applies to the signatures it verifies).
func (c *core) mayManage(ctx context.Context, a barong.Actor, scope string) error {
	if !a.IsManagement() {
		return c.refuseManagement(ctx, scope, "no signer", "", MsgMgmtVerify)
	}
	sc, ok := c.cfg.ManagementScopes[scope]
	if !ok {
		return c.refuseManagement(ctx, scope, "scope not configured", "", MsgMgmtVerify)
	}
	if !slices.ContainsFunc(sc.PermittedSigners, a.Signed) {
		return c.refuseManagement(ctx, scope, "no permitted signer", "", MsgMgmtVerify)
	}
	for _, id := range sc.MandatorySigners {
		if !a.Signed(id) {
			return c.refuseManagement(ctx, scope, "mandatory signer missing", id, MsgMgmtSignatures)
		}
	}
	return nil
}

// refuseManagement logs a refused management call and returns the
// management API's 401 with msg.
func (c *core) refuseManagement(ctx context.Context, scope, reason, signer, msg string) error {
	_, path := seclog.Route(ctx)
	attrs := []slog.Attr{slog.String("path", path), slog.String("scope", scope), slog.String("reason", reason)}
	if signer != "" {
		attrs = append(attrs, slog.String("signer", signer))
	}
	seclog.Log(ctx, c.log, seclog.ManagementRefused, attrs...)
	return barong.Unauthorized(msg)
}

// mayUser checks that a is a signed-in user acting on his own records.
func (c *core) mayUser(ctx context.Context, a barong.Actor) error {
	if a.IsUser() {
		return nil
	}
	return barong.Unauthorized(keyNoSession)
}

// covers reports whether role a has every admin ability of role b
// (abilities.yml): an admin changes only users of such roles and grants
// only such roles, so that support or compliance cannot turn off an
// admin's 2FA, ban him or make someone an admin. Barong protects only
// superadmins (reference §10.4). A role covers itself; superadmins cover
// every role, and only they cover superadmin.
func (c *core) covers(a, b string) bool {
	switch {
	case a == barong.RoleSuperadmin || a == b:
		return true
	case b == barong.RoleSuperadmin:
		return false
	}
	have, want := c.cfg.Abilities[a], c.cfg.Abilities[b]
	for _, m := range want.Manage {
		if !slices.Contains(have.Manage, m) {
			return false
		}
	}
	for _, m := range want.Read {
		if !c.cfg.Abilities.Can(a, actRead, m) {
			return false
		}
	}
	return true
}

// maySystem checks that a is the process itself.
func (c *core) maySystem(ctx context.Context, a barong.Actor) error {
	if a.IsSystem() {
		return nil
	}
	return barong.Unauthorized(KeyNotPermitted)
}
