package password

import (
	"encoding/json"
	"os"
	"testing"
)

func TestZZRubyRegexp(t *testing.T) {
	raw, err := os.ReadFile("/tmp/rx.json")
	if err != nil {
		t.Skip(err)
	}
	var d struct {
		Cases [][]any
		ToS   map[string]string `json:"to_s"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	fails := 0
	for _, c := range d.Cases {
		pat := c[0].(string)
		p, err := NewPolicy(pat, 14, true)
		if c[1] == nil {
			if err == nil {
				t.Errorf("pattern %q: Ruby rejects it, we accept", pat)
			}
			continue
		}
		if err != nil {
			t.Errorf("pattern %q: %v", pat, err)
			continue
		}
		s := c[1].(string)
		want := c[2].(bool)
		if got := p.MatchesRegexp(s); got != want {
			fails++
			t.Errorf("pattern %q on %q: got %v want %v", pat, s, got, want)
		}
	}
	for pat, want := range d.ToS {
		p, err := NewPolicy(pat, 14, true)
		if err != nil {
			continue
		}
		if got := p.RubyString(); got != want {
			t.Errorf("to_s %q: got %q want %q", pat, got, want)
		}
	}
}
