package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
)

// The management API (reference §8.2) answers plain English messages
// rather than keys. Its rules return *barong.Error values whose single key
// is that message, and *ModelError for a failed model validation, which
// the HTTP layer renders as each endpoint did in Barong (full messages,
// a sentence, per-attribute lists or bare keys).

// Messages of the management API.
const (
	MsgRecordNotFound = "Record is not found"
	msgUserNotFound   = "user.doesnt_exist"
)

// ModelError is a failed model validation of a management request: the
// keys in Barong's attr.type form (email.invalid, key.taken ...).
type ModelError struct {
	Keys []string
}

func (e *ModelError) Error() string { return "validation failed: " + strings.Join(e.Keys, ", ") }

// mgmtAsModel turns the 422 keys of the shared model rules (setLabel,
// createKey, duplicateToInvalid ...) into a *ModelError.
func mgmtAsModel(err error) error {
	if e := barong.AsError(err); e != nil && e.Kind == barong.KindInvalid {
		return &ModelError{Keys: e.Keys}
	}
	return err
}

// mgmtModelErr returns the collected keys as a *ModelError, or nil.
func mgmtModelErr(v barong.ValidationErrors) error {
	if len(v) == 0 {
		return nil
	}
	return &ModelError{Keys: v}
}

// ManagementUser is a user with the records of the management entities:
// Profiles for UserWithProfile, and every list for UserWithKYC.
type ManagementUser struct {
	User         barong.User
	ReferralUID  string
	Profiles     []barong.Profile
	Labels       []barong.Label
	Phones       []barong.Phone
	Documents    []DocumentView
	DataStorages []barong.DataStorage
	Comments     []barong.Comment
}

// managementJTIKey is the KV key marking a used management request jti;
// the jti is hashed so that any length fits.
func managementJTIKey(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return "management_jti:" + hex.EncodeToString(sum[:])
}

// UseManagementJTI marks the jti of a verified management request used
// for ttl (0: for ever) and reports whether it was fresh. A replayed
// request (same jti) reports false, across processes (barong-go addition:
// Barong accepts a captured request again until it expires).
func (s *Identity) UseManagementJTI(ctx context.Context, jti string, ttl time.Duration) (bool, error) {
	ok, err := s.kv.SetNX(ctx, managementJTIKey(jti), "utilized", ttl)
	if err != nil {
		return false, fmt.Errorf("mark management jti: %w", err)
	}
	return ok, nil
}

// mgmtUserOr loads the user uid, answering notFound when there is none.
func mgmtUserOr(ctx context.Context, q barong.UserQueries, uid string, notFound error) (*barong.User, error) {
	u, err := q.UserByUID(ctx, uid)
	if err != nil {
		if isNotFound(err) {
			return nil, notFound
		}
		return nil, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// mgmtRecordNotFound is Grape's answer to a failed find_by!.
func mgmtRecordNotFound() error { return barong.NotFound(MsgRecordNotFound) }

// mgmtUserMissing is the management answer to an unknown uid (422).
func mgmtUserMissing() error { return barong.Invalid(msgUserNotFound) }

// mgmtProfileView is u with its profiles (UserWithProfile).
func (s *core) mgmtProfileView(ctx context.Context, u *barong.User) (*ManagementUser, error) {
	v := &ManagementUser{User: *u}
	var err error
	if v.ReferralUID, err = s.referralUID(ctx, s.store, u); err != nil {
		return nil, err
	}
	if v.Profiles, err = s.store.ProfilesByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	return v, nil
}

// mgmtKycView is u with every record of UserWithKYC.
func (s *core) mgmtKycView(ctx context.Context, u *barong.User) (*ManagementUser, error) {
	v, err := s.mgmtProfileView(ctx, u)
	if err != nil {
		return nil, err
	}
	if v.Labels, err = s.store.LabelsByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if v.Phones, err = s.store.PhonesByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load phones: %w", err)
	}
	if v.Documents, err = s.documents(ctx, u); err != nil {
		return nil, err
	}
	if v.DataStorages, err = s.store.DataStoragesByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load data storages: %w", err)
	}
	if v.Comments, err = s.store.CommentsByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load comments: %w", err)
	}
	return v, nil
}

// mgmtUsersPage completes a page of users: referral uids, and the profiles of
// every user when extended.
func (s *core) mgmtUsersPage(ctx context.Context, users []barong.User, extended bool) ([]ManagementUser, error) {
	refs, err := s.referralUIDs(ctx, users)
	if err != nil {
		return nil, err
	}
	var profiles map[int64][]barong.Profile
	if extended && len(users) > 0 {
		ids := make([]int64, len(users))
		for i := range users {
			ids[i] = users[i].ID
		}
		if profiles, err = s.store.ProfilesByUsers(ctx, ids); err != nil {
			return nil, fmt.Errorf("load profiles: %w", err)
		}
	}
	out := make([]ManagementUser, len(users))
	for i := range users {
		out[i] = ManagementUser{User: users[i], ReferralUID: refs[users[i].ReferralID], Profiles: profiles[users[i].ID]}
	}
	return out, nil
}
