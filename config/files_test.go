package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBuiltInBarongYML(t *testing.T) {
	t.Parallel()
	app := mustLoad(t, nil).App
	if !slices.Equal(app.ActivationRequirements, []KeyValue{{"email", "verified"}}) {
		t.Errorf("ActivationRequirements = %v", app.ActivationRequirements)
	}
	want := []StateTrigger{{"banned", []string{"ban", "fraud"}}, {"deleted", []string{"delete"}},
		{"locked", []string{"suspicious", "lock"}}}
	if len(app.StateTriggers) != len(want) {
		t.Fatalf("StateTriggers = %v", app.StateTriggers)
	}
	for i := range want {
		if app.StateTriggers[i].State != want[i].State || !slices.Equal(app.StateTriggers[i].Keys, want[i].Keys) {
			t.Errorf("StateTriggers[%d] = %v, want %v", i, app.StateTriggers[i], want[i])
		}
	}
	if !slices.Equal(app.DocumentTypes, []string{"Passport", "Identity card", "Driver license", "Utility Bill",
		"Residental", "Institutional", "Address"}) {
		t.Errorf("DocumentTypes = %q", app.DocumentTypes)
	}
	if len(app.UserStorageTitles) != 0 || !slices.Equal(app.CaptchaProtectedEndpoints, CaptchaEndpoints) ||
		!slices.Equal(app.ProfileVerificationRoles, []string{"superadmin"}) {
		t.Errorf("app = %+v", app)
	}
}

func TestBarongYMLOverride(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "barong.yml", `
state_triggers:
  locked: [lock]
  banned: ban
  deleted: []
document_types: [Passport, 42]
user_storage_titles: [personal]
`)
	c := mustLoad(t, map[string]string{"BARONG_CONFIG": path})
	app := c.App
	if c.ConfigFile != path {
		t.Errorf("ConfigFile = %q", c.ConfigFile)
	}
	// Absent activation_requirements default to email=verified; absent
	// captcha_protected_endpoints mean none.
	if !slices.Equal(app.ActivationRequirements, []KeyValue{{"email", "verified"}}) ||
		len(app.CaptchaProtectedEndpoints) != 0 || len(app.ProfileVerificationRoles) != 0 {
		t.Errorf("absent keys: %+v", app)
	}
	var states []string
	for _, st := range app.StateTriggers {
		states = append(states, st.State+"="+strings.Join(st.Keys, "+"))
	}
	if !slices.Equal(states, []string{"locked=lock", "banned=ban", "deleted="}) {
		t.Errorf("StateTriggers in file order = %q", states)
	}
	if !slices.Equal(app.DocumentTypes, []string{"Passport", "42"}) || !slices.Equal(app.UserStorageTitles, []string{"personal"}) {
		t.Errorf("lists: %q %q", app.DocumentTypes, app.UserStorageTitles)
	}

	app, problems := parseApp([]byte("activation_requirements:\n  phone: verified\n  email: verified\n"))
	if len(problems) > 0 || !slices.Equal(app.ActivationRequirements, []KeyValue{{"phone", "verified"}, {"email", "verified"}}) {
		t.Errorf("ordered requirements = %v %v", app.ActivationRequirements, problems)
	}
	app, _ = parseApp([]byte("activation_requirements: {}\n"))
	if len(app.ActivationRequirements) != 0 {
		t.Errorf("explicitly empty requirements = %v", app.ActivationRequirements)
	}
}

func TestBadYAMLNamesTheFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env, content, want string
	}{
		{"BARONG_CONFIG", "document_types: [a\nb: c\n", ": yaml: line "},
		{"BARONG_CONFIG", "state_triggers: [ban]\n", ": state_triggers: line 1: not a mapping"},
		{"BARONG_CONFIG", "activation_requirements:\n  email: [verified]\n", ": activation_requirements.email: line 2: value is not a scalar"},
		{"BARONG_CONFIG", "captcha_protected_endpoints: [login]\n", `: captcha_protected_endpoints: "login" is not one of`},
		{"BARONG_AUTHZ_RULES_FILE", "rules:\n  pass: api/v2\n", ": yaml: line 2: cannot unmarshal"},
		{"BARONG_AUTHZ_RULES_FILE", "rules:\n  block: ['']\n", ": rules.block[0]: empty path"},
		{"BARONG_SEEDS_FILE", "levels: {}\n", ": yaml: line 1: cannot unmarshal"},
		{"BARONG_ABILITIES_FILE", "roles: admin: x\n", ": yaml: mapping values are not allowed"},
		{"BARONG_MANAGEMENT_API_FILE", "scopes:\n  read_users: {permitted_signers: []}\n", ": scopes.read_users: mandatory_signers is empty"},
	}
	for _, tc := range cases {
		path := writeFile(t, "file.yml", tc.content)
		got := problems(t, map[string]string{tc.env: path})
		prefix := tc.env + " " + path + tc.want
		if len(got) != 1 || !strings.HasPrefix(got[0], prefix) {
			t.Errorf("%s %q:\n got %q\nwant a line starting %q", tc.env, tc.content, got, prefix)
		}
	}
}

func TestYAMLTypeErrorsOneLineEach(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "seeds.yml", "levels:\n  - key: [x]\nusers:\n  - level: high\n")
	got := problems(t, map[string]string{"BARONG_SEEDS_FILE": path})
	if len(got) != 2 || !strings.Contains(got[0], "line 2") || !strings.Contains(got[1], "line 4") {
		t.Errorf("problems = %q", got)
	}
}

