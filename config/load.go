package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is an invalid configuration: every problem found, one per line,
// each naming the variable or file it is about.
type Error struct {
	Problems []string
}

// Error returns the problems, one per line.
func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// loader reads variables and collects problems.
type loader struct {
	getenv   func(string) (string, bool)
	problems []string
}

// lookup returns the first of names that is set to a non-empty value.
func (l *loader) lookup(names ...string) (name, value string, ok bool) {
	for _, n := range names {
		if v, found := l.getenv(n); found && v != "" {
			return n, v, true
		}
	}
	return "", "", false
}

// env returns the value of name, "" when unset.
func (l *loader) env(name string) string {
	v, _ := l.getenv(name)
	return v
}

func (l *loader) fail(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// Load reads the whole configuration: environment variables through getenv
// (os.LookupEnv in production) and the YAML files they name. It returns
// either a complete Config or an *Error listing every problem.
func Load(getenv func(string) (string, bool)) (*Config, error) {
	l := &loader{getenv: getenv}
	c := &Config{}
	for i := range options {
		l.apply(&options[i], c)
	}
	l.validate(c)
	l.loadFiles(c)
	if len(l.problems) > 0 {
		return nil, &Error{Problems: l.problems}
	}
	return c, nil
}

// apply sets o's field from the environment, a fallback or the default.
func (l *loader) apply(o *option, c *Config) {
	name, raw, ok := l.lookup(o.names...)
	if !ok && o.fallback != nil {
		name, raw, ok = o.fallback(l)
	}
	if !ok {
		name, raw = o.names[0], o.def
	}
	if !l.parse(o, name, raw, o.field(c)) && ok {
		// Leave the field at the default so the Config stays coherent
		// even though Load will fail.
		l.parse(o, o.names[0], o.def, o.field(c))
	}
}

// parse converts raw into dst according to dst's type, reporting problems
// under name. It reports whether raw was valid.
func (l *loader) parse(o *option, name, raw string, dst any) bool {
	if o.fold {
		raw = strings.ToLower(raw)
	}
	switch p := dst.(type) {
	case *string:
		if !l.checkValue(o, name, raw) {
			return false
		}
		*p = raw
	case *int:
		n, ok := l.parseInt(o, name, raw)
		if !ok {
			return false
		}
		*p = n
	case *time.Duration:
		n, ok := l.parseInt(o, name, raw)
		if !ok {
			return false
		}
		*p = time.Duration(n) * o.unit
	case *bool:
		switch strings.TrimSpace(raw) {
		case "true":
			*p = true
		case "false":
			*p = false
		default:
			l.fail("%s: %s is not true or false", name, display(o, raw))
			return false
		}
	case *[]string:
		list := splitList(raw)
		valid := true
		for _, v := range list {
			valid = l.checkValue(o, name, v) && valid
		}
		if !valid {
			return false
		}
		*p = list
	case *[]netip.Prefix:
		list, ok := l.parsePrefixes(o, name, raw)
		if !ok {
			return false
		}
		*p = list
	default:
		panic(fmt.Sprintf("config: option %s has unsupported field type %T", o.names[0], dst))
	}
	return true
}

var digits = regexp.MustCompile(`^\d+$`)

func (l *loader) parseInt(o *option, name, raw string) (int, bool) {
	raw = strings.TrimSpace(raw)
	if !digits.MatchString(raw) {
		if o.lenient {
			n, _ := strconv.Atoi(o.def)
			return n, true
		}
		l.fail("%s: %s is not an integer", name, display(o, raw))
		return 0, false
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		l.fail("%s: %s is out of range", name, display(o, raw))
		return 0, false
	}
	return n, true
}

// checkValue applies values, pattern and check to one non-empty value.
func (l *loader) checkValue(o *option, name, v string) bool {
	if v == "" {
		return true
	}
	if len(o.values) > 0 && !slices.Contains(o.values, v) {
		l.fail("%s: %s is not one of %s", name, display(o, v), strings.Join(o.values, ", "))
		return false
	}
	if o.pattern != nil && !o.pattern.MatchString(v) {
		l.fail("%s: %s does not match %s", name, display(o, v), o.pattern)
		return false
	}
	if o.check != nil {
		if err := o.check(v); err != nil {
			l.fail("%s: %s %v", name, display(o, v), err)
			return false
		}
	}
	return true
}

func (l *loader) parsePrefixes(o *option, name, raw string) ([]netip.Prefix, bool) {
	var out []netip.Prefix
	valid := true
	for _, v := range splitList(raw) {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		l.fail("%s: %s is not an IP address or CIDR network", name, display(o, v))
		valid = false
	}
	return out, valid
}

// splitList splits a comma-separated list, trimming blanks and dropping
// empty elements.
func splitList(raw string) []string {
	var out []string
	for _, v := range strings.Split(raw, ",") {
		if v = strings.Join(strings.Fields(v), " "); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// display renders a value for a message: quoted, password-free for URLs,
// and not at all for secrets.
func display(o *option, v string) string {
	switch {
	case o.secret:
		return "value"
	case o.url:
		r, ok := redactURL(v)
		if !ok {
			return "value"
		}
		return strconv.Quote(r)
	}
	return strconv.Quote(v)
}
