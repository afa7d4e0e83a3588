package password

import (
	"strings"
	"testing"
)

// sample is one input of a regexp test and whether Ruby's Regexp#match finds
// a match in it.
type sample struct {
	s     string
	match bool
}

// TestTranslatedRegexpsMatchLikeRuby checks operator-style patterns against
// inputs; the expected results were produced by Ruby 3.1 (Onigmo) with
// Regexp.new(pattern).match(input).
func TestTranslatedRegexpsMatchLikeRuby(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		samples []sample
	}{
		{"^[a-z]+$", []sample{{"Aa1!aaaa\nx", true}, {"a\n", true}, {"ba", true}, {"", false}, {"Aa1!aaaa", false}, {"AB", false}}},
		{"\\A\\d{4,}\\z", []sample{{"1234", true}, {"12345", true}, {"\u0000", false}, {"a foo b", false}, {"password", false}}},
		{"(?i)^abc", []sample{{"ABCDEF12", true}, {"abc", true}, {"ABC", true}, {"straße", false}, {"Aa1!aaaa\n", false}, {"\u0000", false}}},
		{"[[:alpha:]&&[^aeiou]]+$", []sample{{"a-b", true}, {"STRASSE", true}, {"aaab", true}, {"Aa1!aaa", false}, {"9af0", false}, {"ABCDEF12", false}}},
		{"^[a-z[0-9]]{3}$", []sample{{"foo", true}, {"xyy", true}, {"aab", true}, {"a", false}, {"aaab", false}, {"]", false}}},
		{"\\w+\\s\\w+", []sample{{"x\nAa1!aaaa", true}, {"foo bar", true}, {"my password 1", true}, {"Aa1!aaa", false}, {"straße", false}, {"a-b", false}}},
		{"(?x) a b # comment [\n c", []sample{{"abcdef", true}, {"abc", true}, {"a\n", false}, {"AB12cd", false}, {"\t \t", false}}},
		{"\\bfoo\\b", []sample{{"foo", true}, {"a foo b", true}, {"foo bar", true}, {"É", false}, {"a/b", false}, {"ÀÉÎÕÜ1aaa", false}}},
		{"^.{8,}$", []sample{{"Aa1!aaaa\nx", true}, {"password", true}, {"Aa1!aaaa", true}, {"αβγ", false}, {"bcdfg", false}, {"", false}}},
		{"(?m)a.b", []sample{{"a\nb", true}, {"a-b", true}, {"aaab", true}, {"xy", false}, {"abcdef", false}, {"a\n", false}}},
		{"a.b", []sample{{"a-b", true}, {"a/b", true}, {"aab", true}, {"Aa1!aaa", false}, {"\\", false}, {"a", false}}},
		{"^a{,2}b", []sample{{"ba", true}, {"abcdef", true}, {"aab", true}, {"Straße", false}, {"foobar", false}, {"a foo b", false}}},
		{"\\p{Greek}", []sample{{"αβγ", true}, {"Ελλάδα", true}, {"É", false}, {"aab", false}, {"Ab1ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", false}}},
		{"^\\p{^Lu}+$", []sample{{"ba", true}, {"٣٣٣٣", true}, {"αβγ", true}, {"", false}, {"ÀÉÎÕÜ1aaa", false}, {"Ελλάδα", false}}},
		{"^[\\p{Lu}\\d]+$", []sample{{"STRASSE", true}, {"ABC", true}, {"12345", true}, {"AB12cd", false}, {"xyy", false}, {"9af0", false}}},
		{"\\h{4}", []sample{{"Password123", true}, {"Aa1!aaaa\nx", true}, {"Ab1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", true}, {"é", false}, {"\\", false}, {"a foo b", false}}},
		{"[^[:space:]]{3}", []sample{{"Ab1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", true}, {"STRASSE", true}, {"aaab", true}, {"\u0000", false}, {"ab", false}, {"a", false}}},
		{"(?<n>a)\\k<n>", []sample{{"ÀÉÎõü1aaa", true}, {"aaab", true}, {"ÀÉÎÕÜ1aaa", true}, {"Password123", false}, {"ba", false}, {"password", false}}},
		{"(a)\\1", []sample{{"aab", true}, {"aa", true}, {"Aa1!aaa", true}, {"Abc1!", false}, {"ÿ", false}, {"xyy", false}}},
		{"\\u{41 42}", []sample{{"AB12cd", true}, {"ABC", true}, {"AB", true}, {"Ab1ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", false}, {"foo", false}, {"aaab", false}}},
		{"^[\\u0041-\\u005A]+$", []sample{{"AB", true}, {"STRASSE", true}, {"ABC", true}, {"ABCDEF12", false}, {"ÿ", false}, {"xy", false}}},
		{"\\x41", []sample{{"Abc1!", true}, {"AB", true}, {"Aa1!aaaa\nx", true}, {"٣٣٣٣", false}, {"ß", false}, {"ba", false}}},
		{"^[-a]+$", []sample{{"a\n", true}, {"a\nb", true}, {"a", true}, {"x\nAa1!aaaa", false}, {"ß", false}, {"password", false}}},
		{"^[a-]+$", []sample{{"a\nb", true}, {"a\n", true}, {"aa", true}, {"Ab1ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", false}, {"x\nAa1!aaaa", false}, {"aab", false}}},
		{"^[]a]+$", []sample{{"aa", true}, {"a\nb", true}, {"a", true}, {"x y", false}, {"Password123", false}, {"Aa1!aaaa\nx", false}}},
		{"(?=.*\\d)(?=.*[A-Z]).{6,}", []sample{{"x\nAa1!aaaa", true}, {"Aa1!aaaa", true}, {"Aa1!aaaa\nx", true}, {"foo bar", false}, {"ba", false}, {"foo", false}}},
		{"(?i:abc)def", []sample{{"abcdef", true}, {"foo", false}, {"foobar", false}, {"Ελλάδα", false}}},
		{"^[[:^alpha:]]+$", []sample{{"\\", true}, {"\n", true}, {"]", true}, {"ÿ", false}, {"a\nb", false}, {"Ab1ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", false}}},
		{"^\\S+$", []sample{{"bcdfg", true}, {"straße", true}, {"Password123", true}, {"x y", false}, {"\n", false}, {"", false}}},
		{"^[\\W]+$", []sample{{"αβγ", true}, {"é", true}, {"   ", true}, {"abcdef", false}, {"AB", false}, {"a/b", false}}},
		{".", []sample{{"Aa1!aaaa\n", true}, {"Aa1!aaa", true}, {"_", true}, {"", false}, {"\n", false}}},
		{"^$", []sample{{"\n", true}, {"", true}, {"ba", false}, {"ÿ", false}, {"]", false}}},
		{"a\\Z", []sample{{"Aa1!aaaa", true}, {"a\n", true}, {"x\nAa1!aaaa", true}, {"\n", false}, {"É", false}, {"a foo b", false}}},
		{"\\Ab\\z", []sample{{"b", true}, {"Abc1!", false}, {"x\nAa1!aaaa", false}, {"foobar", false}}},
		{"[[:punct:]]", []sample{{"Abc1!", true}, {"Aa1!aaa", true}, {"Aa1!aaaa\nx", true}, {"ÿ", false}, {"ba", false}, {"a\n", false}}},
		{"é+", []sample{{"é", true}, {"x y", false}, {"AB", false}, {"my password 1", false}}},
		{"(?i)é", []sample{{"é", true}, {"ÀÉÎÕÜ1aaa", true}, {"É", true}, {"Password123", false}, {"abcdef", false}, {"x y", false}}},
		{"(?i)^[^a]+$", []sample{{"foo", true}, {"b", true}, {"1234", true}, {"aab", false}, {"foobar", false}, {"ABCDEF12", false}}},
		{"^(?!.*password).*$", []sample{{"Abc1!", true}, {"x y", true}, {"Aa1!aaaa\n", true}, {"password", false}, {"my password 1", false}}},
		{"(?<!a)b", []sample{{"Ab1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", true}, {"Ab1ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", true}, {"Abc1!xyz", true}, {"\t \t", false}, {"   ", false}, {"ß", false}}},
		{"\\Bb", []sample{{"abcdef", true}, {"Ab1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", true}, {"aaab", true}, {"AB12cd", false}, {"ß", false}, {"ÿ", false}}},
		{"^\\s*$", []sample{{"", true}, {"\t \t", true}, {"\n", true}, {"x\nAa1!aaaa", false}, {"foobar", false}, {"a\n", false}}},
		{"[[:word:]]{2}", []sample{{"bcdfg", true}, {"Straße", true}, {"ba", true}, {"\u0000", false}, {"\n", false}, {"_", false}}},
		{"^[[:print:]]+$", []sample{{"a-b", true}, {"xy", true}, {"Password123", true}, {"\t \t", false}, {"", false}, {"\u0000", false}}},
		{"^[[:cntrl:]]$", []sample{{"\n", true}, {"\u0000", true}, {"1234", false}, {"a-b", false}, {"ÀÉÎõü1aaa", false}}},
		{"\\Ka", []sample{{"Straße", true}, {"abcdef", true}, {"foo bar", true}, {"b", false}, {"ABCDEF12", false}, {"ß", false}}},
		{"x{1,2}?y", []sample{{"xy", true}, {"Abc1!xyz", true}, {"xyy", true}, {"", false}, {"\n", false}, {"]", false}}},
		{"^\\h+$", []sample{{"a", true}, {"abcdef", true}, {"a\n", true}, {"ÿ", false}, {"Aa1!aaaa", false}, {"ÀÉÎÕÜ1aaa", false}}},
		{"[\\d\\s]+", []sample{{"Aa1!aaaa\n", true}, {"x\nAa1!aaaa", true}, {"a foo b", true}, {"xy", false}, {"Straße", false}, {"É", false}}},
		{"^[^\\d\\s]+$", []sample{{"é", true}, {"AB", true}, {"ba", true}, {"1234", false}, {"Ab1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", false}, {"12345", false}}},
		{"\\.\\*", []sample{{"", false}, {"1234", false}, {"foo", false}}},
		{"a/b", []sample{{"a/b", true}, {"9af0", false}, {"Abc1!", false}, {"a foo b", false}}},
		{"(?:abc)", []sample{{"abcdef", true}, {"abc", true}, {"Ab1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", false}, {"Aa1!aaaa\nx", false}, {"ab", false}}},
		{"(?i)(?x)a b", []sample{{"AB12cd", true}, {"abc", true}, {"aab", true}, {"Ελλάδα", false}, {"a-b", false}, {"a\n", false}}},
		{"[[:alnum:]]+", []sample{{"ÀÉÎÕÜ1aaa", true}, {"Aa1!aaaa", true}, {"foo bar", true}, {"\u0000", false}, {"\n", false}, {"_", false}}},
		{"^[[:blank:]]+$", []sample{{"   ", true}, {"\t \t", true}, {"a-b", false}, {"ß", false}, {"Aa1!aaaa", false}}},
		{"\\p{Lower}", []sample{{"abc", true}, {"a foo b", true}, {"Password123", true}, {"", false}, {"12345", false}, {"]", false}}},
		{"\\p{Alpha}+", []sample{{"Aa1!aaaa\n", true}, {"Aa1!aaa", true}, {"αβγ", true}, {"٣٣٣٣", false}, {"]", false}, {"\n", false}}},
		{"(?#comment)a", []sample{{"Aa1!aaaa\n", true}, {"foobar", true}, {"a\nb", true}, {"12345", false}, {"   ", false}, {"AB", false}}},
		{"a\\/b", []sample{{"a/b", true}, {"xy", false}, {"12345", false}, {"Password123", false}}},
		{"\\0", []sample{{"\u0000", true}, {"Abc1!xyz", false}, {"ba", false}, {"É", false}}},
		{"[\\x41-\\x43]+", []sample{{"Aa1!aaaa", true}, {"ABC", true}, {"AB", true}, {"a", false}, {"a/b", false}, {"ab", false}}},
		{"^\\\\$", []sample{{"\\", true}, {"]", false}, {"b", false}, {"   ", false}}},
	}
	for _, tt := range tests {
		p, err := NewPolicy(tt.pattern, DefaultMinEntropy, false)
		if err != nil {
			t.Errorf("NewPolicy(%q): %v", tt.pattern, err)
			continue
		}
		for _, s := range tt.samples {
			if got := p.MatchesRegexp(s.s); got != s.match {
				t.Errorf("%q on %q: match = %v, want %v", tt.pattern, s.s, got, s.match)
			}
		}
	}
}

