package extauthz

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

func TestPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, path, query string }{
		{"/api/v2/peatio/account/balances", "api/v2/peatio/account/balances", ""},
		{"/api/v2/peatio/orders.json?limit=5&x=y", "api/v2/peatio/orders", "limit=5&x=y"},
		{"/api/v2/barong/resource/users/me/", "api/v2/barong/resource/users/me/", ""},
		{"/api/v2/a.b/c", "api/v2/a.b/c", ""},
		{"/api/v2/.hidden", "api/v2/.hidden", ""},
		{"/api/v2/peatio/account%2Fbalances", "api/v2/peatio/account/balances", ""},
		{"/", "", ""},
		{"/x#frag", "x", ""},
	} {
		p, q, ok := Path(tc.in)
		if !ok || p != tc.path || q != tc.query {
			t.Errorf("Path(%q) = %q %q %v, want %q %q", tc.in, p, q, ok, tc.path, tc.query)
		}
	}
}

// FuzzPath checks the request-target parser on arbitrary input: it never
// panics, and an accepted target is a clean absolute path whose authz
// path is that path without the leading slash and the last segment's
// format extension.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"/api/v2/peatio/orders.json?x=1", "/a/../b", "/%2e%2e/x", "//x", "/a%00b", "", "?", "/a.b.c",
		"/api/v2/barong/identity/sessions", "/x/", "/%", "/a?b?c", "/.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		p, q, ok := Path(target)
		if !ok {
			return
		}
		raw, _, _ := strings.Cut(target, "?")
		raw, _, _ = strings.Cut(raw, "#")
		dec, err := url.PathUnescape(raw)
		if err != nil || !strings.HasPrefix(dec, "/") {
			t.Fatalf("accepted %q (decoded %q, %v)", target, dec, err)
		}
		if c := path.Clean(dec); c != dec && c+"/" != dec {
			t.Fatalf("accepted unclean %q", dec)
		}
		if !strings.HasPrefix(dec[1:], p) || strings.HasPrefix(p, "/") {
			t.Fatalf("Path(%q) = %q, not a prefix of %q", target, p, dec[1:])
		}
		if rest := dec[1+len(p):]; rest != "" && (!strings.HasPrefix(rest, ".") || strings.Contains(rest, "/")) {
			t.Fatalf("Path(%q) = %q dropped %q", target, p, rest)
		}
		if strings.Contains(p, "..") && !strings.Contains(dec, "..") {
			t.Fatalf("Path(%q) = %q", target, p)
		}
		if _, after, found := strings.Cut(target, "?"); found && !strings.HasPrefix(after, q) {
			t.Fatalf("query %q of %q", q, target)
		}
	})
}
