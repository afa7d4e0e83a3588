package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
)

// Session management (barong-go addition, docs/sessions-and-passkeys.md):
// a user lists and revokes his live sessions, an admin or a management
// client those of any user. Sessions are named by the hash of their id
// (barong.SessionHash), never by the id, which is the cookie.

// Error keys of session management.
const (
	KeySessionNotFound      = "resource.session.not_found"
	KeyAdminSessionNotFound = "admin.session.not_found"
	MsgMgmtSessionNotFound  = "management.session.doesnt_exist"
)

// Who revoked a session: the revoked_by of activities and events.
const (
	RevokedByUser       = "user"
	RevokedByAdmin      = "admin"
	RevokedByManagement = "management"
)

// Activity actions of session revocation (topic session).
const (
	actionRevokeSession  = "revoke session"
	actionRevokeSessions = "revoke sessions"
)

// SessionView is a live session as listed.
type SessionView struct {
	barong.Session
	// LastSeen is when the session was last used: its idle expiry, slid on
	// every use, less the idle timeout (never before its creation).
	LastSeen time.Time
	// Current tells the caller's own session.
	Current bool
}

// Revocation is who revokes sessions and how: the acting client, and for
// an admin his user.
type Revocation struct {
	By     string // RevokedByUser, RevokedByAdmin or RevokedByManagement
	Admin  *barong.User
	Client Client
}

// List lists the live sessions of u, newest first; currentID is the
// caller's session id ("" when he has none), whose entry is marked.
func (s *Sessions) List(ctx context.Context, actor barong.Actor, currentID string) ([]SessionView, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	return s.liveSessions(ctx, u, currentID)
}

// liveSessions lists u's live sessions, newest first, currentID marked.
func (s *core) liveSessions(ctx context.Context, u *barong.User, currentID string) ([]SessionView, error) {
	ss, err := s.sessions.UserSessions(ctx, u.UID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	cur := ""
	if currentID != "" {
		cur = barong.SessionHash(currentID)
	}
	out := make([]SessionView, len(ss))
	for i, x := range ss {
		seen := time.Unix(x.ExpireTime, 0).Add(-s.cfg.SessionExpire).UTC()
		if seen.Before(x.CreatedAt) {
			seen = x.CreatedAt
		}
		out[i] = SessionView{Session: x, LastSeen: seen, Current: x.IDHash == cur}
	}
	return out, nil
}

// Revoke revokes u's session idHash (his own current one included).
// Errors: 404 resource.session.not_found (recorded as a failed activity).
func (s *Sessions) Revoke(ctx context.Context, actor barong.Actor, idHash string, c Client) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	_, err := s.revoke(ctx, u, idHash, "", Revocation{By: RevokedByUser, Client: c})
	if isNotFound(err) {
		s.recordAlone(ctx, u.ID, c, "session", actionRevokeSession, barong.ResultFailed, "Session not found")
		return barong.NotFound(KeySessionNotFound)
	}
	return err
}

// RevokeOthers revokes every session of u but currentID (the
// caller's, "" for none) and returns the revoked ones.
func (s *Sessions) RevokeOthers(ctx context.Context, actor barong.Actor, currentID string, c Client) ([]SessionView, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	return s.revoke(ctx, u, "", currentID, Revocation{By: RevokedByUser, Client: c})
}

// AdminList lists the live sessions of the user uid. Errors: 404
// admin.user.doesnt_exist.
func (s *Sessions) AdminList(ctx context.Context, actor barong.Actor, uid, currentID string) ([]SessionView, error) {
	if err := s.mayAdmin(ctx, actor, actRead, modelSession); err != nil {
		return nil, err
	}
	u, err := s.findTarget(ctx, s.store, uid)
	if err != nil {
		return nil, err
	}
	return s.liveSessions(ctx, u, currentID)
}

// AdminRevoke revokes the session idHash of the user uid, or all
// his sessions when idHash is "". Errors: 404 admin.user.doesnt_exist,
// admin.session.not_found; 422 admin.user.superadmin_change.
func (s *Sessions) AdminRevoke(ctx context.Context, actor barong.Actor, uid, idHash string, c Client) ([]SessionView, error) {
	if err := s.mayAdmin(ctx, actor, actDestroy, modelSession); err != nil {
		return nil, err
	}
	admin := actor.User
	u, err := s.modifiableTarget(ctx, s.store, admin, uid, KeyAdminSuperadminChange)
	if err != nil {
		return nil, err
	}
	v, err := s.revoke(ctx, u, idHash, "", Revocation{By: RevokedByAdmin, Admin: admin, Client: c})
	if isNotFound(err) {
		return nil, barong.NotFound(KeyAdminSessionNotFound)
	}
	return v, err
}

