package password

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func mustPolicy(tb testing.TB, minEntropy int, dict bool) *Policy {
	tb.Helper()
	p, err := NewPolicy(DefaultRegexp, minEntropy, dict)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestEntropyLikeGem compares Score with StrengthChecker#calculate_entropy of
// strong_password 0.0.9 as Barong calls it (StrengthChecker.new(min_entropy:,
// use_dictionary:)). The expected JSON numbers were produced in Ruby 3.1 by a
// line-for-line copy of the gem's 0.0.9 sources (checked against every
// expectation of the gem's own specs), for hand-picked and random passwords;
// the text form also checks Integer versus Float.
func TestEntropyLikeGem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minEntropy int
		dict       bool
		pw         string
		want       json.Number
	}{
		{14, true, "", "-2"},
		{14, true, "a", "2"},
		{14, true, "aa", "3.5"},
		{14, true, "abc", "6"},
		{14, true, "password", "2"},
		{14, true, "Password1!", "4"},
		{14, true, "P@ssw0rd", "2"},
		{14, true, "qwertyuiop", "2"},
		{14, true, "Qwerty123!", "4"},
		{14, true, "correct horse battery staple", "35.3515625"},
		{14, true, "Tr0ub4dor&3", "19.625"},
		{14, true, "1234567890", "2"},
		{14, true, "aaaaaaaa", "2"},
		{14, true, "ABCDEFGH", "2"},
		{14, true, "İstanbul1!", "14.625"},
		{14, true, "Zz9!Zz9!", "12.46875"},
		{14, true, "monkey", "2"},
		{14, true, "iloveyou", "2"},
		{14, true, "letmein123", "4"},
		{14, true, "  leading", "13.5"},
		{14, true, "a b c d e", "17.96875"},
		{14, true, "\tTab\tSep\t", "16.34375"},
		{14, true, "xX_Sniper_Xx", "10.96875"},
		{14, true, "😀😀😀😀", "5.46875"},
		{14, true, "passwordpassword", "17.0"},
		{14, true, "7890\\-abc", "3.5"},
		{14, true, "c ٣lmembery&%obrian1B12345678", "37.78125"},
		{14, true, "]'", "4"},
		{14, true, "^n9ju l", "16"},
		{14, true, "Ok*d", "8"},
		{14, true, "Jß[poiuy", "8"},
		{14, true, "1234", "2"},
		{14, true, ";+abcdef@F81qazRH[$N 0]minnesot", "40.0625"},
		{14, true, "`0987", "4"},
		{14, true, "Jý1w>x8#qwerty123acapulco", "30.25"},
		{14, true, "F]$hardcoreж&4;", "16"},
		{14, true, "#x,", "6"},
		{14, true, "lllll}lkjhgyuan6zxcvb", "24.076171875"},
		{18, true, "twinkie1abcdef5`", "19.0"},
		{18, true, "~ж_401qaze/r\nabcdef", "20.125"},
		{18, true, "{h3ll0Σ́THx'<1qazmerlin1", "32.96875"},
		{18, true, "éi1234;asdf", "9.5"},
		{18, true, "\\", "2"},
		{18, true, "If.\\^jml+21qaz'@,", "25.0"},
		{18, true, "A0987uxyandrea1jR2qwertycornscooter1", "39.0546875"},
		{18, true, "Ж", "2"},
		{18, true, "Useeking@1%\tmagnet", "21.5"},
		{18, true, "ǅ[cg75iceman1", "14"},
		{18, true, "qwertySĺm\n8devil666;*gl", "29.1953125"},
		{18, true, "12345678Q", "4"},
		{0, false, "A", "2"},
		{0, false, "0987", "2"},
		{0, false, "poiuy", "2"},
		{0, false, "nuclear1qaz", "16"},
		{0, false, ".*жdickensW3", "22.0"},
		{0, false, "!@#$~'productsoupΣ9(FIygPuQ", "39.0"},
		{0, false, "+l33t", "9.5"},
		{0, false, "İlkjhg{s!8z5Σ5!@#$z", "31.25"},
		{0, false, "İp!", "8"},
		{0, false, "1234", "2"},
		{0, false, "p@ssw0rd", "15.5"},
		{0, false, "=GbossmanW{ж3Zİabcdef", "33.5"},
		{40, true, "=٣", "2"},
		{40, true, "Sxk`'asd2wsx", "20.46875"},
		{40, true, "JN(5[YmJdragon123mpz4rjethro", "33.09375"},
		{40, true, "\nqwertyasdfathena", "20.84375"},
		{40, true, "Vk", "4"},
		{40, true, "K٣?/dwabcdef", "14"},
		{40, true, "890\\-~|ve\"13{l33t[qazwsx", "30.2265625"},
		{40, true, "ulkjhg", "4"},
		{40, true, "h3ll0p\\F{émasterheidi{E٣eastwood", "37.84375"},
		{40, true, "martj٣!13579 é#quinn}#abcdef-abcdef", "40.125"},
		{40, true, "bt]́b\nǅ5MFsЖa*!@#$rocknrol", "30.21875"},
		{40, true, "v{VTжxrayjgames\t$#l33t", "30.21875"},
		{14, false, "i%9df\"8o\\ocubbiesiYUry8Bjoel", "38.21875"},
		{14, false, "1986́ЖbfTmonaDtacosPsexsexsex~", "40.234375"},
		{14, false, "Life٣kq070462", "23.125"},
		{14, false, "Q<A", "6"},
		{14, false, " FGQWERTY", "19.5"},
		{14, false, "2wsxtAßiW*Vastro8CL!@#$L", "36.25"},
		{14, false, "1234l33t`azxcv_X_s@^p@ssw0rd", "38.9375"},
		{14, false, "d;|fcocoK\\12345678nudityI'c", "39.0625"},
		{14, false, "UE#{VERNONSEMPER[F:KP😀9ЖT[U", "37.4765625"},
		{14, false, "\ni̇blunts1234", "19.0"},
		{14, false, "/", "2"},
		{14, false, "P4SSW0RDMPDINGER", "26.375"},
	}
	policies := map[[2]any]*Policy{}
	for _, tt := range tests {
		key := [2]any{tt.minEntropy, tt.dict}
		if policies[key] == nil {
			policies[key] = mustPolicy(t, tt.minEntropy, tt.dict)
		}
		if got := policies[key].Score(tt.pw).JSON(); got != tt.want {
			t.Errorf("min=%d dict=%v Score(%q) = %s, want %s", tt.minEntropy, tt.dict, tt.pw, got, tt.want)
		}
	}
}

