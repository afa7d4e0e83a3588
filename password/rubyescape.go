package password

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// classEscape reads a backslash sequence valid both inside and outside a
// character class. It returns either a set (possibly to be negated) or the
// literal code points it denotes.
func (t *translator) classEscape() (set runeSet, negate bool, runes []rune, err error) {
	c := t.peek(1)
	t.pos += 2
	switch c {
	case 'd', 'D':
		return rubyDigitASCII, c == 'D', nil, nil
	case 'w', 'W':
		return rubyWordASCII, c == 'W', nil, nil
	case 's', 'S':
		return rubySpaceASCII, c == 'S', nil, nil
	case 'h', 'H':
		return rubyHexASCII, c == 'H', nil, nil
	case 'p', 'P':
		set, negate, err := t.property(c == 'P')
		return set, negate, nil, err
	case 't':
		return nil, false, []rune{'\t'}, nil
	case 'n':
		return nil, false, []rune{'\n'}, nil
	case 'r':
		return nil, false, []rune{'\r'}, nil
	case 'f':
		return nil, false, []rune{'\f'}, nil
	case 'v':
		return nil, false, []rune{'\v'}, nil
	case 'a':
		return nil, false, []rune{'\a'}, nil
	case 'e':
		return nil, false, []rune{0x1b}, nil
	case 'x':
		r, err := t.hexDigits(2)
		return nil, false, []rune{r}, err
	case 'u':
		rs, err := t.unicodeEscape()
		return nil, false, rs, err
	case '0':
		// Octal escape: \0, \0o, \0oo.
		v := rune(0)
		for i := 0; i < 2 && t.peek(0) >= '0' && t.peek(0) <= '7'; i++ {
			v = v*8 + t.peek(0) - '0'
			t.pos++
		}
		return nil, false, []rune{v}, nil
	case 'R', 'X', 'g', 'y', 'Y', 'N', 'O', 'c', 'C', 'M':
		return nil, false, nil, fmt.Errorf(`escape \%c is not supported`, c)
	}
	// Any other escaped character stands for itself (Ruby ignores the
	// backslash of an unknown letter escape).
	return nil, false, []rune{c}, nil
}

// hexDigits reads up to n hex digits (at least one) after \x.
func (t *translator) hexDigits(n int) (rune, error) {
	v := rune(0)
	i := 0
	for ; i < n; i++ {
		d, ok := hexValue(t.peek(0))
		if !ok {
			break
		}
		v = v*16 + d
		t.pos++
	}
	if i == 0 {
		return 0, errors.New("invalid hex escape")
	}
	return v, nil
}

// unicodeEscape reads \uHHHH or \u{H...} (several code points separated by
// spaces) after \u.
func (t *translator) unicodeEscape() ([]rune, error) {
	if t.peek(0) != '{' {
		v := rune(0)
		for i := 0; i < 4; i++ {
			d, ok := hexValue(t.peek(0))
			if !ok {
				return nil, errors.New("invalid Unicode escape")
			}
			v = v*16 + d
			t.pos++
		}
		return []rune{v}, nil
	}
	end := t.pos
	for end < len(t.src) && t.src[end] != '}' {
		end++
	}
	if end == len(t.src) {
		return nil, errors.New("invalid Unicode list")
	}
	var rs []rune
	for _, field := range strings.Fields(string(t.src[t.pos+1 : end])) {
		v, err := strconv.ParseUint(field, 16, 32)
		if err != nil || v > 0x10FFFF {
			return nil, errors.New("invalid Unicode list")
		}
		rs = append(rs, rune(v))
	}
	if len(rs) == 0 {
		return nil, errors.New("invalid Unicode list")
	}
	t.pos = end + 1
	return rs, nil
}

// property reads {name} or {^name} after \p / \P.
func (t *translator) property(negated bool) (runeSet, bool, error) {
	if t.peek(0) != '{' {
		return nil, false, errors.New("invalid character property name {}")
	}
	end := t.pos
	for end < len(t.src) && t.src[end] != '}' {
		end++
	}
	if end == len(t.src) {
		return nil, false, errors.New("invalid character property name")
	}
	name := string(t.src[t.pos+1 : end])
	t.pos = end + 1
	if strings.HasPrefix(name, "^") {
		negated = !negated
		name = name[1:]
	}
	set, err := propertyClass(name)
	return set, negated, err
}

func hexValue(r rune) (rune, bool) {
	switch {
	case r >= '0' && r <= '9':
		return r - '0', true
	case r >= 'a' && r <= 'f':
		return r - 'a' + 10, true
	case r >= 'A' && r <= 'F':
		return r - 'A' + 10, true
	}
	return 0, false
}
