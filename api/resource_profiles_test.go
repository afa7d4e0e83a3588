package api

import (
	"testing"
	"time"
)

func TestParseProfileDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"1990-01-15": "1990-01-15", " 1990/01/15 ": "1990-01-15",
		"19900115": "1990-01-15", "15.01.1990": "1990-01-15", "1990-01-15T10:00:00Z": "1990-01-15", "": "", "  ": ""} {
		got, ok := parseProfileDate(in)
		if !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"1990-02-30", "15 Jan 1990", "tomorrow", "1990-1-5x"} {
		if got, ok := parseProfileDate(in); ok {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

// FuzzParseProfileDate: an accepted date is a valid YYYY-MM-DD that parses
// to itself.
func FuzzParseProfileDate(f *testing.F) {
	for _, s := range []string{"1990-01-15", "1990/01/15", "19900115", "15.01.1990", "2000-02-29T00:00:00Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseProfileDate(s)
		if !ok || got == "" {
			return
		}
		d, err := time.Parse(time.DateOnly, got)
		if err != nil || d.Format(time.DateOnly) != got {
			t.Fatalf("%q gave %q", s, got)
		}
		if again, ok := parseProfileDate(got); !ok || again != got {
			t.Fatalf("%q not stable: %q", got, again)
		}
	})
}
