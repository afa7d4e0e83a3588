package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// KeySnapshot is what authz needs of an API key besides its secret, which
// never reaches Redis: the key's id (a process that holds the secret in
// memory checks it against ID), state and holder.
type KeySnapshot struct {
	ID         int64  `json:"id"`
	KID        string `json:"kid"`
	State      string `json:"st"`
	HolderType string `json:"ht"`
	HolderID   int64  `json:"hid"`
	HolderUID  string `json:"hu"`
}

// KeyQuery is one API-key request.
type KeyQuery struct {
	KID string
	// NonceKey is the KV key (without the KV prefix) that marks the nonce
	// used; Consume records it for NonceTTL unless it exists.
	NonceKey string
	Consume  bool
	NonceTTL time.Duration
	// HolderType and HolderUID, when the caller knows them (a key's holder
	// never changes), let APIKey read with plain commands instead of a
	// script.
	HolderType, HolderUID string
}

// KeyResult is what APIKey read.
type KeyResult struct {
	// Fresh reports that the nonce was recorded now (never without
	// Consume).
	Fresh bool
	// Key is the key snapshot, nil when missing; KeyLease is non-zero when
	// the caller should store it with PutAPIKey.
	Key      *KeySnapshot
	KeyLease int64
	// User or ServiceAccount is the holder's snapshot (read only when the
	// key snapshot exists); HolderLease is non-zero when the caller should
	// store it with PutUser or PutServiceAccount.
	User           *barong.User
	ServiceAccount *barong.ServiceAccount
	HolderLease    int64
}

// APIKey records the nonce (with Consume) and reads the key's and its
// holder's snapshots in one round trip: three plain commands when the
// holder is given, else (or when a snapshot is missing, to take its lease)
// keyScript.
func (p *Principals) APIKey(ctx context.Context, q KeyQuery) (KeyResult, error) {
	var res KeyResult
	if !validSuffix(q.KID) {
		return res, fmt.Errorf("redisstore: api key: invalid kid")
	}
	if q.Consume && q.NonceTTL < time.Millisecond {
		return res, fmt.Errorf("redisstore: api key: nonce ttl %s is below 1ms", q.NonceTTL)
	}
	fresh, consumed := false, false
	if validSuffix(q.HolderUID) {
		res, done, err := p.keyGets(ctx, q)
		if done || err != nil {
			return res, err
		}
		fresh, consumed = res.Fresh, q.Consume // the nonce is recorded: keep its answer
		q.Consume = false
	}
	res, err := p.keyRun(ctx, q)
	if consumed {
		res.Fresh = fresh
	}
	return res, err
}

// keyGets is the steady-state read; done is false when the script must
// run instead.
func (p *Principals) keyGets(ctx context.Context, q KeyQuery) (KeyResult, bool, error) {
	var res KeyResult
	getK := redis.NewStringCmd(ctx, "get", p.prefix+keySuffix+q.KID)
	getH := redis.NewStringCmd(ctx, "get", p.prefix+holderSuffix(q.HolderType, q.HolderUID))
	cmds := []redis.Cmder{getK, getH}
	var setN *redis.BoolCmd
	if q.Consume {
		setN = redis.NewBoolCmd(ctx, "set", p.kvPrefix+q.NonceKey, "1", "px", q.NonceTTL.Milliseconds(), "nx")
		cmds = append([]redis.Cmder{setN}, cmds...)
	}
	if err := p.batch.do(ctx, &batchCall{cmds: cmds}); err != nil {
		return res, true, fmt.Errorf("redisstore: api key: %w", err)
	}
	if setN != nil {
		fresh, err := setN.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return res, true, fmt.Errorf("redisstore: api key: record nonce: %w", err)
		}
		res.Fresh = fresh
	}
	k, err := getK.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return res, true, fmt.Errorf("redisstore: api key: %w", err)
	}
	if err != nil || strings.HasPrefix(k, "#") {
		return res, false, nil
	}
	if res.Key, err = decodeKey(k); err != nil {
		return res, true, fmt.Errorf("redisstore: api key: %w", err)
	}
	h, err := getH.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return res, true, fmt.Errorf("redisstore: api key holder: %w", err)
	}
	if err != nil || strings.HasPrefix(h, "#") || res.Key.HolderType != q.HolderType || res.Key.HolderUID != q.HolderUID {
		return res, false, nil
	}
	if q.HolderType == barong.HolderServiceAccount {
		res.ServiceAccount, err = decodeServiceAccount(h)
	} else {
		res.User, err = decodeUser(h)
	}
	if err != nil {
		return res, true, fmt.Errorf("redisstore: api key holder: %w", err)
	}
	return res, true, nil
}

