package redisstore

import (
	"context"
	"fmt"

	barong "github.com/barong-go/barong"
)

// Wrap returns store with every write of a user, an API key or a service
// account followed, once committed, by the deletion of its snapshot. Wrap
// the store that the rules (package app) write through: all paths that
// change a principal are then covered, whichever service method or admin
// endpoint makes the change, without each having to remember it.
//
// Inside InTx the changed principals are collected and their snapshots
// deleted after InTx returns (also after an error: deleting too much only
// costs a reload). Writes outside a transaction delete at once.
//
// Written rows and what they invalidate:
//
//	UpdateUser            user:<uid>
//	UpdateServiceAccount  sa:<uid>
//	UpdateAPIKey          apikey:<kid>
//	DeleteAPIKey          apikey:<kid> of the id, known from a read or write
//	                      of the key in the same transaction; else every
//	                      API-key snapshot
//	DeactivateAPIKeys     apikey:<kid> of every key of the holders (listed
//	                      in the transaction first)
//
// Creations need nothing: absent principals are never cached.
func (p *Principals) Wrap(store barong.Store) barong.Store {
	return &invalidatingStore{Store: store, p: p}
}

// changes are the principals a transaction wrote.
type changes struct {
	users, sas, kids []string
	// all* ask for every snapshot of the kind: a change that does not
	// name its principal (a row written without uid or kid).
	allUsers, allSAs, allKeys bool
	// kidByID holds the kid of every key the transaction read or wrote.
	kidByID map[int64]string
}

func (c *changes) empty() bool {
	return len(c.users) == 0 && len(c.sas) == 0 && len(c.kids) == 0 && !c.allUsers && !c.allSAs && !c.allKeys
}

func (c *changes) updatedUser(u *barong.User) {
	if u.UID == "" {
		c.allUsers = true
		return
	}
	c.users = append(c.users, u.UID)
}

func (c *changes) updatedSA(sa *barong.ServiceAccount) {
	if sa.UID == "" {
		c.allSAs = true
		return
	}
	c.sas = append(c.sas, sa.UID)
}

func (c *changes) sawKey(k *barong.APIKey) {
	if k == nil || k.KID == "" {
		return
	}
	if c.kidByID == nil {
		c.kidByID = map[int64]string{}
	}
	c.kidByID[k.ID] = k.KID
}

func (c *changes) updatedKey(k *barong.APIKey) {
	c.sawKey(k)
	if k.KID == "" {
		c.deletedKey(k.ID)
		return
	}
	c.kids = append(c.kids, k.KID)
}

func (c *changes) deletedKey(id int64) {
	if kid, ok := c.kidByID[id]; ok {
		c.kids = append(c.kids, kid)
		return
	}
	c.allKeys = true
}

