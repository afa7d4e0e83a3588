package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// object is a JSON object that keeps Barong's member order.
type object []field

type field struct {
	k string
	v any
}

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// iso formats an entity time: ISO 8601 UTC without fractions.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userEntity is Barong's User entity.
func userEntity(u *barong.User, referralUID string) object {
	return object{{"email", u.Email}, {"uid", u.UID}, {"role", u.Role}, {"level", u.Level},
		{"otp", u.OTP}, {"state", u.State}, {"referral_uid", null(referralUID)}, {"data", null(u.Data)},
		{"username", null(u.Username)}}
}

// fullInfoEntity is UserWithFullInfo; csrf is shown only when a session was
// just opened.
// entities renders every element of xs with f, in order (never nil, so
// that an empty list renders as []).
func entities[T any](xs []T, f func(*T) object) []object {
	out := make([]object, 0, len(xs))
	for i := range xs {
		out = append(out, f(&xs[i]))
	}
	return out
}

// entitiesWith is entities for renderers that take one more argument (the
// masking switch).
func entitiesWith[T, A any](xs []T, f func(*T, A) object, a A) []object {
	out := make([]object, 0, len(xs))
	for i := range xs {
		out = append(out, f(&xs[i], a))
	}
	return out
}

// dataStorageEntity is Barong's DataStorage entity.
func dataStorageEntity(d *barong.DataStorage) object {
	return object{{"title", d.Title}, {"data", d.Data}, {"created_at", iso(d.CreatedAt)}, {"updated_at", iso(d.UpdatedAt)}}
}

func (s *Server) fullInfoEntity(info *app.UserInfo, csrf string) object {
	u := &info.User
	o := object{{"email", u.Email}, {"uid", u.UID}, {"role", u.Role}, {"level", u.Level},
		{"otp", u.OTP}, {"state", u.State}, {"referral_uid", null(info.ReferralUID)}, {"data", null(u.Data)}}
	if csrf != "" {
		o = append(o, field{"csrf_token", csrf})
	}
	labels := entities(info.Labels, labelEntity)
	phones := entitiesWith(info.Phones, phoneEntity, s.cfg.Masking)
	profiles := entitiesWith(info.Profiles, profileEntity, s.cfg.Masking)
	storages := entities(info.DataStorages, dataStorageEntity)
	return append(o, field{"username", null(u.Username)}, field{"labels", labels}, field{"phones", phones},
		field{"profiles", profiles}, field{"data_storages", storages},
		field{"created_at", iso(u.CreatedAt)}, field{"updated_at", iso(u.UpdatedAt)})
}

func labelEntity(l *barong.Label) object {
	return object{{"key", l.Key}, {"value", l.Value}, {"scope", l.Scope}, {"created_at", iso(l.CreatedAt)}, {"updated_at", iso(l.UpdatedAt)}}
}

// phoneEntity is Phone; validated_at keeps Rails' millisecond form.
func phoneEntity(p *barong.Phone, mask bool) object {
	var validated any
	if p.ValidatedAt != nil {
		validated = p.ValidatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	num := p.Number
	if mask {
		num = maskPhone(num, p.Country)
	}
	return object{{"country", p.Country}, {"number", num}, {"validated_at", validated}}
}

// profileEntity is Profile, masked for users when masking is on.
func profileEntity(p *barong.Profile, mask bool) object {
	last, dob := p.LastName, any(null(p.DOB))
	if mask {
		last = maskName(last)
		if len(p.DOB) > 8 {
			dob = p.DOB[:8] + strings.Repeat("*", len(p.DOB)-8)
		}
	}
	return object{{"first_name", null(p.FirstName)}, {"last_name", null(last)}, {"dob", dob},
		{"address", null(p.Address)}, {"postcode", null(p.Postcode)}, {"city", null(p.City)},
		{"country", null(p.Country)}, {"state", p.State}, {"metadata", null(p.Metadata)},
		{"created_at", iso(p.CreatedAt)}, {"updated_at", iso(p.UpdatedAt)}}
}

// maskName keeps the first character and stars the rest.
func maskName(s string) string {
	r := []rune(s)
	if len(r) <= 1 {
		return s
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// maskPhone keeps the country code digits and the last 4 digits.
func maskPhone(num, country string) string {
	cc := callingCodeLen(num)
	if cc == 0 {
		cc = 2
	}
	if len(num) <= cc+4 {
		return num
	}
	return num[:cc] + strings.Repeat("*", len(num)-cc-4) + num[len(num)-4:]
}
