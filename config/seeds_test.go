package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestDefaultSeedsAreBarongs(t *testing.T) {
	t.Parallel()
	s := DefaultSeeds()
	wantLevels := []Level{
		{"email", "verified", "User clicked on the confirmation link"},
		{"phone", "verified", "User entered a valid code from sms"},
		{"document", "verified", "User personal documents have been verified"},
	}
	if !slices.Equal(s.Levels, wantLevels) {
		t.Errorf("Levels = %+v", s.Levels)
	}

	// Counts per role of reference §10.8 (support lists one DROP twice, as
	// Barong's file does).
	wantCounts := map[string]int{"superadmin": 5, "admin": 9, "accountant": 32, "compliance": 33,
		"technical": 29, "support": 24, "trader": 7, "broker": 7, "member": 7, "maker": 7, "sa_maker": 18}
	counts := map[string]int{}
	var roles []string
	for _, p := range s.Permissions {
		if counts[p.Role] == 0 {
			roles = append(roles, p.Role)
		}
		counts[p.Role]++
	}
	for role, n := range wantCounts {
		if counts[role] != n {
			t.Errorf("role %s has %d permissions, want %d", role, counts[role], n)
		}
	}
	if len(counts) != len(wantCounts) || len(s.Permissions) != 178 {
		t.Errorf("roles %v, %d permissions", roles, len(s.Permissions))
	}
	if !slices.Equal(roles, []string{"superadmin", "admin", "accountant", "compliance", "technical", "support",
		"trader", "broker", "member", "maker", "sa_maker"}) {
		t.Errorf("role order = %v", roles)
	}
	for _, want := range []Permission{
		{Role: "superadmin", Verb: "ALL", Path: "api/v2", Action: "ACCEPT"},
		{Role: "admin", Verb: "ALL", Path: "api/v2/barong/admin/permissions", Action: "DROP"},
		{Role: "accountant", Verb: "POST", Path: "api/v2/peatio/admin/adjustments/new", Action: "ACCEPT"},
		{Role: "technical", Verb: "DELETE", Path: "api/v2/finex/admin/bulk/orders_by_id", Action: "ACCEPT"},
		{Role: "support", Verb: "POST", Path: "api/v2/barong/admin/users/update", Action: "ACCEPT"},
		{Role: "member", Verb: "GET", Path: "api/v2/open_finance", Action: "ACCEPT"},
		{Role: "sa_maker", Verb: "ALL", Path: "api/v2/barong/resource/api_keys", Action: "DROP"},
		{Role: "compliance", Verb: "DELETE", Path: "api/v2/", Action: "AUDIT"},
	} {
		if !slices.Contains(s.Permissions, want) {
			t.Errorf("missing permission %+v", want)
		}
	}
	if s.Permissions[0] != (Permission{Role: "superadmin", Verb: "ALL", Path: "api/v2", Action: "ACCEPT"}) {
		t.Errorf("first permission = %+v", s.Permissions[0])
	}

	wantRestrictions := []Restriction{
		{"whitelist", "country", "UA", 0, "disabled"},
		{"maintenance", "all", "all", 0, "disabled"},
		{"blacklist", "ip", "164.116.47.255", 433, "disabled"},
		{"blacklist", "ip_subnet", "164.116.47.0/24", 434, "disabled"},
		{"blacklist", "country", "USA", 435, "disabled"},
		{"blacklist", "continent", "SA", 436, "disabled"},
	}
	if !slices.Equal(s.Restrictions, wantRestrictions) {
		t.Errorf("Restrictions = %+v", s.Restrictions)
	}
	if len(s.Users) != 0 {
		t.Errorf("Users = %+v", s.Users)
	}

	// A fresh copy each time.
	s.Levels[0].Key = "changed"
	if DefaultSeeds().Levels[0].Key != "email" {
		t.Error("DefaultSeeds shares state between calls")
	}
	if c := mustLoad(t, nil); len(c.Seeds.Permissions) != 178 || c.SeedsFile != "" {
		t.Errorf("Load seeds: %d permissions from %q", len(c.Seeds.Permissions), c.SeedsFile)
	}
}

func TestParseSeeds(t *testing.T) {
	t.Parallel()
	s, err := ParseSeeds([]byte(`
levels:
  - {key: email, value: verified}
permissions:
  - {role: member, verb: get, path: api/v2/x, action: accept, topic: x}
restrictions:
  - {category: blocklogin, scope: ip, value: 1.2.3.4}
users:
  - {email: a@b.c, password: Secret1!, role: admin, state: active, level: 1, uid: IDABC, username: alice}
organizations: [{oid: OID1}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Permissions[0] != (Permission{"member", "GET", "api/v2/x", "ACCEPT", "x"}) {
		t.Errorf("permission = %+v", s.Permissions[0])
	}
	if s.Restrictions[0].State != "enabled" || s.Restrictions[0].Code != 0 {
		t.Errorf("restriction defaults = %+v", s.Restrictions[0])
	}
	if s.Users[0] != (SeedUser{"a@b.c", "Secret1!", "admin", "active", 1, "IDABC", "alice"}) {
		t.Errorf("user = %+v", s.Users[0])
	}

	_, err = ParseSeeds([]byte(`
levels: [{value: verified}]
permissions:
  - {role: member, verb: fetch, path: api/v2, action: allow}
  - {verb: get, action: drop}
restrictions:
  - {category: greylist, scope: planet, value: "", state: on}
users:
  - {password: Secret-Passw0rd, level: -1}
`))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"levels[0]: key is empty",
		`permissions[0]: verb "FETCH" is not one of GET, POST, PUT, DELETE, PATCH, HEAD, ALL`,
		`permissions[0]: action "ALLOW" is not one of ACCEPT, DROP, AUDIT`,
		"permissions[1]: role is empty",
		"permissions[1]: path is empty",
		`restrictions[0]: category "greylist" is not one of whitelist, maintenance, blacklist, blocklogin`,
		`restrictions[0]: scope "planet" is not one of continent, country, ip, ip_subnet, all`,
		`restrictions[0]: state "on" is not one of enabled, disabled`,
		"restrictions[0]: value is empty",
		"users[0]: email is empty",
		"users[0]: level -1 is negative",
	}
	if !slices.Equal(ce.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(ce.Problems, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(err.Error(), "Secret-Passw0rd") {
		t.Error("a password appears in the error")
	}

	if _, err := LoadSeedsFile("/does/not/exist.yml", env(nil)); err == nil ||
		err.Error() != "seeds /does/not/exist.yml: no such file or directory" {
		t.Errorf("LoadSeedsFile missing = %v", err)
	}
	bad := writeFile(t, "seeds.yml", "levels: [{}]\n")
	if _, err := LoadSeedsFile(bad, env(nil)); err == nil || err.Error() != bad+": levels[0]: key is empty" {
		t.Errorf("LoadSeedsFile invalid = %v", err)
	}
}
