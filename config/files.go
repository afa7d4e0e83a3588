package config

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// defaults holds the built-in YAML files, equal to Barong's.
//
//go:embed defaults/*.yml
var defaults embed.FS

// builtin returns the embedded default file name.
func builtin(name string) []byte {
	data, err := defaults.ReadFile("defaults/" + name)
	if err != nil {
		panic(fmt.Sprintf("config: missing built-in %s: %v", name, err))
	}
	return data
}

// yamlFile is one YAML file setting.
type yamlFile struct {
	env     string // variable naming the file
	path    string // default path, relative to the working directory
	builtin string // name of the built-in default under defaults/
}

var (
	appFile        = yamlFile{"BARONG_CONFIG", "config/barong.yml", "barong.yml"}
	authzRulesFile = yamlFile{"BARONG_AUTHZ_RULES_FILE", "config/authz_rules.yml", "authz_rules.yml"}
	seedsFile      = yamlFile{"BARONG_SEEDS_FILE", "config/seeds.yml", "seeds.yml"}
	managementFile = yamlFile{"BARONG_MANAGEMENT_API_FILE", "config/management_api.yml", "management_api.yml"}
	abilitiesFile  = yamlFile{"BARONG_ABILITIES_FILE", "config/abilities.yml", "abilities.yml"}
)

// read returns the expanded content of f, the label naming it in messages
// ("BARONG_CONFIG config/barong.yml") and the path read ("" for the
// built-in default). A missing file at the default path selects the
// built-in default; any other read error is a problem.
func (l *loader) read(f yamlFile) (data []byte, label, used string, ok bool) {
	path := l.env(f.env)
	if path == "" {
		path = f.path
	}
	label = f.env + " " + path
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		used = path
	case errors.Is(err, fs.ErrNotExist) && path == f.path:
		data, label = builtin(f.builtin), f.env+" (built-in "+f.builtin+")"
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		l.fail("%s: %v", label, err)
		return nil, label, "", false
	}
	return []byte(expand(string(data), l.getenv)), label, used, true
}

// loadFiles reads every YAML file into c.
func (l *loader) loadFiles(c *Config) {
	if data, label, used, ok := l.read(appFile); ok {
		var problems []string
		c.ConfigFile = used
		c.App, problems = parseApp(data)
		l.fileProblems(label, problems)
	}
	if data, label, used, ok := l.read(authzRulesFile); ok {
		var problems []string
		c.AuthzRulesFile = used
		c.AuthzRules, problems = parseAuthzRules(data)
		l.fileProblems(label, problems)
	}
	if data, label, used, ok := l.read(seedsFile); ok {
		var problems []string
		c.SeedsFile = used
		c.Seeds, problems = parseSeeds(data)
		l.fileProblems(label, problems)
	}
	if data, label, used, ok := l.read(managementFile); ok {
		var problems []string
		c.ManagementAPIFile = used
		c.ManagementAPI, problems = parseManagementAPI(data)
		l.fileProblems(label, problems)
	}
	if data, label, used, ok := l.read(abilitiesFile); ok {
		var problems []string
		c.AbilitiesFile = used
		c.Abilities, problems = parseAbilities(data)
		l.fileProblems(label, problems)
	}
}

func (l *loader) fileProblems(label string, problems []string) {
	for _, p := range problems {
		l.fail("%s: %s", label, p)
	}
}

// decodeYAML unmarshals data into v and returns yaml's problems one per
// line (a type error lists several).
func decodeYAML(data []byte, v any) []string {
	err := yaml.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			out = append(out, "yaml: "+oneLine(e))
		}
		return out
	}
	return []string{oneLine(err.Error())}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// expand replaces environment references in s (see the package
// documentation): ${NAME}, $NAME for upper-case names, and $$ for "$".
func expand(s string, getenv func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch rest := s[i+1:]; {
		case rest[0] == '$':
			b.WriteByte('$')
			i++
		case rest[0] == '{':
			end := strings.IndexByte(rest, '}')
			if end < 0 || !isName(rest[1:end]) {
				b.WriteByte('$')
				continue
			}
			v, _ := getenv(rest[1:end])
			b.WriteString(v)
			i += end + 1
		default:
			n := 0
			for n < len(rest) && isNameByte(rest[n]) {
				n++
			}
			name := rest[:n]
			if !isName(name) || strings.ToUpper(name) != name {
				b.WriteByte('$')
				continue
			}
			v, _ := getenv(name)
			b.WriteString(v)
			i += n
		}
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isName reports whether s is an environment variable name.
func isName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}
