package config

import "slices"

// Abilities is abilities.yml (reference §2.8): the admin API abilities of
// each admin role. A role that is absent has no abilities.
type Abilities map[string]RoleAbilities

// RoleAbilities are the models a role may read, and those it may manage
// (every action: read, create, update, destroy).
type RoleAbilities struct {
	Read   []string
	Manage []string
}

// Can reports whether role may perform action ("read", "create", "update",
// "destroy") on model ("User", "APIKey", …).
func (a Abilities) Can(role, action, model string) bool {
	r := a[role]
	return slices.Contains(r.Manage, model) || action == "read" && slices.Contains(r.Read, model)
}

type abilitiesYAML struct {
	Roles            []string `yaml:"roles"`
	AdminPermissions map[string]struct {
		Read   []string `yaml:"read"`
		Manage []string `yaml:"manage"`
	} `yaml:"admin_permissions"`
}

// parseAbilities parses abilities.yml. As in Barong, only roles listed
// under roles have abilities: a listed role without admin_permissions has an
// empty entry, and admin_permissions of an unlisted role are ignored.
func parseAbilities(data []byte) (Abilities, []string) {
	var f abilitiesYAML
	if problems := decodeYAML(data, &f); problems != nil {
		return nil, problems
	}
	out := Abilities{}
	for _, role := range f.Roles {
		p := f.AdminPermissions[role]
		out[role] = RoleAbilities{Read: p.Read, Manage: p.Manage}
	}
	return out, nil
}
