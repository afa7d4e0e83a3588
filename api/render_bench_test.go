package api

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// BenchmarkRenderFullInfo renders and marshals GET /resource/users/me's
// entity (UserWithFullInfo with labels, phones, profiles, data storages).
func BenchmarkRenderFullInfo(b *testing.B) {
	t0 := time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)
	u := barong.User{UID: "ID0123456789", Username: "bob", Email: "bob@example.com", Role: "member", Level: 2,
		State: "active", CreatedAt: t0, UpdatedAt: t0}
	info := &app.UserInfo{User: u, Labels: []barong.Label{{Key: "email", Value: "verified", Scope: "private", CreatedAt: t0, UpdatedAt: t0},
		{Key: "phone", Value: "verified", Scope: "private", CreatedAt: t0, UpdatedAt: t0}},
		Phones:   []barong.Phone{{Country: "UA", Number: "380501234567", ValidatedAt: &t0}},
		Profiles: []barong.Profile{{FirstName: "John", LastName: "Doe", DOB: "1990-01-15", City: "Kyiv", Country: "UA", State: "verified", CreatedAt: t0, UpdatedAt: t0}}}
	s := &Server{cfg: Config{Masking: true}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(s.fullInfoEntity(info, "")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderAdminUsers renders and marshals a page of 100 users with
// their profiles (GET /admin/users?extended=true).
func BenchmarkRenderAdminUsers(b *testing.B) {
	t0 := time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)
	us := make([]app.AdminUser, 100)
	for i := range us {
		us[i] = app.AdminUser{User: barong.User{UID: fmt.Sprintf("ID%010d", i), Email: fmt.Sprintf("u%d@example.com", i),
			Role: "member", Level: 1, State: "active", CreatedAt: t0, UpdatedAt: t0},
			Profiles: []barong.Profile{{FirstName: "John", LastName: "Doe", State: "drafted", CreatedAt: t0, UpdatedAt: t0}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(adminUserList(us, true)); err != nil {
			b.Fatal(err)
		}
	}
}
