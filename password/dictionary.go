package password

import (
	"cmp"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// commonPasswords is the gem's COMMON_PASSWORDS list (see the file header for
// its origin and licence).
//
//go:embed common_passwords.txt
var commonPasswords string

// minWordLength is the gem's default min_word_length: shorter words are left
// out of the dictionary regexp.
const minWordLength = 4

// dictionary emulates `variant.sub(Regexp.union(words), '*')` for the gem's
// words sorted by length, longest first: the match is the leftmost position
// where some word occurs and, at that position, the longest such word (two
// distinct words of one length cannot both match at one position, so the
// gem's unstable sort does not matter). Words are ASCII, so matching bytes of
// UTF-8 text is exact.
//
// The words are substrings of the embedded list (no copies), sorted by
// length then bytes; a sorted table of their first minWordLength bytes with
// the lengths of the words that begin with them rejects most positions of a
// password in one binary search. About 250 KB of heap, against 1 MB for
// maps of the same words.
type dictionary struct {
	words  []string // by length, then bytes
	start  [65]int  // words of length n are words[start[n]:start[n+1]]
	minLen int
	maxLen int
	// prefixes are the distinct first minWordLength bytes of the words,
	// sorted; masks[i] has bit n set when a word of length n begins with
	// prefixes[i].
	prefixes []uint32
	masks    []uint64
}

var loadDictionary = sync.OnceValue(func() *dictionary {
	return parseDictionary(commonPasswords)
})

func prefixOf(s string) uint32 {
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}

func parseDictionary(text string) *dictionary {
	d := &dictionary{}
	for line := range strings.SplitSeq(text, "\n") {
		word := strings.TrimSpace(line)
		// Words of 64 bytes or more do not fit the length mask; the gem's
		// list has none (its longest word has 18 characters).
		if word == "" || strings.HasPrefix(word, "#") || utf8.RuneCountInString(word) < minWordLength ||
			len(word) >= 64 {
			continue
		}
		d.words = append(d.words, word)
	}
	slices.SortFunc(d.words, func(a, b string) int {
		if c := cmp.Compare(len(a), len(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	d.words = slices.Clip(slices.Compact(d.words))
	if len(d.words) > 0 {
		d.minLen, d.maxLen = len(d.words[0]), len(d.words[len(d.words)-1])
	}
	n := 0
	for l := range d.start {
		for n < len(d.words) && len(d.words[n]) < l {
			n++
		}
		d.start[l] = n
	}
	masks := map[uint32]uint64{}
	for _, w := range d.words {
		masks[prefixOf(w)] |= 1 << len(w)
	}
	d.prefixes = make([]uint32, 0, len(masks))
	for p := range masks {
		d.prefixes = append(d.prefixes, p)
	}
	slices.Sort(d.prefixes)
	d.masks = make([]uint64, len(d.prefixes))
	for i, p := range d.prefixes {
		d.masks[i] = masks[p]
	}
	return d
}

// size reports the number of distinct words.
func (d *dictionary) size() int { return len(d.words) }

// has reports whether w is a word of the dictionary.
func (d *dictionary) has(w string) bool {
	if len(w) >= len(d.start)-1 {
		return false
	}
	group := d.words[d.start[len(w)]:d.start[len(w)+1]]
	_, ok := slices.BinarySearch(group, w)
	return ok
}

// censor replaces the first dictionary word in s by "*".
func (d *dictionary) censor(s string) string {
	for i := 0; i+minWordLength <= len(s); i++ {
		j, ok := slices.BinarySearch(d.prefixes, prefixOf(s[i:]))
		if !ok {
			continue
		}
		mask := d.masks[j]
		for n := min(d.maxLen, len(s)-i); n >= minWordLength; n-- {
			if mask&(1<<n) != 0 && d.has(s[i:i+n]) {
				return s[:i] + "*" + s[i+n:]
			}
		}
	}
	return s
}

// dictionaryScore is the gem's DictionaryAdjuster#adjusted_entropy: the entropy
// of the lower-cased password, lowered by every variant whose first dictionary
// word has been replaced by "*".
func dictionaryScore(s string, d *dictionary, entropy entropyFunc) Score {
	base := rubyDowncase(s)
	low := entropy(base)
	for _, v := range passwordVariants(base) {
		low = minScore(low, entropy(d.censor(v)))
	}
	return low
}

// Character translations of the gem's PasswordVariants (String#tr maps).
var (
	leetMap = map[rune]rune{
		'@': 'a', '!': 'i', '$': 's', '1': 'i', '2': 'z', '3': 'e', '4': 'a',
		'5': 's', '6': 'g', '7': 't', '8': 'b', '9': 'g', '0': 'o',
	}
	leetAltMap = map[rune]rune{
		'@': 'a', '!': 'i', '$': 's', '1': 'l', '2': 'z', '3': 'e', '4': 'a',
		'5': 's', '6': 'g', '7': 't', '8': 'b', '9': 'g', '0': 'o',
	}
	downRightMap = map[rune]rune{
		'a': 'z', 'q': 'a', '1': 'q', 's': 'x', 'w': 's', '2': 'w', 'd': 'c',
		'e': 'd', '3': 'e', 'f': 'v', 'r': 'f', '4': 'r', 'g': 'b', 't': 'g',
		'5': 't', 'h': 'n', 'y': 'h', '6': 'y', 'j': 'm', 'u': 'j', '7': 'u',
		'i': 'k', '8': 'i', 'o': 'l', '9': 'o', '0': 'p',
	}
	downLeftMap = map[rune]rune{
		'2': 'q', 'w': 'a', '3': 'w', 's': 'z', 'e': 's', '4': 'e', 'd': 'x',
		'r': 'd', '5': 'r', 'f': 'c', 't': 'f', '6': 't', 'g': 'v', 'y': 'g',
		'7': 'y', 'h': 'b', 'u': 'h', '8': 'u', 'j': 'n', 'i': 'j', '9': 'i',
		'k': 'm', 'o': 'k', '0': 'o', 'p': 'l', '-': 'p',
	}
)

// bottomRow holds the characters that disable keyboard-shift variants: the
// gem only shifts passwords with no key on (or below) the bottom letter row.
const bottomRow = "zxcvbnm,./<>?"

func translate(s string, m map[rune]rune) string {
	return strings.Map(func(r rune) rune {
		if t, ok := m[r]; ok {
			return t
		}
		return r
	}, s)
}

// passwordVariants is the gem's PasswordVariants.all_variants: the lower-cased
// password, its keyboard-shifted forms and its leet-speak readings, each with
// its reverse, without duplicates and in the gem's order.
func passwordVariants(s string) []string {
	p := rubyDowncase(s)
	variants := []string{p}
	if !strings.ContainsAny(p, bottomRow) {
		for _, m := range []map[rune]rune{downRightMap, downLeftMap} {
			v := translate(p, m)
			variants = append(variants, v, reverseRunes(v))
		}
	}
	leet := translate(p, leetMap)
	if leet != p {
		variants = append(variants, leet, reverseRunes(leet))
	}
	if alt := translate(p, leetAltMap); alt != p && alt != leet {
		variants = append(variants, alt, reverseRunes(alt))
	}
	unique := variants[:0]
	seen := make(map[string]struct{}, len(variants))
	for _, v := range variants {
		if _, dup := seen[v]; !dup {
			seen[v] = struct{}{}
			unique = append(unique, v)
		}
	}
	return unique
}
