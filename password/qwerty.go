package password

import "strings"

// qwertyRows are the keyboard and alphabet sequences of the gem's
// QwertyAdjuster, in the gem's order.
var qwertyRows = []string{
	"1234567890-",
	"qwertyuiop",
	"asdfghjkl;",
	"zxcvbnm,./",
	`1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]:?_{"+}`,
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	`qazwsxedcrfvtgbyhnujmik,ol.p;/-['=]:?_{"+}`,
	"qazwsxedcrfvtgbyhnujmikolp",
	`]"/=[;.-pl,0okm9ijn8uhb7ygv6tfc5rdx4esz3wa2q1`,
	"pl0okm9ijn8uhb7ygv6tfc5rdx4esz3wa2q1",
	`]"/[;.pl,okmijnuhbygvtfcrdxeszwaq`,
	"plokmijnuhbygvtfcrdxeszwaq",
	"014725836914702583697894561230258/369*+-*/",
	"abcdefghijklmnopqrstuvwxyz",
}

// qwertyAlternatives holds, for each first byte, the literal alternatives of
// the gem's masking regexp that start with that byte, in alternation order.
//
// The gem builds Regexp.union of every substring of length 6, 5, 4 and 3 of
// each row (row by row, longer substrings first, left to right), after
// replacing the first "-" of each substring by the two characters `\-`.
// Regexp.union quotes its strings, so such an alternative only matches a
// literal backslash followed by a dash. The alternation takes, at each
// position, the first alternative that matches — not the longest one.
var qwertyAlternatives = buildQwertyAlternatives()

func buildQwertyAlternatives() [256][]string {
	var byFirst [256][]string
	for _, row := range qwertyRows {
		for size := 6; size >= 3; size-- {
			for x := 0; x+size <= len(row); x++ {
				alt := strings.Replace(row[x:x+size], "-", `\-`, 1)
				byFirst[alt[0]] = append(byFirst[alt[0]], alt)
			}
		}
	}
	return byFirst
}

// maskQwerty is the gem's password.gsub(all_qwerty_strings, '*'): scanning
// left to right, each match of the first matching alternative becomes "*".
// Alternatives are ASCII, so byte-wise scanning of UTF-8 text is exact.
func maskQwerty(s string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		matched := 0
		for _, alt := range qwertyAlternatives[s[i]] {
			if strings.HasPrefix(s[i:], alt) {
				matched = len(alt)
				break
			}
		}
		if matched == 0 {
			if changed {
				b.WriteByte(s[i])
			}
			i++
			continue
		}
		if !changed {
			b.Grow(len(s))
			b.WriteString(s[:i])
			changed = true
		}
		b.WriteByte('*')
		i += matched
	}
	if !changed {
		return s
	}
	return b.String()
}

// qwertyScore is the gem's QwertyAdjuster#adjusted_entropy with
// entropy_threshhold = threshold (Barong's min_entropy): the lowest entropy
// of the password, its reverse and their masked forms, stopping as soon as
// the lowest figure so far is below the threshold.
func qwertyScore(s string, threshold int, entropy entropyFunc) Score {
	limit := float64(threshold)
	rev := reverseRunes(s)
	low := minScore(entropy(s), entropy(rev))
	if low.Bits < limit {
		return low
	}
	if q := maskQwerty(s); q != s {
		low = minScore(low, entropy(q))
	}
	if low.Bits < limit {
		return low
	}
	if q := maskQwerty(rev); q != rev {
		low = minScore(low, entropy(q))
	}
	return low
}
