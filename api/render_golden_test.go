package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/entities.golden")

// TestEntitiesGolden pins every entity renderer byte for byte, with full
// and empty records, masking on and off, and strings that JSON escapes.
func TestEntitiesGolden(t *testing.T) {
	t0 := time.Date(2024, 2, 29, 23, 59, 58, 987654321, time.FixedZone("x", 3*3600))
	t1 := t0.Add(26 * time.Hour)
	full := barong.User{ID: 7, UID: "ID0123456789", Username: "bob<&>", Email: "bob+x@example.com", Role: "member",
		Data: `{"lang":"<en>&"}`, Level: 2, OTP: true, State: "active", ReferralID: 3, CreatedAt: t0, UpdatedAt: t1}
	empty := barong.User{UID: "ID0000000000", Email: "e@x.io", Role: "admin", State: "pending", CreatedAt: t0, UpdatedAt: t0}
	labels := []barong.Label{{ID: 1, Key: "email", Value: "verified", Scope: "private", Description: "by <admin>", CreatedAt: t0, UpdatedAt: t1},
		{ID: 2, Key: "tier", Value: "gold", Scope: "public", CreatedAt: t0, UpdatedAt: t0}}
	phones := []barong.Phone{{Country: "UA", Number: "380501234567", ValidatedAt: &t1, CreatedAt: t0},
		{Country: "US", Number: "12025550123"}, {Country: "", Number: "123"}}
	profiles := []barong.Profile{{FirstName: "Jöhn", LastName: "Доу", DOB: "1990-01-15", Address: "1 <Main> & Co",
		Postcode: "01001", City: "Kyiv", Country: "UA", State: "verified", Metadata: `{"a":"<b>"}`, CreatedAt: t0, UpdatedAt: t1},
		{State: "drafted", LastName: "X", DOB: "1990", CreatedAt: t0, UpdatedAt: t0}}
	storages := []barong.DataStorage{{Title: "personal", Data: `{"job":"<pilot>"}`, CreatedAt: t0, UpdatedAt: t1}}
	docs := []app.DocumentView{{Document: barong.Document{DocType: "Passport", DocNumber: "AB123456CD", DocExpire: "2099-01-01",
		Metadata: `{"m":"&"}`, CreatedAt: t0, UpdatedAt: t1}, URL: "https://files.example.com/a?x=1&y=<2>"},
		{Document: barong.Document{DocNumber: "X1", CreatedAt: t0, UpdatedAt: t0}}}
	comments := []barong.Comment{{ID: 9, AuthorUID: "ID9999999999", Title: "t<1>", Data: "d&2", CreatedAt: t0, UpdatedAt: t1}}
	kyc := &app.AdminKYC{Labels: labels, Phones: phones, Documents: docs, DataStorages: storages, Comments: comments}
	info := &app.UserInfo{User: full, ReferralUID: "ID3333333333", Labels: labels, Phones: phones, Profiles: profiles, DataStorages: storages}
	emptyInfo := &app.UserInfo{User: empty}
	mu := &app.ManagementUser{User: full, ReferralUID: "ID3333333333", Profiles: profiles, Labels: labels, Phones: phones,
		Documents: docs, DataStorages: storages, Comments: comments}
	emptyMU := &app.ManagementUser{User: empty}
	acts := []app.AdminActivity{
		{Activity: barong.Activity{ID: 1, Category: barong.CategoryUser, UserIP: "1.2.3.4", UserIPCountry: "UA", UserAgent: "Mozilla <x>",
			Topic: "session", Action: "login", Result: "succeed", Data: `{"reason":"<r>"}`, CreatedAt: t0}, Actor: &full, ActorRefUID: "ID3333333333"},
		{Activity: barong.Activity{ID: 2, Category: barong.CategoryUser, CreatedAt: t0}},
		{Activity: barong.Activity{ID: 3, Category: barong.CategoryAdmin, UserIP: "::1", Topic: "adm", Action: "update",
			Result: "failed", CreatedAt: t1}, Actor: &empty, Target: &full, TargetRef: "ID3333333333"},
		{Activity: barong.Activity{ID: 4, Category: barong.CategoryAdmin, CreatedAt: t1}},
	}
	keys := []barong.APIKey{{KID: "k1", Algorithm: "HS256", Scope: []string{"trade", "<w>"}, Secret: "s3cr<t>", State: "active", CreatedAt: t0, UpdatedAt: t1},
		{KID: "k2", Algorithm: "HS512", State: "disabled", CreatedAt: t0, UpdatedAt: t0}}
	sas := []app.ServiceAccountView{{ServiceAccount: barong.ServiceAccount{ID: 5, UID: "SI0123456789", OwnerID: 7, Email: "sa@x.io",
		Role: "service", Level: 1, State: "active", CreatedAt: t0, UpdatedAt: t1}, Owner: &full, OwnerReferralUID: "ID3333333333"},
		{ServiceAccount: barong.ServiceAccount{ID: 6, UID: "SI0000000000", Email: "sb@x.io", CreatedAt: t0, UpdatedAt: t0}}}
	sessions := []app.SessionView{{Session: barong.Session{IDHash: "abc", UserIP: "1.2.3.4", UserAgent: "UA <1>", CreatedAt: t0},
		LastSeen: t1, Current: true}, {Session: barong.Session{IDHash: "def", CreatedAt: t0}, LastSeen: t0}}
	passkeys := []app.PasskeyView{{WebAuthnCredential: barong.WebAuthnCredential{ID: 1, Name: "Key <1>", CredentialID: "cred",
		LastUsedAt: &t1, CreatedAt: t0}, AAGUID: "aaguid", Transports: []string{"usb", "nfc"}, BackupEligible: true, BackedUp: true},
		{WebAuthnCredential: barong.WebAuthnCredential{ID: 2, CreatedAt: t0}, Transports: []string{}},
		{WebAuthnCredential: barong.WebAuthnCredential{ID: 3, CreatedAt: t0}}}
	perms := []barong.Permission{{ID: 1, Action: "ACCEPT", Role: "member", Verb: "GET", Path: "api/v2/<x>", Topic: "t&", CreatedAt: t0, UpdatedAt: t1},
		{ID: 2, Action: "DROP", Role: "admin", Verb: "ALL", Path: "p", CreatedAt: t0, UpdatedAt: t0}}
	restr := []barong.Restriction{{ID: 1, Category: "blacklist", Scope: "ip", Value: "1.2.3.4", Code: 403, State: "enabled", CreatedAt: t0, UpdatedAt: t1}}
	userActs := []barong.Activity{acts[0].Activity, acts[1].Activity}

	var out bytes.Buffer
	put := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fmt.Fprintf(&out, "%s %s\n", name, b)
	}
	for _, mask := range []bool{false, true} {
		m := fmt.Sprintf("[mask=%v]", mask)
		s := &Server{cfg: Config{Masking: mask}}
		put("fullInfo"+m, s.fullInfoEntity(info, ""))
		put("fullInfo.csrf"+m, s.fullInfoEntity(info, "csrf<&>"))
		put("fullInfo.empty"+m, s.fullInfoEntity(emptyInfo, ""))
		for i := range phones {
			put("phone"+m, phoneEntity(&phones[i], mask))
		}
		for i := range profiles {
			put("profile"+m, profileEntity(&profiles[i], mask))
		}
		for i := range docs {
			put("document"+m, documentEntity(&docs[i], mask))
		}
		put("sessions"+m, entities(sessions, s.sessionEntity))
	}
	put("user", userEntity(&full, "ID3333333333"))
	put("user.empty", userEntity(&empty, ""))
	put("labels", entities(labels, labelEntity))
	put("labels.empty", entities([]barong.Label(nil), labelEntity))
	put("dataStorages", entities(storages, dataStorageEntity))
	for _, withProfiles := range []bool{false, true} {
		m := fmt.Sprintf("[profiles=%v]", withProfiles)
		au := app.AdminUser{User: full, ReferralUID: "ID3333333333", Profiles: profiles}
		put("adminUser"+m, adminUserEntity(&au, withProfiles))
		put("adminUser.noProfiles"+m, adminUserEntity(&app.AdminUser{User: empty}, withProfiles))
		au.KYC = kyc
		put("adminUser.kyc"+m, adminUserEntity(&au, withProfiles))
		put("adminUser.kycEmpty"+m, adminUserEntity(&app.AdminUser{User: empty, KYC: &app.AdminKYC{}}, withProfiles))
		put("adminUserList"+m, adminUserList([]app.AdminUser{{User: full, Profiles: profiles}, {User: empty}}, withProfiles))
		put("adminUserList.empty"+m, adminUserList(nil, withProfiles))
		put("mgmtUser"+m, mgmtUserEntity(mu, withProfiles))
		put("mgmtUser.empty"+m, mgmtUserEntity(emptyMU, withProfiles))
	}
	put("adminLabels", entities(labels, adminLabelEntity))
	put("adminDocuments", entities(docs, adminDocumentEntity))
	put("comments", entities(comments, commentEntity))
	put("permissions", entities(perms, permissionEntity))
	put("restrictions", entities(restr, restrictionEntity))
	put("adminActivities", entities(acts, adminActivityEntity))
	put("mgmtKYC", mgmtKYCEntity(mu))
	put("mgmtKYC.empty", mgmtKYCEntity(emptyMU))
	put("mgmtLabels", entities(labels, mgmtLabelViewEntity))
	put("mgmtDocuments", entities(docs, mgmtDocumentEntity))
	put("mgmtServiceAccounts", entities(sas, mgmtServiceAccountEntity))
	for i := range keys {
		put("apiKey.secret", apiKeyEntity(&keys[i], true))
		put("apiKey", apiKeyEntity(&keys[i], false))
	}
	put("serviceAccountRows", entities([]barong.ServiceAccount{sas[0].ServiceAccount, sas[1].ServiceAccount}, serviceAccountRow))
	put("userActivities", entities(userActs, userActivityEntity))
	put("passkeys", entities(passkeys, passkeyEntity))

	path := filepath.Join("testdata", "entities.golden")
	if *updateGolden {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-golden)", err)
	}
	gl, wl := bytes.Split(out.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("%s differs at line %d:\n got %s\nwant %s", path, i+1, g, w)
		}
	}
}
