package password

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Ruby regexp option bits, in the order Regexp#to_s prints them.
const (
	optMultiline  = 1 << iota // m
	optIgnoreCase             // i
	optExtended               // x
	optAll        = optMultiline | optIgnoreCase | optExtended
)

func optionBit(c byte) int {
	switch c {
	case 'm':
		return optMultiline
	case 'i':
		return optIgnoreCase
	case 'x':
		return optExtended
	}
	return 0
}

func optionLetters(opts int) string {
	var b strings.Builder
	for _, o := range []struct {
		bit    int
		letter byte
	}{{optMultiline, 'm'}, {optIgnoreCase, 'i'}, {optExtended, 'x'}} {
		if opts&o.bit != 0 {
			b.WriteByte(o.letter)
		}
	}
	return b.String()
}

// rubyRegexpString is Ruby's Regexp#to_s for Regexp.new(src): the source in
// a "(?flags-flags:...)" wrapper. Like Ruby, it folds leading option groups
// — "(?i)abc" and "(?i:abc)" both give "(?i-mx:abc)" — escapes unescaped
// slashes and shows ASCII control characters as \xHH.
func rubyRegexpString(src string) string {
	opts, body := foldOptionGroups(src)
	var b strings.Builder
	b.WriteString("(?")
	b.WriteString(optionLetters(opts))
	if opts&optAll != optAll {
		b.WriteByte('-')
		b.WriteString(optionLetters(^opts & optAll))
	}
	b.WriteByte(':')
	writeRubyRegexpSource(&b, body)
	b.WriteByte(')')
	return b.String()
}

// foldOptionGroups strips the leading "(?flags)" groups and a "(?flags:...)"
// group spanning the whole source, returning the options they set, as Ruby's
// Regexp#to_s does. If a group cannot be folded, the source is kept whole.
func foldOptionGroups(src string) (int, string) {
	opts, body := 0, src
	for len(body) >= 4 && strings.HasPrefix(body, "(?") {
		p, o := 2, opts
		for p < len(body) && optionBit(body[p]) != 0 {
			o |= optionBit(body[p])
			p++
		}
		if len(body)-p > 1 && body[p] == '-' {
			p++
			for p < len(body) && optionBit(body[p]) != 0 {
				o &^= optionBit(body[p])
				p++
			}
		}
		switch {
		case p < len(body) && body[p] == ')':
			opts, body = o, body[p+1:]
			continue
		case p < len(body) && body[p] == ':' && strings.HasSuffix(body, ")"):
			if inner := body[p+1 : len(body)-1]; compiles(inner) {
				return o, inner
			}
		}
		return 0, src
	}
	return opts, body
}

// compiles reports whether a Ruby regexp source is accepted.
func compiles(src string) bool {
	_, err := compileRuby(src)
	return err == nil
}

// writeRubyRegexpSource copies a regexp source the way Ruby's Regexp#to_s
// shows it: escape sequences verbatim, "/" as "\/", ASCII control characters
// other than whitespace as \xHH.
func writeRubyRegexpSource(b *strings.Builder, src string) {
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == '\\' && i+size < len(src):
			_, next := utf8.DecodeRuneInString(src[i+size:])
			b.WriteString(src[i : i+size+next])
			i += size + next
			continue
		case r == '/':
			b.WriteString(`\/`)
		case r < utf8.RuneSelf && (r < 0x20 || r == 0x7f) && !isRubySpace(r):
			fmt.Fprintf(b, `\x%02X`, r)
		default:
			b.WriteString(src[i : i+size])
		}
		i += size
	}
}
