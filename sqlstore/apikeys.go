package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/barong-go/barong"
)

const apiKeyCols = `id, key_holder_account_id, key_holder_account_type, kid, algorithm, scope, secret_encrypted, state,
	created_at, updated_at`

// apiKeyOrderCols are the columns an API-key list may sort by.
var apiKeyOrderCols = []string{"id", "key_holder_account_id", "key_holder_account_type", "kid", "algorithm",
	"scope", "state", "created_at", "updated_at"}

// scopeList scans the JSON array of an API key's scope; NULL is empty.
type scopeList struct{ p *[]string }

func (s scopeList) Scan(src any) error {
	var raw string
	if err := (str{&raw}).Scan(src); err != nil {
		return err
	}
	*s.p = []string{}
	if raw == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), s.p); err != nil {
		return fmt.Errorf("api key scope: %w", err)
	}
	return nil
}

// scopeJSON is the stored form of a scope: a JSON array, NULL when empty.
func scopeJSON(scope []string) (any, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(scope)
	if err != nil {
		return nil, fmt.Errorf("api key scope: %w", err)
	}
	return string(b), nil
}

func (q queries) scanAPIKey(s scanner) (barong.APIKey, error) {
	var k barong.APIKey
	err := s.Scan(&k.ID, &k.HolderID, &k.HolderType, &k.KID, &k.Algorithm, scopeList{&k.Scope},
		q.decrypted(&k.Secret), &k.State, timestamp{&k.CreatedAt}, timestamp{&k.UpdatedAt})
	return k, err
}

// APIKeyByKID finds an API key with its secret decrypted.
func (q queries) APIKeyByKID(ctx context.Context, kid string) (*barong.APIKey, error) {
	k, err := q.scanAPIKey(q.r.queryRow(ctx, "SELECT "+apiKeyCols+" FROM apikeys WHERE kid = ?", kid))
	if err != nil {
		return nil, notFound(err, "api key %s", kid)
	}
	return &k, nil
}

