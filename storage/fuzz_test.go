package storage

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzKeys checks the key rules on arbitrary names: a sanitised name is a
// valid single segment; an accepted key never leaves the storage root; and
// SigV4's path encoding round-trips.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"passport.png", "../../etc/passwd", `a\..\b`, "a//b", "uploads/document/upload/x/y.pdf",
		"\x00", "..", "ü/ß.png", "a/./b", strings.Repeat("x/", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name := SafeName(s)
		if strings.Contains(name, "/") || CheckKey(name) != nil || len(name) > maxNameLen {
			t.Fatalf("SafeName(%q) = %q is not a valid segment", s, name)
		}
		if CheckKey(s) == nil {
			root := filepath.FromSlash("/srv/uploads")
			p := filepath.Join(root, filepath.FromSlash(s))
			if !strings.HasPrefix(p, root+string(filepath.Separator)) {
				t.Fatalf("accepted key %q resolves to %q outside the root", s, p)
			}
		}
		if back, err := url.PathUnescape(uriEncode(s, false)); err != nil || back != s {
			t.Fatalf("uriEncode(%q) does not round-trip: %q %v", s, back, err)
		}
	})
}