// holderKeys notes the kids of every key of the holders, read through q
// before they are deactivated.
func (c *changes) holderKeys(ctx context.Context, q barong.Queries, holderType string, ids []int64) error {
	const limit = 1000
	for _, id := range ids {
		for page := 1; ; page++ {
			ks, total, err := q.APIKeysByHolder(ctx, holderType, id, barong.Order{By: "id"}, barong.Page{Page: page, Limit: limit})
			if err != nil {
				return fmt.Errorf("list keys to invalidate: %w", err)
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

// apply deletes the snapshots of c; failures are logged (the snapshots
// then expire with their TTL).
func (p *Principals) apply(ctx context.Context, c *changes) {
	if c.empty() {
		return
	}
	if err := p.Invalidate(ctx, c.users, c.sas, c.kids); err != nil {
		p.log.ErrorContext(ctx, "invalidate principal snapshots", "error", err)
	}
	for suffix, all := range map[string]bool{userSuffix: c.allUsers, saSuffix: c.allSAs, keySuffix: c.allKeys} {
		if !all {
			continue
		}
		if err := p.invalidateAll(ctx, suffix); err != nil {
			p.log.ErrorContext(ctx, "invalidate principal snapshots", "kind", suffix, "error", err)
		}
	}
}

// invalidatingStore is the store Wrap returns.
type invalidatingStore struct {
	barong.Store
	p *Principals
}

// InTx runs fn with a transaction that collects changes, then deletes
// their snapshots.
func (s *invalidatingStore) InTx(ctx context.Context, fn func(tx barong.Tx) error) error {
	var c *changes
	err := s.Store.InTx(ctx, func(tx barong.Tx) error {
		c = &changes{} // a retried transaction starts over
		return fn(&invalidatingTx{Tx: tx, c: c})
	})
	if c != nil {
		s.p.apply(ctx, c)
	}
	return err
}

// alone runs one write outside a transaction and then invalidates.
func (s *invalidatingStore) alone(ctx context.Context, note func(c *changes), write func() error) error {
	err := write()
	c := &changes{}
	note(c)
	s.p.apply(ctx, c)
	return err
}

func (s *invalidatingStore) UpdateUser(ctx context.Context, u *barong.User) error {
	return s.alone(ctx, func(c *changes) { c.updatedUser(u) },
		func() error { return s.Store.UpdateUser(ctx, u) })
}

func (s *invalidatingStore) UpdateServiceAccount(ctx context.Context, sa *barong.ServiceAccount) error {
	return s.alone(ctx, func(c *changes) { c.updatedSA(sa) },
		func() error { return s.Store.UpdateServiceAccount(ctx, sa) })
}

func (s *invalidatingStore) UpdateAPIKey(ctx context.Context, k *barong.APIKey) error {
	return s.alone(ctx, func(c *changes) { c.updatedKey(k) }, func() error { return s.Store.UpdateAPIKey(ctx, k) })
}

func (s *invalidatingStore) DeleteAPIKey(ctx context.Context, id int64) error {
	return s.alone(ctx, func(c *changes) { c.deletedKey(id) }, func() error { return s.Store.DeleteAPIKey(ctx, id) })
}

func (s *invalidatingStore) DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error {
	c := &changes{}
	if err := c.holderKeys(ctx, s.Store, holderType, holderIDs); err != nil {
		c.allKeys = true
	}
	err := s.Store.DeactivateAPIKeys(ctx, holderType, holderIDs)
	s.p.apply(ctx, c)
	return err
}

// invalidatingTx is the transaction invalidatingStore.InTx hands out.
type invalidatingTx struct {
	barong.Tx
	c *changes
}

func (t *invalidatingTx) UpdateUser(ctx context.Context, u *barong.User) error {
	t.c.updatedUser(u)
	return t.Tx.UpdateUser(ctx, u)
}

func (t *invalidatingTx) UpdateServiceAccount(ctx context.Context, sa *barong.ServiceAccount) error {
	t.c.updatedSA(sa)
	return t.Tx.UpdateServiceAccount(ctx, sa)
}

func (t *invalidatingTx) APIKeyByKID(ctx context.Context, kid string) (*barong.APIKey, error) {
	k, err := t.Tx.APIKeyByKID(ctx, kid)
	t.c.sawKey(k)
	return k, err
}

func (t *invalidatingTx) APIKeysByHolder(ctx context.Context, holderType string, holderID int64, o barong.Order, p barong.Page) ([]barong.APIKey, int64, error) {
	ks, n, err := t.Tx.APIKeysByHolder(ctx, holderType, holderID, o, p)
	for i := range ks {
		t.c.sawKey(&ks[i])
	}
	return ks, n, err
}

func (t *invalidatingTx) CreateAPIKey(ctx context.Context, k *barong.APIKey) error {
	err := t.Tx.CreateAPIKey(ctx, k)
	if err == nil {
		t.c.sawKey(k)
	}
	return err
}

func (t *invalidatingTx) UpdateAPIKey(ctx context.Context, k *barong.APIKey) error {
	t.c.updatedKey(k)
	return t.Tx.UpdateAPIKey(ctx, k)
}

func (t *invalidatingTx) DeleteAPIKey(ctx context.Context, id int64) error {
	t.c.deletedKey(id)
	return t.Tx.DeleteAPIKey(ctx, id)
}

func (t *invalidatingTx) DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error {
	if err := t.c.holderKeys(ctx, t.Tx, holderType, holderIDs); err != nil {
		return err
	}
	return t.Tx.DeactivateAPIKeys(ctx, holderType, holderIDs)
}
