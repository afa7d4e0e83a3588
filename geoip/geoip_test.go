package geoip_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/barong-go/barong/geoip"
	"github.com/barong-go/barong/geoip/geoiptest"
)

func open(t testing.TB, lang string) *geoip.DB {
	t.Helper()
	d, err := geoip.Open(geoiptest.Write(t), lang, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Enabled() {
		t.Fatal("database not enabled")
	}
	return d
}

func TestLookupEveryLanguage(t *testing.T) {
	t.Parallel()
	path := geoiptest.Write(t)
	for li, lang := range geoip.Languages {
		d, err := geoip.Open(path, lang, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range geoiptest.Networks {
			cc, cn, ctc, ctn := d.Lookup(n.IP)
			wantCN, wantCtn := n.Country.Names[li], n.Continent.Names[li]
			if wantCN == "" {
				wantCN = n.Country.Names[0]
			}
			if wantCtn == "" {
				wantCtn = n.Continent.Names[0]
			}
			if cc != n.Country.Code || cn != wantCN || ctc != n.Continent.Code || ctn != wantCtn {
				t.Errorf("%s Lookup(%s) = %q %q %q %q, want %q %q %q %q", lang, n.IP, cc, cn, ctc, ctn,
					n.Country.Code, wantCN, n.Continent.Code, wantCtn)
			}
		}
	}
}

func TestLookupSpecifics(t *testing.T) {
	t.Parallel()
	d := open(t, "ru")
	cases := []struct {
		ip               string
		cc, cn, ctc, ctn string
	}{
		// Cached answer, second time round.
		{"81.2.69.1", "GB", "Великобритания", "EU", "Европа"},
		{"81.2.69.255", "GB", "Великобритания", "EU", "Европа"},
		// IPv4-mapped IPv6 and zones resolve like the plain address.
		{"::ffff:81.2.69.142", "GB", "Великобритания", "EU", "Европа"},
		{"2001:218::1%eth0", "JP", "Япония", "AS", "Азия"},
		// Upper-case IPv6.
		{"2A02:2E0::1", "DE", "Германия", "EU", "Европа"},
		// Missing Russian names fall back to English.
		{"1.128.0.1", "AU", "Australia", "OC", "Океания"},
		// Only a registered country.
		{"104.23.255.255", "US", "США", "NA", "Северная Америка"},
		// Outside every network, private, malformed.
		{"81.2.70.1", "", "", "", ""},
		{"10.0.0.1", "", "", "", ""},
		{"::1", "", "", "", ""},
		{"", "", "", "", ""},
		{"81.2.69.142:80", "", "", "", ""},
		{"not an ip", "", "", "", ""},
	}
	for i := 0; i < 2; i++ {
		for _, c := range cases {
			cc, cn, ctc, ctn := d.Lookup(c.ip)
			if cc != c.cc || cn != c.cn || ctc != c.ctc || ctn != c.ctn {
				t.Errorf("Lookup(%q) = %q %q %q %q, want %q %q %q %q", c.ip, cc, cn, ctc, ctn, c.cc, c.cn, c.ctc, c.ctn)
			}
		}
	}
}

func TestUnknownLanguageFallsBackToEnglish(t *testing.T) {
	t.Parallel()
	d := open(t, "pt-BR")
	if _, cn, _, ctn := d.Lookup(geoiptest.CN.IP); cn != "China" || ctn != "Asia" {
		t.Fatalf("got %q %q, want English names", cn, ctn)
	}
}

func TestNoDatabase(t *testing.T) {
	t.Parallel()
	for name, path := range map[string]string{"empty": "", "directory": t.TempDir()} {
		d, err := geoip.Open(path, "en", nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.Enabled() {
			t.Fatalf("%s: enabled", name)
		}
		if cc, cn, ctc, ctn := d.Lookup(geoiptest.GB.IP); cc+cn+ctc+ctn != "" {
			t.Fatalf("%s: Lookup = %q %q %q %q", name, cc, cn, ctc, ctn)
		}
	}
	var zero geoip.DB
	if p := zero.Place(geoiptest.GB.IP); p != (geoip.Place{}) {
		t.Fatalf("zero DB: %+v", p)
	}
	var nilDB *geoip.DB
	if nilDB.Enabled() {
		t.Fatal("nil DB enabled")
	}
}

func TestBadDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("this is not a MaxMind database"), 0o600); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mmdb")
	b, err := os.ReadFile(geoiptest.Write(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, b[:len(b)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "unreadable.mmdb")
	if err := os.WriteFile(unreadable, b, 0o000); err != nil {
		t.Fatal(err)
	}
	paths := []string{garbage, truncated, filepath.Join(dir, "missing.mmdb")}
	if os.Geteuid() != 0 { // root reads a 0000 file anyway
		paths = append(paths, unreadable)
	}
	for _, p := range paths {
		d, err := geoip.Open(p, "en", nil)
		if err == nil {
			t.Errorf("Open(%s) = %v, nil; want an error", filepath.Base(p), d)
			continue
		}
		if !strings.Contains(err.Error(), "GeoIP database") {
			t.Errorf("Open(%s) error %q does not say what failed", filepath.Base(p), err)
		}
	}
}

func TestConcurrentLookups(t *testing.T) {
	t.Parallel()
	d := open(t, "de")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				n := geoiptest.Networks[(g+i)%len(geoiptest.Networks)]
				if cc, _, ctc, _ := d.Lookup(n.IP); cc != n.Country.Code || ctc != n.Continent.Code {
					t.Errorf("Lookup(%s) = %s %s", n.IP, cc, ctc)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkLookup(b *testing.B) {
	d := open(b, "en")
	ips := make([]string, len(geoiptest.Networks))
	for i, n := range geoiptest.Networks {
		ips[i] = n.IP
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if cc, _, _, _ := d.Lookup(ips[i%len(ips)]); cc == "" {
			b.Fatal("not found")
		}
	}
}

func BenchmarkLookupParallel(b *testing.B) {
	d := open(b, "en")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Lookup(geoiptest.Networks[i%len(geoiptest.Networks)].IP)
			i++
		}
	})
}

func TestLookupDoesNotAllocate(t *testing.T) {
	d := open(t, "en")
	d.Lookup(geoiptest.JP6.IP)
	if n := testing.AllocsPerRun(100, func() { d.Lookup(geoiptest.JP6.IP) }); n != 0 {
		t.Fatalf("cached lookup allocates %v times", n)
	}
}
