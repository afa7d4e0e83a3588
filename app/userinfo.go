package app

import (
	"context"
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

// UserInfo loads the full view of u in one database round trip.
func (s *Service) UserInfo(ctx context.Context, u *barong.User) (*UserInfo, error) {
	recs, err := s.store.UserRecords(ctx, u.ID, u.ReferralID)
	if err != nil {
		return nil, fmt.Errorf("load user records: %w", err)
	}
	return &UserInfo{User: *u, ReferralUID: recs.ReferralUID, Labels: recs.Labels, Phones: recs.Phones,
		Profiles: recs.Profiles, DataStorages: recs.DataStorages}, nil
}