func TestEntropyOfLongPasswords(t *testing.T) {
	t.Parallel()
	// Only the first 1000 characters count (gem's PASSWORD_LIMIT).
	tests := []struct {
		minEntropy int
		dict       bool
		pw         string
		want       float64
	}{
		{14, true, strings.Repeat("ba", 600), 14.509120941162116},
		{14, true, strings.Repeat("Aa1!", 300), 14.509120941162116},
		{0, false, strings.Repeat("Aa1!", 300), 20.055341720581065},
		{14, false, strings.Repeat("ba", 600), 14.509120941162116},
	}
	for _, tt := range tests {
		p := mustPolicy(t, tt.minEntropy, tt.dict)
		if got := p.Entropy(tt.pw); got != tt.want {
			t.Errorf("Entropy(%.8q... x%d) = %v, want %v", tt.pw, len(tt.pw), got, tt.want)
		}
		if got, trunc := p.Entropy(tt.pw), p.Entropy(tt.pw[:1000]); got != trunc {
			t.Errorf("entropy differs from the first 1000 characters: %v vs %v", got, trunc)
		}
	}
}

// TestStrengthCheckerGemSpec ports the gem's StrengthChecker#is_strong? specs:
// a password is strong when its entropy reaches the minimum.
func TestStrengthCheckerGemSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minEntropy int
		dict       bool
		strong     map[string]bool
	}{
		{12, false, map[string]bool{"blahblah": true, "password": true, "wwwwwwww": false, "adamruge": true, "aB$1": false}},
		{12, true, map[string]bool{"blahblah": true, "password": false, "wwwwwwww": false, "adamruge": false, "madaegur": true, "aB$1": false}},
		{18, true, map[string]bool{"blahblah": false, "password": false, "wwwwwwww": false, "adamruge": false, "aB$1": false, "correct horse battery staple": true}},
		{40, true, map[string]bool{"blahblah": false, "password": false, "correct horse battery staple": false, "c0rr#ct h0rs3 Batt$ry st@pl3 is Gr34t": true}},
	}
	for _, tt := range tests {
		p := mustPolicy(t, tt.minEntropy, tt.dict)
		for pw, strong := range tt.strong {
			if got := p.Entropy(pw) >= float64(tt.minEntropy); got != strong {
				t.Errorf("min=%d dict=%v %q strong = %v (entropy %v), want %v", tt.minEntropy, tt.dict, pw, got, p.Entropy(pw), strong)
			}
		}
	}
	// README of the gem: 'password' has 15.5 bits without the dictionary.
	if got := mustPolicy(t, 18, false).Score("password"); got != (Score{15.5, false}) {
		t.Errorf("Score(password) = %+v, want 15.5", got)
	}
}

