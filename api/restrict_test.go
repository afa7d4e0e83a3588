package api

import (
	"strings"
	"testing"
)

// FuzzAuthzPath checks the gateway's path handling on arbitrary URL paths:
// never a panic; the answer is the path after /api/v2/auth/ with at most
// one format extension removed from its last segment, and the special
// paths of the decision (the whitelink and sessions paths) come out
// exactly as Barong's router gives them, with or without an extension.
func FuzzAuthzPath(f *testing.F) {
	for _, s := range []string{"/api/v2/auth/api/v2/peatio/account/balances", "/api/v2/auth/", "/api/v2/auth/a.json",
		"/api/v2/auth/api/v2/barong/identity/sessions.json", "/api/v2/auth/x/.json", "/api/v2/auth/a.b/c",
		"/api/v2/auth/a.b.c", "/api/v2/auth/api/v2/barong/identity/users/access.xml", "/api/v2/auth//", "/", "",
		"/api/v2/auth/.", "/api/v2/auth/a/b.", "/other/path.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, urlPath string) {
		got := authzPath(urlPath)
		rest := strings.TrimPrefix(urlPath, "/api/v2/auth/")
		if !strings.HasPrefix(rest, got) {
			t.Fatalf("authzPath(%q) = %q, not a prefix of %q", urlPath, got, rest)
		}
		if cut := rest[len(got):]; cut != "" {
			// Only ".ext" of the last segment, after a non-empty name.
			if cut[0] != '.' || strings.ContainsAny(cut[1:], "./") {
				t.Fatalf("authzPath(%q) = %q cut %q", urlPath, got, cut)
			}
			if got == "" || strings.HasSuffix(got, "/") {
				t.Fatalf("authzPath(%q) = %q: a dot-file name was taken for an extension", urlPath, got)
			}
		}
		if authzPath("/api/v2/auth/"+got) != got && !strings.Contains(got[strings.LastIndexByte(got, '/')+1:], ".") {
			t.Fatalf("authzPath not stable on %q", got)
		}
		for _, special := range []string{"api/v2/barong/identity/users/access", "api/v2/barong/identity/sessions"} {
			if authzPath("/api/v2/auth/"+special) != special || authzPath("/api/v2/auth/"+special+".json") != special {
				t.Fatalf("%s not recognised", special)
			}
		}
	})
}

// FuzzFamilyAuthzPath checks the authz path of direct identity and public
// calls: both mounts give the same path under api/v2/barong/<family>/,
// and no URL can name another family's path.
func FuzzFamilyAuthzPath(f *testing.F) {
	for _, s := range []string{"sessions", "users/access", "", "../resource/users/me", "ping", "a/b/c.json"} {
		f.Add("identity", s)
		f.Add("public", s)
	}
	f.Fuzz(func(t *testing.T, family, rest string) {
		if family != "identity" && family != "public" {
			family = "identity"
		}
		want := "api/v2/barong/" + family + "/" + rest
		if got := familyAuthzPath(family, "/api/v2/auth/"+family+"/"+rest); got != want {
			t.Fatalf("seed mount: %q, want %q", got, want)
		}
		if got := familyAuthzPath(family, "/api/v2/"+family+"/"+rest); got != want {
			t.Fatalf("native mount: %q, want %q", got, want)
		}
		if got := familyAuthzPath(family, rest); !strings.HasPrefix(got, "api/v2/barong/"+family+"/") {
			t.Fatalf("foreign path %q gave %q", rest, got)
		}
	})
}