// TestRubyString checks Regexp#to_s (the password_regexp of GET /configs);
// expected strings were produced by Ruby 3.1.
func TestRubyString(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{DefaultRegexp, "(?-mix:" + DefaultRegexp + ")"},
		{"a\x01b\tc", `(?-mix:a\x01b` + "\t" + `c)`},
		{"a\x1b\x7f", `(?-mix:a\x1B\x7F)`},
		{"(?i)", "(?i-mx:)"},
		{"(?i)(?=x)", "(?-mix:(?i)(?=x))"},
		{"(?mix:a)", "(?mix:a)"},
		{"(?-i:a)", "(?-mix:a)"},
		{"(?i-i)a", "(?-mix:a)"},
		{"(?i:a)(b)", "(?-mix:(?i:a)(b))"},
		{"(?m-i)a", "(?m-ix:a)"},
		{"a\\/b/", `(?-mix:a\/b\/)`},
		{"[/]", `(?-mix:[\/])`},
		{"^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$", "(?-mix:^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$)"},
		{"^[a-z]+$", "(?-mix:^[a-z]+$)"},
		{"\\A\\d{4,}\\z", "(?-mix:\\A\\d{4,}\\z)"},
		{"(?i)^abc", "(?i-mx:^abc)"},
		{"[[:alpha:]&&[^aeiou]]+$", "(?-mix:[[:alpha:]&&[^aeiou]]+$)"},
		{"^[a-z[0-9]]{3}$", "(?-mix:^[a-z[0-9]]{3}$)"},
		{"\\w+\\s\\w+", "(?-mix:\\w+\\s\\w+)"},
		{"(?x) a b # comment [\n c", "(?x-mi: a b # comment [\n c)"},
		{"\\bfoo\\b", "(?-mix:\\bfoo\\b)"},
		{"^.{8,}$", "(?-mix:^.{8,}$)"},
		{"(?m)a.b", "(?m-ix:a.b)"},
		{"a.b", "(?-mix:a.b)"},
		{"^a{,2}b", "(?-mix:^a{,2}b)"},
		{"\\p{Greek}", "(?-mix:\\p{Greek})"},
		{"^\\p{^Lu}+$", "(?-mix:^\\p{^Lu}+$)"},
		{"^[\\p{Lu}\\d]+$", "(?-mix:^[\\p{Lu}\\d]+$)"},
		{"\\h{4}", "(?-mix:\\h{4})"},
		{"[^[:space:]]{3}", "(?-mix:[^[:space:]]{3})"},
		{"(?<n>a)\\k<n>", "(?-mix:(?<n>a)\\k<n>)"},
		{"(a)\\1", "(?-mix:(a)\\1)"},
		{"\\u{41 42}", "(?-mix:\\u{41 42})"},
		{"^[\\u0041-\\u005A]+$", "(?-mix:^[\\u0041-\\u005A]+$)"},
		{"\\x41", "(?-mix:\\x41)"},
		{"^[-a]+$", "(?-mix:^[-a]+$)"},
		{"^[a-]+$", "(?-mix:^[a-]+$)"},
		{"^[]a]+$", "(?-mix:^[]a]+$)"},
		{"(?=.*\\d)(?=.*[A-Z]).{6,}", "(?-mix:(?=.*\\d)(?=.*[A-Z]).{6,})"},
		{"(?i:abc)def", "(?-mix:(?i:abc)def)"},
		{"^[[:^alpha:]]+$", "(?-mix:^[[:^alpha:]]+$)"},
		{"^\\S+$", "(?-mix:^\\S+$)"},
		{"^[\\W]+$", "(?-mix:^[\\W]+$)"},
		{".", "(?-mix:.)"},
		{"^$", "(?-mix:^$)"},
		{"a\\Z", "(?-mix:a\\Z)"},
		{"\\Ab\\z", "(?-mix:\\Ab\\z)"},
		{"[[:punct:]]", "(?-mix:[[:punct:]])"},
		{"é+", "(?-mix:é+)"},
		{"(?i)é", "(?i-mx:é)"},
		{"(?i)^[^a]+$", "(?i-mx:^[^a]+$)"},
		{"^(?!.*password).*$", "(?-mix:^(?!.*password).*$)"},
		{"(?<!a)b", "(?-mix:(?<!a)b)"},
		{"\\Bb", "(?-mix:\\Bb)"},
		{"^\\s*$", "(?-mix:^\\s*$)"},
		{"[[:word:]]{2}", "(?-mix:[[:word:]]{2})"},
		{"^[[:print:]]+$", "(?-mix:^[[:print:]]+$)"},
		{"^[[:cntrl:]]$", "(?-mix:^[[:cntrl:]]$)"},
		{"x{1,2}?y", "(?-mix:x{1,2}?y)"},
		{"^\\h+$", "(?-mix:^\\h+$)"},
		{"[\\d\\s]+", "(?-mix:[\\d\\s]+)"},
		{"^[^\\d\\s]+$", "(?-mix:^[^\\d\\s]+$)"},
		{"\\.\\*", "(?-mix:\\.\\*)"},
		{"a/b", "(?-mix:a\\/b)"},
		{"(?:abc)", "(?-mix:abc)"},
		{"(?i)(?x)a b", "(?ix-m:a b)"},
		{"[[:alnum:]]+", "(?-mix:[[:alnum:]]+)"},
		{"^[[:blank:]]+$", "(?-mix:^[[:blank:]]+$)"},
		{"\\p{Lower}", "(?-mix:\\p{Lower})"},
		{"\\p{Alpha}+", "(?-mix:\\p{Alpha}+)"},
		{"(?#comment)a", "(?-mix:(?#comment)a)"},
		{"a\\/b", "(?-mix:a\\/b)"},
		{"\\0", "(?-mix:\\0)"},
		{"[\\x41-\\x43]+", "(?-mix:[\\x41-\\x43]+)"},
		{"^\\\\$", "(?-mix:^\\\\$)"},
	}
	for _, tt := range tests {
		p, err := NewPolicy(tt.src, DefaultMinEntropy, false)
		if err != nil {
			t.Errorf("NewPolicy(%q): %v", tt.src, err)
			continue
		}
		if got := p.RubyString(); got != tt.want {
			t.Errorf("RubyString(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestNewPolicyRejects(t *testing.T) {
	t.Parallel()
	// Invalid in Ruby too.
	invalid := []string{"[a-", "(abc", "a{2,1}", "[[:foo:]]", `\p{Foo}`, "[b-a]", `\g<1>`}
	// Valid in Ruby but not reproducible with regexp2.
	unsupported := []string{"a++", "a*+", "(?~abc)", `\R`, `\X`, "(?u)a", "a{2}{3}"}
	for _, src := range append(invalid, unsupported...) {
		if _, err := NewPolicy(src, DefaultMinEntropy, true); err == nil {
			t.Errorf("NewPolicy(%q) succeeded, want an error", src)
		}
	}
}

func TestClassSyntax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		in      string
		match   bool
	}{
		{`^[\K]$`, "K", true},
		{`\Ka`, "a", true}, // \K does not change whether there is a match
		{`^[a\-z]+$`, "-", true},
		{`^[a\-z]+$`, "b", false},
		{`^[\b]$`, "\b", true},
		{`^[\u{41 42}]+$`, "AB", true},
		{`^[[:^digit:][:digit:]]+$`, "a1", true},
		{`^[a-z&&[^x]&&[^y]]+$`, "abc", true},
		{`^[a-z&&[^x]&&[^y]]+$`, "axc", false},
		{`^\x4$`, "\x04", true},
		{`^\e\a$`, "\x1b\a", true},
		{`^\101$`, "A", true}, // octal, as there is no group 101
		{"(?x) a # [ comment\n b", "ab", true},
		{"(?x: a b ) c", "ab c", true},
		{`\😀`, "😀", true},
		{"^a{,2}$", "aa", true},
		{"^a{,2}$", "aaa", false},
		{"a{x}", "a{x}", true},
		{"^a{2}?$", "aa", true},
	}
	for _, tt := range tests {
		p, err := NewPolicy(tt.pattern, DefaultMinEntropy, false)
		if err != nil {
			t.Errorf("NewPolicy(%q): %v", tt.pattern, err)
			continue
		}
		if got := p.MatchesRegexp(tt.in); got != tt.match {
			t.Errorf("%q on %q: match = %v, want %v", tt.pattern, tt.in, got, tt.match)
		}
	}
}

