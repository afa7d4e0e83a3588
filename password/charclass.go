package password

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// span is an inclusive range of code points.
type span struct{ lo, hi rune }

// runeSet is a sorted list of disjoint, non-adjacent spans.
type runeSet []span

func normalizeSet(spans []span) runeSet {
	slices.SortFunc(spans, func(a, b span) int { return int(a.lo) - int(b.lo) })
	out := runeSet{}
	for _, s := range spans {
		if n := len(out); n > 0 && s.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, s.hi)
			continue
		}
		out = append(out, s)
	}
	return out
}

func setOfRunes(rs ...rune) runeSet {
	spans := make([]span, len(rs))
	for i, r := range rs {
		spans[i] = span{r, r}
	}
	return normalizeSet(spans)
}

func setOfRange(lo, hi rune) runeSet { return runeSet{{lo, hi}} }

func setOfTables(tables ...*unicode.RangeTable) runeSet {
	var spans []span
	for _, t := range tables {
		for _, r := range t.R16 {
			spans = appendStrided(spans, rune(r.Lo), rune(r.Hi), rune(r.Stride))
		}
		for _, r := range t.R32 {
			spans = appendStrided(spans, rune(r.Lo), rune(r.Hi), rune(r.Stride))
		}
	}
	return normalizeSet(spans)
}

func appendStrided(spans []span, lo, hi, stride rune) []span {
	if stride == 1 {
		return append(spans, span{lo, hi})
	}
	for r := lo; r <= hi; r += stride {
		spans = append(spans, span{r, r})
	}
	return spans
}

func (s runeSet) union(o runeSet) runeSet {
	all := make([]span, 0, len(s)+len(o))
	all = append(all, s...)
	return normalizeSet(append(all, o...))
}

func (s runeSet) invert() runeSet {
	out := runeSet{}
	next := rune(0)
	for _, sp := range s {
		if sp.lo > next {
			out = append(out, span{next, sp.lo - 1})
		}
		next = sp.hi + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, span{next, unicode.MaxRune})
	}
	return out
}

func (s runeSet) intersect(o runeSet) runeSet {
	return s.invert().union(o.invert()).invert()
}

func (s runeSet) contains(r rune) bool {
	_, found := slices.BinarySearchFunc(s, r, func(sp span, r rune) int {
		switch {
		case sp.hi < r:
			return -1
		case sp.lo > r:
			return 1
		}
		return 0
	})
	return found
}

// pattern renders the set as a regexp2 character class; negate renders the
// complement as [^...] so that regexp2 applies case folding before negating.
func (s runeSet) pattern(negate bool) string {
	if len(s) == 0 {
		if negate {
			return `[\x{0}-\x{10FFFF}]`
		}
		return `(?!)`
	}
	var b strings.Builder
	b.WriteByte('[')
	if negate {
		b.WriteByte('^')
	}
	for _, sp := range s {
		b.WriteString(escapeRune(sp.lo))
		if sp.hi != sp.lo {
			b.WriteByte('-')
			b.WriteString(escapeRune(sp.hi))
		}
	}
	b.WriteByte(']')
	return b.String()
}

func escapeRune(r rune) string {
	return `\x{` + strconv.FormatInt(int64(r), 16) + `}`
}

// Sets with Ruby (Onigmo) semantics on UTF-8 strings.
var (
	rubyDigitASCII = setOfRange('0', '9')
	rubyWordASCII  = setOfRange('a', 'z').union(setOfRange('A', 'Z')).union(rubyDigitASCII).union(setOfRunes('_'))
	rubySpaceASCII = setOfRunes(' ', '\t', '\n', '\v', '\f', '\r')
	rubyHexASCII   = rubyDigitASCII.union(setOfRange('a', 'f')).union(setOfRange('A', 'F'))
)

// posixClass returns the Unicode set of a POSIX bracket or of the equivalent
// \p{...} name, as Ruby matches it against UTF-8 text.
func posixClass(name string) (runeSet, bool) {
	alpha := func() runeSet { return setOfTables(unicode.L, unicode.Nl, unicode.Other_Alphabetic) }
	assigned := func() runeSet {
		return setOfTables(unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
	}
	graph := func() runeSet {
		return assigned().intersect(setOfTables(unicode.White_Space, unicode.Cc, unicode.Cs).invert())
	}
	switch name {
	case "alnum":
		return alpha().union(setOfTables(unicode.Nd)), true
	case "alpha":
		return alpha(), true
	case "ascii":
		return setOfRange(0, 0x7f), true
	case "blank":
		return setOfTables(unicode.Zs).union(setOfRunes('\t')), true
	case "cntrl":
		return setOfTables(unicode.Cc), true
	case "digit":
		return setOfTables(unicode.Nd), true
	case "graph":
		return graph(), true
	case "lower":
		return setOfTables(unicode.Ll, unicode.Other_Lowercase), true
	case "print":
		return graph().union(setOfTables(unicode.Zs)), true
	case "punct":
		return setOfTables(unicode.P).union(setOfRunes('$', '+', '<', '=', '>', '^', '`', '|', '~')), true
	case "space":
		return setOfTables(unicode.White_Space), true
	case "upper":
		return setOfTables(unicode.Lu, unicode.Other_Uppercase), true
	case "xdigit":
		return rubyHexASCII, true
	case "word":
		return alpha().union(setOfTables(unicode.M, unicode.Nd, unicode.Pc)), true
	}
	return nil, false
}

// propertyClass resolves the name of \p{name}: POSIX names, Any, Assigned,
// general categories (Lu, L, ...) and scripts (Latin, Greek, ...). Ruby
// ignores case, spaces, hyphens and underscores in the name.
func propertyClass(name string) (runeSet, error) {
	key := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(name))
	if set, ok := posixClass(key); ok {
		return set, nil
	}
	switch key {
	case "any":
		return setOfRange(0, unicode.MaxRune), nil
	case "assigned":
		return setOfTables(unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C), nil
	case "cn":
		return setOfTables(unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C).invert(), nil
	case "uppercase":
		return setOfTables(unicode.Lu, unicode.Other_Uppercase), nil
	case "lowercase":
		return setOfTables(unicode.Ll, unicode.Other_Lowercase), nil
	case "alphabetic":
		return setOfTables(unicode.L, unicode.Nl, unicode.Other_Alphabetic), nil
	case "whitespace":
		return setOfTables(unicode.White_Space), nil
	}
	for cat, table := range unicode.Categories {
		if strings.ToLower(cat) == key {
			return setOfTables(table), nil
		}
	}
	for script, table := range unicode.Scripts {
		if strings.ToLower(script) == key {
			return setOfTables(table), nil
		}
	}
	return nil, fmt.Errorf("unsupported character property %q", name)
}