// APIKeysByHolder returns a page of a holder's keys in order o (default
// id ascending) and the holder's number of keys.
func (q queries) APIKeysByHolder(ctx context.Context, holderType string, holderID int64, o barong.Order, p barong.Page) ([]barong.APIKey, int64, error) {
	order, err := orderBy(o, apiKeyOrderCols)
	if err != nil {
		return nil, 0, fmt.Errorf("api keys: %w", err)
	}
	const w = " FROM apikeys WHERE key_holder_account_type = ? AND key_holder_account_id = ?"
	total, err := count(ctx, q.r, "SELECT COUNT(*)"+w, holderType, holderID)
	if err != nil {
		return nil, 0, fmt.Errorf("count api keys: %w", err)
	}
	limit, largs := page(p)
	ks, err := list(ctx, q.r, q.scanAPIKey, "SELECT "+apiKeyCols+w+order+limit, append([]any{holderType, holderID}, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("api keys: %w", err)
	}
	return ks, total, nil
}

// CreateAPIKey inserts k with the secret encrypted; empty HolderType and
// State default to User and active.
func (q queries) CreateAPIKey(ctx context.Context, k *barong.APIKey) error {
	if k.HolderType == "" {
		k.HolderType = barong.HolderUser
	}
	if k.State == "" {
		k.State = "active"
	}
	scope, err := scopeJSON(k.Scope)
	if err != nil {
		return err
	}
	secret, err := q.encrypt(k.Secret)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO apikeys (key_holder_account_id, key_holder_account_type, kid, algorithm, scope,
		secret_encrypted, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.HolderID, k.HolderType, k.KID, k.Algorithm, scope, nullStr(secret), k.State, now, now)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	k.ID, k.CreatedAt, k.UpdatedAt = id, now, now
	return nil
}

// UpdateAPIKey writes the algorithm, scope and state of k (never the
// secret, kid or holder).
func (q queries) UpdateAPIKey(ctx context.Context, k *barong.APIKey) error {
	scope, err := scopeJSON(k.Scope)
	if err != nil {
		return err
	}
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE apikeys SET algorithm = ?, scope = ?, state = ?, updated_at = ? WHERE id = ?`,
		k.Algorithm, scope, k.State, now, k.ID))
	if err := q.updated(ctx, n, err, "apikeys", k.ID); err != nil {
		return err
	}
	k.UpdatedAt = now
	if k.KID == "" {
		return q.reportKeys(ctx, "id = ?", k.ID)
	}
	q.report(ctx, barong.Change{Kind: barong.ChangedAPIKey, Key: k.KID})
	return nil
}

// DeleteAPIKey deletes an API key.
func (q queries) DeleteAPIKey(ctx context.Context, id int64) error {
	kids, err := q.keyIDs(ctx, "id = ?", id)
	if err != nil {
		return err
	}
	if err := q.deleteByID(ctx, "apikeys", id); err != nil {
		return err
	}
	q.reportKIDs(ctx, kids)
	return nil
}

// keyIDs reads the kids of the keys matching where.
func (q queries) keyIDs(ctx context.Context, where string, args ...any) ([]string, error) {
	kids, err := list(ctx, q.w, func(s scanner) (string, error) {
		var kid string
		return kid, s.Scan(&kid)
	}, "SELECT kid FROM apikeys WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("api keys to report: %w", err)
	}
	return kids, nil
}

// reportKeys reports the keys matching where as changed.
func (q queries) reportKeys(ctx context.Context, where string, args ...any) error {
	kids, err := q.keyIDs(ctx, where, args...)
	if err != nil {
		return err
	}
	q.reportKIDs(ctx, kids)
	return nil
}

func (q queries) reportKIDs(ctx context.Context, kids []string) {
	cs := make([]barong.Change, len(kids))
	for i, kid := range kids {
		cs[i] = barong.Change{Kind: barong.ChangedAPIKey, Key: kid}
	}
	q.report(ctx, cs...)
}

// DeactivateAPIKeys sets every active key of the holders to inactive.
func (q queries) DeactivateAPIKeys(ctx context.Context, holderType string, holderIDs []int64) error {
	if len(holderIDs) == 0 {
		return nil
	}
	args := []any{holderType}
	for _, id := range holderIDs {
		args = append(args, id)
	}
	where := `key_holder_account_type = ? AND key_holder_account_id IN (` + placeholders(len(holderIDs)) + `) AND state = 'active'`
	kids, err := q.keyIDs(ctx, where, args...)
	if err != nil {
		return err
	}
	if _, err := q.w.exec(ctx, `UPDATE apikeys SET state = 'inactive', updated_at = ? WHERE `+where,
		append([]any{q.now()}, args...)...); err != nil {
		return fmt.Errorf("deactivate api keys: %w", err)
	}
	q.reportKIDs(ctx, kids)
	return nil
}

const serviceAccountCols = `id, uid, owner_id, email, role, level, state, created_at, updated_at`

func scanServiceAccount(s scanner) (barong.ServiceAccount, error) {
	var a barong.ServiceAccount
	err := s.Scan(&a.ID, &a.UID, integer{&a.OwnerID}, &a.Email, &a.Role, &a.Level, &a.State,
		timestamp{&a.CreatedAt}, timestamp{&a.UpdatedAt})
	return a, err
}

func (q queries) serviceAccountBy(ctx context.Context, cond string, arg any) (*barong.ServiceAccount, error) {
	a, err := scanServiceAccount(q.r.queryRow(ctx, "SELECT "+serviceAccountCols+" FROM service_accounts WHERE "+cond, arg))
	if err != nil {
		return nil, notFound(err, "service account %v", arg)
	}
	return &a, nil
}

// ServiceAccountByUID finds a service account by uid.
func (q queries) ServiceAccountByUID(ctx context.Context, uid string) (*barong.ServiceAccount, error) {
	return q.serviceAccountBy(ctx, "uid = ?", uid)
}

// ServiceAccountByEmail finds a service account by e-mail, case-insensitively.
func (q queries) ServiceAccountByEmail(ctx context.Context, email string) (*barong.ServiceAccount, error) {
	return q.serviceAccountBy(ctx, q.r.d.ciEqual("email"), email)
}

// ServiceAccountByID finds a service account by id.
func (q queries) ServiceAccountByID(ctx context.Context, id int64) (*barong.ServiceAccount, error) {
	return q.serviceAccountBy(ctx, "id = ?", id)
}

// ServiceAccountsByOwner returns a page of an owner's service accounts by
// id (ownerID 0: of all owners) and the number of all of them.
func (q queries) ServiceAccountsByOwner(ctx context.Context, ownerID int64, p barong.Page) ([]barong.ServiceAccount, int64, error) {
	var w where
	if ownerID != 0 {
		w.add("owner_id = ?", ownerID)
	}
	total, err := count(ctx, q.r, "SELECT COUNT(*) FROM service_accounts"+w.String(), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("count service accounts: %w", err)
	}
	limit, largs := page(p)
	as, err := list(ctx, q.r, scanServiceAccount, "SELECT "+serviceAccountCols+" FROM service_accounts"+w.String()+
		" ORDER BY id"+limit, append(w.args, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("service accounts: %w", err)
	}
	return as, total, nil
}

// CreateServiceAccount inserts a; empty Role and State default to
// service_account and pending.
func (q queries) CreateServiceAccount(ctx context.Context, a *barong.ServiceAccount) error {
	if a.Role == "" {
		a.Role = "service_account"
	}
	if a.State == "" {
		a.State = barong.StatePending
	}
	now := q.now()
	id, err := q.w.insert(ctx, `INSERT INTO service_accounts (uid, owner_id, email, role, level, state, created_at,
		updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.UID, nullInt(a.OwnerID), a.Email, a.Role, a.Level, a.State, now, now)
	if err != nil {
		return fmt.Errorf("create service account: %w", err)
	}
	a.ID, a.CreatedAt, a.UpdatedAt = id, now, now
	return nil
}

// UpdateServiceAccount writes every column of a.
func (q queries) UpdateServiceAccount(ctx context.Context, a *barong.ServiceAccount) error {
	now := q.now()
	n, err := affected(q.w.exec(ctx, `UPDATE service_accounts SET uid = ?, owner_id = ?, email = ?, role = ?, level = ?,
		state = ?, updated_at = ? WHERE id = ?`, a.UID, nullInt(a.OwnerID), a.Email, a.Role, a.Level, a.State, now, a.ID))
	if err := q.updated(ctx, n, err, "service_accounts", a.ID); err != nil {
		return err
	}
	a.UpdatedAt = now
	q.report(ctx, barong.Change{Kind: barong.ChangedServiceAccount, Key: a.UID})
	return nil
}
