package password

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// The expectations marked "gem spec" are ported from the strong_password
// gem's own specs (spec/strong_password/*_spec.rb); they stub the bonus bits
// to 0, which weakenedBits reproduces.

func TestWeakenedBitsGemSpec(t *testing.T) {
	t.Parallel()
	tests := map[string]float64{
		"":         0,
		"*":        4,
		"**":       5.5,     // 4 + 2*0.75
		"***":      6.625,   // 4 + 2*0.75 + 2*0.5625
		"****":     7.46875, // ... + 2*0.421875
		"****a":    9.46875, // ... + 2 for the new character
		"********": 9.1990966796875,
	}
	for in, want := range tests {
		if got := weakenedBits(in).Bits; got != want {
			t.Errorf("weakenedBits(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestBonusBitsGemSpec(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		"Ab$9": 4, "Ab $9": 6, "A b $ 9": 7, "Ab$": 3, "Ab $": 5, "A b $ c d": 6,
		"1!": -4, "1 !": -2, "1 ! 2 # 3 $": -1, "123": -8, "1 23": -6, "1 2 3 4 5 6": -5,
		"blah": -2, "blah blah": 0, "blah blah blah blah": 1,
	}
	for in, want := range tests {
		if got := bonusBits(in); got != want {
			t.Errorf("bonusBits(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestNistScoreByHand documents a few derivations.
func TestNistScoreByHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Score
		why  string
	}{
		{"", Score{-2, true}, "no characters: 0; no class matches: 0; no space: -2"},
		{"abc", Score{6, true}, "4 + 2 + 2 = 8; lower only: 0; no space: -2"},
		{"aa", Score{3.5, false}, "4 + 2*0.75 = 5.5, a repeat makes it a Float; -2"},
		{"Ab1!efgh", Score{22, true}, "4 + 7*2 = 18, distinct and <= 8 characters: Integer; all four classes: +6; no space: -2"},
		{"Ab1!efghi", Score{23.5, false}, "4 + 7*2 + 1.5 = 19.5, position 8 counts 1.5 (Float); +6 - 2"},
		{"a b c d", Score{15.625, false}, "a 4, ' ' 2, b 2, ' ' 1.5, c 2, ' ' 1.125, d 2 = 14.625; lower only: 0; 4 words: +1"},
		{"ÉÉ", Score{3.5, false}, "4 + 1.5 = 5.5; upper and non-ASCII 'other' without lower: 0; -2"},
	}
	for _, tt := range tests {
		if got := nistScore(tt.in); got != tt.want {
			t.Errorf("nistScore(%q) = %+v, want %+v (%s)", tt.in, got, tt.want, tt.why)
		}
	}
}

func TestScoreJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Score
		want string
	}{
		{Score{16, true}, "16"},
		{Score{-2, true}, "-2"},
		{Score{14, false}, "14.0"},
		{Score{14.5, false}, "14.5"},
		{Score{9.1990966796875, false}, "9.1990966796875"},
		{Score{14.509120941162116, false}, "14.509120941162116"},
		{Score{-3.5, false}, "-3.5"},
	}
	for _, tt := range tests {
		if got := string(tt.s.JSON()); got != tt.want {
			t.Errorf("%+v.JSON() = %s, want %s", tt.s, got, tt.want)
		}
		b, err := json.Marshal(map[string]Score{"entropy": tt.s})
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"entropy":` + tt.want + `}`; string(b) != want {
			t.Errorf("json.Marshal = %s, want %s", b, want)
		}
	}
}

func TestFormatEntropyLikeRubyFloatToS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    float64
		want string
	}{
		{20, "20.0"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {14.5, "14.5"}, {0.1, "0.1"},
		{0.0001, "0.0001"}, {0.00001, "1.0e-05"}, {1.5e-7, "1.5e-07"}, {1e15, "1000000000000000.0"},
		{1e16, "1.0e+16"}, {1.25e20, "1.25e+20"}, {123456.789, "123456.789"}, {-7.25, "-7.25"},
		{math.Inf(1), "Infinity"}, {math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := string(FormatEntropy(tt.f)); got != tt.want {
			t.Errorf("FormatEntropy(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestRubySplitCount(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		"": 0, "   ": 0, "a": 1, " a b c": 4, "a  b ": 2, "a\tb\nc\vd": 4, "a\u00a0b": 1,
	}
	for in, want := range tests {
		if got := rubySplitCount(in); got != want {
			t.Errorf("rubySplitCount(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestRubyDowncaseAndReverse(t *testing.T) {
	t.Parallel()
	if got := rubyDowncase("İSTANBUL ÀÉ ΣΑΣ"); got != "i\u0307stanbul àé σασ" {
		t.Errorf("rubyDowncase = %q", got)
	}
	if got := reverseRunes("aé\u0301😀"); got != "😀\u0301éa" {
		t.Errorf("reverseRunes = %q", got)
	}
}

func FuzzFormatEntropy(f *testing.F) {
	for _, v := range []float64{0, 14, 14.5, -2, 9.1990966796875, 1e-5, 1e16} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		text := string(FormatEntropy(v))
		back, err := strconv.ParseFloat(text, 64)
		if err != nil || back != v {
			t.Fatalf("FormatEntropy(%v) = %q does not read back (%v, %v)", v, text, back, err)
		}
		if !json.Valid([]byte(text)) {
			t.Fatalf("FormatEntropy(%v) = %q is not a JSON number", v, text)
		}
	})
}
