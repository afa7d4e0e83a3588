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

// UserInfo loads the full view of u, as stored now, in one database round
// trip.
func (s *Service) UserInfo(ctx context.Context, u *barong.User) (*UserInfo, error) {
	return s.userInfo(ctx, u.UID)
}

// UserInfoByUID loads the full view of the user with this UID in one
// database round trip; an unknown UID is record.not_found.
func (s *Service) UserInfoByUID(ctx context.Context, uid string) (*UserInfo, error) {
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
