package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	barong "github.com/barong-go/barong"
)

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// openSession creates a fresh session for u (interface §5: a new id at every
// sign-in, never reusing the caller's).
func (s *core) openSession(ctx context.Context, u *barong.User, c Client) (*barong.Session, error) {
	now := s.now()
	sess := &barong.Session{
		ID:         randHex(16),
		UID:        u.UID,
		UserIP:     c.IP,
		UserAgent:  c.UserAgent,
		CSRFToken:  randHex(10),
		ExpireTime: now.Add(s.cfg.SessionExpire).Unix(),
		CreatedAt:  now,
	}
	if err := s.sessions.CreateSession(ctx, sess, s.cfg.SessionExpire); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// Logout closes the session id (reference §6.2.2).
func (s *Sessions) Logout(ctx context.Context, sessionID string, c Client) error {
	if sessionID == "" {
		return barong.NotFound("identity.session.not_found")
	}
	sess, err := s.sessions.Session(ctx, sessionID)
	if err != nil {
		if isNotFound(err) {
			return barong.NotFound("identity.session.not_found")
		}
		return fmt.Errorf("load session: %w", err)
	}
	u, err := s.store.UserByUID(ctx, sess.UID)
	if err != nil {
		if isNotFound(err) {
			_ = s.sessions.DeleteSession(ctx, sessionID)
			return barong.NotFound("identity.session.not_found")
		}
		return fmt.Errorf("load user: %w", err)
	}
	err = s.store.InTx(ctx, func(tx barong.Tx) error {
		return s.record(ctx, tx, u.ID, c, "session", "logout", barong.ResultSucceed, "")
	})
	if err != nil {
		return err
	}
	if err := s.sessions.DeleteSession(ctx, sessionID); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
