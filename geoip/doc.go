// Package geoip resolves client IP addresses to a country and a continent
// (ISO codes and names in BARONG_GEOIP_LANG) from a MaxMind DB file
// (GeoLite2-Country or GeoLite2-City format, BARONG_MAXMINDDB_PATH), for
// the country and continent restrictions of authz and the user_ip_country
// of activity records (reference §7.1, §6.0).
//
// Without a database every address is of unknown country: restrictions by
// country or continent then never match, and activities carry no country.
package geoip