// keyRun runs keyScript.
func (p *Principals) keyRun(ctx context.Context, q KeyQuery) (KeyResult, error) {
	var res KeyResult
	consume := "0"
	if q.Consume {
		consume = "1"
	}
	keys := []string{p.prefix + keySuffix + q.KID, p.kvPrefix + q.NonceKey}
	args := []any{p.prefix, q.NonceTTL.Milliseconds(), consume, p.leaseKey}
	vals, err := p.batch.runScript(ctx, keyScript, keys, args...).Slice()
	if err != nil {
		return res, fmt.Errorf("redisstore: api key: %w", err)
	}
	if len(vals) != 5 {
		return res, fmt.Errorf("redisstore: api key: script returned %d values", len(vals))
	}
	res.Fresh = vals[0] == int64(1)
	res.KeyLease, _ = vals[2].(int64)
	res.HolderLease, _ = vals[4].(int64)
	k, ok := vals[1].(string)
	if !ok {
		return res, nil
	}
	if res.Key, err = decodeKey(k); err != nil {
		return res, fmt.Errorf("redisstore: api key: %w", err)
	}
	h, ok := vals[3].(string)
	if !ok {
		return res, nil
	}
	if res.Key.HolderType == barong.HolderServiceAccount {
		res.ServiceAccount, err = decodeServiceAccount(h)
	} else {
		res.User, err = decodeUser(h)
	}
	if err != nil {
		return res, fmt.Errorf("redisstore: api key holder: %w", err)
	}
	return res, nil
}

// PutAPIKey stores the key snapshot under a lease from APIKey.
func (p *Principals) PutAPIKey(ctx context.Context, lease int64, k *KeySnapshot) error {
	if !validSuffix(k.KID) || !validSuffix(k.HolderUID) {
		return fmt.Errorf("redisstore: store api key snapshot: invalid kid or holder uid")
	}
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("redisstore: store api key snapshot: %w", err)
	}
	v := append([]byte(holderSuffix(k.HolderType, k.HolderUID)+"\n"), b...)
	return p.put(ctx, keySuffix+k.KID, lease, v)
}

// decodeKey parses "<holder line>\n<JSON>".
func decodeKey(v string) (*KeySnapshot, error) {
	_, data, ok := strings.Cut(v, "\n")
	if !ok {
		return nil, fmt.Errorf("%w: api key without holder line", errCorrupt)
	}
	var k KeySnapshot
	if scanFlat(data, k.set) != nil {
		k = KeySnapshot{}
		if err := unmarshalSnap(data, &k); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

// userSnap is the stored form of a user snapshot: what authz decides on
// and what the bearer token carries.
type userSnap struct {
	ID         int64  `json:"id"`
	UID        string `json:"uid"`
	Username   string `json:"un,omitempty"`
	Email      string `json:"em"`
	Role       string `json:"ro"`
	Level      int    `json:"lv"`
	OTP        bool   `json:"otp,omitempty"`
	State      string `json:"st"`
	ReferralID int64  `json:"ref,omitempty"`
}

func encodeUser(u *barong.User) []byte {
	b, _ := json.Marshal(userSnap{ID: u.ID, UID: u.UID, Username: u.Username, Email: u.Email, Role: u.Role,
		Level: u.Level, OTP: u.OTP, State: u.State, ReferralID: u.ReferralID})
	return b
}

func decodeUser(v string) (*barong.User, error) {
	var s userSnap
	if scanFlat(v, s.set) != nil {
		s = userSnap{}
		if err := unmarshalSnap(v, &s); err != nil {
			return nil, err
		}
	}
	if s.UID == "" {
		return nil, fmt.Errorf("%w: user without uid", errCorrupt)
	}
	return &barong.User{ID: s.ID, UID: s.UID, Username: s.Username, Email: s.Email, Role: s.Role,
		Level: s.Level, OTP: s.OTP, State: s.State, ReferralID: s.ReferralID}, nil
}

// saSnap is the stored form of a service-account snapshot.
type saSnap struct {
	ID      int64  `json:"id"`
	UID     string `json:"uid"`
	OwnerID int64  `json:"own"`
	Email   string `json:"em"`
	Role    string `json:"ro"`
	Level   int    `json:"lv"`
	State   string `json:"st"`
}

func encodeServiceAccount(sa *barong.ServiceAccount) []byte {
	b, _ := json.Marshal(saSnap{ID: sa.ID, UID: sa.UID, OwnerID: sa.OwnerID, Email: sa.Email, Role: sa.Role,
		Level: sa.Level, State: sa.State})
	return b
}

func decodeServiceAccount(v string) (*barong.ServiceAccount, error) {
	var s saSnap
	if scanFlat(v, s.set) != nil {
		s = saSnap{}
		if err := unmarshalSnap(v, &s); err != nil {
			return nil, err
		}
	}
	if s.UID == "" {
		return nil, fmt.Errorf("%w: service account without uid", errCorrupt)
	}
	return &barong.ServiceAccount{ID: s.ID, UID: s.UID, OwnerID: s.OwnerID, Email: s.Email, Role: s.Role,
		Level: s.Level, State: s.State}, nil
}
