package password

import (
	"strings"
	"testing"
)

func BenchmarkZZNewPolicy(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := NewPolicy(DefaultRegexp, 14, true); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkZZEntropy(b *testing.B) {
	p, _ := NewPolicy(DefaultRegexp, 14, true)
	for i := 0; i < b.N; i++ {
		p.Score("Tr0ub4dor&3xyz")
	}
}
func BenchmarkZZMatch(b *testing.B) {
	p, _ := NewPolicy(DefaultRegexp, 14, true)
	for i := 0; i < b.N; i++ {
		p.MatchesRegexp("Tr0ub4dor&3xyz")
	}
}

func TestZZLong(t *testing.T) {
	p, _ := NewPolicy(DefaultRegexp, 14, true)
	for _, n := range []int{1000, 100000, 1000000} {
		for _, unit := range []string{"a", "aA1!", "a\n", "\n"} {
			s := strings.Repeat(unit, n/len(unit))
			start := testingNow()
			ok := p.MatchesRegexp(s)
			e := p.Entropy(s)
			t.Logf("n=%d unit=%q match=%v entropy=%v took=%v", n, unit, ok, e, testingSince(start))
		}
	}
}
