package geoip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Languages are the values of BARONG_GEOIP_LANG, the languages of the
// GeoLite2 names; the first is the fallback.
var Languages = []string{"en", "de", "es", "fr", "ja", "ru"}

// maxCached bounds the decoded-record cache. A country database has a few
// hundred distinct records, which all stay cached; a city database has far
// more, and lookups beyond the bound decode every time.
const maxCached = 8192

// DB answers lookups from one MaxMind database held in memory. It is safe
// for concurrent use. The zero value, and a DB opened without a database,
// resolve every address to "unknown".
type DB struct {
	reader *maxminddb.Reader
	lang   int // index into Languages
	cache  sync.Map
	cached atomic.Int64
}

// Place is what a lookup finds; empty strings are unknown.
type Place struct {
	CountryCode, CountryName, ContinentCode, ContinentName string
}

// Open loads the database at path with names in lang (one of Languages;
// anything else falls back to English). An empty path or a directory (what
// Barong's default resolves to) gives a DB without data; a path that is
// not a readable MaxMind database is an error.
//
// The file is read into memory, so replacing it on disk while barong-go
// runs (geoipupdate) is harmless; a restart loads the new data.
func Open(path, lang string, log *slog.Logger) (*DB, error) {
	d := &DB{}
	for i, l := range Languages {
		if l == lang {
			d.lang = i
		}
	}
	if path == "" {
		logDisabled(log, "no database configured")
		return d, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database: %w", err)
	}
	if info.IsDir() {
		logDisabled(log, "the path is a directory")
		return d, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read GeoIP database: %w", err)
	}
	if d.reader, err = maxminddb.OpenBytes(b); err != nil {
		return nil, fmt.Errorf("GeoIP database %s: %w", path, err)
	}
	if log != nil {
		m := d.reader.Metadata
		log.Info("GeoIP database loaded", slog.String("type", m.DatabaseType),
			slog.Uint64("build_epoch", uint64(m.BuildEpoch)), slog.String("lang", Languages[d.lang]))
	}
	return d, nil
}

func logDisabled(log *slog.Logger, why string) {
	if log != nil {
		log.Info("GeoIP disabled: country and continent restrictions never match",
			slog.String("reason", why), slog.String("variable", "BARONG_MAXMINDDB_PATH"))
	}
}

// Enabled reports whether a database is loaded.
func (d *DB) Enabled() bool { return d != nil && d.reader != nil }

// Lookup implements authz.Geo: the ISO alpha-2 country code, the country
// name, the continent code and the continent name of ip. Unknown parts
// (no database, private or malformed address, no data) are empty.
func (d *DB) Lookup(ip string) (countryCode, countryName, continentCode, continentName string) {
	p := d.Place(ip)
	return p.CountryCode, p.CountryName, p.ContinentCode, p.ContinentName
}

// Place looks ip up. A record already seen is answered from a cache keyed
// by its offset in the database, without decoding or allocating.
func (d *DB) Place(ip string) Place {
	if !d.Enabled() {
		return Place{}
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return Place{}
	}
	res := d.reader.Lookup(addr.WithZone("").Unmap())
	if !res.Found() {
		return Place{}
	}
	off := res.Offset()
	if v, ok := d.cache.Load(off); ok {
		return *v.(*Place)
	}
	var rec record
	if err := res.Decode(&rec); err != nil {
		return Place{}
	}
	p := rec.place(d.lang)
	if d.cached.Load() < maxCached {
		if _, loaded := d.cache.LoadOrStore(off, &p); !loaded {
			d.cached.Add(1)
		}
	}
	return p
}

// record is the part of a GeoLite2 Country/City record barong-go reads.
type record struct {
	Continent  area `maxminddb:"continent"`
	Country    area `maxminddb:"country"`
	Registered area `maxminddb:"registered_country"`
}

type area struct {
	Code    string `maxminddb:"code"`
	ISOCode string `maxminddb:"iso_code"`
	Names   names  `maxminddb:"names"`
}

// names holds the languages of Languages, in that order.
type names struct {
	EN string `maxminddb:"en"`
	DE string `maxminddb:"de"`
	ES string `maxminddb:"es"`
	FR string `maxminddb:"fr"`
	JA string `maxminddb:"ja"`
	RU string `maxminddb:"ru"`
}

// in returns the name in language i, or the English one when missing.
func (n *names) in(i int) string {
	v := [...]string{n.EN, n.DE, n.ES, n.FR, n.JA, n.RU}[i]
	if v == "" {
		return n.EN
	}
	return v
}

// place picks the names of language lang. Networks without a located
// country (anycast, some satellite providers) fall back to the country
// where the network is registered.
func (r *record) place(lang int) Place {
	c := &r.Country
	if c.ISOCode == "" && c.Names.EN == "" {
		c = &r.Registered
	}
	return Place{CountryCode: c.ISOCode, CountryName: c.Names.in(lang),
		ContinentCode: r.Continent.Code, ContinentName: r.Continent.Names.in(lang)}
}
