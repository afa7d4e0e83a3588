package phone

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid means the text is not a valid international phone number.
var ErrInvalid = errors.New("phone: invalid number")

// maxDigits bounds the input: E.164 numbers have at most 15 digits, and
// longer strings are refused before parsing.
const maxDigits = 20

// Normalize strips every non-digit from raw, parses the rest as an
// international number (no default region) and checks it strictly. It
// returns the E.164 digits without '+' and the ISO alpha-2 country, or
// ErrInvalid.
func Normalize(raw string) (number, country string, err error) {
	digits := Digits(raw)
	if digits == "" || len(digits) > maxDigits {
		return "", "", ErrInvalid
	}
	p, err := phonenumbers.Parse("+"+digits, "")
	if err != nil || !phonenumbers.IsValidNumber(p) {
		return "", "", ErrInvalid
	}
	// Non-geographic numbers (+800, +882, region "001") have no country,
	// and the phones table needs one.
	country = phonenumbers.GetRegionCodeForNumber(p)
	if len(country) != 2 || country == "ZZ" {
		return "", "", ErrInvalid
	}
	return strings.TrimPrefix(phonenumbers.Format(p, phonenumbers.E164), "+"), country, nil
}

// Digits returns the ASCII digits of s in order.
func Digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Mask hides the middle of a digits-only number for logs: the first three
// and the last two digits stay.
func Mask(number string) string {
	if len(number) <= 5 {
		return strings.Repeat("*", len(number))
	}
	return number[:3] + strings.Repeat("*", len(number)-5) + number[len(number)-2:]
}
