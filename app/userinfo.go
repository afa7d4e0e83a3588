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

// UserInfo loads the full view of u.
func (s *Service) UserInfo(ctx context.Context, u *barong.User) (*UserInfo, error) {
	info := &UserInfo{User: *u}
	var err error
	if info.ReferralUID, err = s.referralUID(ctx, s.store, u); err != nil {
		return nil, err
	}
	if info.Labels, err = s.store.LabelsByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if info.Phones, err = s.store.PhonesByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load phones: %w", err)
	}
	if info.Profiles, err = s.store.ProfilesByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	if info.DataStorages, err = s.store.DataStoragesByUser(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("load data storages: %w", err)
	}
	return info, nil
}
