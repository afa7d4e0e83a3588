package barong

import (
	"context"
	"fmt"
	"sync"
)

// Change tells the caches of every process that a committed write made a
// record stale. authz keeps sessions, users, service accounts and API keys
// in process memory and drops what a change names. The stores report every
// change they commit: the session stores every deletion of a session (one,
// a user's, all) and TouchSession, the Store every write of a user, a
// service account or an API key (Store.ReportChangesTo). The changes reach
// the other processes by Redis pub/sub (redisstore) or a polled table
// (sqlstore), and are applied in the process that made them before the
// write returns.
type Change struct {
	Kind ChangeKind `json:"k"`
	// Key names the record: the UID of a user or service account, the kid
	// of an API key, the SessionHash of a session, the UID whose sessions
	// ChangedUserSessions names. "" names every record of the kind.
	Key string `json:"id,omitempty"`
	// Except is, for ChangedUserSessions, the SessionHash of the session
	// that stays ("" for none).
	Except string `json:"x,omitempty"`
}

// ChangeKind is what a Change names.
type ChangeKind uint8

// Kinds of Change.
const (
	// ChangedAll: anything may have changed (a feed that may have missed
	// changes reports it).
	ChangedAll ChangeKind = iota
	ChangedUser
	ChangedServiceAccount
	ChangedAPIKey
	ChangedSession
	// ChangedUserSessions: every session of the user Key, except Except.
	ChangedUserSessions
)

// HolderQueries are the reads of LoadHolder; ErrNotFound for a holder
// that is gone.
type HolderQueries interface {
	UserByID(ctx context.Context, id int64) (*User, error)
	ServiceAccountByID(ctx context.Context, id int64) (*ServiceAccount, error)
}

// LoadHolder reads the holder of k, a user or a service account.
func LoadHolder(ctx context.Context, q HolderQueries, k *APIKey) (*User, *ServiceAccount, error) {
	if k.HolderType == HolderServiceAccount {
		sa, err := q.ServiceAccountByID(ctx, k.HolderID)
		if err != nil {
			return nil, nil, fmt.Errorf("load service account: %w", err)
		}
		return nil, sa, nil
	}
	u, err := q.UserByID(ctx, k.HolderID)
	if err != nil {
		return nil, nil, fmt.Errorf("load user: %w", err)
	}
	return u, nil, nil
}

// ChangeWatchers hands the changes a feed delivers to the watchers of one
// process. The zero value is ready.
type ChangeWatchers struct {
	mu   sync.Mutex
	fns  map[uint64]func(Change)
	next uint64
}

// Watch registers fn for the changes delivered from now on.
func (w *ChangeWatchers) Watch(fn func(Change)) (stop func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fns == nil {
		w.fns = map[uint64]func(Change){}
	}
	w.next++
	id := w.next
	w.fns[id] = fn
	return func() {
		w.mu.Lock()
		delete(w.fns, id)
		w.mu.Unlock()
	}
}

// Deliver calls every watcher with each change, in order.
func (w *ChangeWatchers) Deliver(cs []Change) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fn := range w.fns {
		for _, c := range cs {
			fn(c)
		}
	}
}