func TestPosixClassesAreUnicode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		class string
		in    []rune
		out   []rune
	}{
		{"upper", []rune{'A', 'Z', 'É', 'Ж', 'Σ', 'Ⓐ'}, []rune{'a', 'ǅ', '1', ' ', 'é'}},
		{"lower", []rune{'a', 'é', 'ж', 'ß', 'ª', 'ⓐ'}, []rune{'A', 'ǅ', '1'}},
		{"digit", []rune{'0', '9', '٣', '७'}, []rune{'a', '½', 'Ⅷ'}},
		{"graph", []rune{'a', '!', 'é', '😀', '\u200b'}, []rune{' ', '\t', '\n', '\u00a0', '\u3000', 0x7f, 0xe000 - 1}},
		{"space", []rune{' ', '\t', '\n', '\v', '\u00a0', '\u2028'}, []rune{'a', '\u200b'}},
		{"punct", []rune{'!', '$', '+', '^', '«', '¡'}, []rune{'a', '1', ' '}},
	}
	for _, tt := range tests {
		set, ok := posixClass(tt.class)
		if !ok {
			t.Fatalf("posixClass(%q) unknown", tt.class)
		}
		for _, r := range tt.in {
			if !set.contains(r) {
				t.Errorf("[[:%s:]] lacks %U", tt.class, r)
			}
		}
		for _, r := range tt.out {
			if set.contains(r) {
				t.Errorf("[[:%s:]] contains %U", tt.class, r)
			}
		}
	}
}

func TestTranslatedPatternIsCompact(t *testing.T) {
	t.Parallel()
	pattern, err := translateRuby(DefaultRegexp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pattern, rubyLineStart+`(?=.*[`) {
		t.Errorf("translation starts %q", pattern[:40])
	}
}
