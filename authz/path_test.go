package authz

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
)

func TestTargetPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, path, query string }{
		{"/api/v2/peatio/account/balances", "api/v2/peatio/account/balances", ""},
		{"/api/v2/peatio/orders.json?limit=5&x=y", "api/v2/peatio/orders", "limit=5&x=y"},
		{"/api/v2/barong/resource/users/me/", "api/v2/barong/resource/users/me/", ""},
		{"/api/v2/a.b/c", "api/v2/a.b/c", ""},
		{"/api/v2/.hidden", "api/v2/.hidden", ""},
		{"/api/v2/peatio/%70ublic/x", "api/v2/peatio/public/x", ""},
		{"/api/v2/x?a=../b&c=%2f", "api/v2/x", "a=../b&c=%2f"},
		{"/api/v2/barong/identity/users/access.json", "api/v2/barong/identity/users/access", ""},
		{"/api/v2/barong/identity/sessions.xml", "api/v2/barong/identity/sessions", ""},
		{"/api/v2/x/.json", "api/v2/x/.json", ""}, // a dot-file, not an extension
		{"/api/v2/a.b.c", "api/v2/a.b", ""},
		{"/", "", ""},
		{"/x#frag", "x", ""},
	} {
		p, q, err := TargetPath(tc.in)
		if err != nil || p != tc.path || q != tc.query {
			t.Errorf("TargetPath(%q) = %q %q %v, want %q %q", tc.in, p, q, err, tc.path, tc.query)
		}
	}
	for _, in := range []string{
		// The examples and their relatives.
		"/api/v2/peatio/public/..%2Faccount/balances",
		"/api/v2/peatio/public/%2e%2e/account/balances",
		"/api/v2/peatio/public/%2E%2e/account/balances",
		"/api/v2/peatio/public/.%2E/account/balances",
		"/api/v2/peatio/public/../account/balances",
		"/api/v2/peatio/public/./x",
		"/api/v2/peatio/public/..",
		"/api/v2/peatio/public/.../x",
		"/api/v2/peatio/public/..;x/account",
		"/api/v2/peatio/public/..%3b/account",
		"/api/v2/peatio/public/.%2e;/account",
		"/api/v2;x/peatio/public",
		"/api/v2/peatio/public;jsessionid=1",
		"/api/v2/peatio/public/%2e",
		"/api/v2/peatio/account%2Fbalances",
		"/api/v2/peatio/account%2fbalances",
		"/api/v2/peatio/public\\..\\account",
		"/api/v2/peatio/public/..%5caccount",
		"/api/v2/peatio/public/..%5Caccount",
		"/api/v2/peatio/public/%252e%252e/account",
		"/api/v2/peatio/public/x%00",
		"/api/v2/peatio/public/x%0a",
		"/api/v2/peatio/public/x\x00",
		"/api/v2/peatio/public//account",
		"//api/v2/peatio/account",
		"/api/v2/peatio/public/%zz",
		"/api/v2/peatio/public/%2",
		"api/v2/peatio/account",
		"",
		"?x",
	} {
		if p, _, err := TargetPath(in); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("TargetPath(%q) = %q %v, want authz.invalid_path", in, p, err)
		}
	}
}

// fuzzRules are the rules of FuzzTargetPath: one pass and one block prefix.
var fuzzRules = Config{Pass: []string{"api/v2/peatio/public"}, Block: []string{"api/v2/barong/management"}}

// FuzzTargetPath checks the gateway decision on arbitrary request targets,
// as the entries run it (TargetPath, then Check): whatever an upstream
// could route a target to (decoded once or twice, dot segments resolved
// before or after decoding, backslashes as slashes, slashes merged,
// ;params stripped), a target passed by a pass rule lands under that
// rule's prefix, and a target not refused by a block rule lands outside
// the blocked prefix. An accepted target is also a clean absolute path
// whose authz path is that path without the slash and the extension.
func FuzzTargetPath(f *testing.F) {
	for _, s := range []string{"/api/v2/peatio/orders.json?x=1", "/a/../b", "/%2e%2e/x", "//x", "/a%00b", "", "?", "/a.b.c",
		"/api/v2/peatio/public/..%2Faccount/balances", "/api/v2/peatio/public/%2e%2e/account/balances",
		"/api/v2/peatio/public/..;/account", "/api/v2/peatio/public/..%3B/account", "/api/v2/peatio/public%2f..%2faccount", "/api/v2/peatio/public/%252e%252e/x",
		"/api/v2/peatio/public\\..\\account", "/api/v2/peatio/public//../account", "/api/v2/peatio/public/markets.json",
		"/api/v2/barong/management/users", "/api/v2/barong/x/../management/users", "/api/v2/barong/%6danagement/users",
		"/api/v2/barong/identity/sessions", "/x/", "/%", "/a?b?c", "/.x"} {
		f.Add(s)
	}
	e := New(fuzzRules, nil, nil, nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, target string) {
		p, q, err := TargetPath(target)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("TargetPath(%q): %v", target, err)
			}
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
			t.Fatalf("TargetPath(%q) = %q, not a prefix of %q", target, p, dec[1:])
		}
		if rest := dec[1+len(p):]; rest != "" && (!strings.HasPrefix(rest, ".") || strings.Contains(rest, "/")) {
			t.Fatalf("TargetPath(%q) = %q dropped %q", target, p, rest)
		}
		if _, after, found := strings.Cut(target, "?"); found && !strings.HasPrefix(after, q) {
			t.Fatalf("query %q of %q", q, target)
		}

		res, err := e.Check(context.Background(), Request{Path: p, Method: "GET", IP: "10.0.0.1"})
		blocked := barong.AsError(err) != nil && barong.AsError(err).Keys[0] == "authz.permission_denied"
		for name, resolved := range upstreamViews(raw) {
			if err == nil && res.Pass && !underAny(resolved, fuzzRules.Pass) {
				t.Fatalf("%q passed as %q, but %s routes it to %q", target, p, name, resolved)
			}
			if !blocked && underAny(resolved, fuzzRules.Block) {
				t.Fatalf("%q not blocked (authz path %q), but %s routes it to %q", target, p, name, resolved)
			}
		}
	})
}

// upstreamViews are the paths different upstreams could route a raw path
// to (without the leading slash); a view that fails to decode is left out.
func upstreamViews(raw string) map[string]string {
	views := map[string]string{}
	add := func(name, p string, ok bool) {
		if ok {
			views[name] = strings.TrimPrefix(path.Clean("/"+p), "/")
		}
	}
	once, onceErr := url.PathUnescape(raw)
	decoded := onceErr == nil
	add("decode-clean", once, decoded)
	add("backslash", strings.ReplaceAll(once, "\\", "/"), decoded)
	add("merge-slashes", strings.ReplaceAll(once, "//", "/"), decoded)
	add("decode-strip-params", stripParams(once), decoded)
	twice, err := url.PathUnescape(once)
	add("double-decode", twice, decoded && err == nil)
	cleanedRaw, err := url.PathUnescape(path.Clean(raw))
	add("clean-then-decode", cleanedRaw, err == nil)
	noParams, err := url.PathUnescape(stripParams(raw))
	add("strip-params", noParams, err == nil)
	return views
}

// stripParams drops the ;params of every segment, as Java servers do.
func stripParams(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

func underAny(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}
