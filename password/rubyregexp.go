package password

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// matchTimeout bounds one regexp match against a password; a match that runs
// longer (catastrophic backtracking in an operator's pattern) counts as a
// failed match.
const matchTimeout = time.Second

// compileRuby compiles a Ruby regexp source (as given to Regexp.new, no
// flags) for regexp2 with Ruby's semantics. Multiline is always on because
// Ruby's ^ and $ are line anchors; Ruby's (?m) (dot matches newline) becomes
// regexp2's (?s).
func compileRuby(src string) (*regexp2.Regexp, error) {
	pattern, err := translateRuby(src)
	if err != nil {
		return nil, err
	}
	re, err := regexp2.Compile(pattern, regexp2.Multiline)
	if err != nil {
		return nil, fmt.Errorf("compile translated pattern: %w", err)
	}
	re.MatchTimeout = matchTimeout
	return re, nil
}

// translator rewrites Ruby (Onigmo) syntax into regexp2 (.NET) syntax.
type translator struct {
	src []rune
	pos int
	out strings.Builder
	// extended tracks Ruby's x flag per group, so that comments in extended
	// mode are copied verbatim instead of being parsed.
	extended []bool
}

func translateRuby(src string) (string, error) {
	t := &translator{src: []rune(src), extended: []bool{false}}
	if err := t.run(); err != nil {
		return "", fmt.Errorf("ruby regexp %q: %w", src, err)
	}
	return t.out.String(), nil
}

func (t *translator) eof() bool { return t.pos >= len(t.src) }

func (t *translator) peek(off int) rune {
	if t.pos+off < len(t.src) {
		return t.src[t.pos+off]
	}
	return -1
}

func (t *translator) run() error {
	for !t.eof() {
		c := t.src[t.pos]
		switch {
		case c == '\\':
			if err := t.escape(); err != nil {
				return err
			}
		case c == '[':
			set, negate, err := t.class()
			if err != nil {
				return err
			}
			t.out.WriteString(set.pattern(negate))
		case c == '(':
			if err := t.group(); err != nil {
				return err
			}
		case c == ')':
			if len(t.extended) > 1 {
				t.extended = t.extended[:len(t.extended)-1]
			}
			t.out.WriteRune(c)
			t.pos++
		case c == '{':
			t.interval()
		case c == '*' || c == '+' || c == '?':
			t.out.WriteRune(c)
			t.pos++
			if err := t.afterQuantifier(); err != nil {
				return err
			}
		case c == '^':
			// Ruby's ^ does not match at the end of the text after a final
			// newline; regexp2's multiline ^ does.
			t.out.WriteString(rubyLineStart)
			t.pos++
		case c == '#' && t.extended[len(t.extended)-1]:
			for !t.eof() && t.src[t.pos] != '\n' {
				t.out.WriteRune(t.src[t.pos])
				t.pos++
			}
		default:
			t.out.WriteRune(c)
			t.pos++
		}
	}
	return nil
}

// afterQuantifier refuses Ruby's possessive quantifiers (x*+, x++, x?+),
// which regexp2 does not have; a lazy "?" is copied.
func (t *translator) afterQuantifier() error {
	switch t.peek(0) {
	case '+':
		return errors.New("possessive quantifiers are not supported")
	case '?':
		t.out.WriteRune('?')
		t.pos++
	}
	return nil
}

// interval copies {n}, {n,}, {n,m} and rewrites Ruby's {,m} as {0,m}; a brace
// that does not start an interval is a literal, as in Ruby.
func (t *translator) interval() {
	end := t.pos + 1
	for end < len(t.src) && (t.src[end] >= '0' && t.src[end] <= '9' || t.src[end] == ',') {
		end++
	}
	body := string(t.src[t.pos+1 : min(end, len(t.src))])
	lo, hi, hasComma := strings.Cut(body, ",")
	valid := end < len(t.src) && t.src[end] == '}' && strings.Count(body, ",") <= 1 &&
		(lo != "" || hasComma && hi != "")
	if !valid {
		t.out.WriteString(`\{`)
		t.pos++
		return
	}
	if lo == "" {
		lo = "0"
	}
	t.out.WriteString("{" + lo)
	if hasComma {
		t.out.WriteString("," + hi)
	}
	t.out.WriteString("}")
	t.pos = end + 1
	if t.peek(0) == '?' {
		t.out.WriteRune('?')
		t.pos++
	}
}

