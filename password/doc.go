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
// Unicode-aware. Constructs that cannot be reproduced faithfully are refused
// by NewPolicy rather than silently changed.
package password
