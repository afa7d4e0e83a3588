package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/barong-go/barong"
)

// expiry is now + ttl rounded up to the second (stored times are whole
// seconds, and a record must not expire early); ttl <= 0 is nil, no expiry.
func expiry(now time.Time, ttl time.Duration) *time.Time {
	if ttl <= 0 {
		return nil
	}
	t := now.Add(ttl)
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return &t
}

// sessionExpiry turns a session lifetime into its expiry; sessions always
// expire, so a non-positive ttl is refused.
func sessionExpiry(now time.Time, ttl time.Duration) (time.Time, error) {
	exp := expiry(now, ttl)
	if exp == nil {
		return time.Time{}, fmt.Errorf("session ttl must be positive, got %s", ttl)
	}
	return *exp, nil
}

// CreateSession stores s for ttl; only the hash of s.ID is kept.
// s.CreatedAt is set when zero.
func (db *DB) CreateSession(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	if s.ID == "" {
		return errors.New("create session: empty id")
	}
	now := db.clock()
	exp, err := sessionExpiry(now, ttl)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if _, err := db.w.exec(ctx, `INSERT INTO sessions (id_hash, uid, user_ip, user_agent, csrf_token, expire_time,
		expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		barong.SessionHash(s.ID), s.UID, s.UserIP, s.UserAgent, s.CSRFToken, s.ExpireTime, exp, s.CreatedAt); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session with cookie value id, or ErrNotFound when it
// is unknown or its record expired. Checking ExpireTime (the idle timeout)
// is the caller's job.
func (db *DB) Session(ctx context.Context, id string) (*barong.Session, error) {
	s := barong.Session{ID: id}
	err := db.r.queryRow(ctx, `SELECT uid, user_ip, user_agent, csrf_token, expire_time, created_at FROM sessions
		WHERE id_hash = ? AND expires_at > ?`, barong.SessionHash(id), db.clock()).
		Scan(&s.UID, &s.UserIP, &s.UserAgent, &s.CSRFToken, &s.ExpireTime, timestamp{&s.CreatedAt})
	if err != nil {
		return nil, notFound(err, "session")
	}
	return &s, nil
}

// TouchSession stores s.ExpireTime and extends the record's lifetime to
// ttl from now, and reports it (changes.go); ErrNotFound when the
// session is gone.
func (db *DB) TouchSession(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	if err := db.touch(ctx, s, ttl); err != nil {
		return err
	}
	db.reportChanges(ctx, barong.Change{Kind: barong.ChangedSession, Key: barong.SessionHash(s.ID)})
	return nil
}

// touch is TouchSession without the report: the slide of a session that
// authz holds (Principals.SlideSession), which only moves its expiry
// forward.
func (db *DB) touch(ctx context.Context, s *barong.Session, ttl time.Duration) error {
	now := db.clock()
	exp, err := sessionExpiry(now, ttl)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	h := barong.SessionHash(s.ID)
	n, err := affected(db.w.exec(ctx, `UPDATE sessions SET expire_time = ?, expires_at = ? WHERE id_hash = ? AND expires_at > ?`,
		s.ExpireTime, exp, h, now))
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	if n {
		return nil
	}
	// MySQL reports 0 rows when nothing changed (a second touch within
	// the same second): check the session still exists.
	ok, err := exists(ctx, db.w, "SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?", h, now)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	if !ok {
		return fmt.Errorf("touch session: %w", barong.ErrNotFound)
	}
	return nil
}

// DeleteSession deletes a session and reports it (changes.go); an unknown
// id is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	h := barong.SessionHash(id)
	n, err := affected(db.w.exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", h))
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	if n {
		db.reportChanges(ctx, barong.Change{Kind: barong.ChangedSession, Key: h})
	}
	return nil
}

// DeleteUserSessions deletes every session of uid except exceptID ("" for
// none) and reports it (changes.go).
func (db *DB) DeleteUserSessions(ctx context.Context, uid, exceptID string) error {
	var err error
	except := ""
	if exceptID == "" {
		_, err = db.w.exec(ctx, "DELETE FROM sessions WHERE uid = ?", uid)
	} else {
		except = barong.SessionHash(exceptID)
		_, err = db.w.exec(ctx, "DELETE FROM sessions WHERE uid = ? AND id_hash <> ?", uid, except)
	}
	if err != nil {
		return fmt.Errorf("delete sessions of %s: %w", uid, err)
	}
	db.reportChanges(ctx, barong.Change{Kind: barong.ChangedUserSessions, Key: uid, Except: except})
	return nil
}

// DeleteAllSessions deletes every session of every user (an enabled
// blocklogin restriction, reference §3.5) and reports it (changes.go).
func (db *DB) DeleteAllSessions(ctx context.Context) error {
	if _, err := db.w.exec(ctx, "DELETE FROM sessions"); err != nil {
		return fmt.Errorf("delete all sessions: %w", err)
	}
	db.reportChanges(ctx, barong.Change{Kind: barong.ChangedSession})
	return nil
}

// PurgeExpired deletes expired sessions and KV entries. Expired rows are
// already invisible; this reclaims their space.
func (db *DB) PurgeExpired(ctx context.Context) error {
	now := db.clock()
	if _, err := db.w.exec(ctx, "DELETE FROM sessions WHERE expires_at <= ?", now); err != nil {
		return fmt.Errorf("purge expired sessions: %w", err)
	}
	if _, err := db.w.exec(ctx, "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", now); err != nil {
		return fmt.Errorf("purge expired keys: %w", err)
	}
	if _, err := db.w.exec(ctx, "DELETE FROM setup_tokens WHERE expires_at <= ?", now); err != nil {
		return fmt.Errorf("purge expired setup tokens: %w", err)
	}
	if _, err := db.w.exec(ctx, "DELETE FROM cache_changes WHERE created_at < ?", now.Add(-changeRetention)); err != nil {
		return fmt.Errorf("purge old changes: %w", err)
	}
	return nil
}

// UserSessions lists the live sessions of uid, newest first, with IDHash
// set and ID (and the CSRF token, which listings never need) empty.
func (db *DB) UserSessions(ctx context.Context, uid string) ([]barong.Session, error) {
	ss, err := list(ctx, db.r, func(s scanner) (barong.Session, error) {
		x := barong.Session{UID: uid}
		err := s.Scan(&x.IDHash, &x.UserIP, &x.UserAgent, &x.ExpireTime, timestamp{&x.CreatedAt})
		return x, err
	}, `SELECT id_hash, user_ip, user_agent, expire_time, created_at FROM sessions
		WHERE uid = ? AND expires_at > ? ORDER BY created_at DESC, id_hash`, uid, db.clock())
	if err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", uid, err)
	}
	return ss, nil
}

// DeleteUserSession deletes the live session of uid whose id hashes to
// idHash, reports the deletion (changes.go) and whether there was one.
func (db *DB) DeleteUserSession(ctx context.Context, uid, idHash string) (bool, error) {
	ok, err := affected(db.w.exec(ctx, "DELETE FROM sessions WHERE id_hash = ? AND uid = ? AND expires_at > ?",
		idHash, uid, db.clock()))
	if err != nil {
		return false, fmt.Errorf("delete session of %s: %w", uid, err)
	}
	if ok {
		db.reportChanges(ctx, barong.Change{Kind: barong.ChangedSession, Key: idHash})
	}
	return ok, nil
}
