package authz

import (
	"net/netip"
	"strings"

	barong "github.com/barong-go/barong"
)

// Authz paths with special treatment in step 1 (reference §7.1).
const (
	// accessPath (the whitelink) is exempt from restrictions, so that a
	// blocked caller can whitelist himself.
	accessPath = "api/v2/barong/identity/users/access"
	// sessionsPath is the path blocklogin restrictions deny, with the
	// passkey sign-in under sessionsPath+"/webauthn" (barong-go addition).
	sessionsPath = "api/v2/barong/identity/sessions"
)

// categories in evaluation order (reference §7.1).
var categories = [...]string{"whitelist", "maintenance", "blacklist", "blocklogin"}

// location is where an IP is: ISO alpha-2 country code, country name,
// continent code and continent name; empty when unknown.
type location struct {
	countryCode, countryName, continentCode, continentName string
}

// restrictionSet is the enabled restrictions of a snapshot, compiled per
// category (in the order of categories) so that a request is matched
// without parsing.
type restrictionSet struct {
	byCategory [len(categories)]ruleSet
	// empty: no enabled restriction at all.
	empty bool
}

// ruleSet is one category's restrictions by scope, each in id order.
type ruleSet struct {
	all        *barong.Restriction
	ips        map[netip.Addr]*barong.Restriction
	rawIPs     map[string]*barong.Restriction // values that are not addresses
	subnets    []subnetRule
	continents []placeRule
	countries  []placeRule
}

type subnetRule struct {
	prefix netip.Prefix
	r      *barong.Restriction
}

// placeRule is a continent or country restriction. It matches the GeoIP
// code or name equal to value (ignoring case), or the GeoIP code equal to
// code: the alpha-2 code of an ISO alpha-3 country value, the continent
// code of an English continent name ("" for other values). Barong compared
// names only, so its own seeded ISO codes (country UA, continent SA) never
// matched (reference §7.1 Note); barong-go takes codes and names.
type placeRule struct {
	value, code string
	r           *barong.Restriction
}

func (p placeRule) matches(code, name string) bool {
	return foldEq(p.value, code) || foldEq(p.value, name) || (p.code != "" && p.code == code)
}

// compileRestrictions builds the set from the enabled restrictions of rs,
// which come in id order (the first matching restriction of a scope wins,
// as in Barong). Restrictions of unknown categories or scopes are ignored.
func compileRestrictions(rs []barong.Restriction) *restrictionSet {
	set := &restrictionSet{empty: true}
	for i := range rs {
		r := rs[i] // a copy the snapshot owns
		if r.State != "enabled" {
			continue
		}
		ci := -1
		for j, c := range categories {
			if c == r.Category {
				ci = j
			}
		}
		if ci < 0 {
			continue
		}
		if set.byCategory[ci].add(&r) {
			set.empty = false
		}
	}
	return set
}

// add files r under its scope; it reports false for an unknown scope.
func (s *ruleSet) add(r *barong.Restriction) bool {
	switch r.Scope {
	case "all":
		if s.all == nil {
			s.all = r
		}
	case "ip":
		if a, err := netip.ParseAddr(strings.TrimSpace(r.Value)); err == nil {
			a = a.WithZone("").Unmap()
			if s.ips == nil {
				s.ips = map[netip.Addr]*barong.Restriction{}
			}
			if s.ips[a] == nil {
				s.ips[a] = r
			}
		} else {
			if s.rawIPs == nil {
				s.rawIPs = map[string]*barong.Restriction{}
			}
			if s.rawIPs[r.Value] == nil {
				s.rawIPs[r.Value] = r
			}
		}
	case "ip_subnet":
		if p, ok := parseSubnet(r.Value); ok {
			s.subnets = append(s.subnets, subnetRule{p, r})
		}
	case "continent":
		v := strings.TrimSpace(r.Value)
		s.continents = append(s.continents, placeRule{v, continentCodes[strings.ToLower(v)], r})
	case "country":
		v := strings.TrimSpace(r.Value)
		s.countries = append(s.countries, placeRule{v, alpha3[strings.ToUpper(v)], r})
	default:
		return false
	}
	return true
}

