package api

import (
	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

// The admin entities (reference §3.7): Barong's admin variants, never
// masked, in Barong's field order.

// adminUserEntity is User, UserWithProfile (profiles loaded) or
// UserWithKYC (KYC loaded).
func adminUserEntity(u *app.AdminUser, withProfiles bool) any {
	switch {
	case u.KYC != nil:
		k := u.KYC
		return kycEntity(&u.User, u.ReferralUID, u.Profiles, k.Labels, k.Phones, k.Documents, k.DataStorages, k.Comments)
	case withProfiles:
		return entity.NewUserWithProfile(&u.User, u.ReferralUID, u.Profiles)
	}
	return userEntity(&u.User, u.ReferralUID)
}

// adminUserList renders a page of users: User, or UserWithProfile when
// withProfiles (UserWithKYC for those whose KYC was loaded).
func adminUserList(us []app.AdminUser, withProfiles bool) any {
	for i := range us {
		if us[i].KYC != nil {
			out := make([]any, 0, len(us))
			for i := range us {
				out = append(out, adminUserEntity(&us[i], withProfiles))
			}
			return out
		}
	}
	if withProfiles {
		return entities(us, func(u *app.AdminUser) entity.UserWithProfile {
			return entity.NewUserWithProfile(&u.User, u.ReferralUID, u.Profiles)
		})
	}
	return entities(us, func(u *app.AdminUser) entity.User { return userEntity(&u.User, u.ReferralUID) })
}

// kycEntity is UserWithKYC (admin and management).
func kycEntity(u *barong.User, referralUID string, profiles []barong.Profile, labels []barong.Label, phones []barong.Phone,
	docs []app.DocumentView, storages []barong.DataStorage, comments []barong.Comment) entity.UserWithKYC {
	return entity.UserWithKYC{User: userEntity(u, referralUID), Profiles: entity.Profiles(profiles, false),
		Labels: entities(labels, adminLabelEntity), Phones: entity.Phones(phones, nil), Documents: entities(docs, adminDocumentEntity),
		DataStorages: entities(storages, dataStorageEntity), Comments: entities(comments, commentEntity),
		CreatedAt: entity.Time(u.CreatedAt), UpdatedAt: entity.Time(u.UpdatedAt)}
}

// adminLabelEntity is AdminLabelView.
func adminLabelEntity(l *barong.Label) entity.AdminLabel { return entity.NewAdminLabel(l) }

// adminDocumentEntity is Document (admin variant, number unmasked).
func adminDocumentEntity(d *app.DocumentView) entity.Document {
	return entity.NewDocument(&d.Document, d.URL)
}

func commentEntity(c *barong.Comment) entity.Comment { return entity.NewComment(c) }

func permissionEntity(p *barong.Permission) entity.Permission { return entity.NewPermission(p) }

func restrictionEntity(r *barong.Restriction) entity.Restriction { return entity.NewRestriction(r) }

// adminActivityEntity is ActivityWithUser (user category) or AdminActivity
// (admin category: the actor as admin, and target).
func adminActivityEntity(a *app.AdminActivity) any {
	actor := entity.UserPtr(a.Actor, a.ActorRefUID)
	if a.Category == barong.CategoryAdmin {
		return entity.NewAdminActivity(&a.Activity, actor, entity.UserPtr(a.Target, a.TargetRef))
	}
	return entity.NewActivityWithUser(&a.Activity, actor)
}
