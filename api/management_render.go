package api

import (
	"net/http"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

// The management entities (reference §3.7). Management variants are never
// masked.

// mgmtUserEntity is User, or UserWithProfile when withProfiles.
func mgmtUserEntity(u *app.ManagementUser, withProfiles bool) any {
	if !withProfiles {
		return userEntity(&u.User, u.ReferralUID)
	}
	return entity.NewUserWithProfile(&u.User, u.ReferralUID, u.Profiles)
}

// mgmtKYCEntity is UserWithKYC.
func mgmtKYCEntity(u *app.ManagementUser) entity.UserWithKYC {
	return kycEntity(&u.User, u.ReferralUID, u.Profiles, u.Labels, u.Phones, u.Documents, u.DataStorages, u.Comments)
}

// mgmtLabelViewEntity is AdminLabelView.
func mgmtLabelViewEntity(l *barong.Label) entity.AdminLabel { return entity.NewAdminLabel(l) }

// mgmtDocumentEntity is the full Document, number unmasked.
func mgmtDocumentEntity(d *app.DocumentView) entity.Document {
	return entity.NewDocument(&d.Document, d.URL)
}

// mgmtServiceAccountEntity is ServiceAccounts: the account and its owner as a
// User (null without one).
func mgmtServiceAccountEntity(v *app.ServiceAccountView) entity.ServiceAccount {
	return entity.NewServiceAccount(&v.ServiceAccount, v.Owner, v.OwnerReferralUID)
}

// writeMgmtUsers answers a page of users (User, or UserWithProfile when
// extended) with the pagination headers.
func writeMgmtUsers(w http.ResponseWriter, users []app.ManagementUser, total int64, pg barong.Page, extended bool) {
	var out any
	if extended {
		out = entities(users, func(u *app.ManagementUser) entity.UserWithProfile {
			return entity.NewUserWithProfile(&u.User, u.ReferralUID, u.Profiles)
		})
	} else {
		out = entities(users, func(u *app.ManagementUser) entity.User { return userEntity(&u.User, u.ReferralUID) })
	}
	writeKeyPageHeaders(w, total, pg)
	writeJSON(w, http.StatusOK, out)
}
