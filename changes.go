package barong

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Change tells the caches of every process that a committed write made a
// record stale. authz keeps sessions, users, service accounts and API keys
// in process memory and drops what a change names. The session stores
// report their own changes (every deletion of a session, and TouchSession);
// ReportChanges reports those a Store makes of users, service accounts and
// API keys. The stores carry changes between processes (redisstore by
// pub/sub, sqlstore by a polled table) and apply them in their own process
// before the write returns.
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

// SessionHash is the hex SHA-256 of a session id: the only form of the id
// the session stores keep, and the key of a session in a Change.
func SessionHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// LoadHolder reads the holder of k, a user or a service account.
func LoadHolder(ctx context.Context, q Queries, k *APIKey) (*User, *ServiceAccount, error) {
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

// ReportChanges returns store with every write of a user, a service account
// or an API key reported to report once committed. Wrap the store the
// rules (package app) write through: every path that changes a principal
// is then covered, whichever service method or admin endpoint makes it.
//
// Inside InTx the changes are collected and reported after InTx returns
// (also after an error: reporting too much only costs a reload). Writes
// outside a transaction report at once. Written rows and their changes:
//
//	UpdateUser            ChangedUser <uid>
//	UpdateServiceAccount  ChangedServiceAccount <uid>
//	UpdateAPIKey          ChangedAPIKey <kid>
//	DeleteAPIKey          ChangedAPIKey <kid> of the id, known from a read or
//	                      write of the key in the same transaction; else
//	                      every API key
//	DeactivateAPIKeys     ChangedAPIKey <kid> of every key of the holders
//	                      (listed in the transaction first)
//
// Creations need nothing: absent records are never cached.
func ReportChanges(store Store, report func(ctx context.Context, cs []Change)) Store {
	return &reportingStore{Store: store, report: report}
}

// changeSet collects the changes of one transaction.
type changeSet struct {
	cs []Change
	// kidByID holds the kid of every key the transaction read or wrote.
	kidByID map[int64]string
}

func (c *changeSet) add(kind ChangeKind, key string) {
	c.cs = append(c.cs, Change{Kind: kind, Key: key})
}

func (c *changeSet) sawKey(k *APIKey) {
	if k == nil || k.KID == "" {
		return
	}
	if c.kidByID == nil {
		c.kidByID = map[int64]string{}
	}
	c.kidByID[k.ID] = k.KID
}

func (c *changeSet) updatedKey(k *APIKey) {
	c.sawKey(k)
	if k.KID == "" {
		c.deletedKey(k.ID)
		return
	}
	c.add(ChangedAPIKey, k.KID)
}

// deletedKey names the key's kid when the transaction saw it, else every
// key ("").
func (c *changeSet) deletedKey(id int64) { c.add(ChangedAPIKey, c.kidByID[id]) }

// holderKeys notes the kids of every key of the holders, read through q
// before they are deactivated.
func (c *changeSet) holderKeys(ctx context.Context, q Queries, holderType string, ids []int64) error {
	const limit = 100
	for _, id := range ids {
		for page := 1; ; page++ {
			ks, total, err := q.APIKeysByHolder(ctx, holderType, id, Order{By: "id"}, Page{Page: page, Limit: limit})
			if err != nil {
				return fmt.Errorf("list keys to report: %w", err)
			}
			for i := range ks {
				c.updatedKey(&ks[i])
			}
			if len(ks) < limit || int64(page*limit) >= total {
				break
			}
		}
	}
	return nil
}

// reportingStore is the store ReportChanges returns.
type reportingStore struct {
	Store
	report func(ctx context.Context, cs []Change)
}

// InTx runs fn with a transaction that collects changes, then reports them.
func (s *reportingStore) InTx(ctx context.Context, fn func(tx Tx) error) error {
	var c *changeSet
	err := s.Store.InTx(ctx, func(tx Tx) error {
		c = &changeSet{} // a retried transaction starts over
		return fn(&reportingTx{Tx: tx, c: c})
	})
	if c != nil && len(c.cs) > 0 {
		s.report(ctx, c.cs)
	}
	return err
}

// alone runs one write outside a transaction and then reports it.
func (s *reportingStore) alone(ctx context.Context, c *changeSet, err error) error {
	if len(c.cs) > 0 {
		s.report(ctx, c.cs)
	}
	return err
}

func (s *reportingStore) UpdateUser(ctx context.Context, u *User) error {
	err := s.Store.UpdateUser(ctx, u)
	return s.alone(ctx, &changeSet{cs: []Change{{Kind: ChangedUser, Key: u.UID}}}, err)
}

func (s *reportingStore) UpdateServiceAccount(ctx context.Context, sa *ServiceAccount) error {
	err := s.Store.UpdateServiceAccount(ctx, sa)
	return s.alone(ctx, &changeSet{cs: []Change{{Kind: ChangedServiceAccount, Key: sa.UID}}}, err)
}

func (s *reportingStore) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	err := s.Store.UpdateAPIKey(ctx, k)
	c := &changeSet{}
	c.updatedKey(k)
	return s.alone(ctx, c, err)
}

func (s *reportingStore) DeleteAPIKey(ctx context.Context, id int64) error {
	err := s.Store.DeleteAPIKey(ctx, id)
	c := &changeSet{}
	c.deletedKey(id)
	return s.alone(ctx, c, err)
}

func (s *reportingStore) DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error {
	c := &changeSet{}
	if err := c.holderKeys(ctx, s.Store, holderType, holderIDs); err != nil {
		c.add(ChangedAPIKey, "")
	}
	return s.alone(ctx, c, s.Store.DeactivateAPIKeys(ctx, holderType, holderIDs))
}

// reportingTx is the transaction reportingStore.InTx hands out.
type reportingTx struct {
	Tx
	c *changeSet
}

func (t *reportingTx) UpdateUser(ctx context.Context, u *User) error {
	t.c.add(ChangedUser, u.UID)
	return t.Tx.UpdateUser(ctx, u)
}

func (t *reportingTx) UpdateServiceAccount(ctx context.Context, sa *ServiceAccount) error {
	t.c.add(ChangedServiceAccount, sa.UID)
	return t.Tx.UpdateServiceAccount(ctx, sa)
}

func (t *reportingTx) APIKeyByKID(ctx context.Context, kid string) (*APIKey, error) {
	k, err := t.Tx.APIKeyByKID(ctx, kid)
	t.c.sawKey(k)
	return k, err
}

func (t *reportingTx) APIKeysByHolder(ctx context.Context, holderType string, holderID int64, o Order, p Page) ([]APIKey, int64, error) {
	ks, n, err := t.Tx.APIKeysByHolder(ctx, holderType, holderID, o, p)
	for i := range ks {
		t.c.sawKey(&ks[i])
	}
	return ks, n, err
}

func (t *reportingTx) CreateAPIKey(ctx context.Context, k *APIKey) error {
	err := t.Tx.CreateAPIKey(ctx, k)
	if err == nil {
		t.c.sawKey(k)
	}
	return err
}

func (t *reportingTx) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	t.c.updatedKey(k)
	return t.Tx.UpdateAPIKey(ctx, k)
}

func (t *reportingTx) DeleteAPIKey(ctx context.Context, id int64) error {
	t.c.deletedKey(id)
	return t.Tx.DeleteAPIKey(ctx, id)
}

func (t *reportingTx) DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error {
	if err := t.c.holderKeys(ctx, t.Tx, holderType, holderIDs); err != nil {
		return err
	}
	return t.Tx.DeactivateAPIKeys(ctx, holderType, holderIDs)
}
