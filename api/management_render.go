package api

import (
	"net/http"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// The management entities (reference §3.7). Management variants are never
// masked.

// mgmtUserEntity is User, or UserWithProfile when withProfiles.
func mgmtUserEntity(u *app.ManagementUser, withProfiles bool) object {
	o := userEntity(&u.User, u.ReferralUID)
	if !withProfiles {
		return o
	}
	return append(o, field{"profiles", mgmtProfiles(u.Profiles)},
		field{"created_at", iso(u.User.CreatedAt)}, field{"updated_at", iso(u.User.UpdatedAt)})
}

// mgmtKYCEntity is UserWithKYC.
func mgmtKYCEntity(u *app.ManagementUser) object {
	labels := entities(u.Labels, mgmtLabelViewEntity)
	phones := entitiesWith(u.Phones, phoneEntity, false)
	docs := entities(u.Documents, mgmtDocumentEntity)
	storages := entities(u.DataStorages, dataStorageEntity)
	comments := make([]object, 0, len(u.Comments))
	for i := range u.Comments {
		c := &u.Comments[i]
		comments = append(comments, object{{"id", c.ID}, {"author_uid", c.AuthorUID}, {"title", c.Title}, {"data", c.Data},
			{"created_at", iso(c.CreatedAt)}, {"updated_at", iso(c.UpdatedAt)}})
	}
	return append(userEntity(&u.User, u.ReferralUID), field{"profiles", mgmtProfiles(u.Profiles)},
		field{"labels", labels}, field{"phones", phones}, field{"documents", docs}, field{"data_storages", storages},
		field{"comments", comments}, field{"created_at", iso(u.User.CreatedAt)}, field{"updated_at", iso(u.User.UpdatedAt)})
}

func mgmtProfiles(ps []barong.Profile) []object {
	out := entitiesWith(ps, profileEntity, false)
	return out
}

// mgmtLabelViewEntity is AdminLabelView.
func mgmtLabelViewEntity(l *barong.Label) object {
	return object{{"key", l.Key}, {"value", l.Value}, {"scope", l.Scope}, {"description", null(l.Description)},
		{"created_at", iso(l.CreatedAt)}, {"updated_at", iso(l.UpdatedAt)}}
}

// mgmtDocumentEntity is the full Document, number unmasked.
func mgmtDocumentEntity(d *app.DocumentView) object {
	return object{{"upload", object{{"url", null(d.URL)}}}, {"doc_type", null(d.DocType)}, {"doc_number", null(d.DocNumber)},
		{"doc_expire", null(d.DocExpire)}, {"metadata", null(d.Metadata)},
		{"created_at", iso(d.CreatedAt)}, {"updated_at", iso(d.UpdatedAt)}}
}

// mgmtServiceAccountEntity is ServiceAccounts: the account and its owner as a
// User (null without one).
func mgmtServiceAccountEntity(v *app.ServiceAccountView) object {
	var owner any
	if v.Owner != nil {
		owner = userEntity(v.Owner, v.OwnerReferralUID)
	}
	return object{{"email", v.Email}, {"uid", v.UID}, {"role", v.Role}, {"level", v.Level}, {"state", v.State},
		{"user", owner}, {"created_at", iso(v.CreatedAt)}, {"updated_at", iso(v.UpdatedAt)}}
}

// writeMgmtUsers answers a page of users (User, or UserWithProfile when
// extended) with the pagination headers.
func writeMgmtUsers(w http.ResponseWriter, users []app.ManagementUser, total int64, pg barong.Page, extended bool) {
	out := entitiesWith(users, mgmtUserEntity, extended)
	writeKeyPageHeaders(w, total, pg)
	writeJSON(w, http.StatusOK, out)
}
