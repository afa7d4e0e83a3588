package config

import (
	"strings"
	"testing"
)

// FuzzYAMLLoaders feeds arbitrary bytes to every YAML loader: none may
// panic, and a result without problems must be usable.
func FuzzYAMLLoaders(f *testing.F) {
	// The built-in seeds.yml is large, which makes minimisation slow; a
	// short sample of the same shape stands in for it.
	for _, name := range []string{"barong.yml", "authz_rules.yml", "management_api.yml", "abilities.yml"} {
		f.Add(builtin(name))
	}
	f.Add([]byte("levels:\n  - {key: email, value: verified}\npermissions:\n  - {role: member, verb: get, path: api/v2, action: accept}\n" +
		"restrictions:\n  - {category: blacklist, scope: ip, value: 1.2.3.4, code: 433, state: disabled}\n" +
		"users:\n  - {email: a@b.c, password: x, level: 1}\n"))
	f.Add([]byte("activation_requirements: &a {email: verified}\nstate_triggers: *a\n"))
	f.Add([]byte("state_triggers:\n  banned: [*x]\n"))
	f.Add([]byte("keychain: {k: {value: LS0tLS1CRUdJTg}}\nscopes: {s: {mandatory_signers: [k]}}\n"))
	f.Add([]byte("users: [{level: 99999999999999999999}]\n"))
	f.Add([]byte("- [a, b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if app, problems := parseApp(data); problems == nil {
			for _, st := range app.StateTriggers {
				_ = st.State
			}
		}
		parseAuthzRules(data)
		if s, problems := parseSeeds(data); problems == nil && s == nil {
			t.Fatal("seeds without problems but nil")
		}
		if m, problems := parseManagementAPI(data); problems == nil {
			for id, k := range m.Keychain {
				if k.PublicKey == nil || k.Algorithm == "" {
					t.Fatalf("key %s accepted without key or algorithm", id)
				}
			}
		}
		parseAbilities(data)
	})
}

// FuzzExpand checks that interpolation never panics and leaves text
// without "$" untouched.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"${A}", "$A$B", "$$", "${", "$", "a$", "${A B}", "$2a$10$abc", "$_X"} {
		f.Add(s)
	}
	getenv := env(map[string]string{"A": "1", "B": "$A", "_X": "x"})
	f.Fuzz(func(t *testing.T, s string) {
		out := expand(s, getenv)
		if !strings.Contains(s, "$") && out != s {
			t.Fatalf("expand(%q) = %q", s, out)
		}
	})
}

// FuzzLoadEnv sets one variable of the table to arbitrary text: Load must
// either succeed or fail with problems, never panic, and never echo a
// secret.
func FuzzLoadEnv(f *testing.F) {
	f.Add(0, "abc")
	f.Add(6, "mysql://u:p@h:1/d")
	f.Add(2, "10.0.0.0/33")
	f.Fuzz(func(t *testing.T, i int, value string) {
		if i < 0 {
			i = -i
		}
		o := options[i%len(options)]
		c, err := Load(env(map[string]string{o.names[0]: value}))
		if (c == nil) == (err == nil) {
			t.Fatalf("Load returned %v, %v", c, err)
		}
		if err != nil && o.secret && len(value) > 3 && strings.Contains(err.Error(), value) {
			t.Fatalf("secret %s echoed: %v", o.names[0], err)
		}
	})
}