// parseSubnet reads an ip_subnet value: a CIDR network of either family
// (Barong took IPv4 only), host bits ignored; a bare address is a single
// host. An IPv4-mapped IPv6 network covering only IPv4 space becomes the
// IPv4 network, since client addresses are unmapped.
func parseSubnet(v string) (netip.Prefix, bool) {
	v = strings.TrimSpace(v)
	p, err := netip.ParsePrefix(v)
	if err != nil {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return netip.Prefix{}, false
		}
		a = a.WithZone("").Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// match finds the first restriction of the set matching the client, by
// scope in the order all, ip, ip_subnet, continent, country. loc is called
// at most once, and only when a continent or country rule is reached.
func (s *ruleSet) match(addr netip.Addr, ip string, loc func() location) *barong.Restriction {
	if s.all != nil {
		return s.all
	}
	if addr.IsValid() {
		if r := s.ips[addr]; r != nil {
			return r
		}
	}
	if r := s.rawIPs[ip]; r != nil {
		return r
	}
	if addr.IsValid() {
		for _, sr := range s.subnets {
			if sr.prefix.Contains(addr) {
				return sr.r
			}
		}
	}
	if len(s.continents) == 0 && len(s.countries) == 0 {
		return nil
	}
	l := loc()
	for _, pr := range s.continents {
		if pr.matches(l.continentCode, l.continentName) {
			return pr.r
		}
	}
	for _, pr := range s.countries {
		if pr.matches(l.countryCode, l.countryName) {
			return pr.r
		}
	}
	return nil
}

// foldEq compares a restriction value with a GeoIP code or name, ignoring
// case; an unknown code or name matches nothing.
func foldEq(value, name string) bool {
	return name != "" && strings.EqualFold(value, name)
}

// Restricted runs step 1 of the decision (reference §7.1) alone: the
// restrictions of r.Path for the client r.IP. The identity and public
// families call it for direct requests, so that they answer as they would
// behind a gateway. The error is a *barong.Error with the restriction's
// status and authz.restrict.<category>.
func (e *Engine) Restricted(r Request) error {
	return e.checkRestrictions(e.snap.Load(), r)
}

// checkRestrictions is step 1 of reference §7.1: a whitelist match ends
// the step; a maintenance or blacklist match denies; a blocklogin match
// denies the sessions path only; the whitelink path is exempt.
func (e *Engine) checkRestrictions(s *snapshot, r Request) error {
	set := s.restrict
	if set == nil || set.empty || r.Path == accessPath {
		return nil
	}
	addr, err := netip.ParseAddr(r.IP)
	if err == nil {
		addr = addr.WithZone("").Unmap()
	}
	var loc location
	looked := false
	locate := func() location {
		if !looked && e.geo != nil {
			loc.countryCode, loc.countryName, loc.continentCode, loc.continentName = e.geo.Lookup(r.IP)
			loc.countryCode = strings.ToUpper(loc.countryCode)
			loc.continentCode = strings.ToUpper(loc.continentCode)
		}
		looked = true
		return loc
	}
	for i, cat := range categories {
		m := set.byCategory[i].match(addr, r.IP, locate)
		if m == nil {
			continue
		}
		switch cat {
		case "whitelist":
			return nil
		case "blocklogin":
			if r.Path != sessionsPath && !strings.HasPrefix(r.Path, sessionsPath+"/webauthn") {
				continue
			}
		}
		return barong.WithStatus(restrictionStatus(m), "authz.restrict."+cat)
	}
	return nil
}

// restrictionStatus is the status a matching restriction answers: its
// code, or the default of its category and scope (reference §3.5) when the
// code is not a 4xx/5xx status. Barong answered any stored code, so a
// restriction with code 200 let a gateway pass the very request it was to
// deny, and a code below 100 broke the response.
func restrictionStatus(r *barong.Restriction) int {
	if r.Code >= 400 && r.Code <= 599 {
		return r.Code
	}
	return r.DefaultCode()
}
