package authz

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/geoip"
	"github.com/barong-go/barong/geoip/geoiptest"
)

// testGeo opens the fixture database once per language.
func testGeo(t *testing.T, lang string) *geoip.DB {
	t.Helper()
	d, err := geoip.Open(geoiptest.Write(t), lang, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// engineWith builds an engine whose snapshot holds rs (ids assigned in
// order), without a store.
func engineWith(geo Geo, rs ...barong.Restriction) *Engine {
	e := New(Config{Pass: []string{"api/v2/barong/identity", "api/v2/barong/public"}}, nil, nil, nil, nil, geo,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := range rs {
		rs[i].ID = int64(i + 1)
		if rs[i].State == "" {
			rs[i].State = "enabled"
		}
	}
	e.snap.Store(&snapshot{restrict: compileRestrictions(rs)})
	return e
}

func rule(category, scope, value string, code int) barong.Restriction {
	return barong.Restriction{Category: category, Scope: scope, Value: value, Code: code}
}

const anyPath = "api/v2/peatio/account/balances"

// wantRestricted asserts that r is refused with status and
// authz.restrict.<category>, or allowed when category is "".
func wantRestricted(t *testing.T, e *Engine, r Request, status int, category string) {
	t.Helper()
	err := e.Restricted(r)
	if category == "" {
		if err != nil {
			t.Fatalf("%s %s from %q: %v, want allowed", r.Method, r.Path, r.IP, err)
		}
		return
	}
	be := barong.AsError(err)
	if be == nil {
		t.Fatalf("%s %s from %q: %v, want %d authz.restrict.%s", r.Method, r.Path, r.IP, err, status, category)
	}
	if be.Status != status || strings.Join(be.Keys, ",") != "authz.restrict."+category {
		t.Fatalf("%s %s from %q: %d %v, want %d authz.restrict.%s", r.Method, r.Path, r.IP, be.Status, be.Keys, status, category)
	}
}

func req(ip, path string) Request { return Request{Path: path, Method: "GET", IP: ip} }

func TestRestrictionCategories(t *testing.T) {
	t.Parallel()
	ip := geoiptest.GB.IP
	cases := []struct {
		name     string
		rs       []barong.Restriction
		path     string
		status   int
		category string
	}{
		{"none", nil, anyPath, 0, ""},
		{"whitelist alone", []barong.Restriction{rule("whitelist", "all", "all", 401)}, anyPath, 0, ""},
		{"maintenance", []barong.Restriction{rule("maintenance", "all", "all", 471)}, anyPath, 471, "maintenance"},
		{"blacklist ip", []barong.Restriction{rule("blacklist", "ip", ip, 401)}, anyPath, 401, "blacklist"},
		{"blocklogin elsewhere", []barong.Restriction{rule("blocklogin", "all", "all", 401)}, anyPath, 0, ""},
		{"blocklogin on sessions", []barong.Restriction{rule("blocklogin", "all", "all", 401)}, sessionsPath, 401, "blocklogin"},
		// Barong's exact-path rule: auth0 logins and sub-paths are not covered.
		{"blocklogin on auth0", []barong.Restriction{rule("blocklogin", "all", "all", 401)}, sessionsPath + "/auth0", 0, ""},
		{"blocklogin custom code", []barong.Restriction{rule("blocklogin", "ip", ip, 461)}, sessionsPath, 461, "blocklogin"},
		{"disabled", []barong.Restriction{{Category: "maintenance", Scope: "all", Value: "all", Code: 471, State: "disabled"}}, anyPath, 0, ""},
		{"unknown category", []barong.Restriction{rule("greylist", "all", "all", 401)}, anyPath, 0, ""},
		{"unknown scope", []barong.Restriction{rule("blacklist", "planet", "earth", 401)}, anyPath, 0, ""},
		// The whitelink path is exempt from every category.
		{"access exempt", []barong.Restriction{rule("maintenance", "all", "all", 471), rule("blacklist", "all", "all", 401)}, accessPath, 0, ""},
		// Priorities: whitelist > maintenance > blacklist > blocklogin.
		{"whitelist beats maintenance", []barong.Restriction{rule("maintenance", "all", "all", 471), rule("whitelist", "ip", ip, 401)}, anyPath, 0, ""},
		{"whitelist beats blacklist", []barong.Restriction{rule("blacklist", "ip", ip, 401), rule("whitelist", "country", "GB", 423)}, anyPath, 0, ""},
		{"whitelist beats blocklogin", []barong.Restriction{rule("blocklogin", "all", "all", 401), rule("whitelist", "ip_subnet", "81.2.0.0/16", 403)}, sessionsPath, 0, ""},
		{"whitelist of another ip", []barong.Restriction{rule("maintenance", "all", "all", 471), rule("whitelist", "ip", "81.2.69.143", 401)}, anyPath, 471, "maintenance"},
		{"maintenance beats blacklist", []barong.Restriction{rule("blacklist", "ip", ip, 433), rule("maintenance", "all", "all", 471)}, anyPath, 471, "maintenance"},
		{"blacklist beats blocklogin", []barong.Restriction{rule("blocklogin", "all", "all", 401), rule("blacklist", "continent", "EU", 436)}, sessionsPath, 436, "blacklist"},
		{"blocklogin after no blacklist match", []barong.Restriction{rule("blacklist", "country", "US", 435), rule("blocklogin", "all", "all", 409)}, sessionsPath, 409, "blocklogin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := engineWith(testGeo(t, "en"), c.rs...)
			r := req(ip, c.path)
			wantRestricted(t, e, r, c.status, c.category)
			// Check (the gateway decision) gives the same answer first.
			_, err := e.Check(context.Background(), r)
			if c.category != "" {
				if be := barong.AsError(err); be == nil || be.Status != c.status {
					t.Fatalf("Check: %v, want %d", err, c.status)
				}
			} else if be := barong.AsError(err); be != nil && strings.HasPrefix(be.Keys[0], "authz.restrict.") {
				t.Fatalf("Check: %v, want no restriction", err)
			}
		})
	}
}

func TestRestrictionScopeOrderAndCodes(t *testing.T) {
	t.Parallel()
	geo := testGeo(t, "en")
	ip := geoiptest.GB.IP
	// Within a category the scopes are tried in the order all, ip,
	// ip_subnet, continent, country whatever the ids; within a scope the
	// lowest id wins.
	all := rule("blacklist", "all", "all", 450)
	one := rule("blacklist", "ip", ip, 451)
	net := rule("blacklist", "ip_subnet", "81.2.69.0/24", 452)
	cont := rule("blacklist", "continent", "Europe", 453)
	country := rule("blacklist", "country", "GB", 454)
	country2 := rule("blacklist", "country", "GBR", 455)
	wantRestricted(t, engineWith(geo, country, cont, net, one, all), req(ip, anyPath), 450, "blacklist")
	wantRestricted(t, engineWith(geo, country, cont, net, one), req(ip, anyPath), 451, "blacklist")
	wantRestricted(t, engineWith(geo, country, cont, net), req(ip, anyPath), 452, "blacklist")
	wantRestricted(t, engineWith(geo, country, cont), req(ip, anyPath), 453, "blacklist")
	wantRestricted(t, engineWith(geo, country2, country), req(ip, anyPath), 455, "blacklist")
	wantRestricted(t, engineWith(geo, country, country2), req(ip, anyPath), 454, "blacklist")

	// Default codes (reference §3.5) answer when the stored code is not an
	// error status; 4xx/5xx codes answer as stored.
	for _, c := range []struct {
		r    barong.Restriction
		want int
	}{
		{rule("maintenance", "ip", ip, 0), 471},
		{rule("maintenance", "country", "GB", 200), 471},
		{rule("blacklist", "continent", "EU", 0), 423},
		{rule("blacklist", "country", "GB", 99), 423},
		{rule("blacklist", "ip_subnet", "81.2.69.0/24", 302), 403},
		{rule("blacklist", "ip", ip, 1000), 401},
		{rule("blacklist", "all", "all", -1), 401},
		{rule("blacklist", "all", "all", 599), 599},
		{rule("blacklist", "all", "all", 400), 400},
	} {
		wantRestricted(t, engineWith(geo, c.r), req(ip, anyPath), c.want, c.r.Category)
	}
}

func TestRestrictionCountries(t *testing.T) {
	t.Parallel()
	en, de, ja := testGeo(t, "en"), testGeo(t, "de"), testGeo(t, "ja")
	for _, c := range []struct {
		geo   Geo
		value string
		ip    string
		match bool
	}{
		{en, "GB", geoiptest.GB.IP, true},
		{en, "gb", geoiptest.GB.IP, true},
		{en, " GB ", geoiptest.GB.IP, true},
		{en, "GBR", geoiptest.GB.IP, true},
		{en, "gbr", geoiptest.GB.IP, true},
		{en, "United Kingdom", geoiptest.GB.IP, true},
		{en, "UNITED KINGDOM", geoiptest.GB.IP, true},
		{de, "Vereinigtes Königreich", geoiptest.GB.IP, true},
		{de, "vereinigtes königreich", geoiptest.GB.IP, true},
		{de, "GBR", geoiptest.GB.IP, true},
		{ja, "イギリス", geoiptest.GB.IP, true},
		// Names are those of BARONG_GEOIP_LANG, as in Barong.
		{de, "United Kingdom", geoiptest.GB.IP, false},
		{en, "UKR", geoiptest.GB.IP, false},
		{en, "UA", geoiptest.GB.IP, false},
		{en, "UKR", geoiptest.UA.IP, true},
		{en, "Ukraine", geoiptest.UA.IP, true},
		{en, "USA", geoiptest.US.IP, true},
		{de, "USA", geoiptest.US.IP, true},
		{en, "USA", geoiptest.AnycastUS.IP, true},
		{en, "BRA", geoiptest.BR.IP, true},
		{en, "CHN", geoiptest.CN.IP, true},
		{en, "JPN", geoiptest.JP6.IP, true},
		{en, "Japan", geoiptest.JP6.IP, true},
		{en, "DEU", geoiptest.DE6.IP, true},
		{en, "AUS", geoiptest.AU.IP, true},
		// Unknown location or no data: never a match.
		{en, "GB", "10.1.2.3", false},
		{en, "GB", "garbage", false},
		{en, "", geoiptest.GB.IP, false},
		{en, "XX", geoiptest.GB.IP, false},
		{en, "GB1", geoiptest.GB.IP, false},
		{nil, "GB", geoiptest.GB.IP, false},
	} {
		e := engineWith(c.geo, rule("blacklist", "country", c.value, 0))
		status, cat := 0, ""
		if c.match {
			status, cat = 423, "blacklist"
		}
		wantRestricted(t, e, req(c.ip, anyPath), status, cat)
	}
}

func TestRestrictionContinents(t *testing.T) {
	t.Parallel()
	en, ja, ru := testGeo(t, "en"), testGeo(t, "ja"), testGeo(t, "ru")
	for _, c := range []struct {
		geo   Geo
		value string
		ip    string
		match bool
	}{
		{en, "EU", geoiptest.GB.IP, true},
		{en, "eu", geoiptest.GB.IP, true},
		{en, "Europe", geoiptest.GB.IP, true},
		{en, "europe", geoiptest.GB.IP, true},
		{ja, "ヨーロッパ", geoiptest.GB.IP, true},
		{ru, "европа", geoiptest.GB.IP, true},
		// Codes and English names match whatever the language.
		{ja, "Europe", geoiptest.GB.IP, true},
		{ru, "EU", geoiptest.GB.IP, true},
		{en, "AS", geoiptest.JP6.IP, true},
		{en, "Asia", geoiptest.CN.IP, true},
		{en, "NA", geoiptest.US.IP, true},
		{en, "North America", geoiptest.US.IP, true},
		{en, "SA", geoiptest.BR.IP, true},
		{en, "south america", geoiptest.BR.IP, true},
		{en, "OC", geoiptest.AU.IP, true},
		{en, "Oceania", geoiptest.AU.IP, true},
		{en, "AF", geoiptest.GB.IP, false},
		{en, "AN", geoiptest.GB.IP, false},
		{en, "Asia", geoiptest.GB.IP, false},
		{en, "SA", geoiptest.US.IP, false},
		{en, "EU", "192.168.1.1", false},
		{nil, "EU", geoiptest.GB.IP, false},
	} {
		e := engineWith(c.geo, rule("maintenance", "continent", c.value, 0))
		status, cat := 0, ""
		if c.match {
			status, cat = 471, "maintenance"
		}
		wantRestricted(t, e, req(c.ip, anyPath), status, cat)
	}
}

func TestRestrictionAddresses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		scope, value, ip string
		match            bool
	}{
		{"ip", "164.116.47.255", "164.116.47.255", true},
		{"ip", "164.116.47.255", "164.116.47.254", false},
		{"ip", "164.116.47.255", "::ffff:164.116.47.255", true},
		{"ip", "::ffff:164.116.47.255", "164.116.47.255", true},
		{"ip", "2001:db8::1", "2001:db8::1", true},
		{"ip", "2001:DB8:0:0::1", "2001:db8::1", true},
		{"ip", "2001:db8::1", "2001:db8::2", false},
		{"ip", "fe80::1%eth0", "fe80::1", true},
		{"ip", "not-an-ip", "not-an-ip", true}, // Barong compared strings
		{"ip", "not-an-ip", "1.2.3.4", false},
		{"ip_subnet", "164.116.47.0/24", "164.116.47.9", true},
		{"ip_subnet", "164.116.47.0/24", "164.116.48.9", false},
		{"ip_subnet", "164.116.47.77/24", "164.116.47.9", true},
		{"ip_subnet", "0.0.0.0/0", "8.8.8.8", true},
		{"ip_subnet", "0.0.0.0/0", "2001:db8::1", false},
		{"ip_subnet", "164.116.47.0/24", "::ffff:164.116.47.9", true},
		{"ip_subnet", "::ffff:164.116.47.0/120", "164.116.47.9", true},
		{"ip_subnet", "164.116.47.9", "164.116.47.9", true},
		{"ip_subnet", "164.116.47.9", "164.116.47.10", false},
		{"ip_subnet", "2001:db8::/32", "2001:db8:ffff::1", true},
		{"ip_subnet", "2001:db8::/32", "2001:db9::1", false},
		{"ip_subnet", "2001:db8::/32", "2001:db8::1%eth0", true},
		{"ip_subnet", "::/0", "2001:db8::1", true},
		{"ip_subnet", "::/0", "1.2.3.4", false},
		{"ip_subnet", "garbage/8", "1.2.3.4", false},
		{"ip_subnet", "1.2.3.0/33", "1.2.3.4", false},
		{"ip_subnet", "1.2.3.0/24", "", false},
	} {
		e := engineWith(nil, rule("blacklist", c.scope, c.value, 0))
		status := 401
		if c.scope == "ip_subnet" {
			status = 403
		}
		cat := "blacklist"
		if !c.match {
			status, cat = 0, ""
		}
		wantRestricted(t, e, req(c.ip, anyPath), status, cat)
	}
}

