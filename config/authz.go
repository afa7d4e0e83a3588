package config

import (
	"fmt"
	"sort"
)

// AuthzRules is authz_rules.yml (reference §2.5). Entries are plain string
// prefixes of the authz path (no segment boundary).
type AuthzRules struct {
	// Pass paths are answered 200 without authentication.
	Pass []string
	// Block paths are always refused with 401 authz.permission_denied.
	Block []string
}

type authzRulesYAML struct {
	Rules struct {
		Pass  []string `yaml:"pass"`
		Block []string `yaml:"block"`
	} `yaml:"rules"`
}

// parseAuthzRules parses authz_rules.yml; a missing list means no rule.
func parseAuthzRules(data []byte) (AuthzRules, []string) {
	var f authzRulesYAML
	if problems := decodeYAML(data, &f); problems != nil {
		return AuthzRules{}, problems
	}
	var problems []string
	for name, list := range map[string][]string{"pass": f.Rules.Pass, "block": f.Rules.Block} {
		for i, p := range list {
			if p == "" {
				problems = append(problems, fmt.Sprintf("rules.%s[%d]: empty path (it would match every path)", name, i))
			}
		}
	}
	sort.Strings(problems)
	return AuthzRules{Pass: f.Rules.Pass, Block: f.Rules.Block}, problems
}