// TestDefaultRegexp checks Barong's default password regexp; expected results
// come from Ruby 3.1.
func TestDefaultRegexp(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, DefaultMinEntropy, true)
	tests := []struct {
		pw    string
		match bool
		why   string
	}{
		{"Abcdef1!", true, "all classes, 8 characters"},
		{"Abcde1!", false, "7 characters"},
		{"abcdef1!", false, "no upper-case letter"},
		{"ABCDEF1!", false, "no lower-case letter"},
		{"Abcdefg!", false, "no digit"},
		{"Abcdefg1", true, "letters are graph characters too"},
		{"Ab1" + strings.Repeat("c", 77), true, "80 characters"},
		{"Ab1" + strings.Repeat("c", 78), false, "81 characters"},
		{"Abcdef1!\nx", true, "^ and $ are line anchors: the first line matches"},
		{"x\nAbcdef1!", true, "the second line matches"},
		{"Abcdef1!\n", true, "$ matches before the final newline"},
		{"Abc\ndef1!", false, ". does not match a newline"},
		{"Abc def1", true, "spaces are allowed"},
		{"Ébcdef1!", true, "Unicode upper-case letter"},
		{"ébcdef1!", false, "Unicode lower-case letters only"},
		{"ÉBCDEF1é", true, "Unicode lower-case letter"},
		{"ЖжЖжЖж12", true, "Cyrillic letters"},
		{"Abcdefg٣", true, "Arabic-Indic digit is [[:digit:]]"},
		{"        ", false, "spaces only"},
		{"Abcdefgh1\u00a0", true, "no-break space"},
		{"\u00a0Abcdef1", true, "leading no-break space"},
		{"Ab1\x00defg", true, "NUL is matched by ."},
		{"Ab1\tdefg", true, "tab"},
	}
	for _, tt := range tests {
		if got := p.MatchesRegexp(tt.pw); got != tt.match {
			t.Errorf("MatchesRegexp(%q) = %v, want %v (%s)", tt.pw, got, tt.match, tt.why)
		}
	}
	if got := p.RubyString(); got != "(?-mix:^(?=.*[[:lower:]])(?=.*[[:upper:]])(?=.*[[:digit:]])(?=.*[[:graph:]]).{8,80}$)" {
		t.Errorf("RubyString() = %q", got)
	}
	if p.MinEntropy() != 14 {
		t.Errorf("MinEntropy() = %d", p.MinEntropy())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, DefaultMinEntropy, true)
	tests := []struct {
		pw   string
		want []string
		why  string
	}{
		{"Tr0ub4dor&3", nil, "entropy 19.625"},
		{"Kx9#mQ2$vL7!", nil, "entropy 22.0"},
		{"Password1!", []string{ErrWeak}, "dictionary word: entropy 4"},
		{"Abcdef1!", []string{ErrWeak}, "alphabet sequence: entropy 4"},
		{"password", []string{ErrRequirements}, "regexp fails; entropy not looked at"},
		{"", []string{ErrBlank}, "empty"},
		{"   \t", []string{ErrBlank}, "white space only"},
		{strings.Repeat("aB3$", 19), []string{ErrTooLong}, "76 bytes, entropy 25.5"},
		{strings.Repeat("aB3$", 18), nil, "72 bytes"},
		{"Ab1" + strings.Repeat("c", 78), []string{ErrTooLong, ErrRequirements}, "81 characters"},
		{"Ab1" + strings.Repeat("c", 77), []string{ErrTooLong, ErrWeak}, "80 characters, entropy 10.79"},
		{strings.Repeat("Жж1!", 13), []string{ErrTooLong}, "52 characters but 78 bytes, entropy 14.50"},
		{strings.Repeat(" ", 80), []string{ErrTooLong, ErrBlank}, "long and blank"},
	}
	for _, tt := range tests {
		if got := p.Check(tt.pw); !slices.Equal(got, tt.want) {
			t.Errorf("Check(%q) = %q, want %q (%s)", tt.pw, got, tt.want, tt.why)
		}
	}
}