// countingGeo counts lookups of a real database.
type countingGeo struct {
	Geo
	n int
}

func (g *countingGeo) Lookup(ip string) (string, string, string, string) {
	g.n++
	return g.Geo.Lookup(ip)
}

func TestRestrictionGeoLookedUpOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	g := &countingGeo{Geo: testGeo(t, "en")}
	e := engineWith(g, rule("blacklist", "ip", "1.1.1.1", 0), rule("maintenance", "ip_subnet", "10.0.0.0/8", 0))
	wantRestricted(t, e, req(geoiptest.GB.IP, anyPath), 0, "")
	if g.n != 0 {
		t.Fatalf("%d lookups without place rules", g.n)
	}
	e = engineWith(g, rule("whitelist", "country", "US", 0), rule("maintenance", "continent", "AS", 0),
		rule("blacklist", "country", "GB", 0))
	wantRestricted(t, e, req(geoiptest.GB.IP, anyPath), 423, "blacklist")
	if g.n != 1 {
		t.Fatalf("%d lookups for one request, want 1", g.n)
	}
}

func TestAlpha3Table(t *testing.T) {
	t.Parallel()
	if len(alpha3) != 250 {
		t.Fatalf("%d alpha-3 codes, want 249 ISO 3166-1 + XKX", len(alpha3))
	}
	seen := map[string]string{}
	for a3, a2 := range alpha3 {
		if len(a3) != 3 || strings.ToUpper(a3) != a3 || len(a2) != 2 || strings.ToUpper(a2) != a2 {
			t.Errorf("bad entry %q: %q", a3, a2)
		}
		if prev, dup := seen[a2]; dup {
			t.Errorf("%s is the alpha-2 of both %s and %s", a2, prev, a3)
		}
		seen[a2] = a3
	}
	for a3, a2 := range map[string]string{"GBR": "GB", "DEU": "DE", "CHE": "CH", "SRB": "RS", "MNE": "ME",
		"TLS": "TL", "SSD": "SS", "CUW": "CW", "SXM": "SX", "BES": "BQ", "ALA": "AX", "PSE": "PS", "KOR": "KR",
		"PRK": "KP", "COD": "CD", "COG": "CG", "MKD": "MK", "SWZ": "SZ", "ATF": "TF", "UMI": "UM", "VAT": "VA",
		"XKX": "XK", "UKR": "UA", "USA": "US", "RUS": "RU", "IRN": "IR", "MMR": "MM", "ESH": "EH", "ATA": "AQ"} {
		if alpha3[a3] != a2 {
			t.Errorf("alpha3[%s] = %q, want %s", a3, alpha3[a3], a2)
		}
	}
}

