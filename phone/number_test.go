package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/barong-go/barong/phone"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, number, country string }{
		{"+380 (50) 123-45-67", "380501234567", "UA"},
		{"380501234567", "380501234567", "UA"},
		{"14155552671", "14155552671", "US"},
		{"+1-415-555-2671", "14155552671", "US"},
		{"+49 151 23456789", "4915123456789", "DE"},
		{"+7 912 345-67-89", "79123456789", "RU"},
		{"tel:+39 06 6982 0000", "390669820000", "VA"}, // Italian leading zero kept
	}
	for _, c := range ok {
		n, cc, err := phone.Normalize(c.in)
		if err != nil || n != c.number || cc != c.country {
			t.Errorf("Normalize(%q) = %q %q %v, want %q %q", c.in, n, cc, err, c.number, c.country)
		}
	}
	bad := []string{"", "abc", "123", "+1 555 000 0000", "0044 7911 123456", "+800 1234 5678",
		strings.Repeat("1", 21), "+380 50 123 45 67 89"}
	for _, in := range bad {
		if n, cc, err := phone.Normalize(in); !errors.Is(err, phone.ErrInvalid) || n != "" || cc != "" {
			t.Errorf("Normalize(%q) = %q %q %v, want ErrInvalid", in, n, cc, err)
		}
	}
}

func TestDigitsAndMask(t *testing.T) {
	t.Parallel()
	if d := phone.Digits("+1 (415) ٣ 555-2671"); d != "14155552671" {
		t.Fatalf("Digits = %q (non-ASCII digits must be dropped)", d)
	}
	for in, want := range map[string]string{"380501234567": "380*******67", "12345": "*****", "": ""} {
		if got := phone.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNormalize checks that any input either fails with ErrInvalid or gives
// a digits-only number that normalises to itself with the same country.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+380501234567", "14155552671", "+39 06 6982 0000", "", "++--", "0000000000000000000000",
		"+1 (555) 000", "+800 1234 5678", "８００"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, cc, err := phone.Normalize(in)
		if err != nil {
			if !errors.Is(err, phone.ErrInvalid) {
				t.Fatalf("Normalize(%q): unexpected error %v", in, err)
			}
			return
		}
		if n == "" || phone.Digits(n) != n || len(n) > 15 || len(cc) != 2 {
			t.Fatalf("Normalize(%q) = %q %q", in, n, cc)
		}
		n2, cc2, err := phone.Normalize(n)
		if err != nil || n2 != n || cc2 != cc {
			t.Fatalf("not idempotent: %q → %q %q → %q %q %v", in, n, cc, n2, cc2, err)
		}
	})
}
