package authz

import (
	"net/netip"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

// refMatch is a plain restatement of the matching rules (reference §7.1
// with barong-go's extensions), scanning every restriction for each scope,
// to check the compiled rule sets against.
func refMatch(rs []barong.Restriction, ip string, loc location) *barong.Restriction {
	client, clientErr := netip.ParseAddr(ip)
	if clientErr == nil {
		client = client.WithZone("").Unmap()
	}
	for _, scope := range []string{"all", "ip", "ip_subnet", "continent", "country"} {
		for i := range rs {
			r := &rs[i]
			if r.Scope != scope || r.State != "enabled" {
				continue
			}
			v := strings.TrimSpace(r.Value)
			switch scope {
			case "all":
				return r
			case "ip":
				if a, err := netip.ParseAddr(v); err == nil {
					if clientErr == nil && a.WithZone("").Unmap() == client {
						return r
					}
				} else if r.Value == ip {
					return r
				}
			case "ip_subnet":
				if clientErr == nil && refInSubnet(v, client) {
					return r
				}
			case "continent":
				en := map[string]string{"africa": "AF", "antarctica": "AN", "asia": "AS", "europe": "EU",
					"north america": "NA", "oceania": "OC", "south america": "SA"}[strings.ToLower(v)]
				if refPlace(v, en, loc.continentCode, loc.continentName) {
					return r
				}
			case "country":
				if refPlace(v, alpha3[strings.ToUpper(v)], loc.countryCode, loc.countryName) {
					return r
				}
			}
		}
	}
	return nil
}

// refPlace: the value is the code or the name, or translates to the code.
func refPlace(v, translated, code, name string) bool {
	return (code != "" && (strings.EqualFold(v, code) || translated == code)) || (name != "" && strings.EqualFold(v, name))
}

// refInSubnet compares the first bits of client and the network v by
// hand.
func refInSubnet(v string, client netip.Addr) bool {
	addrPart, _, hasBits := strings.Cut(v, "/")
	if strings.Contains(addrPart, "%") && hasBits {
		return false // netip refuses zones in prefixes
	}
	a, err := netip.ParseAddr(addrPart)
	if err != nil {
		return false
	}
	a = a.WithZone("")
	bits := a.BitLen()
	if hasBits {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return false
		}
		bits = p.Bits()
	}
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	} else if a.Is4In6() {
		return false // an IPv6 network; clients in it are unmapped IPv4
	}
	if a.Is4() != client.Is4() {
		return false
	}
	x, y := a.AsSlice(), client.AsSlice()
	for i := 0; i < bits; i++ {
		if x[i/8]>>(7-i%8)&1 != y[i/8]>>(7-i%8)&1 {
			return false
		}
	}
	return true
}

// FuzzMatchRestriction checks the compiled matcher against refMatch on
// arbitrary restriction values, client addresses and GeoIP answers, and
// the decision built on it: never a panic, a restriction status is always
// an error status, the whitelink path is never restricted, blocklogin only
// answers on the sessions path.
func FuzzMatchRestriction(f *testing.F) {
	scopes := []string{"all", "ip", "ip_subnet", "continent", "country", "other"}
	f.Add(uint8(1), "81.2.69.142", uint8(2), "81.2.69.0/24", 433, "81.2.69.142", "GB", "United Kingdom", "EU", "Europe", uint8(2))
	f.Add(uint8(4), "GBR", uint8(3), "europe", 0, "81.2.69.142", "GB", "United Kingdom", "EU", "Europe", uint8(1))
	f.Add(uint8(2), "2001:db8::/32", uint8(1), "2001:DB8::1", 200, "2001:db8::1", "", "", "", "", uint8(3))
	f.Add(uint8(2), "::ffff:1.2.3.0/120", uint8(4), "ukr", -1, "::ffff:1.2.3.4", "UA", "Украина", "EU", "Европа", uint8(0))
	f.Add(uint8(0), "all", uint8(5), "x", 471, "", "", "", "", "", uint8(3))
	f.Add(uint8(1), "fe80::1%eth0", uint8(2), "1.2.3.4", 1000, "fe80::1%lo", "", "", "", "", uint8(2))
	f.Fuzz(func(t *testing.T, s1 uint8, v1 string, s2 uint8, v2 string, code int, ip, cc, cn, ctc, ctn string, cat uint8) {
		rs := []barong.Restriction{
			{ID: 1, Category: "blacklist", Scope: scopes[int(s1)%len(scopes)], Value: v1, Code: code, State: "enabled"},
			{ID: 2, Category: "blacklist", Scope: scopes[int(s2)%len(scopes)], Value: v2, Code: code + 1, State: "enabled"},
		}
		loc := location{strings.ToUpper(cc), cn, strings.ToUpper(ctc), ctn}
		addr, err := netip.ParseAddr(ip)
		if err == nil {
			addr = addr.WithZone("").Unmap()
		}
		calls := 0
		set := compileRestrictions(rs)
		got := set.byCategory[2].match(addr, ip, func() location { calls++; return loc })
		want := refMatch(rs, ip, loc)
		if (got == nil) != (want == nil) || (got != nil && got.ID != want.ID) {
			t.Fatalf("match(%+v, ip %q, %+v) = %+v, want %+v", rs, ip, loc, got, want)
		}
		if calls > 1 {
			t.Fatalf("location looked up %d times", calls)
		}

		category := categories[int(cat)%len(categories)]
		for i := range rs {
			rs[i].Category = category
		}
		e := &Engine{geo: fixedGeo(loc)}
		e.snap.Store(&snapshot{restrict: compileRestrictions(rs)})
		for _, path := range []string{anyPath, sessionsPath, accessPath} {
			err := e.Restricted(Request{Path: path, Method: "POST", IP: ip})
			if err == nil {
				continue
			}
			be := barong.AsError(err)
			switch {
			case be == nil || be.Status < 400 || be.Status > 599:
				t.Fatalf("%s: %v", path, err)
			case path == accessPath:
				t.Fatalf("whitelink path restricted: %v", err)
			case category == "whitelist":
				t.Fatalf("whitelist refused %s: %v", path, err)
			case category == "blocklogin" && path != sessionsPath:
				t.Fatalf("blocklogin refused %s: %v", path, err)
			case be.Keys[0] != "authz.restrict."+category:
				t.Fatalf("%s: keys %v for category %s", path, be.Keys, category)
			case want == nil:
				t.Fatalf("%s refused without a match: %v", path, err)
			}
		}
	})
}

// fixedGeo answers one location for every address.
type fixedGeo location

func (g fixedGeo) Lookup(string) (string, string, string, string) {
	return g.countryCode, g.countryName, g.continentCode, g.continentName
}
