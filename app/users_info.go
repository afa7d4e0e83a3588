package app

import (
	"context"
	"errors"
	"fmt"

	barong "github.com/barong-go/barong"
)

// UserInfo is a user with the records of Barong's UserWithFullInfo entity.
type UserInfo struct {
	User         barong.User
	ReferralUID  string
	Labels       []barong.Label
	Phones       []barong.Phone
	Profiles     []barong.Profile
	DataStorages []barong.DataStorage
}

// Info loads the full view of u, as stored now, in one database round
// trip.
func (s *Users) Info(ctx context.Context, actor barong.Actor) (*UserInfo, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	return s.userInfo(ctx, u.UID)
}

// InfoByUID loads the full view of the user with this UID in one
// database round trip; an unknown UID is record.not_found.
func (s *Users) InfoByUID(ctx context.Context, uid string) (*UserInfo, error) {
	return s.userInfo(ctx, uid)
}

// userInfo loads the full view of the user with this UID.
func (s *core) userInfo(ctx context.Context, uid string) (*UserInfo, error) {
	u, recs, err := s.store.UserView(ctx, uid)
	if err != nil {
		if errors.Is(err, barong.ErrNotFound) {
			return nil, barong.NotFound("record.not_found")
		}
		return nil, fmt.Errorf("load user view: %w", err)
	}
	return &UserInfo{User: *u, ReferralUID: recs.ReferralUID, Labels: recs.Labels, Phones: recs.Phones,
		Profiles: recs.Profiles, DataStorages: recs.DataStorages}, nil
}

// ByUID loads the user with this UID (for the HTTP layer's bearer
// authentication); an unknown UID is barong.ErrNotFound.
func (s *Users) ByUID(ctx context.Context, uid string) (*barong.User, error) {
	u, err := s.store.UserByUID(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", uid, err)
	}
	return u, nil
}