// Restriction statuses must be valid for net/http and never a success.
func TestRestrictionStatusAlwaysAnError(t *testing.T) {
	t.Parallel()
	for _, cat := range categories {
		for _, scope := range []string{"all", "ip", "ip_subnet", "continent", "country", "other"} {
			for _, code := range []int{-5, 0, 1, 100, 200, 204, 301, 399, 400, 471, 599, 600, 999, 1 << 20} {
				s := restrictionStatus(&barong.Restriction{Category: cat, Scope: scope, Code: code})
				if s < 400 || s > 599 {
					t.Fatalf("%s/%s code %d: status %d", cat, scope, code, s)
				}
			}
		}
	}
}

// BenchmarkRestricted measures step 1 with a large blacklist of addresses
// and subnets plus country rules, for a client that matches none.
func BenchmarkRestricted(b *testing.B) {
	d, err := geoip.Open(geoiptest.Write(b), "en", nil)
	if err != nil {
		b.Fatal(err)
	}
	var rs []barong.Restriction
	for i := 0; i < 1000; i++ {
		rs = append(rs, rule("blacklist", "ip", netipFrom(i), 0))
	}
	for i := 0; i < 50; i++ {
		rs = append(rs, rule("blacklist", "ip_subnet", netipFrom(i)+"/30", 0))
	}
	rs = append(rs, rule("blacklist", "country", "PRK", 0), rule("blacklist", "continent", "Antarctica", 0),
		rule("maintenance", "ip_subnet", "2001:db8::/32", 0), rule("whitelist", "ip", "8.8.8.8", 0))
	e := engineWith(d, rs...)
	r := req(geoiptest.GB.IP, anyPath)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Restricted(r); err != nil {
			b.Fatal(err)
		}
	}
}

func netipFrom(i int) string {
	return "100." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256) + ".1"
}
