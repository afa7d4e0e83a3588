package api

import (
	"strings"
	"testing"
)

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