// ManagementList lists the live sessions of the user uid. Errors: 422
// user.doesnt_exist.
func (s *Sessions) ManagementList(ctx context.Context, actor barong.Actor, uid string) ([]SessionView, error) {
	if err := s.mayManage(ctx, actor, "read_users"); err != nil {
		return nil, err
	}
	u, err := mgmtUserOr(ctx, s.store, uid, mgmtUserMissing())
	if err != nil {
		return nil, err
	}
	return s.liveSessions(ctx, u, "")
}

// ManagementRevoke revokes the session idHash of the user uid, or
// all his sessions when idHash is "". Errors: 422 user.doesnt_exist; 404
// management.session.doesnt_exist.
func (s *Sessions) ManagementRevoke(ctx context.Context, actor barong.Actor, uid, idHash string, c Client) ([]SessionView, error) {
	if err := s.mayManage(ctx, actor, "write_users"); err != nil {
		return nil, err
	}
	u, err := mgmtUserOr(ctx, s.store, uid, mgmtUserMissing())
	if err != nil {
		return nil, err
	}
	v, err := s.revoke(ctx, u, idHash, "", Revocation{By: RevokedByManagement, Client: c})
	if isNotFound(err) {
		return nil, barong.NotFound(MsgMgmtSessionNotFound)
	}
	return v, err
}

// revoke revokes u's session idHash, or when idHash is "" all his
// sessions but exceptID, through the session store's deletion methods (in
// force at every process's next check), then records one activity on u
// (topic session) and emits system.session.revoked for each revoked
// session. The sessions go first: a failure afterwards leaves them revoked
// rather than alive. A session of u opened between the listing and the
// revocation of "all" is revoked without its event. An unknown idHash is
// barong.ErrNotFound.
func (s *core) revoke(ctx context.Context, u *barong.User, idHash, exceptID string, r Revocation) ([]SessionView, error) {
	live, err := s.liveSessions(ctx, u, exceptID)
	if err != nil {
		return nil, err
	}
	var revoked []SessionView
	if idHash != "" {
		i := slices.IndexFunc(live, func(v SessionView) bool { return v.IDHash == idHash })
		if i < 0 {
			return nil, fmt.Errorf("session of %s: %w", u.UID, barong.ErrNotFound)
		}
		ok, err := s.sessions.DeleteUserSession(ctx, u.UID, idHash)
		if err != nil {
			return nil, fmt.Errorf("revoke session: %w", err)
		}
		if !ok { // revoked or expired meanwhile
			return nil, fmt.Errorf("session of %s: %w", u.UID, barong.ErrNotFound)
		}
		revoked = live[i : i+1]
	} else {
		if err := s.sessions.DeleteUserSessions(ctx, u.UID, exceptID); err != nil {
			return nil, fmt.Errorf("revoke sessions: %w", err)
		}
		revoked = slices.DeleteFunc(live, func(v SessionView) bool { return v.Current })
	}
	action := actionRevokeSession
	if idHash == "" {
		action = actionRevokeSessions
	}
	ids := make([]string, len(revoked))
	for i, v := range revoked {
		ids[i] = v.IDHash
	}
	data := struct {
		Sessions  []string `json:"sessions"`
		RevokedBy string   `json:"revoked_by"`
		AdminUID  *string  `json:"admin_uid,omitempty"`
	}{Sessions: ids, RevokedBy: r.By}
	if r.Admin != nil {
		data.AdminUID = &r.Admin.UID
	}
	err = s.store.InTx(ctx, func(tx barong.Tx) error {
		a := &barong.Activity{UserID: u.ID, Category: barong.CategoryUser, UserIP: r.Client.IP,
			UserIPCountry: r.Client.Country, UserAgent: r.Client.UserAgent, Topic: "session", Action: action,
			Result: barong.ResultSucceed, Data: jsonString(data)}
		if err := tx.CreateActivity(ctx, a); err != nil {
			return fmt.Errorf("record activity session/%s: %w", action, err)
		}
		rec, err := s.userRecord(ctx, tx, u)
		if err != nil {
			return err
		}
		for _, v := range revoked {
			ev := barong.Event{Name: "system.session.revoked", Payload: entity.Payload{Record: entity.SessionRevokedEvent{User: rec,
				SessionID: v.IDHash, UserIP: v.UserIP, UserAgent: v.UserAgent,
				CreatedAt: entity.Time(v.CreatedAt), RevokedBy: r.By}}}
			if err := tx.Emit(ctx, ev); err != nil {
				return fmt.Errorf("emit session revoked: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}
