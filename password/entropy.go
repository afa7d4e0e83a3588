package password

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Score is an entropy figure as the strong_password gem computes it: the value
// and whether Ruby would hold it as an Integer rather than a Float. The gem adds
// Integer and Float terms, so a short password made of distinct characters
// yields an Integer (rendered "16" in JSON) while most others yield a Float
// (rendered "15.5" or "14.0").
type Score struct {
	Bits    float64
	Integer bool
}

// JSON renders the score the way Barong's JSON encoder renders the Ruby number:
// Integer#to_s for integers, Float#to_s (see FormatEntropy) otherwise.
func (s Score) JSON() json.Number {
	if s.Integer {
		return json.Number(strconv.FormatInt(int64(s.Bits), 10))
	}
	return FormatEntropy(s.Bits)
}

// MarshalJSON implements json.Marshaler with the rendering of JSON.
func (s Score) MarshalJSON() ([]byte, error) {
	return []byte(s.JSON()), nil
}

// String returns the same text as JSON.
func (s Score) String() string { return string(s.JSON()) }

// minScore mirrors Ruby's [a, b].min: the first operand wins a tie, which
// decides whether an Integer or an equal Float survives.
func minScore(a, b Score) Score {
	if b.Bits < a.Bits {
		return b
	}
	return a
}

// FormatEntropy renders f like Ruby's Float#to_s (and so Float#to_json):
// integral values keep a ".0" ("20.0"), other values use the shortest
// round-trip digits ("14.5", "9.1990966796875"), and magnitudes of 1e16 and
// above or below 1e-4 use Ruby's exponent form ("1.0e+16", "1.0e-05").
// Entropy figures are always finite; NaN and infinities render as Ruby
// prints them ("NaN", "Infinity"), which is not valid JSON.
func FormatEntropy(f float64) json.Number {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest digits and decimal exponent, e.g. "1.4525e+01".
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // position of the decimal point after the first digits
	var b strings.Builder
	b.WriteString(sign)
	switch {
	case decpt > 0 && decpt <= 16:
		if decpt >= len(digits) {
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
			b.WriteString(".0")
		} else {
			b.WriteString(digits[:decpt])
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
	case decpt <= 0 && decpt > -4:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -decpt))
		b.WriteString(digits)
	default:
		b.WriteString(digits[:1])
		b.WriteByte('.')
		if len(digits) > 1 {
			b.WriteString(digits[1:])
		} else {
			b.WriteByte('0')
		}
		b.WriteString("e")
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
	}
	return json.Number(b.String())
}

// entropyFunc computes the entropy of one string; the adjusters take it as a
// parameter so that tests can run them without the bonus bits, as the gem's
// own specs do.
type entropyFunc func(string) Score

// nistScore is the gem's EntropyCalculator.calculate: NIST bits with repeated
// characters weakened, plus the bonus bits.
func nistScore(s string) Score {
	sc := weakenedBits(s)
	sc.Bits += float64(bonusBits(s))
	return sc
}

// weakenedBits is the gem's bits_with_repeats_weakened without the bonus.
// Each occurrence of a character is worth 0.75 of its previous occurrence;
// position 0 is worth 4 bits, positions 1-7 twice the character's worth,
// 8-19 1.5 times, later ones its worth.
func weakenedBits(s string) Score {
	var ascii [utf8.RuneSelf]float64 // current worth per ASCII character
	var seen [utf8.RuneSelf]bool
	var other map[rune]float64
	bits := 0.0
	integer := true
	i := 0
	for _, r := range s {
		// v is the character's current worth; first occurrences are the
		// Integer 1, repeats a Float power of 0.75 built by repeated
		// multiplication, as Ruby does.
		var v float64
		first := false
		if r < utf8.RuneSelf {
			if !seen[r] {
				v, first, seen[r] = 1, true, true
			} else {
				v = ascii[r]
			}
			ascii[r] = v * 0.75
		} else {
			if other == nil {
				other = make(map[rune]float64)
			}
			m, seen := other[r]
			if !seen {
				m, first = 1, true
			}
			v = m
			other[r] = m * 0.75
		}
		switch {
		case i == 0:
			bits += 4
		case i <= 7:
			bits += v * 2
			integer = integer && first
		case i <= 19:
			bits += v * 1.5
			integer = false
		default:
			bits += v
			integer = integer && first
		}
		i++
	}
	return Score{Bits: bits, Integer: integer}
}

// bonusBits is the gem's NistBonusBits.calculate_bonus_bits_for.
func bonusBits(s string) int {
	var upper, lower, digit, other, space bool
	for _, r := range s {
		switch {
		case r == ' ':
			space = true
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
		default:
			other = true
		}
		upper = upper || isUpper(r)
		lower = lower || isLower(r)
		digit = digit || unicode.Is(unicode.Nd, r)
	}
	bonus := 0
	switch {
	case upper && lower && other && digit:
		bonus = 6
	case upper && lower && other && !digit:
		bonus = 5
	case digit && other && !upper && !lower:
		bonus = -2
	case digit && !other && !upper && !lower:
		bonus = -6
	}
	if !space {
		bonus -= 2
	} else if rubySplitCount(s) > 3 {
		bonus++
	}
	return bonus
}

// isUpper and isLower are Ruby's [[:upper:]] and [[:lower:]] on UTF-8 strings:
// the Unicode Uppercase and Lowercase properties.
func isUpper(r rune) bool { return unicode.In(r, unicode.Lu, unicode.Other_Uppercase) }
func isLower(r rune) bool { return unicode.In(r, unicode.Ll, unicode.Other_Lowercase) }

// isRubySpace is Ruby's ASCII \s: space, \t, \n, \v, \f, \r.
func isRubySpace(r rune) bool {
	return r == ' ' || r >= '\t' && r <= '\r'
}

// rubySplitCount is len(s.split(/\s+/)) in Ruby: a leading separator yields an
// empty first field, trailing empty fields are dropped.
func rubySplitCount(s string) int {
	fields := 0
	inField := false
	for _, r := range s {
		if isRubySpace(r) {
			inField = false
			continue
		}
		if !inField {
			fields++
			inField = true
		}
	}
	if fields > 0 && len(s) > 0 && isRubySpace(rune(s[0])) {
		fields++
	}
	return fields
}

// rubyDowncase is Ruby's String#downcase (full Unicode case mapping). It
// differs from strings.ToLower only for U+0130, which Ruby maps to "i̇".
func rubyDowncase(s string) string {
	if !strings.ContainsRune(s, '\u0130') {
		return strings.ToLower(s)
	}
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// reverseRunes is Ruby's String#reverse: code points in reverse order.
func reverseRunes(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}
