// Package password implements Barong's password policy: the operator's
// password regular expression (BARONG_PASSWORD_REGEXP, written in Ruby syntax),
// the entropy figure of the strong_password gem 0.0.9 (BARONG_PASSWORD_MIN_ENTROPY,
// BARONG_PASSWORD_USE_DICTIONARY) and the bcrypt input limit.
//
// A Policy answers three questions the HTTP layer asks:
//
//   - Check returns the model error keys Barong would add to a user record
//     (password.too_long, password.blank, password.requirements, password.weak);
//   - Score / Entropy return the number shown by POST /password/validate,
//     reproducing the gem's arithmetic, including whether Ruby would hold the
//     number as an Integer ("16") or a Float ("15.5", "14.0") when rendered as JSON;
//   - RubyString returns the regexp in Ruby's Regexp#to_s form ("(?-mix:...)")
//     for GET /configs.
//
// Ruby regular expressions are translated to the syntax of
// github.com/dlclark/regexp2 (a backtracking engine with look-around), keeping
// Ruby's semantics: ^ and $ are line anchors, "." does not match a newline,
// \d \w \s \h are ASCII-only and POSIX brackets such as [[:lower:]] are
// Unicode-aware. Constructs that cannot be reproduced faithfully (possessive
// quantifiers, nested quantifiers such as a{2}{3}, the absence operator, \R,
// \X, \g<...>, the (?u)/(?a)/(?d) options) are refused by NewPolicy rather
// than silently changed. Known remaining differences: case-insensitive
// matching uses simple case folding (Ruby's (?i)ß also matches "SS") and does
// not copy Onigmo's quirks with some Latin-1 letters in case-insensitive
// classes; Unicode tables are Go's, so code points assigned after Ruby's
// Unicode version may be classified differently; invalid UTF-8 bytes are read
// as U+FFFD where Ruby would raise an error. A match that runs longer than one
// second counts as no match.
//
// The entropy port follows strong_password 0.0.9 as Barong configures it
// (StrengthChecker.new(min_entropy:, use_dictionary:)): the keyboard-sequence
// adjuster is created with min_entropy, so its early-exit threshold is the
// minimum entropy, and the dictionary adjuster replaces only the first
// common password found (leftmost, longest at that position).
package password
