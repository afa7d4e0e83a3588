package barong

import (
	"context"
	"time"
)

// Page selects a page of a list: Page from 1, Limit 1..100.
type Page struct {
	Page  int
	Limit int
}

// maxOffset bounds Offset: far past any table, and far from overflowing
// an int64 when a limit is added to it.
const maxOffset = 1 << 53

// Offset is the number of rows before the page, at most maxOffset (a
// page like 2^63-1 would overflow into a negative offset).
func (p Page) Offset() int {
	if p.Page <= 1 || p.Limit <= 0 {
		return 0
	}
	if p.Page-1 > maxOffset/p.Limit {
		return maxOffset
	}
	return (p.Page - 1) * p.Limit
}

// Order sorts a list by a column, ascending unless Desc.
type Order struct {
	By   string
	Desc bool
}

// Queries are all the reads and writes of the SQL store (queries.go),
// served on the pool by Store and in a transaction by Tx.
type Queries interface {
	UserQueries
	UserSearchQueries
	UserViewQueries
	LabelQueries
	LevelQueries
	RulesQueries
	ActivityQueries
	ProfileQueries
	PhoneQueries
	DocumentQueries
	DataStorageQueries
	CommentQueries
	APIKeyQueries
	ServiceAccountQueries
	TOTPQueries
	WebAuthnQueries
	KYCAIDQueries
	SetupTokenQueries
}

// Tx is one database transaction: the queries plus the outbox.
type Tx interface {
	Queries
	// Now is the transaction's clock, truncated to the second.
	Now() time.Time
	// Emit writes ev to the outbox in this transaction; it is published
	// after commit, never for a rolled-back change.
	Emit(ctx context.Context, ev Event) error
	// LockUser reads the user and locks his row until the transaction ends
	// (SELECT ... FOR UPDATE by primary key; SQLite has a single writer).
	// Transactions that check or derive something from a user's records
	// (one open profile, labels → state and level, the document limit)
	// take it before they read them, so they run one after the other for
	// one user and never block another user's; reads after it see every
	// commit before it (READ COMMITTED). An unknown user is ErrNotFound.
	LockUser(ctx context.Context, userID int64) (*User, error)
}

// Store is the SQL database.
type Store interface {
	Queries
	// InTx runs fn in a transaction, committing when it returns nil. A
	// transaction that meets a deadlock or a serialization failure is run
	// again, fn included, a few times: fn must be safe to re-run (no effect
	// outside the transaction, nothing carried over from an attempt).
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// ReportChangesTo makes the store hand report the changes it commits
	// (changes.go) from now on, in or out of a transaction, once committed,
	// instead of to its own feed between processes. Call it before use.
	ReportChangesTo(report func(ctx context.Context, cs []Change))
}

// SessionStore keeps cookie sessions (SQL by default, Redis when configured).
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session, ttl time.Duration) error
	// Session returns ErrNotFound for an unknown or expired id.
	Session(ctx context.Context, id string) (*Session, error)
	// TouchSession stores s.ExpireTime and extends the record's lifetime.
	TouchSession(ctx context.Context, s *Session, ttl time.Duration) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions revokes every session of uid except exceptID.
	DeleteUserSessions(ctx context.Context, uid, exceptID string) error
	// UserSessions lists the live sessions of uid, newest first. Their ID
	// is empty (stores keep only its hash), IDHash is SessionHash(id), and
	// their CSRF token is left out.
	UserSessions(ctx context.Context, uid string) ([]Session, error)
	// DeleteUserSession revokes the session of uid whose id hashes to
	// idHash; it reports false when uid has no such live session.
	DeleteUserSession(ctx context.Context, uid, idHash string) (bool, error)
}

// NonceKey is the KV key marking an API key's (kid, nonce) pair used: the
// same in the database's kv table and under Redis' KV prefix.
func NonceKey(kid, nonce string) string { return "nonce:" + kid + ":" + nonce }

// KV holds short-lived markers and counters: used one-time tokens, the
// latest reset token, whitelink tokens, API-key nonces, throttle counters.
type KV interface {
	// SetNX stores value unless key exists; it reports whether it stored.
	SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// Get returns ErrNotFound for a missing or expired key.
	Get(ctx context.Context, key string) (string, error)
	Delete(ctx context.Context, key string) error
	// Incr adds one to a counter whose window of ttl starts at its first
	// increment, and returns the new count.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Decr takes one back from a live counter (never below zero, never
	// creating one) and keeps its window.
	Decr(ctx context.Context, key string) error
}

// Cipher encrypts secrets and personal data at rest.
type Cipher interface {
	Encrypt(plain string) (string, error)
	Decrypt(stored string) (string, error)
}
