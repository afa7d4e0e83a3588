package password

import (
	"strings"
	"testing"
	"time"
)

func TestZZExp(t *testing.T) {
	s := strings.Repeat("a", 100000)
	for _, pat := range []string{`^(?=.*[A-Z])`, `^(?=.*[[:upper:]])`, `^(?=.*\p{Lu})`, `^.*[[:upper:]]`, `[[:upper:]]`} {
		p, err := NewPolicy(pat, 14, false)
		if err != nil {
			t.Fatal(err)
		}
		st := time.Now()
		ok := p.MatchesRegexp(s)
		t.Logf("%s %v %v", pat, ok, time.Since(st))
	}
}
