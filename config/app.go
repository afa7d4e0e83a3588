package config

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// App is barong.yml (reference §2.4).
type App struct {
	// ActivationRequirements are the private labels (key = value) a user
	// needs, all of them, to become active; in file order. Absent from the
	// file: email = verified.
	ActivationRequirements []KeyValue
	// StateTriggers map private label keys to the user state they force, in
	// file order (the first matching state wins).
	StateTriggers []StateTrigger
	// DocumentTypes are the accepted document types (exact, case-sensitive).
	DocumentTypes []string
	// UserStorageTitles are the titles users may store data under.
	UserStorageTitles []string
	// CaptchaProtectedEndpoints are among user_create, session_create,
	// password_reset, email_confirmation; absent from the file: none.
	CaptchaProtectedEndpoints []string
	// ProfileVerificationRoles may verify a profile they authored.
	ProfileVerificationRoles []string
}

// KeyValue is one label requirement.
type KeyValue struct {
	Key   string
	Value string
}

// StateTrigger forces State on a user who has a private label with one of Keys.
type StateTrigger struct {
	State string
	Keys  []string
}

// CaptchaEndpoints are the endpoint names captcha_protected_endpoints accepts.
var CaptchaEndpoints = []string{"user_create", "session_create", "password_reset", "email_confirmation"}

type appYAML struct {
	ActivationRequirements    yaml.Node `yaml:"activation_requirements"`
	StateTriggers             yaml.Node `yaml:"state_triggers"`
	DocumentTypes             []string  `yaml:"document_types"`
	UserStorageTitles         []string  `yaml:"user_storage_titles"`
	CaptchaProtectedEndpoints []string  `yaml:"captcha_protected_endpoints"`
	ProfileVerificationRoles  []string  `yaml:"profile_verification_roles"`
}

// parseApp parses barong.yml, returning its problems one per line.
func parseApp(data []byte) (App, []string) {
	var f appYAML
	if problems := decodeYAML(data, &f); problems != nil {
		return App{}, problems
	}
	app := App{
		DocumentTypes:             f.DocumentTypes,
		UserStorageTitles:         f.UserStorageTitles,
		CaptchaProtectedEndpoints: f.CaptchaProtectedEndpoints,
		ProfileVerificationRoles:  f.ProfileVerificationRoles,
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if isAbsent(&f.ActivationRequirements) {
		app.ActivationRequirements = []KeyValue{{Key: "email", Value: "verified"}}
	} else {
		pairs, err := orderedMap(&f.ActivationRequirements)
		if err != nil {
			fail("activation_requirements: %v", err)
		}
		for _, p := range pairs {
			if p.value.Kind != yaml.ScalarNode {
				fail("activation_requirements.%s: line %d: value is not a scalar", p.key, p.value.Line)
				continue
			}
			app.ActivationRequirements = append(app.ActivationRequirements, KeyValue{Key: p.key, Value: p.value.Value})
		}
	}
	if !isAbsent(&f.StateTriggers) {
		pairs, err := orderedMap(&f.StateTriggers)
		if err != nil {
			fail("state_triggers: %v", err)
		}
		for _, p := range pairs {
			keys, err := stringList(p.value)
			if err != nil {
				fail("state_triggers.%s: %v", p.key, err)
				continue
			}
			app.StateTriggers = append(app.StateTriggers, StateTrigger{State: p.key, Keys: keys})
		}
	}
	for _, e := range app.CaptchaProtectedEndpoints {
		if !slices.Contains(CaptchaEndpoints, e) {
			fail("captcha_protected_endpoints: %q is not one of user_create, session_create, password_reset, email_confirmation", e)
		}
	}
	return app, problems
}

// pair is one entry of a YAML mapping.
type pair struct {
	key   string
	value *yaml.Node
}

func isAbsent(n *yaml.Node) bool {
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// orderedMap returns the entries of a mapping node in file order.
func orderedMap(n *yaml.Node) ([]pair, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: not a mapping", n.Line)
	}
	var out []pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return out, fmt.Errorf("line %d: key is not a scalar", k.Line)
		}
		if seen[k.Value] {
			return out, fmt.Errorf("line %d: key %q repeated", k.Line, k.Value)
		}
		seen[k.Value] = true
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		out = append(out, pair{key: k.Value, value: v})
	}
	return out, nil
}

// stringList reads a sequence of scalars; a single scalar is a list of one.
func stringList(n *yaml.Node) ([]string, error) {
	switch {
	case isAbsent(n):
		return nil, nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}, nil
	case n.Kind != yaml.SequenceNode:
		return nil, fmt.Errorf("line %d: not a list", n.Line)
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		if e.Kind == yaml.AliasNode && e.Alias != nil {
			e = e.Alias
		}
		if e.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: not a scalar", e.Line)
		}
		out = append(out, e.Value)
	}
	return out, nil
}
