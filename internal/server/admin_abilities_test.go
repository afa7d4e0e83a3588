package server_test

import (
	"testing"
)

// admEndpoints are every admin endpoint with the ability it requires
// (reference §8.1; comments, profile creation and abilities are checked
// too, unlike Barong).
var admEndpoints = []struct {
	method, path, action, model string
}{
	{"GET", "/users", "read", "User"},
	{"GET", "/users/IDNOBODY00", "read", "User"},
	{"POST", "/users/update", "update", "User"},
	{"PUT", "/users", "update", "User"},
	{"POST", "/users/role", "update", "User"},
	{"GET", "/users/documents/pending", "read", "User"},
	{"DELETE", "/users/data_storage", "destroy", "User"},
	{"GET", "/users/labels/list", "read", "User"},
	{"GET", "/users/labels", "read", "User"},
	{"POST", "/users/labels", "create", "Label"},
	{"POST", "/users/labels/update", "update", "Label"},
	{"PUT", "/users/labels", "update", "Label"},
	{"DELETE", "/users/labels", "destroy", "Label"},
	{"POST", "/users/comments", "update", "User"},
	{"PUT", "/users/comments", "update", "User"},
	{"DELETE", "/users/comments", "update", "User"},
	{"GET", "/api_keys", "read", "APIKey"},
	{"GET", "/permissions", "read", "Permission"},
	{"POST", "/permissions", "create", "Permission"},
	{"PUT", "/permissions", "update", "Permission"},
	{"DELETE", "/permissions", "destroy", "Permission"},
	{"GET", "/restrictions", "read", "Restriction"},
	{"POST", "/restrictions", "create", "Restriction"},
	{"PUT", "/restrictions", "update", "Restriction"},
	{"DELETE", "/restrictions", "destroy", "Restriction"},
	{"POST", "/restrictions/whitelink", "create", "Restriction"},
	{"GET", "/profiles", "read", "Profile"},
	{"POST", "/profiles", "create", "Profile"},
	{"PUT", "/profiles", "update", "Profile"},
	{"GET", "/activities", "read", "Activity"},
	{"GET", "/activities/admin", "read", "Activity"},
	{"GET", "/metrics", "read", "User"},
	{"GET", "/levels", "read", "Level"},
	{"GET", "/abilities", "read", "Ability"},
}

// abilities.yml (reference §2.8), as the tests expect it.
var admAbilities = map[string]struct{ read, manage []string }{
	"superadmin": {nil, []string{"Ability", "User", "Level", "Label", "Profile", "Activity", "APIKey", "Permission", "Restriction", "Document"}},
	"admin":      {[]string{"Activity", "Permission"}, []string{"Ability", "User", "Level", "Label", "Profile", "APIKey", "Restriction", "Document"}},
	"technical":  {[]string{"Ability", "User", "Level", "Label", "Profile", "Activity"}, []string{"APIKey", "Restriction"}},
	"accountant": {[]string{"Ability", "User", "Level", "Label", "Profile", "Activity"}, nil},
	"compliance": {[]string{"Ability", "Document"}, []string{"User", "Level", "Label", "Profile"}},
	"support":    {[]string{"Ability", "Label", "Level", "Profile", "Activity"}, []string{"User"}},
}

func admCan(role, action, model string) bool {
	a := admAbilities[role]
	for _, m := range a.manage {
		if m == model {
			return true
		}
	}
	if action != "read" {
		return false
	}
	for _, m := range a.read {
		if m == model {
			return true
		}
	}
	return false
}

// TestAdminAbilities calls every endpoint as every role, with the
// permission table opened for all of them so that the abilities decide:
// a role without the ability gets 401 admin.ability.not_permitted, one with
// it gets past the check (its parameters are then checked).
func TestAdminAbilities(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	for _, role := range admRoles {
		e.grant(t, role)
	}
	for _, ep := range admEndpoints {
		for _, role := range admRoles {
			for _, mount := range admMounts {
				r := e.as[role].do(t, ep.method, mount+ep.path, nil)
				denied := r.Status == 401 && len(r.errors()) == 1 && r.errors()[0] == "admin.ability.not_permitted"
				if want := !admCan(role, ep.action, ep.model); denied != want {
					t.Fatalf("%s %s%s as %s: %d %s (want denied=%v)", ep.method, mount, ep.path, role, r.Status, r.Body, want)
				}
				if r.Status >= 500 {
					t.Fatalf("%s %s as %s: %d %s", ep.method, ep.path, role, r.Status, r.Body)
				}
			}
		}
	}
	// Unauthenticated and bad-token callers never reach the abilities.
	expect(t, e.ts.client().do(t, "GET", adm+"/users", nil), 401, "authz.invalid_session")
	expect(t, e.ts.client().do(t, "POST", adm+"/users/role", nil), 401, "authz.missing_csrf_token")
}

// TestAdminSeededPermissions checks that with the default permission table
// a member is refused by authz before any ability check, and that a
// seeded DROP (admin on permissions) answers authz.invalid_permission.
func TestAdminSeededPermissions(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	expect(t, e.as["member"].do(t, "GET", adm+"/users", nil), 401, "authz.invalid_permission")
	expect(t, e.as["member"].do(t, "GET", "/api/v2/admin/abilities", nil), 401, "authz.invalid_permission")
	expect(t, e.as["admin"].do(t, "GET", adm+"/permissions", nil), 401, "authz.invalid_permission")
	expect(t, e.as["accountant"].do(t, "GET", adm+"/api_keys?uid=x", nil), 401, "admin.ability.not_permitted")
	expect(t, e.as["compliance"].do(t, "GET", adm+"/activities", nil), 401, "admin.ability.not_permitted")
	expect(t, e.as["superadmin"].do(t, "GET", adm+"/permissions", nil), 200)
	// Refusals by the ability table are security lines too.
	if l := e.ts.logs.lines("security", map[string]any{"event": "authz_refused", "role": "compliance"}); len(l) != 1 ||
		l[0]["ability"] != "read Activity" || l[0]["path"] != adm+"/activities" {
		t.Fatalf("ability refusal lines %v", l)
	}
}

func TestAdminAbilitiesEndpoint(t *testing.T) {
	t.Parallel()
	e := admServer(t, nil)
	for role, want := range map[string]string{
		// Barong's, plus Session (admin/users/sessions) granted as User is.
		"superadmin": `{"manage":["Ability","User","Level","Label","Profile","Activity","APIKey","Permission","Restriction","Document","Session"]}`,
		"admin":      `{"read":["Activity","Permission"],"manage":["Ability","User","Level","Label","Profile","APIKey","Restriction","Document","Session"]}`,
		"accountant": `{"read":["Ability","User","Level","Label","Profile","Activity","Session"]}`,
	} {
		r := e.as[role].do(t, "GET", adm+"/abilities", nil)
		expect(t, r, 200)
		if string(r.Body) != want {
			t.Fatalf("%s abilities %s", role, r.Body)
		}
	}
}
