package storage_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/storage"
)

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, key string) {
	t.Helper()
	if w.Code != status || w.Body.String() != `{"errors":["`+key+`"]}` {
		t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, status, key)
	}
}

// Signed links of the local storage: served until they expire, refused
// when tampered with, for another file, unsigned or expired.
func TestLocalSignedURLs(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	s, err := storage.New(storage.Config{Provider: "local", LocalDir: filepath.Join(t.TempDir(), "u"),
		URLSecret: []byte("0123456789abcdef0123456789abcdef"), URLExpiry: 2 * time.Minute},
		storage.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	l := s.(*storage.Local)
	ctx := context.Background()
	key := "uploads/document/upload/3f9a/scan.pdf"
	data := []byte("%PDF-1.4 passport")
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "uploads/document/upload/3f9a/other.png", strings.NewReader("png"), 3, ""); err != nil {
		t.Fatal(err)
	}
	link, err := s.URL(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil || u.Path != "/"+key || u.Query().Get("expires") != "1800000120" || len(u.Query().Get("signature")) != 64 {
		t.Fatalf("link %q", link)
	}
	w := serve(l, "GET", link)
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), data) || w.Header().Get("Content-Type") != "application/pdf" ||
		w.Header().Get("Content-Security-Policy") != "default-src 'none'; sandbox" ||
		w.Header().Get("Content-Disposition") != "inline; filename=scan.pdf" {
		t.Fatalf("GET %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := serve(l, "HEAD", link); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "17" {
		t.Fatalf("HEAD %d %v", w.Code, w.Header())
	}
	sig := u.Query().Get("signature")
	flipped := sig[:63] + string("10"[map[bool]int{true: 1, false: 0}[sig[63] == '1']])
	for _, bad := range []string{
		"/" + key,                                            // unsigned
		"/" + key + "?expires=1800000120",                    // no signature
		strings.Replace(link, sig, flipped, 1),               // tampered signature
		strings.Replace(link, "1800000120", "1900000000", 1), // extended expiry
		strings.Replace(link, "scan.pdf", "other.png", 1),    // another file
		"/uploads/document/upload/3f9a/../3f9a/scan.pdf?" + u.RawQuery,
	} {
		wantError(t, serve(l, "GET", bad), 403, storage.KeyURLInvalid)
	}
	// A signed link to a file that is gone.
	gone, _ := s.URL(ctx, "uploads/document/upload/3f9a/gone.jpg")
	wantError(t, serve(l, "GET", gone), 404, storage.KeyNotFound)
	// Past its time.
	now = now.Add(2*time.Minute + time.Second)
	wantError(t, serve(l, "GET", link), 403, storage.KeyURLExpired)

	// Without a secret, links are bare paths and nothing is served.
	plain, err := storage.New(storage.Config{Provider: "local", LocalDir: filepath.Join(t.TempDir(), "p")})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := plain.URL(ctx, key); p != "/"+key {
		t.Fatalf("unsigned URL %q", p)
	}
	wantError(t, serve(plain.(*storage.Local), "GET", link), 403, storage.KeyURLInvalid)
}
