package barong

import "slices"

// ActorKind says in which capacity an Actor asks.
type ActorKind int

// The kinds of actors; the zero Actor has ActorNone.
const (
	ActorNone       ActorKind = iota
	ActorUser                 // the user on his own records (resource API)
	ActorAdmin                // an admin with the abilities of his role (admin API)
	ActorManagement           // management API signers
	ActorSystem               // the process itself: seeds, imports, reconcilers
)

// Actor is who asks for a change: the user himself, an admin acting with
// his role, a management API signer with the signers whose signatures
// were verified, or the system. The zero Actor may do nothing. The
// services of package app check the actor first thing in every method
// that takes one.
type Actor struct {
	Kind ActorKind
	// User is the user (ActorUser) or the admin (ActorAdmin).
	User *User
	// Signers are the management signers (key ids) whose signatures were
	// verified (ActorManagement).
	Signers []string
	// Reason names the system work (ActorSystem), for the logs.
	Reason string
}

// UserActor is u acting on his own records (resource API).
func UserActor(u *User) Actor { return Actor{Kind: ActorUser, User: u} }

// AdminActor is u acting with the abilities of u.Role (admin API).
func AdminActor(u *User) Actor { return Actor{Kind: ActorAdmin, User: u} }

// ManagementActor is a management API request signed by signers.
func ManagementActor(signers []string) Actor {
	return Actor{Kind: ActorManagement, Signers: slices.Clone(signers)}
}

// SystemActor is the process itself doing reason (seeds, import, the
// KYCAID reconciler).
func SystemActor(reason string) Actor { return Actor{Kind: ActorSystem, Reason: reason} }

// IsUser reports whether a is a user acting on his own records.
func (a Actor) IsUser() bool { return a.Kind == ActorUser && a.User != nil }

// IsAdmin reports whether a is an admin (whose abilities are still to be
// checked).
func (a Actor) IsAdmin() bool { return a.Kind == ActorAdmin && a.User != nil }

// IsManagement reports whether a is a management request with at least
// one verified signer.
func (a Actor) IsManagement() bool { return a.Kind == ActorManagement && len(a.Signers) > 0 }

// IsSystem reports whether a is the process itself.
func (a Actor) IsSystem() bool { return a.Kind == ActorSystem }

// Signed reports whether signer signed a management request.
func (a Actor) Signed(signer string) bool {
	return a.Kind == ActorManagement && slices.Contains(a.Signers, signer)
}