func TestCheckWithCustomPolicy(t *testing.T) {
	t.Parallel()
	p, err := NewPolicy(`\A\d{4,6}\z`, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Check("1234"); len(got) != 0 {
		t.Errorf("Check(1234) = %q, want none", got)
	}
	if got := p.Check("12345678"); !slices.Equal(got, []string{ErrRequirements}) {
		t.Errorf("Check(12345678) = %q", got)
	}
	if _, err := NewPolicy("(unclosed", 14, true); err == nil || !strings.Contains(err.Error(), "password regexp") {
		t.Errorf("NewPolicy error = %v", err)
	}
}

func FuzzEntropy(f *testing.F) {
	for _, s := range []string{"", "password", "Tr0ub4dor&3", "İ", "\xff\xfe", "qwerty 123 !!", "7890\\-"} {
		f.Add(s)
	}
	p := mustPolicy(f, DefaultMinEntropy, true)
	f.Fuzz(func(t *testing.T, pw string) {
		sc := p.Score(pw)
		if math.IsNaN(sc.Bits) || math.IsInf(sc.Bits, 0) {
			t.Fatalf("Score(%q) = %v", pw, sc.Bits)
		}
		// Bits are never negative and the bonus is at least -8; at most
		// 4 + 7*2 + 12*1.5 + 980 bits plus 7 bonus bits.
		if sc.Bits < -8 || sc.Bits > 1023 {
			t.Fatalf("Score(%q) = %v out of range", pw, sc.Bits)
		}
		if sc.Integer && sc.Bits != math.Trunc(sc.Bits) {
			t.Fatalf("Score(%q) = %+v: Integer with a fraction", pw, sc)
		}
		if !json.Valid([]byte(sc.JSON())) {
			t.Fatalf("Score(%q).JSON() = %s", pw, sc.JSON())
		}
		if e := p.Entropy(pw); e != sc.Bits {
			t.Fatalf("Entropy = %v, Score = %v", e, sc.Bits)
		}
	})
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "Abcdef1!", "Tr0ub4dor&3", "Ab1\nx", strings.Repeat("aB3$", 19)} {
		f.Add(s)
	}
	p := mustPolicy(f, DefaultMinEntropy, true)
	order := []string{ErrTooLong, ErrBlank, ErrRequirements, ErrWeak}
	f.Fuzz(func(t *testing.T, pw string) {
		got := p.Check(pw)
		if len(got) > 2 {
			t.Fatalf("Check(%q) = %q", pw, got)
		}
		last := -1
		for _, key := range got {
			i := slices.Index(order, key)
			if i <= last {
				t.Fatalf("Check(%q) = %q: unknown key or wrong order", pw, got)
			}
			last = i
		}
		if (len(pw) > MaxBytes) != slices.Contains(got, ErrTooLong) {
			t.Fatalf("Check(%q) = %q: too_long mismatch", pw, got)
		}
	})
}

func FuzzTranslateRuby(f *testing.F) {
	for _, s := range []string{DefaultRegexp, `[[:alpha:]&&[^aeiou]]`, `(?x) a # c`, `\p{Greek}+\u{41 42}`, `a{,3}`, `[a-\d]`, `(?i:x)`} {
		f.Add(s, "Abcdef1!")
	}
	f.Fuzz(func(t *testing.T, src, pw string) {
		p, err := NewPolicy(src, DefaultMinEntropy, false)
		if err != nil {
			return
		}
		p.MatchesRegexp(pw)
		if s := p.RubyString(); !strings.HasPrefix(s, "(?") || !strings.HasSuffix(s, ")") {
			t.Fatalf("RubyString(%q) = %q", src, s)
		}
	})
}

func BenchmarkEntropy(b *testing.B) {
	p := mustPolicy(b, DefaultMinEntropy, true)
	for _, pw := range []string{"Tr0ub4dor&3", "correct horse battery staple", strings.Repeat("Aa1!", 18)} {
		b.Run(pw[:8], func(b *testing.B) {
			for b.Loop() {
				p.Score(pw)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	p := mustPolicy(b, DefaultMinEntropy, true)
	for b.Loop() {
		p.Check("Tr0ub4dor&3")
	}
}

func BenchmarkNewPolicy(b *testing.B) {
	for b.Loop() {
		if _, err := NewPolicy(DefaultRegexp, DefaultMinEntropy, true); err != nil {
			b.Fatal(err)
		}
	}
}
