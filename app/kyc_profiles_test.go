package app

import (
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

func profileKeys(t *testing.T, p *barong.Profile) string {
	t.Helper()
	s := &core{now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}
	err := s.validateProfile(p)
	if err == nil {
		return ""
	}
	e := barong.AsError(err)
	if e == nil || e.Kind != barong.KindInvalid {
		t.Fatalf("error %v", err)
	}
	return strings.Join(e.Keys, ",")
}

func TestValidateProfile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    barong.Profile
		keys string
	}{
		{barong.Profile{}, ""},
		{barong.Profile{FirstName: "Jean-Luc", LastName: "O'Neil", City: "St. Petersburg", Postcode: "AB1 2CD",
			Address: `Flat 3/4, "Rose" Bldg. #5; Main St. & 2nd (rear): ~x – y\z`, Country: "gb", DOB: "2026-03-01",
			Metadata: `{"a":[1]}`}, ""},
		{barong.Profile{FirstName: "Łukasz", LastName: "Müller", City: "Zürich", Country: "CHE"}, ""},
		{barong.Profile{FirstName: "Bob1!", LastName: "x y\tz"}, "first_name.invalid"},
		{barong.Profile{Postcode: "A"}, "postcode.too_short"},
		{barong.Profile{Postcode: strings.Repeat("9", 256)}, "postcode.too_long"},
		{barong.Profile{City: "Paris!"}, "city.invalid"},
		{barong.Profile{Address: "a <b>"}, "address.invalid"},
		{barong.Profile{Country: "U"}, "country.must have alpha2 or alpha3 format"},
		{barong.Profile{Country: "USAA"}, "country.must have alpha2 or alpha3 format"},
		{barong.Profile{DOB: "2026-03-02"}, "dob.invalid"},
		{barong.Profile{DOB: "1990-13-01"}, "dob.invalid_format"},
		{barong.Profile{Metadata: "{"}, "metadata.invalid_format"},
		{barong.Profile{FirstName: strings.Repeat("é", 256), LastName: "!", DOB: "x", Address: "<", Postcode: "-",
			City: "$", Country: "ZZ", Metadata: "]"},
			"first_name.too_long,last_name.invalid,dob.invalid_format,address.invalid,postcode.too_short,city.invalid," +
				"country.must have alpha2 or alpha3 format,metadata.invalid_format"},
	} {
		if got := profileKeys(t, &tc.p); got != tc.keys {
			t.Errorf("%+v: keys %q, want %q", tc.p, got, tc.keys)
		}
	}
}

func TestValidProfileCountry(t *testing.T) {
	t.Parallel()
	for c, want := range map[string]bool{"UA": true, "ua": true, "UKR": true, "usa": true, "XK": true, "GB": true,
		"UK": false, "EU": false, "": false, "U": false, "UKRA": false, "ÜA": false} {
		if got := validProfileCountry(c); got != want {
			t.Errorf("%q: %v", c, got)
		}
	}
	if n := len(profileCountryCodes); n != 500 {
		t.Errorf("%d codes", n)
	}
}

func TestMaskProfile(t *testing.T) {
	t.Parallel()
	if got := maskProfileName("Олег"); got != "О***" {
		t.Errorf("name %q", got)
	}
	if got := maskProfileName("X"); got != "X" {
		t.Errorf("one letter %q", got)
	}
	if got := maskProfileDOB("1990-01-15"); got != "1990-01-**" {
		t.Errorf("dob %q", got)
	}
}

// FuzzValidateProfile: any field values give only known 422 keys, never a
// panic.
func FuzzValidateProfile(f *testing.F) {
	f.Add("John", "Doe", "1990-01-01", "1 Main St.", "01001", "Kyiv", "UA", `{"a":1}`)
	f.Add("", "!", "2999-01-01", "<", "-", "~", "ukr", "[")
	known := map[string]bool{"country.must have alpha2 or alpha3 format": true, "metadata.invalid_format": true,
		"dob.invalid": true, "dob.invalid_format": true}
	for _, a := range []string{"first_name", "last_name", "address", "postcode", "city"} {
		for _, k := range []string{"too_short", "too_long", "invalid"} {
			known[a+"."+k] = true
		}
	}
	f.Fuzz(func(t *testing.T, first, last, dob, address, postcode, city, country, metadata string) {
		p := barong.Profile{FirstName: first, LastName: last, DOB: dob, Address: address, Postcode: postcode,
			City: city, Country: country, Metadata: metadata}
		keys := profileKeys(t, &p)
		if keys == "" {
			return
		}
		for _, k := range strings.Split(keys, ",") {
			if !known[k] && !strings.HasPrefix(k, "country.") {
				t.Fatalf("unknown key %q", k)
			}
		}
	})
}
