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
	labels := make([]object, 0, len(u.Labels))
	for i := range u.Labels {
		labels = append(labels, mgmtLabelViewEntity(&u.Labels[i]))
	}
	phones := make([]object, 0, len(u.Phones))
	for i := range u.Phones {
		phones = append(phones, phoneEntity(&u.Phones[i], false))
	}
	docs := make([]object, 0, len(u.Documents))
	for i := range u.Documents {
		docs = append(docs, mgmtDocumentEntity(&u.Documents[i]))
	}
	storages := make([]object, 0, len(u.DataStorages))
	for i := range u.DataStorages {
		d := &u.DataStorages[i]
		storages = append(storages, object{{"title", d.Title}, {"data", d.Data}, {"created_at", iso(d.CreatedAt)}, {"updated_at", iso(d.UpdatedAt)}})
	}
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
	out := make([]object, 0, len(ps))
	for i := range ps {
		out = append(out, profileEntity(&ps[i], false))
	}
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
	out := make([]object, 0, len(users))
	for i := range users {
		out = append(out, mgmtUserEntity(&users[i], extended))
	}
	writeKeyPageHeaders(w, total, pg)
	writeJSON(w, http.StatusOK, out)
}
