package authz

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanUserAgent(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0":             "Mozilla/5.0",
		"a\xffb":                  "a\uFFFDb",
		"a\x00b":                  "ab",
		"":                        "",
		"\xe9t\xe9 😀":             "\uFFFDt\uFFFD 😀",
		strings.Repeat("x", 2000): strings.Repeat("x", MaxUserAgentBytes),
	} {
		if got := CleanUserAgent(in); got != want {
			t.Errorf("%q: %q, want %q", in[:min(len(in), 20)], got[:min(len(got), 20)], want[:min(len(want), 20)])
		}
	}
	got := CleanUserAgent(strings.Repeat("😀", 1000))
	if len(got) > MaxUserAgentBytes || !utf8.ValidString(got) || len(got) != 1024 {
		t.Errorf("emoji cut: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}