// group handles "(" and Ruby's group syntax.
func (t *translator) group() error {
	t.pos++ // "("
	t.extended = append(t.extended, t.extended[len(t.extended)-1])
	if t.peek(0) != '?' {
		t.out.WriteRune('(')
		return nil
	}
	next := t.peek(1)
	switch {
	case next == '#': // (?#comment)
		for !t.eof() && t.src[t.pos] != ')' {
			t.pos++
		}
		if t.eof() {
			return errors.New("end pattern in group")
		}
		t.pos++
		t.extended = t.extended[:len(t.extended)-1]
		return nil
	case next == ':' || next == '=' || next == '!' || next == '>' || next == '<' || next == '\'':
		t.out.WriteString("(?")
		t.pos++
		return nil
	case next == '~':
		return errors.New("absence operator (?~...) is not supported")
	case next == '(':
		t.out.WriteString("(?")
		t.pos++
		return nil
	}
	return t.options()
}

// options translates (?imx-imx) and (?imx-imx:...); Ruby's m is regexp2's s.
func (t *translator) options() error {
	t.pos++ // "?"
	var b strings.Builder
	b.WriteString("(?")
	on := true
	ext := t.extended[len(t.extended)-2]
	for !t.eof() {
		c := t.src[t.pos]
		t.pos++
		switch c {
		case 'i':
			b.WriteRune('i')
		case 'm':
			b.WriteRune('s')
		case 'x':
			b.WriteRune('x')
			ext = on
		case '-':
			if !on {
				return errors.New("undefined group option")
			}
			on = false
			b.WriteRune('-')
		case ')':
			// Flags apply to the rest of the enclosing group.
			t.extended = t.extended[:len(t.extended)-1]
			t.extended[len(t.extended)-1] = ext
			b.WriteRune(')')
			t.out.WriteString(b.String())
			return nil
		case ':':
			t.extended[len(t.extended)-1] = ext
			b.WriteRune(':')
			t.out.WriteString(b.String())
			return nil
		default:
			return fmt.Errorf("undefined or unsupported group option %q", c)
		}
	}
	return errors.New("end pattern in group")
}

// Ruby's ^ is a line start that is not the end of the text; \b and \B
// use the ASCII word characters.
const (
	rubyLineStart       = `^(?!(?<=\n)\z)`
	rubyWordBoundary    = `(?:(?<=[a-zA-Z0-9_])(?![a-zA-Z0-9_])|(?<![a-zA-Z0-9_])(?=[a-zA-Z0-9_]))`
	rubyNonWordBoundary = `(?:(?<=[a-zA-Z0-9_])(?=[a-zA-Z0-9_])|(?<![a-zA-Z0-9_])(?![a-zA-Z0-9_]))`
)

// escape translates a backslash sequence outside a character class.
func (t *translator) escape() error {
	c := t.peek(1)
	switch c {
	case -1:
		return errors.New("too short escape sequence")
	case 'A', 'z', 'Z', 'G':
		t.out.WriteString(`\` + string(c))
		t.pos += 2
		return nil
	case 'b':
		t.out.WriteString(rubyWordBoundary)
		t.pos += 2
		return nil
	case 'B':
		t.out.WriteString(rubyNonWordBoundary)
		t.pos += 2
		return nil
	case 'K':
		// \K only moves the start of the reported match; a yes/no match is
		// unaffected.
		t.pos += 2
		return nil
	case 'k':
		// \k<name> and \k'name' back-references have the same syntax.
		t.out.WriteString(`\k`)
		t.pos += 2
		return nil
	}
	if c >= '1' && c <= '9' {
		// Back-reference: copy the digits.
		t.out.WriteRune('\\')
		t.pos++
		for !t.eof() && t.src[t.pos] >= '0' && t.src[t.pos] <= '9' {
			t.out.WriteRune(t.src[t.pos])
			t.pos++
		}
		return nil
	}
	set, negate, runes, err := t.classEscape()
	if err != nil {
		return err
	}
	if set != nil {
		t.out.WriteString(set.pattern(negate))
		return nil
	}
	for _, r := range runes {
		t.out.WriteString(escapeRune(r))
	}
	return nil
}
