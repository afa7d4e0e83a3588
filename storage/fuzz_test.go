package storage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// FuzzSignedURL sends arbitrary paths and queries to the signed-link
// handler: it never panics, and it serves a file only for the exact link
// URL gave (same key, same expiry, same signature).
func FuzzSignedURL(f *testing.F) {
	dir := f.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	l.SignURLs([]byte("fuzz-secret-fuzz-secret-fuzz-sec"), time.Minute, func() time.Time { return now })
	key := "uploads/document/upload/ab/scan.pdf"
	if err := l.Put(context.Background(), key, strings.NewReader("%PDF"), 4, ""); err != nil {
		f.Fatal(err)
	}
	good, err := l.URL(context.Background(), key)
	if err != nil {
		f.Fatal(err)
	}
	u, _ := url.Parse(good)
	f.Add(u.Path, u.RawQuery)
	f.Add(u.Path, "expires=1800000060&signature="+strings.Repeat("0", 64))
	f.Add("/uploads/../etc/passwd", u.RawQuery)
	f.Add(u.Path+"/", u.RawQuery)
	f.Add(u.Path, u.RawQuery+"&expires=1900000000")
	f.Fuzz(func(t *testing.T, p, rawQuery string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: p, RawQuery: rawQuery}, Header: http.Header{}}
		w := httptest.NewRecorder()
		l.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			q, _ := url.ParseQuery(rawQuery)
			if p != u.Path || q.Get("expires") != u.Query().Get("expires") || q.Get("signature") != u.Query().Get("signature") {
				t.Fatalf("served %q ? %q, which is not the signed link %q", p, rawQuery, good)
			}
		}
	})
}
