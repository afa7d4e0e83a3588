package password

import (
	"slices"
	"testing"
)

func TestQwertyScoreGemSpec(t *testing.T) {
	t.Parallel()
	// Gem spec: QwertyAdjuster.new(entropy_threshhold: 0), bonus bits stubbed.
	tests := map[string]float64{
		"qwertyuio":  5.5, // "qwerty" and "uio" are masked: "**"
		"1234567":    6,   // "123456" -> "*7"
		"lkjhgfd":    6,   // reversed "dfghjkl" -> "dfghjk" masked: "*l"
		"0987654321": 5.5, // reversed "1234567890" -> "**"
		"zxcvbnm":    6,
		"/.,mnbvcx":  5.5,
		"password":   17.5, // not a keyboard sequence
	}
	for in, want := range tests {
		if got := qwertyScore(in, 0, weakenedBits).Bits; got != want {
			t.Errorf("qwertyScore(%q) = %v, want %v", in, got, want)
		}
	}
	// Gem spec: with the default threshold (18) the unmasked figure of
	// "1234567" (16) is already below it, so masking is skipped.
	if got := qwertyScore("1234567", 18, weakenedBits).Bits; got != 16 {
		t.Errorf("qwertyScore(1234567, 18) = %v, want 16", got)
	}
}

func TestMaskQwerty(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"qwertyuio":      "**",
		"abcdefgh":       "*gh",
		"xqazwsx":        "x**", // row 5's "qaz" comes before row 7's "qazwsx": first alternative, not longest
		"1qaz2wsx":       "*sx", // row 5's "1qaz2w"; "sx" is too short
		"7890-x":         "*-x",
		`7890\-x`:        "*x", // the gem's quirk: `\-` is a literal backslash-dash
		"ÉqwertyÉ":       "É*É",
		"no sequence":    "no sequence",
		"zyxwvu":         "zyxwvu",    // reversed alphabet is only found in the reversed password
		"123asdf;lkj098": "**;lkj098", // "lkj" and "098" appear only in the reverse
	}
	for in, want := range tests {
		if got := maskQwerty(in); got != want {
			t.Errorf("maskQwerty(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDictionaryScoreGemSpec(t *testing.T) {
	t.Parallel()
	d := loadDictionary()
	// Gem spec: DictionaryAdjuster.new.adjusted_entropy, bonus bits stubbed.
	tests := map[string]float64{
		"bnm,./":                     14,   // keyboard sequences are not dictionary words
		"h#e0zbPas":                  19.5, // nor are random strings
		"password":                   4,    // "*"
		"E_!3password":               11.5, // "e_!3*"
		"h#e0zbPas 32e2i81 password": 31.0625,
		"123456":                     4,
		"password123456":             14, // only the first word: "password1" -> "*23456"
		"asdf)asdf":                  14,
		"asdf[]asdf":                 16,
	}
	for in, want := range tests {
		if got := dictionaryScore(in, d, weakenedBits).Bits; got != want {
			t.Errorf("dictionaryScore(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestCensorLeftmostLongest(t *testing.T) {
	t.Parallel()
	d := loadDictionary()
	tests := map[string]string{
		"password123456": "*23456",    // longest word at the leftmost position: "password1"
		"xxpasswordx":    "xx*x",      // leftmost position wins over later words
		"abcmonkeyzzz":   "abc*zzz",   // "monkey", not the later "zzz" (too short anyway)
		"dragonpassword": "*password", // first match only
		"pic\\'s":        "*",         // words are literal text
		"éé":             "éé",
		"":               "",
	}
	for in, want := range tests {
		if got := d.censor(in); got != want {
			t.Errorf("censor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPasswordVariantsGemSpec(t *testing.T) {
	t.Parallel()
	has := func(in string, want ...string) {
		t.Helper()
		got := passwordVariants(in)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("passwordVariants(%q) = %q, lacks %q", in, got, w)
			}
		}
	}
	has("PASSWORD", "password")
	has("qwerty", "asdfgh", "hgfdsa") // down-right shift and its reverse
	has("sdfghj", "zxcvbn", "nbvcxz") // down-left shift and its reverse
	has("p4ssw0rd", "password", "drowssap")
	has("h1b0b", "hibob", "hlbob")
	if got := passwordVariants("zxcvbnm,./"); len(got) != 1 {
		t.Errorf("bottom-row password got shifted variants: %q", got)
	}
	if got := passwordVariants("password"); !slices.Equal(got, []string{"password", "pzxxslfc", "cflsxxzp", "lazzakdx", "xdkazzal"}) {
		t.Errorf("passwordVariants(password) = %q", got)
	}
}

func TestDictionaryData(t *testing.T) {
	t.Parallel()
	d := loadDictionary()
	if n := d.size(); n != 10000 {
		t.Errorf("dictionary has %d words, want 10000", n)
	}
	if d.minLen != 4 || d.maxLen != 18 {
		t.Errorf("word lengths %d..%d, want 4..18", d.minLen, d.maxLen)
	}
	for _, w := range []string{"password", "123456", "qwerty", "eyphed", "0.0.000", `pic\'s`, "&amp;", "f**k"} {
		if !d.has(w) {
			t.Errorf("dictionary lacks %q", w)
		}
	}
	for _, w := range d.words {
		for i := 0; i < len(w); i++ {
			if w[i] >= 0x80 {
				t.Errorf("non-ASCII word %q", w)
			}
		}
	}
	for _, w := range []string{"qqqqzzzz", "barongbarong", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", ""} {
		if d.has(w) {
			t.Errorf("dictionary has %q", w)
		}
	}
	small := parseDictionary("# comment\nabc\nabcd\n\n  spaced  \n")
	if small.size() != 2 {
		t.Errorf("parseDictionary kept %d words, want 2 (abcd, spaced)", small.size())
	}
}
