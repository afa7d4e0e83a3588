package api

import (
	"encoding/json"
	"strconv"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

// The entities of the resource and identity families; the shapes are in
// package entity, shared with the admin and management families and the
// event records.

func itoa(n int) string { return strconv.Itoa(n) }

// userEntity is Barong's User entity.
func userEntity(u *barong.User, referralUID string) entity.User {
	return entity.NewUser(u, referralUID)
}

// entities renders every element of xs with f, in order (never nil, so
// that an empty list renders as []).
func entities[T, E any](xs []T, f func(*T) E) []E { return entity.List(xs, f) }

// dataStorageEntity is Barong's DataStorage entity.
func dataStorageEntity(d *barong.DataStorage) entity.DataStorage { return entity.NewDataStorage(d) }

// fullInfoEntity is UserWithFullInfo; csrf is shown only when a session was
// just opened.
func (s *Server) fullInfoEntity(info *app.UserInfo, csrf string) entity.UserWithFullInfo {
	return entity.NewUserWithFullInfo(&info.User, info.ReferralUID, entity.FullInfo{Labels: info.Labels,
		Phones: info.Phones, Profiles: info.Profiles, DataStorages: info.DataStorages}, csrf, s.cfg.Masking, maskPhone)
}

func labelEntity(l *barong.Label) entity.Label { return entity.NewLabel(l) }

// phoneEntity is Phone; validated_at keeps Rails' millisecond form.
func phoneEntity(p *barong.Phone, mask bool) entity.Phone {
	if mask {
		return entity.NewPhone(p, maskPhone)
	}
	return entity.NewPhone(p, nil)
}

// profileEntity is Profile, masked for users when masking is on.
func profileEntity(p *barong.Profile, mask bool) entity.Profile { return entity.NewProfile(p, mask) }

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

// entitiesWith is entities for renderers that take one more argument (the
// masking switch).
func entitiesWith[T, A, E any](xs []T, f func(*T, A) E, a A) []E {
	out := make([]E, 0, len(xs))
	for i := range xs {
		out = append(out, f(&xs[i], a))
	}
	return out
}

// members is a JSON object whose keys are data (label counts, counts per
// day, errors per attribute), in the order given.
type members[V any] []member[V]

type member[V any] struct {
	k string
	v V
}

// MarshalJSON writes the members in order.
func (o members[V]) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(m.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}
