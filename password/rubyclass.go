package password

import (
	"errors"
	"fmt"
	"strings"
)

// class parses a Ruby character class starting at "[" — with ranges,
// escapes, POSIX brackets ([:alpha:], [:^alpha:]), nested classes and "&&"
// intersections — and returns its set. negate reports an outer "[^": the
// caller renders it as [^...] so that regexp2 folds case before negating.
func (t *translator) class() (runeSet, bool, error) {
	t.pos++ // "["
	negate := false
	if t.peek(0) == '^' {
		negate = true
		t.pos++
	}
	var operands []runeSet // finished operands of "&&"
	acc := runeSet{}
	first := true
	for {
		if t.eof() {
			return nil, false, errors.New("premature end of char-class")
		}
		c := t.src[t.pos]
		switch {
		case c == ']' && !first:
			t.pos++
			for _, op := range operands {
				acc = acc.intersect(op)
			}
			return acc, negate, nil
		case c == '&' && t.peek(1) == '&':
			t.pos += 2
			operands = append(operands, acc)
			acc = runeSet{}
			first = false
			continue
		case c == '[':
			set, err := t.nestedClass()
			if err != nil {
				return nil, false, err
			}
			acc = acc.union(set)
			first = false
			continue
		}
		first = false
		set, lo, err := t.classAtom()
		if err != nil {
			return nil, false, err
		}
		if set != nil {
			acc = acc.union(set)
			continue
		}
		// A single character, perhaps the start of a range.
		if t.peek(0) == '-' && t.peek(1) != ']' && t.peek(1) != -1 {
			save := t.pos
			t.pos++
			hiSet, hi, err := t.classAtom()
			if err != nil {
				return nil, false, err
			}
			if hiSet != nil || t.src[save+1] == '[' {
				return nil, false, errors.New("char-class value at end of range")
			}
			if hi < lo {
				return nil, false, errors.New("empty range in char class")
			}
			acc = acc.union(setOfRange(lo, hi))
			continue
		}
		acc = acc.union(setOfRunes(lo))
	}
}

// nestedClass handles "[" inside a class: a POSIX bracket or a nested class.
func (t *translator) nestedClass() (runeSet, error) {
	if t.peek(1) == ':' {
		rest := string(t.src[t.pos+2:])
		if end := strings.Index(rest, ":]"); end >= 0 {
			name := rest[:end]
			negated := strings.HasPrefix(name, "^")
			name = strings.TrimPrefix(name, "^")
			if isPosixName(name) {
				set, ok := posixClass(name)
				if !ok {
					return nil, fmt.Errorf("invalid POSIX bracket type [:%s:]", name)
				}
				t.pos += 2 + len([]rune(rest[:end])) + 2
				if negated {
					set = set.invert()
				}
				return set, nil
			}
		}
	}
	set, negate, err := t.class()
	if err != nil {
		return nil, err
	}
	if negate {
		set = set.invert()
	}
	return set, nil
}

// isPosixName reports whether s has the shape of a POSIX bracket name.
func isPosixName(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// classAtom reads one member of a class: an escape (set or character) or a
// literal character.
func (t *translator) classAtom() (runeSet, rune, error) {
	c := t.src[t.pos]
	if c != '\\' {
		t.pos++
		return nil, c, nil
	}
	if t.peek(1) == 'b' { // backspace inside a class
		t.pos += 2
		return nil, '\b', nil
	}
	set, negate, runes, err := t.classEscape()
	if err != nil {
		return nil, 0, err
	}
	if set != nil {
		if negate {
			set = set.invert()
		}
		return set, 0, nil
	}
	if len(runes) == 1 {
		return nil, runes[0], nil
	}
	return setOfRunes(runes...), 0, nil
}