func TestExplicitMissingFileIsAnError(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.yml")
	for _, name := range []string{"BARONG_CONFIG", "BARONG_AUTHZ_RULES_FILE", "BARONG_SEEDS_FILE",
		"BARONG_MANAGEMENT_API_FILE", "BARONG_ABILITIES_FILE"} {
		got := problems(t, map[string]string{name: missing})
		want := name + " " + missing + ": no such file or directory"
		if !slices.Equal(got, []string{want}) {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// TestDefaultPathIsRead changes the working directory, so it does not run
// in parallel.
func TestDefaultPathIsRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	rules := "rules:\n  pass: [api/v2/custom]\n"
	if err := os.WriteFile(filepath.Join(dir, "config", "authz_rules.yml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	c := mustLoad(t, nil)
	if c.AuthzRulesFile != "config/authz_rules.yml" || !slices.Equal(c.AuthzRules.Pass, []string{"api/v2/custom"}) ||
		len(c.AuthzRules.Block) != 0 {
		t.Errorf("authz rules from default path: %q %+v", c.AuthzRulesFile, c.AuthzRules)
	}
	// The default path named explicitly behaves like the default.
	c = mustLoad(t, map[string]string{"BARONG_CONFIG": "config/barong.yml"})
	if c.ConfigFile != "" || len(c.App.DocumentTypes) != 7 {
		t.Errorf("explicit default path without file: %q %v", c.ConfigFile, c.App.DocumentTypes)
	}
}

func TestBuiltInAuthzRulesAndAbilities(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, nil)
	if !slices.Equal(c.AuthzRules.Pass, []string{"api/v2/barong/public", "api/v2/barong/identity",
		"api/v2/peatio/public", "api/v2/ranger/public", "api/v2/applogic/public", "api/v2/arke/public",
		"api/v2/finex/public"}) || !slices.Equal(c.AuthzRules.Block, []string{"api/v2/barong/management",
		"api/v2/peatio/management"}) {
		t.Errorf("AuthzRules = %+v", c.AuthzRules)
	}
	a := c.Abilities
	if len(a) != 6 {
		t.Errorf("abilities roles = %d", len(a))
	}
	checks := []struct {
		role, action, model string
		want                bool
	}{
		{"superadmin", "destroy", "Permission", true},
		{"admin", "read", "Permission", true},
		{"admin", "update", "Permission", false},
		{"admin", "update", "Restriction", true},
		{"technical", "read", "User", true},
		{"technical", "update", "User", false},
		{"technical", "create", "APIKey", true},
		{"accountant", "read", "Activity", true},
		{"accountant", "update", "Label", false},
		{"compliance", "read", "Document", true},
		{"compliance", "update", "Document", false},
		{"compliance", "update", "Profile", true},
		{"support", "update", "User", true},
		{"support", "read", "APIKey", false},
		{"member", "read", "User", false},
	}
	for _, ch := range checks {
		if got := a.Can(ch.role, ch.action, ch.model); got != ch.want {
			t.Errorf("Can(%s, %s, %s) = %v", ch.role, ch.action, ch.model, got)
		}
	}
	override := writeFile(t, "abilities.yml", "roles: [auditor]\nadmin_permissions:\n  auditor: {read: [Activity]}\n  ghost: {manage: [User]}\n")
	a = mustLoad(t, map[string]string{"BARONG_ABILITIES_FILE": override}).Abilities
	if !a.Can("auditor", "read", "Activity") || a.Can("ghost", "read", "User") || a.Can("superadmin", "read", "User") {
		t.Errorf("override abilities = %+v", a)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	getenv := env(map[string]string{"HOST": "db.local", "ADMIN_PW": "p@ss", "lower": "L", "EMPTY": ""})
	cases := map[string]string{
		"host: ${HOST}":                  "host: db.local",
		"host: $HOST:5432":               "host: db.local:5432",
		"pw: ${ADMIN_PW}!":               "pw: p@ss!",
		"missing: [${NOPE}]":             "missing: []",
		"empty: '$EMPTY'":                "empty: ''",
		"lower: ${lower} $lower":         "lower: L $lower",
		"bcrypt: $2a$12$N9qo8uLOickgx2Z": "bcrypt: $2a$12$N9qo8uLOickgx2Z",
		"escaped: $$HOST":                "escaped: $HOST",
		"price: 5$":                      "price: 5$",
		"brace: ${not a name} ${":        "brace: ${not a name} ${",
		"mixed: $HOSTname":               "mixed: $HOSTname",
		"no dollars":                     "no dollars",
	}
	for in, want := range cases {
		if got := expand(in, getenv); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInterpolationInFiles(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "seeds.yml", "users:\n  - email: ${ADMIN}\n    password: \"$ADMIN_PASSWORD\"\n    role: superadmin\n    level: 3\n")
	c := mustLoad(t, map[string]string{"BARONG_SEEDS_FILE": path, "ADMIN": "root@example.com",
		"ADMIN_PASSWORD": "Pa$$w0rd: #1"})
	u := c.Seeds.Users
	if len(u) != 1 || u[0].Email != "root@example.com" || u[0].Password != "Pa$$w0rd: #1" || u[0].Level != 3 {
		t.Errorf("users = %+v", u)
	}
	s, err := LoadSeedsFile(path, env(map[string]string{"ADMIN": "x@y.z"}))
	if err != nil || s.Users[0].Email != "x@y.z" || s.Users[0].Password != "" {
		t.Errorf("LoadSeedsFile = %+v, %v", s, err)
	}
}
