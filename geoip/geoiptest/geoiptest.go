// Package geoiptest writes a small MaxMind DB in the GeoLite2-Country
// format for tests: a few IPv4 and IPv6 networks of known countries with
// names in every BARONG_GEOIP_LANG language. No downloaded data.
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Names are a name in en, de, es, fr, ja and ru (geoip.Languages order).
type Names [6]string

// Area is a country or a continent.
type Area struct {
	Code  string
	Names Names
}

// Network is one network of the test database and what it resolves to.
type Network struct {
	CIDR string
	// IP is an address inside CIDR, for lookups.
	IP        string
	Country   Area
	Continent Area
	// RegisteredOnly stores the country as registered_country only (as
	// MaxMind does for anycast networks).
	RegisteredOnly bool
}

// Continents of the fixtures.
var (
	Europe       = Area{"EU", Names{"Europe", "Europa", "Europa", "Europe", "ヨーロッパ", "Европа"}}
	Asia         = Area{"AS", Names{"Asia", "Asien", "Asia", "Asie", "アジア", "Азия"}}
	NorthAmerica = Area{"NA", Names{"North America", "Nordamerika", "Norteamérica", "Amérique du Nord", "北アメリカ", "Северная Америка"}}
	SouthAmerica = Area{"SA", Names{"South America", "Südamerika", "Sudamérica", "Amérique du Sud", "南アメリカ", "Южная Америка"}}
	Oceania      = Area{"OC", Names{"Oceania", "Ozeanien", "Oceanía", "Océanie", "オセアニア", "Океания"}}
)

// The fixture networks (public addresses; the assignments are made up for
// the tests and need not match the real ones).
var (
	GB = Network{"81.2.69.0/24", "81.2.69.142",
		Area{"GB", Names{"United Kingdom", "Vereinigtes Königreich", "Reino Unido", "Royaume-Uni", "イギリス", "Великобритания"}}, Europe, false}
	UA = Network{"5.58.0.0/16", "5.58.10.20",
		Area{"UA", Names{"Ukraine", "Ukraine", "Ucrania", "Ukraine", "ウクライナ", "Украина"}}, Europe, false}
	CN = Network{"175.16.199.0/24", "175.16.199.7",
		Area{"CN", Names{"China", "China", "China", "Chine", "中国", "Китай"}}, Asia, false}
	US = Network{"216.160.83.0/24", "216.160.83.56",
		Area{"US", Names{"United States", "USA", "Estados Unidos", "États-Unis", "アメリカ合衆国", "США"}}, NorthAmerica, false}
	BR = Network{"200.160.0.0/16", "200.160.2.3",
		Area{"BR", Names{"Brazil", "Brasilien", "Brasil", "Brésil", "ブラジル", "Бразилия"}}, SouthAmerica, false}
	// JP6 is an IPv6 network.
	JP6 = Network{"2001:218::/32", "2001:218:1:2::3",
		Area{"JP", Names{"Japan", "Japan", "Japón", "Japon", "日本", "Япония"}}, Asia, false}
	// DE6 is an IPv6 network.
	DE6 = Network{"2a02:2e0::/32", "2a02:2e0:3fe:1001::7",
		Area{"DE", Names{"Germany", "Deutschland", "Alemania", "Allemagne", "ドイツ", "Германия"}}, Europe, false}
	// AU has no Japanese or Russian names: lookups fall back to English.
	AU = Network{"1.128.0.0/11", "1.130.4.5",
		Area{"AU", Names{"Australia", "Australien", "Australia", "Australie", "", ""}}, Oceania, false}
	// AnycastUS has only a registered country.
	AnycastUS = Network{"104.16.0.0/13", "104.17.1.1",
		Area{"US", US.Country.Names}, NorthAmerica, true}
)

// Networks are all the fixtures.
var Networks = []Network{GB, UA, CN, US, BR, JP6, DE6, AU, AnycastUS}

var langs = []string{"en", "de", "es", "fr", "ja", "ru"}

func names(n Names) mmdbtype.Map {
	m := mmdbtype.Map{}
	for i, v := range n {
		if v != "" {
			m[mmdbtype.String(langs[i])] = mmdbtype.String(v)
		}
	}
	return m
}

// Write builds the database in a temporary directory of tb and returns
// its path.
func Write(tb testing.TB) string {
	tb.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24,
		Languages: langs, Description: map[string]string{"en": "barong-go test database"}})
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range Networks {
		_, network, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			tb.Fatal(err)
		}
		country := mmdbtype.Map{"iso_code": mmdbtype.String(n.Country.Code), "names": names(n.Country.Names)}
		rec := mmdbtype.Map{
			"continent":          mmdbtype.Map{"code": mmdbtype.String(n.Continent.Code), "names": names(n.Continent.Names)},
			"registered_country": country,
		}
		if !n.RegisteredOnly {
			rec["country"] = country
		}
		if err := w.Insert(network, rec); err != nil {
			tb.Fatalf("insert %s: %v", n.CIDR, err)
		}
	}
	path := filepath.Join(tb.TempDir(), "GeoLite2-Country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}
