package api

import (
	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// The admin entities (reference §3.7): Barong's admin variants, never
// masked, in Barong's field order.

// adminUserEntity is User, UserWithProfile (profiles loaded) or
// UserWithKYC (KYC loaded).
func adminUserEntity(u *app.AdminUser, withProfiles bool) object {
	o := userEntity(&u.User, u.ReferralUID)
	if u.KYC == nil && !withProfiles {
		return o
	}
	profiles := entitiesWith(u.Profiles, profileEntity, false)
	o = append(o, field{"profiles", profiles})
	if k := u.KYC; k != nil {
		labels := entities(k.Labels, adminLabelEntity)
		phones := entitiesWith(k.Phones, phoneEntity, false)
		docs := entities(k.Documents, adminDocumentEntity)
		storages := entities(k.DataStorages, dataStorageEntity)
		comments := entities(k.Comments, commentEntity)
		o = append(o, field{"labels", labels}, field{"phones", phones}, field{"documents", docs},
			field{"data_storages", storages}, field{"comments", comments})
	}
	return append(o, field{"created_at", iso(u.User.CreatedAt)}, field{"updated_at", iso(u.User.UpdatedAt)})
}

func adminUserList(us []app.AdminUser, withProfiles bool) []object {
	out := entitiesWith(us, adminUserEntity, withProfiles)
	return out
}

// adminLabelEntity is AdminLabelView.
func adminLabelEntity(l *barong.Label) object {
	return object{{"key", l.Key}, {"value", l.Value}, {"scope", l.Scope}, {"description", null(l.Description)},
		{"created_at", iso(l.CreatedAt)}, {"updated_at", iso(l.UpdatedAt)}}
}

// adminDocumentEntity is Document (admin variant, number unmasked).
func adminDocumentEntity(d *app.DocumentView) object {
	return object{{"upload", object{{"url", null(d.URL)}}}, {"doc_type", null(d.DocType)},
		{"doc_number", null(d.DocNumber)}, {"doc_expire", null(d.DocExpire)}, {"metadata", null(d.Metadata)},
		{"created_at", iso(d.CreatedAt)}, {"updated_at", iso(d.UpdatedAt)}}
}

func commentEntity(c *barong.Comment) object {
	return object{{"id", c.ID}, {"author_uid", c.AuthorUID}, {"title", c.Title}, {"data", c.Data},
		{"created_at", iso(c.CreatedAt)}, {"updated_at", iso(c.UpdatedAt)}}
}

func permissionEntity(p *barong.Permission) object {
	return object{{"id", p.ID}, {"action", p.Action}, {"role", p.Role}, {"verb", p.Verb}, {"path", p.Path},
		{"topic", null(p.Topic)}, {"created_at", iso(p.CreatedAt)}, {"updated_at", iso(p.UpdatedAt)}}
}

func restrictionEntity(r *barong.Restriction) object {
	return object{{"id", r.ID}, {"category", r.Category}, {"scope", r.Scope}, {"value", r.Value}, {"code", r.Code},
		{"state", r.State}, {"created_at", iso(r.CreatedAt)}, {"updated_at", iso(r.UpdatedAt)}}
}

// adminActivityEntity is ActivityWithUser (user category) or AdminActivity
// (admin category: the actor as admin, and target).
func adminActivityEntity(a *app.AdminActivity) object {
	o := object{{"user_ip", a.UserIP}, {"user_ip_country", null(a.UserIPCountry)}, {"user_agent", a.UserAgent},
		{"topic", a.Topic}, {"action", a.Action}, {"result", a.Result}, {"data", null(a.Data)}}
	var actor, target any
	if a.Actor != nil {
		actor = userEntity(a.Actor, a.ActorRefUID)
	}
	if a.Target != nil {
		target = userEntity(a.Target, a.TargetRef)
	}
	if a.Category == barong.CategoryAdmin {
		o = append(o, field{"admin", actor}, field{"target", target})
	} else {
		o = append(o, field{"user", actor})
	}
	return append(o, field{"created_at", iso(a.CreatedAt)})
}
