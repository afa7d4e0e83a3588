package password

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2"
)

// Barong's model error keys for the password attribute.
const (
	ErrTooLong      = "password.too_long"
	ErrBlank        = "password.blank"
	ErrRequirements = "password.requirements"
	ErrWeak         = "password.weak"
)

// Defaults of BARONG_PASSWORD_REGEXP, BARONG_PASSWORD_MIN_ENTROPY and
// BARONG_PASSWORD_USE_DICTIONARY.
const (
	DefaultRegexp        = `^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$`
	DefaultMinEntropy    = 14
	DefaultUseDictionary = true
)

// MaxBytes is bcrypt's input limit; longer passwords get ErrTooLong.
const MaxBytes = 72

// entropyLimit is the gem's PASSWORD_LIMIT: only the first 1000 characters
// count towards the entropy.
const entropyLimit = 1000

// Policy is a compiled password policy. It is safe for concurrent use.
type Policy struct {
	rubyString    string
	re            *regexp2.Regexp
	minEntropy    int
	useDictionary bool
	dict          *dictionary
}

// NewPolicy compiles rubyRegexp (the value of BARONG_PASSWORD_REGEXP, in Ruby
// syntax, as given to Regexp.new) and keeps the entropy settings. It fails if
// the pattern is not a valid Ruby regexp or uses a construct that cannot be
// reproduced faithfully (possessive quantifiers, \K, \R, absence operator...).
func NewPolicy(rubyRegexp string, minEntropy int, useDictionary bool) (*Policy, error) {
	re, err := compileRuby(rubyRegexp)
	if err != nil {
		return nil, fmt.Errorf("password regexp: %w", err)
	}
	p := &Policy{
		rubyString:    rubyRegexpString(rubyRegexp),
		re:            re,
		minEntropy:    minEntropy,
		useDictionary: useDictionary,
	}
	if useDictionary {
		p.dict = loadDictionary()
	}
	return p, nil
}

// MinEntropy returns the configured minimum entropy (for GET /configs).
func (p *Policy) MinEntropy() int { return p.minEntropy }

// RubyString returns the regexp as Ruby's Regexp#to_s shows it, e.g.
// "(?-mix:^(?=.*[[:lower:]])...$)" — the password_regexp of GET /configs.
func (p *Policy) RubyString() string { return p.rubyString }

// MatchesRegexp reports whether pw matches the password regexp anywhere (Ruby's
// Regexp#match). A match that exceeds the timeout counts as no match.
func (p *Policy) MatchesRegexp(pw string) bool {
	ok, err := p.re.MatchString(pw)
	return err == nil && ok
}

// Check returns the model errors Barong adds to a user whose password is pw,
// in the order Barong reports them (empty if the password is acceptable):
//
//  1. ErrTooLong when pw exceeds MaxBytes bytes. Rails' has_secure_password
//     validation runs before Barong's own, so this key comes first. (Barong,
//     on Rails 5.2, counted characters and let bcrypt truncate silently; here
//     the limit is in bytes because Go's bcrypt refuses longer input.)
//  2. ErrBlank, and nothing more, when pw is empty or only white space: Barong
//     skips its password checks for blank passwords and the presence check
//     reports them.
//  3. ErrRequirements when pw does not match the regexp; the entropy is then
//     not looked at (Barong's PasswordStrengthChecker.validate! returns early).
//  4. ErrWeak when the entropy is below the minimum.
func (p *Policy) Check(pw string) []string {
	var errs []string
	if len(pw) > MaxBytes {
		errs = append(errs, ErrTooLong)
	}
	switch {
	case strings.TrimFunc(pw, unicode.IsSpace) == "":
		errs = append(errs, ErrBlank)
	case !p.MatchesRegexp(pw):
		errs = append(errs, ErrRequirements)
	case p.Entropy(pw) < float64(p.minEntropy):
		errs = append(errs, ErrWeak)
	}
	return errs
}

// Entropy returns the entropy of pw as the strong_password gem 0.0.9 computes
// it with Barong's settings (StrengthChecker#calculate_entropy).
func (p *Policy) Entropy(pw string) float64 { return p.Score(pw).Bits }

// Score returns the entropy of pw together with its Ruby numeric type, for
// rendering {"entropy": ...} exactly as Barong does. It is the lowest of:
// the NIST figure of the first 1000 characters, of their lower-case form, the
// keyboard-sequence adjustment (stopping early below the minimum entropy) and,
// if the dictionary is enabled, the common-password adjustment.
func (p *Policy) Score(pw string) Score {
	b := truncateRunes(pw, entropyLimit)
	low := nistScore(b)
	low = minScore(low, nistScore(rubyDowncase(b)))
	low = minScore(low, qwertyScore(b, p.minEntropy, nistScore))
	if p.useDictionary {
		low = minScore(low, dictionaryScore(b, p.dict, nistScore))
	}
	return low
}

// truncateRunes returns the first n code points of s as valid UTF-8 (each
// invalid byte becomes U+FFFD).
func truncateRunes(s string, n int) string {
	var b strings.Builder
	b.Grow(min(len(s), 4*n))
	i := 0
	for _, r := range s {
		if i == n {
			break
		}
		b.WriteRune(r)
		i++
	}
	return b.String()
}
