package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Seeds is a seeds.yml (reference §10.8): rows that `barong seed` and
// `barong serve` create when missing.
type Seeds struct {
	// Levels are numbered 1..N in this order.
	Levels       []Level
	Permissions  []Permission
	Restrictions []Restriction
	Users        []SeedUser
}

// Level is one level row.
type Level struct {
	Key         string `yaml:"key"`
	Value       string `yaml:"value"`
	Description string `yaml:"description"`
}

// Permission is one permission row. Verb and Action are upper-cased.
type Permission struct {
	Role   string `yaml:"role"`
	Verb   string `yaml:"verb"`
	Path   string `yaml:"path"`
	Action string `yaml:"action"`
	Topic  string `yaml:"topic"`
}

// Restriction is one restriction row. Code 0 means the model's default for
// the category and scope; State defaults to "enabled".
type Restriction struct {
	Category string `yaml:"category"`
	Scope    string `yaml:"scope"`
	Value    string `yaml:"value"`
	Code     int    `yaml:"code"`
	State    string `yaml:"state"`
}

// SeedUser is a user to create. Without Password a random one is chosen;
// the user receives the private labels of levels 1..Level.
type SeedUser struct {
	Email    string `yaml:"email"`
	Password string `yaml:"password"`
	Role     string `yaml:"role"`
	State    string `yaml:"state"`
	Level    int    `yaml:"level"`
	UID      string `yaml:"uid"`
	Username string `yaml:"username"`
}

// Accepted values of seed rows (reference §3.2).
var (
	PermissionVerbs       = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "ALL"}
	PermissionActions     = []string{"ACCEPT", "DROP", "AUDIT"}
	RestrictionCategories = []string{"whitelist", "maintenance", "blacklist", "blocklogin"}
	RestrictionScopes     = []string{"continent", "country", "ip", "ip_subnet", "all"}
	RestrictionStates     = []string{"enabled", "disabled"}
)

type seedsYAML struct {
	Levels       []Level       `yaml:"levels"`
	Permissions  []Permission  `yaml:"permissions"`
	Restrictions []Restriction `yaml:"restrictions"`
	Users        []SeedUser    `yaml:"users"`
}

// ParseSeeds parses a seeds YAML (without environment interpolation; see
// LoadSeedsFile). Other top-level keys are ignored. The error is an *Error
// listing every problem.
func ParseSeeds(data []byte) (*Seeds, error) {
	s, problems := parseSeeds(data)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return s, nil
}

// LoadSeedsFile reads the seeds file at path, expands environment references
// through getenv as Load does, and parses it. Every problem is prefixed with
// the path.
func LoadSeedsFile(path string, getenv func(string) (string, bool)) (*Seeds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("seeds %s: %w", path, err)
	}
	s, problems := parseSeeds([]byte(expand(string(data), getenv)))
	if len(problems) > 0 {
		for i, p := range problems {
			problems[i] = path + ": " + p
		}
		return nil, &Error{Problems: problems}
	}
	return s, nil
}

// DefaultSeeds returns a fresh copy of Barong's default seeds: levels email,
// phone and document, the whole default permission table and the disabled
// example restrictions.
func DefaultSeeds() *Seeds {
	s, problems := parseSeeds(builtin(seedsFile.builtin))
	if len(problems) > 0 {
		panic("config: built-in seeds.yml: " + strings.Join(problems, "; "))
	}
	return s
}

// parseSeeds parses and validates a seeds YAML, normalising case.
func parseSeeds(data []byte) (*Seeds, []string) {
	var f seedsYAML
	if problems := decodeYAML(data, &f); problems != nil {
		return nil, problems
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	oneOf := func(where, field, v string, allowed []string) {
		if !slices.Contains(allowed, v) {
			fail("%s: %s %q is not one of %s", where, field, v, strings.Join(allowed, ", "))
		}
	}
	for i, l := range f.Levels {
		if l.Key == "" {
			fail("levels[%d]: key is empty", i)
		}
	}
	for i := range f.Permissions {
		p := &f.Permissions[i]
		where := fmt.Sprintf("permissions[%d]", i)
		p.Verb, p.Action = strings.ToUpper(p.Verb), strings.ToUpper(p.Action)
		if p.Role == "" {
			fail("%s: role is empty", where)
		}
		if p.Path == "" {
			fail("%s: path is empty", where)
		}
		oneOf(where, "verb", p.Verb, PermissionVerbs)
		oneOf(where, "action", p.Action, PermissionActions)
	}
	for i := range f.Restrictions {
		r := &f.Restrictions[i]
		where := fmt.Sprintf("restrictions[%d]", i)
		if r.State == "" {
			r.State = "enabled"
		}
		oneOf(where, "category", r.Category, RestrictionCategories)
		oneOf(where, "scope", r.Scope, RestrictionScopes)
		oneOf(where, "state", r.State, RestrictionStates)
		if r.Value == "" {
			fail("%s: value is empty", where)
		}
		if r.Code < 0 {
			fail("%s: code %d is negative", where, r.Code)
		}
	}
	for i, u := range f.Users {
		where := fmt.Sprintf("users[%d]", i)
		if u.Email == "" {
			fail("%s: email is empty", where)
		}
		if u.Level < 0 {
			fail("%s: level %d is negative", where, u.Level)
		}
	}
	return &Seeds{Levels: f.Levels, Permissions: f.Permissions, Restrictions: f.Restrictions, Users: f.Users}, problems
}
